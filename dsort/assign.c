/*
 * dSort assignment of ordered records to output shards and of shards to
 * targets (see assign.h). One linear pass; names come from one template
 * iterator, so the plan is the same on whichever node computes it.
 */
#include "dsort/assign.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fqn.h"
#include "core/hrw.h"
#include "core/template.h"

static void dsort_assign_fail(char *errbuf, size_t errlen, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
dsort_assign_fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
}

/* Appends shard [first, first+count) named by the next template name. */
static ais_err
dsort_assign_close(dsort_plan *p, size_t *cap, ais_tmpl *t, const char *ext,
    size_t first, size_t count, uint64_t size, char *errbuf, size_t errlen)
{
	char name[AIS_OBJNAME_MAX + 1];
	const char *tn = ais_tmpl_next(t, NULL);

	if (tn == NULL) {
		dsort_assign_fail(errbuf, errlen,
		    "output_format: the template names %llu shards, more "
		    "are needed (raise the range or output_shard_size)",
		    (unsigned long long) p->n);
		return AIS_EINVAL;
	}
	if (dsort_shard_name(tn, ext, name, sizeof(name)) != AIS_OK) {
		dsort_assign_fail(errbuf, errlen,
		    "output_format: shard name \"%.*s...\" is too long", 64,
		    tn);
		return AIS_EINVAL;
	}
	if (p->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		dsort_oshard *ns = realloc(p->shards, nc * sizeof(*ns));
		if (ns == NULL) {
			return AIS_ENOMEM;
		}
		p->shards = ns;
		*cap = nc;
	}
	dsort_oshard *s = &p->shards[p->n];
	memset(s, 0, sizeof(*s));
	if ((s->name = strdup(name)) == NULL) {
		return AIS_ENOMEM;
	}
	s->first = first;
	s->count = count;
	s->size = size;
	p->n++;
	return AIS_OK;
}

ais_err
dsort_assign(const dsort_rec *recs, size_t n, int64_t max_size,
    const char *tmpl, const char *ext, dsort_plan *plan, char *errbuf,
    size_t errlen)
{
	char terr[200] = "";
	uint64_t limit, total = 0, cur = 0;
	size_t cap = 0, first = 0;
	ais_tmpl t;
	ais_err rc;

	memset(plan, 0, sizeof(*plan));
	if (errbuf != NULL && errlen > 0) {
		errbuf[0] = '\0';
	}
	rc = ais_tmpl_parse(&t, tmpl != NULL ? tmpl : "", terr, sizeof(terr));
	if (rc != AIS_OK) {
		dsort_assign_fail(errbuf, errlen,
		    "output_format: invalid template: %s",
		    terr[0] ? terr : ais_strerror(rc));
		return rc == AIS_ENOMEM ? rc : AIS_EINVAL;
	}
	if (ais_tmpl_is_prefix(&t) || t.count == 0) {
		ais_tmpl_fini(&t);
		dsort_assign_fail(
		    errbuf, errlen, "output_format: template has no range");
		return AIS_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		total += recs[i].size;
	}
	if (max_size > 0) {
		limit = (uint64_t) max_size;
	} else {
		limit = (total + t.count - 1) / t.count;
		limit = limit ? limit : 1;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t sz = recs[i].size;
		/* Close the open shard when this record would overflow it
		 * (an empty shard always takes the record, oversized or
		 * not). */
		if (i > first && cur + sz > limit) {
			rc = dsort_assign_close(plan, &cap, &t, ext, first,
			    i - first, cur, errbuf, errlen);
			if (rc != AIS_OK) {
				goto fail;
			}
			first = i;
			cur = 0;
		}
		cur += sz;
	}
	if (n > first) {
		rc = dsort_assign_close(plan, &cap, &t, ext, first, n - first,
		    cur, errbuf, errlen);
		if (rc != AIS_OK) {
			goto fail;
		}
	}
	ais_tmpl_fini(&t);
	return AIS_OK;
fail:
	ais_tmpl_fini(&t);
	dsort_plan_fini(plan);
	if (rc == AIS_ENOMEM) {
		dsort_assign_fail(
		    errbuf, errlen, "dsort assign: out of memory");
	}
	return rc;
}

ais_err
dsort_plan_map(dsort_plan *plan, const ais_smap *m, const dsort_bck *bck,
    char *errbuf, size_t errlen)
{
	char uname[AIS_OBJNAME_MAX + 256];
	const ais_snode *tn;
	ais_err rc;

	for (size_t i = 0; i < plan->n; i++) {
		size_t len = ais_uname(uname, sizeof(uname), bck->provider,
		    bck->ns, bck->name, plan->shards[i].name);
		if (len == 0) {
			dsort_assign_fail(errbuf, errlen,
			    "shard \"%.*s\": name too long", 64,
			    plan->shards[i].name);
			return AIS_EINVAL;
		}
		rc = ais_hrw_target(m, uname, len, &tn);
		if (rc != AIS_OK) {
			dsort_assign_fail(errbuf, errlen,
			    "no target for shard \"%.*s\": %s", 64,
			    plan->shards[i].name, ais_strerror(rc));
			return rc;
		}
		snprintf(plan->shards[i].target,
		    sizeof(plan->shards[i].target), "%s", tn->id);
	}
	return AIS_OK;
}

void
dsort_plan_fini(dsort_plan *plan)
{
	if (plan == NULL) {
		return;
	}
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->shards[i].name);
	}
	free(plan->shards);
	plan->shards = NULL;
	plan->n = 0;
}

/*
 * dSort record ordering (see order.h): keys, comparators, the seeded
 * shuffle, k-way merge and splitters. Pure functions over caller-owned
 * arrays; no I/O except getrandom for an unseeded shuffle.
 */
#include "dsort/order.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/cksum.h"
#include "dsort/shard.h"

static void dsort_order_fail(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
dsort_order_fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
}

size_t
dsort_rec_name_len(const char *path, size_t len)
{
	/* One record-key rule for the whole room: the shard reader groups
	 * files by it, so the order must name records the same way. */
	return ais_shard_record_key(path, len);
}

const char *
dsort_rec_ext(const char *path, size_t len)
{
	return path + dsort_rec_name_len(path, len);
}

ais_err
dsort_rec_init(
    dsort_rec *r, const char *name, size_t len, uint64_t size, uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	r->name = strndup(name, len);
	if (r->name == NULL) {
		return AIS_ENOMEM;
	}
	r->size = size;
	r->seq = seq;
	return AIS_OK;
}

ais_err
dsort_rec_copy(dsort_rec *dst, const dsort_rec *src)
{
	*dst = *src;
	dst->name = NULL;
	dst->ks = NULL;
	if (src->name != NULL && (dst->name = strdup(src->name)) == NULL) {
		goto fail;
	}
	if (src->ks != NULL) {
		/* +1: string keys keep a NUL for printing. */
		if ((dst->ks = malloc(src->kslen + 1)) == NULL) {
			goto fail;
		}
		memcpy(dst->ks, src->ks, src->kslen + 1);
	}
	return AIS_OK;
fail:
	free(dst->name);
	dst->name = NULL;
	return AIS_ENOMEM;
}

void
dsort_rec_fini(dsort_rec *r)
{
	if (r == NULL) {
		return;
	}
	free(r->name);
	free(r->ks);
	r->name = NULL;
	r->ks = NULL;
	r->kkind = DSORT_KEY_NONE;
}

void
dsort_recs_free(dsort_rec *recs, size_t n)
{
	if (recs == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		dsort_rec_fini(&recs[i]);
	}
	free(recs);
}

static ais_err
dsort_rec_set_str(dsort_rec *r, const void *buf, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL) {
		return AIS_ENOMEM;
	}
	if (len > 0) {
		memcpy(s, buf, len);
	}
	s[len] = '\0';
	free(r->ks);
	r->ks = s;
	r->kslen = len;
	r->kkind = DSORT_KEY_STR;
	return AIS_OK;
}

ais_err
dsort_rec_set_content_key(dsort_rec *r, dsort_ckey_type type, const void *buf,
    size_t len, char *errbuf, size_t errlen)
{
	const char *b = buf, *e = b + len;
	char tmp[128], *end;

	if (type == DSORT_CKEY_STRING) {
		return dsort_rec_set_str(r, buf, len);
	}
	while (b < e && isspace((unsigned char) *b)) {
		b++;
	}
	while (e > b && isspace((unsigned char) e[-1])) {
		e--;
	}
	/* Numbers fit in 128 bytes; anything longer is not one. */
	if (e == b || (size_t) (e - b) >= sizeof(tmp)
	    || memchr(b, '\0', (size_t) (e - b)) != NULL) {
		goto bad;
	}
	memcpy(tmp, b, (size_t) (e - b));
	tmp[e - b] = '\0';
	errno = 0;
	if (type == DSORT_CKEY_INT) {
		long long v = strtoll(tmp, &end, 10);
		if (errno != 0 || *end != '\0') {
			goto bad;
		}
		r->ki = v;
		r->kkind = DSORT_KEY_INT;
	} else {
		double v = strtod(tmp, &end);
		if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) {
			goto bad;
		}
		if (*end != '\0' || isnan(v)) {
			goto bad;
		}
		r->kf = v;
		r->kkind = DSORT_KEY_FLOAT;
	}
	return AIS_OK;
bad:
	dsort_order_fail(errbuf, errlen,
	    "record \"%.*s\": sorting key \"%.*s\" is not a valid %s", 200,
	    r->name != NULL ? r->name : "", len < 40 ? (int) len : 40,
	    (const char *) buf, dsort_ckey_type_str(type));
	return AIS_EINVAL;
}

static ais_err
dsort_rec_md5(dsort_rec *r)
{
	char hex[AIS_CKSUM_HEX_MAX];
	ais_cksum c;
	ais_err rc;

	if ((rc = ais_cksum_init(&c, AIS_CKSUM_MD5)) != AIS_OK) {
		return rc;
	}
	ais_cksum_update(&c, r->name, strlen(r->name));
	ais_cksum_final(&c, hex);
	return dsort_rec_set_str(r, hex, strlen(hex));
}

ais_err
dsort_recs_prepare(dsort_rec *recs, size_t n, const dsort_alg *alg,
    char *errbuf, size_t errlen)
{
	ais_err rc;

	for (size_t i = 0; i < n; i++) {
		if (alg->kind == DSORT_ALG_MD5
		    && recs[i].kkind != DSORT_KEY_STR) {
			if ((rc = dsort_rec_md5(&recs[i])) != AIS_OK) {
				dsort_order_fail(errbuf, errlen, "md5 key: %s",
				    ais_strerror(rc));
				return rc;
			}
		}
		if (alg->kind != DSORT_ALG_CONTENT) {
			continue;
		}
		dsort_key_kind want = alg->ckey_type == DSORT_CKEY_INT
		    ? DSORT_KEY_INT
		    : alg->ckey_type == DSORT_CKEY_FLOAT ? DSORT_KEY_FLOAT
		                                         : DSORT_KEY_STR;
		if (recs[i].kkind != want) {
			dsort_order_fail(errbuf, errlen,
			    "record \"%.*s\": no %s sorting key (missing "
			    "\"%.*s\" file)",
			    200, recs[i].name,
			    dsort_ckey_type_str(alg->ckey_type), 32, alg->ext);
			return AIS_EINVAL;
		}
	}
	return AIS_OK;
}

static int
dsort_bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0) {
		return c;
	}
	return al < bl ? -1 : al > bl ? 1 : 0;
}

int
dsort_rec_cmp(const dsort_rec *a, const dsort_rec *b, const dsort_alg *alg)
{
	int c = 0;

	switch (alg->kind) {
	case DSORT_ALG_NONE:
		return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
	case DSORT_ALG_ALPHANUMERIC:
	case DSORT_ALG_SHUFFLE:
		c = strcmp(a->name, b->name);
		break;
	case DSORT_ALG_MD5:
	case DSORT_ALG_CONTENT:
		if (a->kkind == DSORT_KEY_INT) {
			c = a->ki < b->ki ? -1 : a->ki > b->ki;
		} else if (a->kkind == DSORT_KEY_FLOAT) {
			c = a->kf < b->kf ? -1 : a->kf > b->kf;
		} else if (a->ks != NULL && b->ks != NULL) {
			c = dsort_bytes_cmp(a->ks, a->kslen, b->ks, b->kslen);
		}
		break;
	}
	if (c != 0) {
		return alg->decreasing && alg->kind != DSORT_ALG_SHUFFLE ? -c
		                                                         : c;
	}
	/* Ties: name, then input order, so every node agrees. */
	if ((c = strcmp(a->name, b->name)) != 0) {
		return c;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

static int
dsort_qsort_cmp(const void *a, const void *b, void *alg)
{
	return dsort_rec_cmp(a, b, alg);
}

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64: small,
 * fast, and the same sequence on every platform. */
typedef struct dsort_rng {
	uint64_t s[4];
} dsort_rng;

static uint64_t
dsort_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
dsort_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
dsort_rng_next(dsort_rng *r)
{
	uint64_t *s = r->s, res = dsort_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = dsort_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, bound), bound > 0, without modulo bias. */
static uint64_t
dsort_rng_below(dsort_rng *r, uint64_t bound)
{
	uint64_t threshold = (0 - bound) % bound, x;

	do {
		x = dsort_rng_next(r);
	} while (x < threshold);
	return x % bound;
}

void
dsort_shuffle(dsort_rec *recs, size_t n, const dsort_alg *alg)
{
	uint64_t seed = alg->seed;
	dsort_rng rng;

	if (!alg->has_seed
	    && getrandom(&seed, sizeof(seed), 0) != (ssize_t) sizeof(seed)) {
		seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
	}
	for (int i = 0; i < 4; i++) {
		rng.s[i] = dsort_splitmix64(&seed);
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t) dsort_rng_below(&rng, i);
		dsort_rec t = recs[i - 1];
		recs[i - 1] = recs[j];
		recs[j] = t;
	}
}

/* Sorting by name (alphanumeric, and shuffle's canonical order first).
 * Names in a dataset share long prefixes ("sample000123"), so strcmp
 * through two calls per comparison walks the same bytes over and over.
 * Instead each record gets the 8 bytes that follow the prefix common to
 * all names, as a big-endian integer (zero-padded: a shorter name sorts
 * first, as with strcmp; names hold no NUL), and an index; these 16-byte
 * pairs are sorted, integers first and the full comparison only on equal
 * integers, and the records are then permuted into place. */
typedef struct dsort_pk {
	uint64_t k;
	size_t i;
} dsort_pk;

typedef struct dsort_pk_ctx {
	const dsort_rec *recs;
	const dsort_alg *alg;
} dsort_pk_ctx;

static int
dsort_pk_cmp(const void *a, const void *b, void *arg)
{
	const dsort_pk *x = a, *y = b;
	const dsort_pk_ctx *c = arg;

	if (x->k != y->k) {
		int r = x->k < y->k ? -1 : 1;

		return c->alg->decreasing && c->alg->kind != DSORT_ALG_SHUFFLE
		    ? -r
		    : r;
	}
	return dsort_rec_cmp(&c->recs[x->i], &c->recs[y->i], c->alg);
}

static bool
dsort_sort_by_name(dsort_rec *recs, size_t n, const dsort_alg *alg)
{
	dsort_pk *pk = malloc(n * sizeof(*pk));
	dsort_rec *tmp = malloc(n * sizeof(*tmp));
	dsort_pk_ctx c = { .recs = recs, .alg = alg };
	size_t lcp = strlen(recs[0].name);

	if (pk == NULL || tmp == NULL) {
		free(pk);
		free(tmp);
		return false;
	}
	for (size_t i = 1; i < n && lcp > 0; i++) {
		size_t l = 0;

		while (l < lcp && recs[i].name[l] == recs[0].name[l]) {
			l++;
		}
		lcp = l;
	}
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p
		    = (const unsigned char *) recs[i].name + lcp;
		uint64_t k = 0;

		/* recs[i].name is at least lcp long: p is in bounds, and
		 * stays at its NUL once there */
		for (int b = 0; b < 8; b++) {
			k <<= 8;
			if (*p != '\0') {
				k |= *p++;
			}
		}
		pk[i].k = k;
		pk[i].i = i;
	}
	qsort_r(pk, n, sizeof(*pk), dsort_pk_cmp, &c);
	for (size_t i = 0; i < n; i++) {
		tmp[i] = recs[pk[i].i];
	}
	memcpy(recs, tmp, n * sizeof(*recs));
	free(pk);
	free(tmp);
	return true;
}

ais_err
dsort_order(dsort_rec *recs, size_t n, const dsort_alg *alg, char *errbuf,
    size_t errlen)
{
	ais_err rc = dsort_recs_prepare(recs, n, alg, errbuf, errlen);

	if (rc != AIS_OK) {
		return rc;
	}
	if (n > 1
	    && !((alg->kind == DSORT_ALG_ALPHANUMERIC
	             || alg->kind == DSORT_ALG_SHUFFLE)
	        && dsort_sort_by_name(recs, n, alg))) {
		qsort_r(recs, n, sizeof(*recs), dsort_qsort_cmp, (void *) alg);
	}
	if (alg->kind == DSORT_ALG_SHUFFLE) {
		dsort_shuffle(recs, n, alg);
	}
	return AIS_OK;
}

/* ---- k-way merge: a binary min-heap of run indices by head record ---- */

typedef struct dsort_heap {
	size_t *h; /* run indices */
	size_t n;
	size_t *pos; /* next record of each run */
	dsort_run *runs;
	const dsort_alg *alg;
} dsort_heap;

static bool
dsort_heap_less(const dsort_heap *hp, size_t a, size_t b)
{
	return dsort_rec_cmp(&hp->runs[a].recs[hp->pos[a]],
	           &hp->runs[b].recs[hp->pos[b]], hp->alg)
	    < 0;
}

static void
dsort_heap_down(dsort_heap *hp, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;
		if (l < hp->n && dsort_heap_less(hp, hp->h[l], hp->h[m])) {
			m = l;
		}
		if (r < hp->n && dsort_heap_less(hp, hp->h[r], hp->h[m])) {
			m = r;
		}
		if (m == i) {
			return;
		}
		t = hp->h[i];
		hp->h[i] = hp->h[m];
		hp->h[m] = t;
		i = m;
	}
}

ais_err
dsort_merge(
    dsort_run *runs, size_t nruns, const dsort_alg *alg, dsort_rec *out)
{
	dsort_heap hp = { .runs = runs, .alg = alg };
	size_t k = 0;

	if (nruns == 0) {
		return AIS_OK;
	}
	hp.h = calloc(nruns, sizeof(*hp.h));
	hp.pos = calloc(nruns, sizeof(*hp.pos));
	if (hp.h == NULL || hp.pos == NULL) {
		free(hp.h);
		free(hp.pos);
		return AIS_ENOMEM;
	}
	for (size_t i = 0; i < nruns; i++) {
		if (runs[i].n > 0) {
			hp.h[hp.n++] = i;
		}
	}
	for (size_t i = hp.n / 2; i-- > 0;) {
		dsort_heap_down(&hp, i);
	}
	while (hp.n > 0) {
		size_t r = hp.h[0];
		dsort_rec *src = &runs[r].recs[hp.pos[r]];
		out[k++] = *src;
		src->name = NULL; /* moved */
		src->ks = NULL;
		if (++hp.pos[r] == runs[r].n) {
			hp.h[0] = hp.h[--hp.n];
		}
		dsort_heap_down(&hp, 0);
	}
	free(hp.h);
	free(hp.pos);
	return AIS_OK;
}

ais_err
dsort_splitters(dsort_rec *samples, size_t nsamples, size_t nparts,
    const dsort_alg *alg, dsort_rec **out, size_t *nout)
{
	dsort_rec *spl;
	size_t k = 0;
	ais_err rc;

	*out = NULL;
	*nout = 0;
	if (nparts == 0) {
		return AIS_EINVAL;
	}
	if (nparts == 1 || nsamples == 0) {
		return AIS_OK;
	}
	if (nsamples > 1) {
		qsort_r(samples, nsamples, sizeof(*samples), dsort_qsort_cmp,
		    (void *) alg);
	}
	spl = calloc(nparts - 1, sizeof(*spl));
	if (spl == NULL) {
		return AIS_ENOMEM;
	}
	for (size_t i = 1; i < nparts; i++) {
		const dsort_rec *s = &samples[i * nsamples / nparts];
		/* Quantile 0 would make range 0 always empty; and equal
		 * neighbours would make a range empty for nothing. */
		if ((i * nsamples / nparts == 0)
		    || (k > 0 && dsort_rec_cmp(&spl[k - 1], s, alg) >= 0)) {
			continue;
		}
		if ((rc = dsort_rec_copy(&spl[k], s)) != AIS_OK) {
			dsort_recs_free(spl, k);
			return rc;
		}
		k++;
	}
	if (k == 0) {
		free(spl);
		return AIS_OK;
	}
	*out = spl;
	*nout = k;
	return AIS_OK;
}

size_t
dsort_range_of(const dsort_rec *r, const dsort_rec *spl, size_t nspl,
    const dsort_alg *alg)
{
	size_t lo = 0, hi = nspl;

	/* First splitter > r; its index is the count of splitters <= r. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (dsort_rec_cmp(&spl[mid], r, alg) <= 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Bucket changes from a proxy to the primary's buckets actor; see the
 * header. */
#include "actors/node/bck_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bmd.h"
#include "proto/msg.h"

#define BCK_WAIT_MS 2000
#define BCK_POLL_MS 5

static int64_t
bck_bmd_version(ais_node *n)
{
	ais_bmd *b = ais_node_bmd(n);
	int64_t v = b ? b->version : 0;
	ais_bmd_rele(b);
	return v;
}

/* Metasync installs the new BMD on this proxy right after the primary's
 * reply; poll briefly for it rather than answer before it lands. */
static void
bck_wait_bmd(ais_node *n, int64_t v)
{
	const struct timespec ts = { 0, BCK_POLL_MS * 1000000L };

	for (int i = 0; i < BCK_WAIT_MS / BCK_POLL_MS; i++) {
		if (bck_bmd_version(n) >= v) {
			return;
		}
		nanosleep(&ts, NULL);
	}
}

ais_err
ais_bck_change(ais_node *n, const char *provider, const char *ns,
    const char *name, const char *cname, const char *action,
    const char *value_json, char *errbuf, size_t errlen)
{
	ais_smap *smap = ais_node_smap(n);
	const ais_snode *psn = smap ? ais_smap_primary(smap) : NULL;
	char url[AIS_URL_MAX + 1] = "";
	char pid[AIS_ID_MAX + 1] = "";
	bool local = false;
	Ais__BckReq rq = AIS__BCK_REQ__INIT;
	act_reply_buf rep = { 0 };
	ais_err err;

	if (psn != NULL) {
		local = strcmp(psn->id, n->self.id) == 0;
		snprintf(url, sizeof(url), "%s", psn->ctrl.url);
		snprintf(pid, sizeof(pid), "%s", psn->id);
	}
	ais_smap_rele(smap);
	if (!local && atomic_load(&n->primary_lost)) {
		/* Fail fast and clearly rather than wait out the call. */
		snprintf(errbuf, errlen, "%s %s: the primary is unreachable "
		    "(election in progress or no quorum); retry", action,
		    cname);
		return AIS_EAGAIN;
	}
	if (psn == NULL || n->rt == NULL || (!local && url[0] == '\0')) {
		snprintf(errbuf, errlen, "%s %s: primary is not known yet",
		    action, cname);
		return AIS_EAGAIN;
	}
	rq.action = (char *) action;
	rq.provider = (char *) provider;
	rq.ns = (char *) ns;
	rq.name = (char *) name;
	rq.value_json = (char *) (value_json ? value_json : "");
	size_t len = ais__bck_req__get_packed_size(&rq);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL) {
		snprintf(errbuf, errlen, "%s %s: out of memory", action, cname);
		return AIS_ENOMEM;
	}
	ais__bck_req__pack(&rq, buf);
	err = act_call(n->rt, local ? NULL : url, AIS_ACTOR_BUCKETS,
	    AIS_MSG_BCK_REQ, buf, len, AIS_BCK_CALL_MS, &rep);
	free(buf);
	if (err != AIS_OK) {
		snprintf(errbuf, errlen,
		    "%s %s: primary p[%s] did not answer: %s", action, cname,
		    pid, ais_strerror(err));
		return err == AIS_ETIMEDOUT ? err : AIS_EAGAIN;
	}
	if (rep.status != AIS_OK) {
		const char *m =
		    rep.errmsg ? rep.errmsg : ais_strerror(rep.status);
		if (rep.status == AIS_EPERM) {
			/* Our Smap names a primary that no longer is. */
			snprintf(errbuf, errlen, "%s %s: %s; retry", action,
			    cname, m);
			err = AIS_EAGAIN;
		} else {
			snprintf(errbuf, errlen, "%s", m);
			err = rep.status;
		}
		act_reply_buf_fini(&rep);
		return err;
	}
	Ais__BckResp *resp = ais__bck_resp__unpack(NULL, rep.len, rep.data);
	act_reply_buf_fini(&rep);
	if (resp == NULL) {
		snprintf(errbuf, errlen, "%s %s: bad reply from primary p[%s]",
		    action, cname, pid);
		return AIS_EINTERNAL;
	}
	bck_wait_bmd(n, resp->bmd_version);
	ais__bck_resp__free_unpacked(resp, NULL);
	return AIS_OK;
}

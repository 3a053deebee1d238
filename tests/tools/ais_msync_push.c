/*
 * ais_msync_push: test tool that plays a (possibly lying) primary. It sends
 * one metasync push with the Smap JSON read from a file to a node's
 * intra-control NNG address and prints what the node acknowledged:
 *
 *   ais_msync_push tcp://127.0.0.1:9081 smap.json
 *   -> "status=OK smap=5 bmd=1 config=1"
 *
 * Cluster tests use it to check that a node ignores an older version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/node/node.h"
#include "actors/runtime/actor.h"
#include "proto/msg.h"

static char *
tool_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *p = realloc(buf, cap);
			if (p == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf != NULL) {
		buf[len] = '\0';
	}
	return buf;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s <tcp://host:port> <smap.json>\n",
		    argv[0]);
		return 2;
	}
	char *smap = tool_read_file(argv[2]);
	if (smap == NULL) {
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 2;
	}
	act_rt *rt = NULL;
	if (act_rt_open("msync-tool", NULL, &rt) != AIS_OK) {
		free(smap);
		return 1;
	}
	Ais__MetaPush mp = AIS__META_PUSH__INIT;
	mp.smap_json = smap;
	mp.reason = "test tool";
	size_t len = ais__meta_push__get_packed_size(&mp);
	uint8_t *buf = malloc(len);
	int rc = 1;
	act_reply_buf rep = { 0 };
	if (buf == NULL) {
		goto out;
	}
	ais__meta_push__pack(&mp, buf);
	ais_err err = act_call(rt, argv[1], AIS_ACTOR_METASYNC,
	    AIS_MSG_META_PUSH, buf, len, 5000, &rep);
	if (err != AIS_OK) {
		fprintf(stderr, "call failed: %s\n", ais_strerror(err));
		goto out;
	}
	Ais__MetaAck *ack = ais__meta_ack__unpack(NULL, rep.len, rep.data);
	if (ack == NULL) {
		fprintf(stderr, "bad reply (type %u)\n", rep.type);
		goto out;
	}
	printf("status=%s smap=%lld bmd=%lld config=%lld\n",
	    ais_err_name(rep.status), (long long) ack->smap_version,
	    (long long) ack->bmd_version, (long long) ack->config_version);
	ais__meta_ack__free_unpacked(ack, NULL);
	rc = 0;
out:
	act_reply_buf_fini(&rep);
	free(buf);
	free(smap);
	act_rt_close(rt);
	return rc;
}

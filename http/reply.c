/*
 * Error replies of the public HTTP server, without libmicrohttpd.
 *
 * http_status_from_err() (the table is core/err.c's, shared with the dSort
 * API actor) is the single place where an ais_err becomes an HTTP status;
 * handlers pass the error they got from core or an actor and
 * never pick statuses for them by hand, so a code means the same thing on
 * every endpoint (AIS keeps the same mapping in cmn/err.go). The JSON body
 * follows AIS's ErrHTTP field order, which clients do not depend on but
 * humans reading curl output do.
 */
#include "http/reply.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
http_status_from_err(ais_err err)
{
	return ais_err_http_status(err); /* one table, in core/err.c */
}

/* Messages may quote client input (object names) that is not UTF-8, which
 * jansson refuses; such bytes become '?' rather than losing the error. */
static int
http_json_set_str(json_t *o, const char *key, const char *v)
{
	json_t *j;
	char *copy;

	if (v == NULL) {
		v = "";
	}
	j = json_string(v);
	if (j == NULL) {
		copy = strdup(v);
		if (copy == NULL) {
			return -1;
		}
		for (char *c = copy; *c != '\0'; c++) {
			if ((unsigned char) *c >= 0x80) {
				*c = '?';
			}
		}
		j = json_string(copy);
		free(copy);
	}
	return json_object_set_new(o, key, j);
}

char *
http_err_json(const http_err_info *e, bool ascii)
{
	json_t *o = json_object();
	char *out = NULL;
	int rc = 0;

	if (o == NULL) {
		return NULL;
	}
	if (e->tcode != NULL) {
		rc |= http_json_set_str(o, "tcode", e->tcode);
	}
	rc |= http_json_set_str(o, "message", e->message);
	rc |= http_json_set_str(o, "method", e->method);
	rc |= http_json_set_str(o, "url_path", e->url_path);
	rc |= http_json_set_str(o, "remote_addr", e->remote_addr);
	rc |= http_json_set_str(o, "caller", e->caller);
	rc |= http_json_set_str(o, "node", e->node);
	rc |= json_object_set_new(o, "status", json_integer(e->status));
	if (rc == 0) {
		out = json_dumps(o,
		    JSON_COMPACT | JSON_PRESERVE_ORDER
		        | (ascii ? JSON_ENSURE_ASCII : 0));
	}
	json_decref(o);
	return out;
}

void
http_node_tag(ais_role role, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%c[%s]", role == AIS_ROLE_TARGET ? 't' : 'p',
	    id == NULL ? "" : id);
}

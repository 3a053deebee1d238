/*
 * Error replies of the public HTTP server, without libmicrohttpd.
 *
 * http_status_from_err() is the single place where an ais_err becomes an
 * HTTP status; handlers pass the error they got from core or an actor and
 * never pick statuses for them by hand, so a code means the same thing on
 * every endpoint (AIS keeps the same mapping in cmn/err.go). The JSON body
 * follows AIS's ErrHTTP field order, which clients do not depend on but
 * humans reading curl output do.
 */
#include "http/reply.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by ais_err; 0 = not in the table (500). */
static const short http_status_tab[AIS_ERR__COUNT] = {
	[AIS_OK] = 200,
	[AIS_ENOENT] = 404,
	[AIS_EEXIST] = 409,
	[AIS_EINVAL] = 400,
	[AIS_ENOMEM] = 500,
	[AIS_ENOSPC] = 507,
	[AIS_EIO] = 500,
	/* A mismatch is almost always the client's checksum against what it
	 * sent (S3's BadDigest is a 400 too); a corrupted local copy is
	 * reported by the code that found it, with its own message. */
	[AIS_ECKSUM] = 400,
	/* Our metadata is behind: retryable, the next metasync fixes it. */
	[AIS_ESTALE] = 503,
	[AIS_ETIMEDOUT] = 504,
	[AIS_ECLOSED] = 503,
	[AIS_ESTOPPED] = 503,
	[AIS_EBUSY] = 503,
	/* A full mailbox is back-pressure, not a rate limit the client hit. */
	[AIS_EAGAIN] = 503,
	[AIS_ENOTSUP] = 501,
	[AIS_EPROTO] = 400,
	[AIS_EINTERNAL] = 500,
	[AIS_ECONFLICT] = 409,
	[AIS_EPERM] = 403,
	/* The primary cannot reach a majority of the proxies: retryable. */
	[AIS_ENOQUORUM] = 503,
};

static int
http_status_from_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EACCES:
	case EPERM:
	case EROFS:
		return 403;
	case EEXIST:
		return 409;
	case ENOSPC:
	case EDQUOT:
		return 507;
	case EINVAL:
	case ENAMETOOLONG:
		return 400;
	default:
		return 500;
	}
}

int
http_status_from_err(ais_err err)
{
	if ((err & AIS_ESYS) != 0) {
		return http_status_from_errno(err & ~AIS_ESYS);
	}
	if ((err & AIS_ENNG) != 0) {
		return 503;
	}
	if (err < 0 || err >= AIS_ERR__COUNT || http_status_tab[err] == 0) {
		return 500;
	}
	return http_status_tab[err];
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

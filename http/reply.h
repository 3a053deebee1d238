/*
 * What an error looks like on the wire, without libmicrohttpd: the one table
 * that maps ais_err to an HTTP status (STYLE.md section 4: actors never deal
 * with HTTP), and the AIS error body of spec native-api.md section 0.7:
 *
 *   {"tcode":"...","message":"...","method":"GET","url_path":"/v1/...",
 *    "remote_addr":"ip:port","caller":"","node":"p[<id>]","status":N}
 *
 * ("tcode" only when known). The server sends it as the body, or for HEAD
 * in the Hdr-Error header.
 */
#ifndef AIS_HTTP_REPLY_H
#define AIS_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/smap.h"

#define HTTP_NODE_TAG_MAX (AIS_ID_MAX + 4) /* "p[" id "]" NUL */

typedef struct http_err_info {
	int status;
	const char *tcode; /* Go error type name; NULL = omitted */
	const char *message;
	const char *method;
	const char *url_path;
	const char *remote_addr; /* "ip:port" */
	const char *caller;      /* "" unless the caller named itself */
	const char *node;        /* "p[<id>]" or "t[<id>]" */
} http_err_info;

/* HTTP status for an error code; AIS_OK -> 200, unknown -> 500. Flagged
 * errno codes map by errno (ENOENT 404, EACCES 403, ENOSPC 507, ...), NNG
 * transport codes to 503 (a peer is unreachable). */
int http_status_from_err(ais_err err);

/* The error body as compact JSON text, malloc'd (caller frees); NULL
 * strings are written as "". ascii: escape everything outside ASCII, as a
 * header value needs. NULL on ENOMEM. */
char *http_err_json(const http_err_info *e, bool ascii);

/* "p[<id>]" for a proxy, "t[<id>]" for a target, into buf
 * (HTTP_NODE_TAG_MAX bytes suffice). */
void http_node_tag(ais_role role, const char *id, char *buf, size_t len);

#endif

/*
 * The Range request header of an object GET (RFC 9110 section 14; spec
 * native-api.md section 6.1), without libmicrohttpd so unit tests and the
 * fuzzer call it directly. AIS serves exactly one byte range per request:
 *
 *   bytes=a-b   bytes a..b inclusive (b clamped to the last byte)
 *   bytes=a-    from a to the end
 *   bytes=-n    the last n bytes (all of them if n >= size)
 *
 * Several ranges, a malformed header and a range that starts at or past the
 * end all end in 416 with "Content-Range: bytes *" + "/<size>", as
 * AIS does (its parser follows Go's net/http, which also answers 416 for a
 * header it cannot parse instead of ignoring it).
 */
#ifndef AIS_HTTP_OBJ_RANGE_H
#define AIS_HTTP_OBJ_RANGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum http_range_res {
	HTTP_RANGE_NONE = 0, /* no header: the whole object, 200 */
	HTTP_RANGE_OK,       /* one satisfiable range: 206 */
	HTTP_RANGE_UNSAT,    /* well-formed, nothing of it inside: 416 */
	HTTP_RANGE_MULTI,    /* more than one range: 416 */
	HTTP_RANGE_INVALID,  /* syntax: 416 */
} http_range_res;

/* Resolves header value `hdr` (NULL = no header) against an object of
 * `size` bytes. On HTTP_RANGE_OK *off and *len (len >= 1) are the bytes to
 * send; otherwise they are left alone. Pure; never allocates. */
http_range_res http_range_parse(
    const char *hdr, uint64_t size, uint64_t *off, uint64_t *len);

#endif

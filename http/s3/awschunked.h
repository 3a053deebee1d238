/*
 * aws-chunked: the body encoding of S3 uploads whose x-amz-content-sha256
 * starts with "STREAMING-" (spec s3-api.md section 5.3), decoded as a
 * stream -- bytes in any split, decoded data out, nothing buffered beyond
 * one chunk-size line. The wire:
 *
 *   <hex size>[;chunk-signature=<64 hex>][;ext...]\r\n
 *   <size bytes of data>\r\n
 *   ... more chunks ...
 *   0[;chunk-signature=<64 hex>]\r\n
 *   [<trailer name>:<value>\r\n ...]     e.g. x-amz-checksum-crc32:<b64>
 *   \r\n
 *
 * The decoder tells its caller about every run of data and the end of every
 * chunk (with the chunk's signature, "" when unsigned), so that a caller
 * that must verify chunk signatures (the proxy, SigV4 streaming) can gather
 * one chunk and check it; trailer lines are skipped (AIS does not verify
 * trailing checksums). Pure: no MHD, no I/O, no allocation.
 */
#ifndef AIS_HTTP_S3_AWSCHUNKED_H
#define AIS_HTTP_S3_AWSCHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3_ACH_LINE_MAX 512 /* longest size or trailer line accepted */
#define S3_ACH_SIG_LEN  64  /* hex SHA-256 HMAC */

typedef enum s3_ach_state {
	S3_ACH_SIZE = 0, /* reading a chunk-size line */
	S3_ACH_DATA,     /* inside a chunk's data */
	S3_ACH_DATA_CR,  /* the CR after the data */
	S3_ACH_DATA_LF,  /* the LF after the data */
	S3_ACH_TRAILER,  /* after the zero chunk: trailer lines */
	S3_ACH_DONE,     /* the empty line after the trailers seen */
	S3_ACH_ERR,      /* malformed; see err */
} s3_ach_state;

typedef struct s3_ach_cb {
	/* len (> 0) decoded bytes, borrowed for the call. false stops. */
	bool (*data)(void *arg, const char *p, size_t len);
	/* End of a chunk's data (also of the zero-size last one); sig is its
	 * chunk-signature or "" if none. false stops. May be NULL. */
	bool (*chunk_end)(void *arg, const char *sig, bool last);
} s3_ach_cb;

typedef struct s3_ach {
	s3_ach_state state;
	uint64_t left;  /* data bytes left in the current chunk */
	uint64_t total; /* decoded bytes so far */
	bool last;      /* the current chunk is the zero-size one */
	bool stopped;   /* a callback returned false */
	char sig[S3_ACH_SIG_LEN + 1]; /* current chunk's signature, or "" */
	char line[S3_ACH_LINE_MAX];
	size_t line_len;
	const char *err; /* static text, when state is S3_ACH_ERR */
} s3_ach;

void s3_ach_init(s3_ach *d);
/* Decodes n more bytes of the body. false on malformed input (d->err says
 * why, d->state is S3_ACH_ERR) or when a callback returned false
 * (d->stopped); the decoder then refuses everything after. */
bool s3_ach_feed(
    s3_ach *d, const char *p, size_t n, const s3_ach_cb *cb, void *arg);
/* The body ended here: true if it was complete (the final empty line, or
 * the body stopped right after the zero chunk's line -- some clients omit
 * the last CRLF). */
bool s3_ach_complete(const s3_ach *d);

#endif

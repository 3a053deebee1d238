/*
 * AWS Signature Version 4 for S3: the pure math of verifying a signed
 * request, with no HTTP server in sight (http/s3/s3_auth.c feeds it the
 * request; tests/unit/core/test_sigv4.c feeds it the AWS documentation
 * examples).
 *
 * A signature is HMAC-SHA256 over a "string to sign" with a key derived
 * from the secret, the date, the region and the service:
 *
 *   key  = HMAC(HMAC(HMAC(HMAC("AWS4" secret, yyyymmdd), region), "s3"),
 *               "aws4_request")
 *   sts  = "AWS4-HMAC-SHA256" \n amz-date \n scope \n hex(sha256(creq))
 *   creq = method \n canonical-uri \n canonical-query \n canonical-headers
 *          \n signed-headers \n payload-hash
 *
 * where scope is "yyyymmdd/region/s3/aws4_request". Three forms:
 *  - header: Authorization: AWS4-HMAC-SHA256 Credential=AKID/scope,
 *    SignedHeaders=a;b;c, Signature=hex; the payload hash is the
 *    x-amz-content-sha256 header as sent (trusted: checking a declared hex
 *    digest against the body would need the whole body before the request
 *    is admitted, so it is not done);
 *  - presigned: the same fields in the query (X-Amz-Algorithm,
 *    X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
 *    X-Amz-Signature -- the last left out of the canonical query), payload
 *    UNSIGNED-PAYLOAD;
 *  - chunked (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD):
 *    the header signature is the seed, and every aws-chunked chunk carries
 *    a signature chained to the previous one (ais_sigv4_chunk_sign).
 *
 * S3 canonical URIs are encoded once (not twice as for other services):
 * the path is percent-decoded and re-encoded with the AWS rules
 * (A-Za-z0-9 - . _ ~ and '/' kept, every other byte %XX upper case).
 *
 * Nothing here blocks or keeps state; results go to caller-owned buffers
 * or malloc'd strings the caller frees.
 */
#ifndef AIS_CORE_SIGV4_H
#define AIS_CORE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIS_SIGV4_ALGO         "AWS4-HMAC-SHA256"
#define AIS_SIGV4_UNSIGNED     "UNSIGNED-PAYLOAD"
#define AIS_SIGV4_STREAMING    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define AIS_SIGV4_STREAMING_TR "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#define AIS_SIGV4_UNSIGNED_TR  "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#define AIS_SIGV4_EMPTY_SHA256                                                \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define AIS_SIGV4_MAX_SKEW    900    /* seconds either way (15 min) */
#define AIS_SIGV4_MAX_EXPIRES 604800 /* presigned: at most a week */
#define AIS_SIGV4_HEX         65     /* hex digest + NUL */
#define AIS_SIGV4_KEY_MAX     127    /* longest access key accepted */

/* Verification outcome; http/s3/s3_auth.c maps each to an S3 error. */
typedef enum ais_sigv4_res {
	AIS_SIGV4_OK = 0,
	AIS_SIGV4_NONE,        /* no SigV4 in the request: anonymous */
	AIS_SIGV4_UNSUPPORTED, /* another scheme (SigV2 "AWS ", Bearer) */
	AIS_SIGV4_AMBIGUOUS,   /* both header and query signatures */
	AIS_SIGV4_MALFORMED,   /* bad Authorization header */
	AIS_SIGV4_QMALFORMED,  /* bad presigned query parameters */
	AIS_SIGV4_NO_DATE,     /* missing or bad x-amz-date */
	AIS_SIGV4_SKEWED,      /* x-amz-date off by more than 15 min */
	AIS_SIGV4_EXPIRED,     /* presigned URL past X-Amz-Expires */
	AIS_SIGV4_NOT_YET,     /* presigned URL dated in the future */
	AIS_SIGV4_UNKNOWN_KEY, /* access key not configured */
	AIS_SIGV4_MISMATCH,    /* the signature does not match */
	AIS_SIGV4_ENOMEM,
} ais_sigv4_res;

/* Stable name of a result, for logs ("MISMATCH"). */
const char *ais_sigv4_res_name(ais_sigv4_res res);

/* Building blocks -------------------------------------------------------- */

/* hex(sha256(data)) into out (65 bytes with the NUL). */
void ais_sigv4_sha256_hex(
    const void *data, size_t len, char out[AIS_SIGV4_HEX]);
/* The signing key for secret/date(yyyymmdd)/region/service. */
void ais_sigv4_signing_key(const char *secret, const char *date,
    const char *region, const char *service, uint8_t key[32]);
/* hex(HMAC-SHA256(key, msg)). */
void ais_sigv4_sign(const uint8_t key[32], const char *msg, size_t len,
    char out[AIS_SIGV4_HEX]);
/* Constant-time comparison of two hex signatures (lengths too). */
bool ais_sigv4_sig_equal(const char *a, const char *b);

/* Appends s[0..len) URI-encoded with the AWS rules (A-Za-z0-9-._~ kept,
 * '/' kept when keep_slash, everything else %XX upper case) to out, which
 * has room for outlen bytes. Returns the length the full encoding needs
 * (like snprintf); out is NUL-terminated when outlen > 0. */
size_t ais_sigv4_uri_encode(
    const char *s, size_t len, bool keep_slash, char *out, size_t outlen);
/* The canonical URI of a path as sent (escaped): decoded once, then
 * encoded with the AWS rules, '/' kept; "" -> "/". malloc'd, NULL on
 * ENOMEM. */
char *ais_sigv4_canon_uri(const char *path_raw);
/* The canonical query of a raw query string (no '?'): each name and value
 * decoded ('+' is a space) and re-encoded with the AWS rules, '/' too;
 * pairs sorted by name then value; "name=" for a bare name; X-Amz-Signature
 * left out when presigned. malloc'd ("" for none), NULL on ENOMEM. */
char *ais_sigv4_canon_query(const char *query_raw, bool presigned);
/* A header value as canonical headers want it: leading and trailing
 * whitespace trimmed, runs of spaces collapsed to one. Writes at most
 * outlen bytes (NUL included); returns the full length (like snprintf). */
size_t ais_sigv4_canon_value(const char *v, char *out, size_t outlen);
/* "yyyymmddThhmmssZ" -> seconds since the epoch (UTC). */
bool ais_sigv4_parse_date(const char *s, int64_t *epoch);

/* Header access for the canonical request: calls fn(fnarg, value) for
 * every value of header `lname` (lower case), in the order sent; returns
 * how many there were. http_req_header_each has this shape. */
typedef size_t (*ais_sigv4_hdr_each)(void *arg, const char *lname,
    void (*fn)(void *fnarg, const char *value), void *fnarg);

/* The canonical request. signed_headers is the list as sent
 * ("host;range;x-amz-date"): each header's values are canonicalized and
 * joined with ','. malloc'd, NULL on ENOMEM. */
char *ais_sigv4_canon_request(const char *method, const char *canon_uri,
    const char *canon_query, const char *signed_headers,
    ais_sigv4_hdr_each each, void *arg, const char *payload_hash);
/* "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(sha256(creq)).
 * malloc'd, NULL on ENOMEM. */
char *ais_sigv4_string_to_sign(
    const char *amz_date, const char *scope, const char *creq);
/* The signature of one aws-chunked chunk (data may be NULL when len is 0),
 * chained to prev_sig (the seed signature for the first chunk). */
void ais_sigv4_chunk_sign(const uint8_t key[32], const char *amz_date,
    const char *scope, const char *prev_sig, const void *data, size_t len,
    char out[AIS_SIGV4_HEX]);

/* Credentials ------------------------------------------------------------ */

/* The signature fields of one request, from either form. */
typedef struct ais_sigv4_cred {
	char access_key[AIS_SIGV4_KEY_MAX + 1];
	char date[9]; /* yyyymmdd of the credential scope */
	char region[64];
	char service[16];
	char scope[128];           /* date/region/service/aws4_request */
	char signed_headers[1024]; /* as sent, ';'-separated */
	char signature[AIS_SIGV4_HEX];
	char amz_date[17]; /* X-Amz-Date (presigned only here) */
	int64_t expires;   /* X-Amz-Expires (presigned only) */
} ais_sigv4_cred;

/* Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
 * (fields in any order, spaces after commas optional). AIS_SIGV4_OK,
 * AIS_SIGV4_UNSUPPORTED (another scheme) or AIS_SIGV4_MALFORMED; msg gets
 * a reason. */
ais_sigv4_res ais_sigv4_parse_header(
    const char *authz, ais_sigv4_cred *c, char *msg, size_t msglen);
/* Parses the presigned X-Amz-* parameters of a raw query.
 * AIS_SIGV4_NONE when there is no X-Amz-Signature/X-Amz-Algorithm,
 * AIS_SIGV4_UNSUPPORTED, AIS_SIGV4_QMALFORMED (missing or bad field,
 * X-Amz-Expires outside 1..604800) or AIS_SIGV4_OK. */
ais_sigv4_res ais_sigv4_parse_query(
    const char *query_raw, ais_sigv4_cred *c, char *msg, size_t msglen);

/* Verification ----------------------------------------------------------- */

/* One request as it arrived. Everything is borrowed for the call. */
typedef struct ais_sigv4_req {
	const char *method;    /* as sent, e.g. "GET" */
	const char *path_raw;  /* escaped path as sent, no query */
	const char *query_raw; /* escaped query as sent, no '?', or NULL */
	ais_sigv4_hdr_each each;
	/* The secret of an access key, or NULL if unknown; must stay valid
	 * until ais_sigv4_verify returns. */
	const char *(*secret)(void *arg, const char *access_key);
	void *arg;   /* for each and secret */
	int64_t now; /* seconds since the epoch */
} ais_sigv4_req;

/* What a verification found. */
typedef struct ais_sigv4_out {
	bool presigned;
	char access_key[AIS_SIGV4_KEY_MAX + 1];
	char amz_date[17];
	char scope[128];
	char signature[AIS_SIGV4_HEX]; /* the (seed) signature */
	char payload[80];              /* payload hash as declared */
	uint8_t key[32];               /* signing key (for chunk signatures) */
	char msg[256];                 /* reason, for the error message */
} ais_sigv4_out;

/* Verifies the request's signature, header or presigned form. Does not
 * block. On AIS_SIGV4_OK *out describes the signer; otherwise out->msg
 * says why. The canonical URI is tried in the normalized form and, if that
 * fails and differs, as sent. */
ais_sigv4_res ais_sigv4_verify(const ais_sigv4_req *req, ais_sigv4_out *out);

#endif

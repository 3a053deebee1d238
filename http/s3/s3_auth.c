/*
 * SigV4 authentication of S3 requests on a proxy (s3-api.md sections 7, 8
 * and 11): AIS ignores signatures; AIStore-C verifies them against the
 * access keys of the cluster config when "s3.auth_required" is set:
 *
 *   "s3": {"auth_required": true, "keys": {"<access key>": "<secret>"}}
 *
 * With auth off every request is anonymous and nothing is verified, not
 * even a signature that is present (clients then sign with dummy keys).
 * With auth on, a request must carry a valid Authorization header or
 * presigned query; the math is core/sigv4, this file only reads the
 * request, looks the secret up in the config snapshot and maps the outcome
 * to an S3 error:
 *
 *   no signature                        403 AccessDenied
 *   unknown access key                  403 InvalidAccessKeyId
 *   bad signature                       403 SignatureDoesNotMatch
 *   x-amz-date missing or bad           403 AccessDenied
 *   x-amz-date off by more than 15 min  403 RequestTimeTooSkewed
 *   presigned URL past X-Amz-Expires    403 AccessDenied "Request has expired"
 *   presigned URL dated in the future   403 AccessDenied
 *   malformed Authorization header      400 AuthorizationHeaderMalformed
 *   malformed presigned parameters      400 AuthorizationQueryParametersError
 *   header and query signature both     400 InvalidArgument
 *   other schemes (SigV2, Bearer)       400 InvalidRequest
 *
 * The declared payload hash (x-amz-content-sha256) is trusted: comparing a
 * hex digest with the body would need the whole body before the request
 * is admitted. aws-chunked bodies signed per chunk
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) get the seed signature and
 * signing key in the s3_req, and the body decoder checks every chunk with
 * s3_auth_chunk; the trailer signature of the -TRAILER form is not checked.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/sigv4.h"
#include "http/s3/s3.h"

typedef struct s3_auth_ctx {
	http_req *r;
	const json_t *keys; /* s3.keys of the held config snapshot */
} s3_auth_ctx;

static size_t
s3_auth_each(void *arg, const char *lname,
    void (*fn)(void *fnarg, const char *value), void *fnarg)
{
	s3_auth_ctx *c = arg;

	return http_req_header_each(c->r, lname, fn, fnarg);
}

static const char *
s3_auth_secret(void *arg, const char *access_key)
{
	s3_auth_ctx *c = arg;
	const json_t *v = json_object_get(c->keys, access_key);

	return json_is_string(v) && json_string_length(v) > 0
	    ? json_string_value(v)
	    : NULL;
}

/* Replies the S3 error for a failed verification. */
static void
s3_auth_reply(http_req *r, ais_sigv4_res res, const ais_sigv4_out *out)
{
	switch (res) {
	case AIS_SIGV4_NONE:
		s3_reply_err(r, 403, "AccessDenied",
		    "Access Denied: this cluster requires AWS Signature "
		    "Version 4 (%s)",
		    AIS_SIGV4_ALGO);
		return;
	case AIS_SIGV4_UNKNOWN_KEY:
		s3_reply_err(r, 403, "InvalidAccessKeyId", "%s", out->msg);
		return;
	case AIS_SIGV4_MISMATCH:
		s3_reply_err(r, 403, "SignatureDoesNotMatch", "%s", out->msg);
		return;
	case AIS_SIGV4_SKEWED:
		s3_reply_err(r, 403, "RequestTimeTooSkewed", "%s", out->msg);
		return;
	case AIS_SIGV4_NO_DATE:
	case AIS_SIGV4_EXPIRED:
	case AIS_SIGV4_NOT_YET:
		s3_reply_err(r, 403, "AccessDenied", "%s", out->msg);
		return;
	case AIS_SIGV4_MALFORMED:
		s3_reply_err(
		    r, 400, "AuthorizationHeaderMalformed", "%s", out->msg);
		return;
	case AIS_SIGV4_QMALFORMED:
		s3_reply_err(r, 400, "AuthorizationQueryParametersError", "%s",
		    out->msg);
		return;
	case AIS_SIGV4_AMBIGUOUS:
		s3_reply_err(r, 400, "InvalidArgument", "%s", out->msg);
		return;
	case AIS_SIGV4_UNSUPPORTED:
		s3_reply_err(r, 400, "InvalidRequest",
		    "The authorization mechanism you have provided is not "
		    "supported. Please use %s (%s)",
		    AIS_SIGV4_ALGO, out->msg);
		return;
	case AIS_SIGV4_ENOMEM:
		s3_reply_err(r, 500, "InternalError",
		    "out of memory verifying the signature");
		return;
	case AIS_SIGV4_OK:
		break;
	}
	s3_reply_err(r, 500, "InternalError", "signature verification: %s",
	    ais_sigv4_res_name(res));
}

ais_err
s3_auth_check(http_req *r, s3_req *q)
{
	ais_cconfig *cc = ais_node_ccfg(r->node);
	s3_auth_ctx ctx;
	ais_sigv4_req req;
	ais_sigv4_out out;
	ais_sigv4_res res;

	if (cc == NULL) {
		/* No config yet: nothing says auth is off. */
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "cluster config is not available yet");
		return AIS_EAGAIN;
	}
	if (!ais_cconfig_bool(cc, "s3.auth_required", false)) {
		ais_cconfig_rele(cc);
		return AIS_OK;
	}
	ctx.r = r;
	ctx.keys = ais_json_path(cc->root, "s3.keys");
	req = (ais_sigv4_req) {
		.method = r->method_str,
		.path_raw = r->path_raw,
		.query_raw = r->query_raw,
		.each = s3_auth_each,
		.secret = s3_auth_secret,
		.arg = &ctx,
		.now = (int64_t) time(NULL),
	};
	res = ais_sigv4_verify(&req, &out);
	ais_cconfig_rele(cc);
	if (res != AIS_SIGV4_OK) {
		AIS_LOGD("AIS-S3-AUTH-FAIL",
		    "%s %s from %s: %s (key \"%s\"): %s", r->method_str,
		    r->url_path, r->remote, ais_sigv4_res_name(res),
		    out.access_key, out.msg);
		s3_auth_reply(r, res, &out);
		memset(&out, 0, sizeof(out));
		return res == AIS_SIGV4_ENOMEM ? AIS_ENOMEM : AIS_EPERM;
	}
	snprintf(q->access_key, sizeof(q->access_key), "%s", out.access_key);
	q->chunk_signed = strcmp(out.payload, AIS_SIGV4_STREAMING) == 0
	    || strcmp(out.payload, AIS_SIGV4_STREAMING_TR) == 0;
	if (q->chunk_signed) {
		snprintf(
		    q->seed_sig, sizeof(q->seed_sig), "%s", out.signature);
		memcpy(q->signing_key, out.key, sizeof(q->signing_key));
		snprintf(q->amz_date, sizeof(q->amz_date), "%s", out.amz_date);
		snprintf(q->scope, sizeof(q->scope), "%s", out.scope);
	}
	memset(out.key, 0, sizeof(out.key));
	return AIS_OK;
}

bool
s3_auth_chunk(s3_req *q, const void *data, size_t len, const char *chunk_sig)
{
	char want[AIS_SIGV4_HEX], got[AIS_SIGV4_HEX];
	size_t n;

	if (!q->chunk_signed) {
		return true; /* nothing was signed per chunk */
	}
	n = chunk_sig != NULL ? strlen(chunk_sig) : 0;
	if (n != 64) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		got[i] = (char) tolower((unsigned char) chunk_sig[i]);
	}
	got[n] = '\0';
	ais_sigv4_chunk_sign((const uint8_t *) q->signing_key, q->amz_date,
	    q->scope, q->seed_sig, data, len, want);
	if (!ais_sigv4_sig_equal(want, got)) {
		return false;
	}
	memcpy(q->seed_sig, want, sizeof(q->seed_sig));
	return true;
}

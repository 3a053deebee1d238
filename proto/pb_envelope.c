/*
 * Envelope codec over the protobuf-c generated code. The envelope is the one
 * wire type the actor runtime itself reads (type, corr, dest, status); the
 * payload after it is opaque here and decoded by the handler that owns the
 * message type. A fixed 4-byte length prefix delimits the protobuf head
 * (protobuf messages do not delimit themselves). Encoding goes through a plain
 * C view so that callers never juggle protobuf_c_empty_string or
 * ProtobufCBinaryData themselves.
 */
#include "proto/pb_envelope.h"

#include <stdlib.h>
#include <string.h>

#include "proto/envelope.pb-c.h"

/* Fills the generated struct from the view. Strings are cast to non-const
 * because protobuf-c's struct says char *, but packing never writes them. */
static void
pb_envelope_fill(const pb_envelope *env, Ais__Envelope *e)
{
	ais__envelope__init(e);
	e->type = env->type;
	e->corr = env->corr;
	e->sender = (char *) (env->sender != NULL ? env->sender : "");
	e->dest = (char *) (env->dest != NULL ? env->dest : "");
	e->smap_version = env->smap_version;
	e->status = env->status;
	e->errmsg = (char *) (env->errmsg != NULL ? env->errmsg : "");
}

#define PB_ENV_PREFIX 4 /* u32 LE length of the packed head */

size_t
pb_envelope_head_size(const pb_envelope *env)
{
	Ais__Envelope e;

	pb_envelope_fill(env, &e);
	return PB_ENV_PREFIX + ais__envelope__get_packed_size(&e);
}

size_t
pb_envelope_size(const pb_envelope *env)
{
	return pb_envelope_head_size(env)
	    + (env->payload != NULL ? env->len : 0);
}

size_t
pb_envelope_pack_head(const pb_envelope *env, uint8_t *buf)
{
	Ais__Envelope e;
	size_t n;

	pb_envelope_fill(env, &e);
	n = ais__envelope__pack(&e, buf + PB_ENV_PREFIX);
	buf[0] = (uint8_t) n;
	buf[1] = (uint8_t) (n >> 8);
	buf[2] = (uint8_t) (n >> 16);
	buf[3] = (uint8_t) (n >> 24);
	return PB_ENV_PREFIX + n;
}

size_t
pb_envelope_pack(const pb_envelope *env, uint8_t *buf)
{
	size_t n = pb_envelope_pack_head(env, buf);

	if (env->payload != NULL && env->len > 0) {
		memcpy(buf + n, env->payload, env->len);
		n += env->len;
	}
	return n;
}

ais_err
pb_envelope_encode(const pb_envelope *env, uint8_t **buf_out, size_t *len_out)
{
	size_t len = pb_envelope_size(env);
	/* An all-default envelope packs to zero bytes; malloc(0) may be NULL.
	 */
	uint8_t *buf = malloc(len > 0 ? len : 1);

	if (buf == NULL) {
		return AIS_ENOMEM;
	}
	*len_out = pb_envelope_pack(env, buf);
	*buf_out = buf;
	return AIS_OK;
}

ais_err
pb_envelope_decode(
    const void *buf, size_t len, pb_envelope *out, pb_envelope_dec **owner)
{
	const uint8_t *b = buf;
	Ais__Envelope *e;
	size_t hl;

	if (b == NULL || len < PB_ENV_PREFIX) {
		return AIS_EPROTO;
	}
	hl = (size_t) b[0] | (size_t) b[1] << 8 | (size_t) b[2] << 16
	    | (size_t) b[3] << 24;
	if (hl > len - PB_ENV_PREFIX) {
		return AIS_EPROTO;
	}
	e = ais__envelope__unpack(NULL, hl, b + PB_ENV_PREFIX);
	if (e == NULL) {
		return AIS_EPROTO;
	}
	out->type = e->type;
	out->corr = e->corr;
	out->sender = e->sender != NULL ? e->sender : "";
	out->dest = e->dest != NULL ? e->dest : "";
	out->smap_version = e->smap_version;
	out->status = e->status;
	out->errmsg = e->errmsg != NULL ? e->errmsg : "";
	out->len = len - PB_ENV_PREFIX - hl;
	out->payload = out->len > 0 ? b + PB_ENV_PREFIX + hl : NULL;
	*owner = e;
	return AIS_OK;
}

void
pb_envelope_dec_free(pb_envelope_dec *dec)
{
	if (dec != NULL) {
		ais__envelope__free_unpacked(dec, NULL);
	}
}

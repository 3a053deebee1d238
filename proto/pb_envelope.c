/*
 * Envelope codec over the protobuf-c generated code. The envelope is the one
 * wire type the actor runtime itself reads (type, corr, dest, status); the
 * payload inside it is opaque here and decoded by the handler that owns the
 * message type. Encoding goes through a plain C view so that callers never
 * juggle protobuf_c_empty_string or ProtobufCBinaryData themselves.
 */
#include "proto/pb_envelope.h"

#include <stdlib.h>

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
	if (env->payload != NULL && env->len > 0) {
		e->payload.data = (uint8_t *) env->payload;
		e->payload.len = env->len;
	}
}

size_t
pb_envelope_size(const pb_envelope *env)
{
	Ais__Envelope e;

	pb_envelope_fill(env, &e);
	return ais__envelope__get_packed_size(&e);
}

size_t
pb_envelope_pack(const pb_envelope *env, uint8_t *buf)
{
	Ais__Envelope e;

	pb_envelope_fill(env, &e);
	return ais__envelope__pack(&e, buf);
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
	Ais__Envelope *e = ais__envelope__unpack(NULL, len, buf);

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
	out->payload = e->payload.data;
	out->len = e->payload.data != NULL ? e->payload.len : 0;
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

/*
 * The envelope codec: every intra-cluster message is one ais.Envelope
 * (proto/envelope.proto) followed by its payload:
 *   [u32 LE head length][packed Envelope][payload bytes]
 * These helpers keep the generated protobuf-c names behind pb_ and know
 * nothing about NNG: the caller sizes a buffer (an nng_msg body, say) with
 * pb_envelope_size() and packs into it, so an envelope is encoded once,
 * straight into the message that is sent; pb_envelope_pack_head() leaves
 * the payload to the caller (written in place: no copy). Decoding reads the
 * payload where it is: it borrows from the decoded buffer.
 */
#ifndef AIS_PROTO_PB_ENVELOPE_H
#define AIS_PROTO_PB_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* One envelope as plain C fields. For encoding, every pointer is borrowed
 * for the duration of the call and NULL means "" (or no payload). After
 * pb_envelope_decode() the pointers are never NULL (payload may be NULL when
 * len is 0); the strings are borrowed from the decoded owner until it is
 * freed, the payload from the decoded buffer. */
typedef struct pb_envelope {
	uint32_t type;          /* AisMsgType */
	uint64_t corr;          /* correlation id, echoed in the reply */
	const char *sender;     /* sending node id, "" for local callers */
	const char *dest;       /* destination actor name */
	int64_t smap_version;   /* sender's Smap version */
	int32_t status;         /* replies: ais_err */
	const char *errmsg;     /* replies: text when status != 0 */
	const uint8_t *payload; /* the message proper */
	size_t len;             /* payload bytes */
} pb_envelope;

/* The decoded message that owns the strings and payload of a decoded
 * pb_envelope (the generated struct, kept opaque here). */
typedef struct Ais__Envelope pb_envelope_dec;

/* Exact encoded size of env, payload included. Never fails. */
size_t pb_envelope_size(const pb_envelope *env);
/* Size of everything before the payload. */
size_t pb_envelope_head_size(const pb_envelope *env);
/* Packs env into buf, which must hold pb_envelope_size(env) bytes; returns
 * the bytes written. Does not block or allocate. */
size_t pb_envelope_pack(const pb_envelope *env, uint8_t *buf);
/* Packs only what precedes the payload (env->payload is not read; env->len
 * is not recorded: the payload is whatever follows) into buf, which must
 * hold pb_envelope_head_size(env) bytes; returns that size. */
size_t pb_envelope_pack_head(const pb_envelope *env, uint8_t *buf);
/* Encodes env into a malloc'd buffer the caller frees. AIS_ENOMEM. */
ais_err pb_envelope_encode(
    const pb_envelope *env, uint8_t **buf_out, size_t *len_out);
/* Decodes buf[0..len). On success the strings of *out borrow from *owner,
 * which the caller frees with pb_envelope_dec_free(), and out->payload from
 * buf (valid while buf is). AIS_EPROTO on a malformed buffer. */
ais_err pb_envelope_decode(
    const void *buf, size_t len, pb_envelope *out, pb_envelope_dec **owner);
/* Frees a decoded envelope; NULL is fine. */
void pb_envelope_dec_free(pb_envelope_dec *dec);

#endif

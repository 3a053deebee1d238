/*
 * REB_CHUNK framing (see rebalance_int.h): a small RebChunk head, then the
 * object bytes raw. Keeping the bytes out of the protobuf lets the sender
 * read the file straight into the outgoing message and the receiver write
 * from the received message in place; a `bytes` field would be copied by
 * protobuf-c on both pack and unpack.
 */
#include <string.h>

#include "actors/node/rebalance_int.h"

#define REB_HEAD_LEN_SIZE 4 /* u32, little-endian */

size_t
reb_chunk_head_size(const Ais__RebChunk *c)
{
	return REB_HEAD_LEN_SIZE + ais__reb_chunk__get_packed_size(c);
}

size_t
reb_chunk_head_pack(const Ais__RebChunk *c, uint8_t *buf)
{
	size_t n = ais__reb_chunk__pack(c, buf + REB_HEAD_LEN_SIZE);

	buf[0] = (uint8_t) n;
	buf[1] = (uint8_t) (n >> 8);
	buf[2] = (uint8_t) (n >> 16);
	buf[3] = (uint8_t) (n >> 24);
	return REB_HEAD_LEN_SIZE + n;
}

ais_err
reb_chunk_parse(const uint8_t *p, size_t len, Ais__RebChunk **c,
    const uint8_t **data, size_t *dlen)
{
	size_t n;

	*c = NULL;
	if (len < REB_HEAD_LEN_SIZE) {
		return AIS_EPROTO;
	}
	n = (size_t) p[0] | (size_t) p[1] << 8 | (size_t) p[2] << 16
	    | (size_t) p[3] << 24;
	if (n > len - REB_HEAD_LEN_SIZE) {
		return AIS_EPROTO;
	}
	*c = ais__reb_chunk__unpack(NULL, n, p + REB_HEAD_LEN_SIZE);
	if (*c == NULL) {
		return AIS_EPROTO;
	}
	*data = p + REB_HEAD_LEN_SIZE + n;
	*dlen = len - REB_HEAD_LEN_SIZE - n;
	return AIS_OK;
}

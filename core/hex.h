/* Hex digits: the value of one, for the parsers that read hex (metadata
 * file headers, URL escapes, SigV4, aws-chunked sizes, part MD5s). */
#ifndef AIS_CORE_HEX_H
#define AIS_CORE_HEX_H

/* 0..15, or -1 if c is not a hex digit (either case). */
static inline int
ais_hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

#endif

/*
 * Range header parsing for object GETs (see obj_range.h for the accepted
 * forms). Written as a single pass over the header: the unit ("bytes",
 * case-insensitive), '=', then a comma-separated list whose empty elements
 * are skipped (RFC 9110 list rules) and whose spaces and tabs around
 * elements are optional whitespace. Numbers saturate at UINT64_MAX instead
 * of overflowing, which keeps "bytes=0-99999999999999999999" a valid
 * whole-object range, as it is for Go's parser up to int64.
 */
#include "http/obj_range.h"

#include <stdbool.h>
#include <strings.h>

/* One element "a-b" / "a-" / "-n" as written, before resolution. */
typedef struct http_range_el {
	bool has_first;
	bool has_last;
	uint64_t first;
	uint64_t last; /* or the suffix length when !has_first */
} http_range_el;

static const char *
http_range_ows(const char *p)
{
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	return p;
}

/* Decimal digits at *pp (at least one); saturates. Advances *pp. */
static bool
http_range_num(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9') {
		return false;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned) (*p - '0');

		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*pp = p;
	*out = v;
	return true;
}

/* Parses one non-empty element at *pp up to ',' or the end. */
static bool
http_range_el_parse(const char **pp, http_range_el *el)
{
	const char *p = *pp;

	*el = (http_range_el) { 0 };
	if (*p != '-') {
		if (!http_range_num(&p, &el->first)) {
			return false;
		}
		el->has_first = true;
	}
	if (*p != '-') {
		return false;
	}
	p++;
	if (*p >= '0' && *p <= '9') {
		(void) http_range_num(&p, &el->last);
		el->has_last = true;
	}
	if (!el->has_first && !el->has_last) {
		return false; /* a bare "-" */
	}
	if (el->has_first && el->has_last && el->last < el->first) {
		return false;
	}
	p = http_range_ows(p);
	if (*p != ',' && *p != '\0') {
		return false;
	}
	*pp = p;
	return true;
}

http_range_res
http_range_parse(const char *hdr, uint64_t size, uint64_t *off, uint64_t *len)
{
	const char *p;
	http_range_el el = { 0 };
	size_t n = 0;

	if (hdr == NULL) {
		return HTTP_RANGE_NONE;
	}
	p = http_range_ows(hdr);
	if (strncasecmp(p, "bytes", 5) != 0) {
		return HTTP_RANGE_INVALID;
	}
	p = http_range_ows(p + 5);
	if (*p != '=') {
		return HTTP_RANGE_INVALID;
	}
	p++;
	for (;;) {
		p = http_range_ows(p);
		if (*p == ',') {
			p++;
			continue; /* empty list element */
		}
		if (*p == '\0') {
			break;
		}
		if (!http_range_el_parse(&p, &el)) {
			return HTTP_RANGE_INVALID;
		}
		n++;
	}
	if (n == 0) {
		return HTTP_RANGE_INVALID;
	}
	if (n > 1) {
		return HTTP_RANGE_MULTI;
	}
	if (!el.has_first) {
		/* suffix: the last el.last bytes */
		if (el.last == 0 || size == 0) {
			return HTTP_RANGE_UNSAT;
		}
		*len = el.last > size ? size : el.last;
		*off = size - *len;
		return HTTP_RANGE_OK;
	}
	if (el.first >= size) {
		return HTTP_RANGE_UNSAT;
	}
	*off = el.first;
	if (!el.has_last || el.last >= size - 1) {
		*len = size - el.first;
	} else {
		*len = el.last - el.first + 1;
	}
	return HTTP_RANGE_OK;
}

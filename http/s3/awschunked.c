/*
 * The aws-chunked decoder (awschunked.h): a byte-driven state machine in the
 * manner of nginx's chunked parser, so that the input may be split anywhere
 * -- inside the size line, the signature, the data or its CRLF. Lines are
 * collected in a fixed buffer; data is handed out in place.
 */
#include "core/hex.h"
#include "http/s3/awschunked.h"

#include <string.h>

/* Largest chunk size accepted: 50,000 GiB, S3's largest object. */
#define S3_ACH_CHUNK_MAX (50000ull << 30)

void
s3_ach_init(s3_ach *d)
{
	memset(d, 0, sizeof(*d));
	d->state = S3_ACH_SIZE;
}

static bool
s3_ach_fail(s3_ach *d, const char *why)
{
	d->state = S3_ACH_ERR;
	d->err = why;
	return false;
}

/* "<hex>[;name=value]..." (CR LF already stripped). */
static bool
s3_ach_size_line(s3_ach *d)
{
	const char *p = d->line;
	const char *end = d->line + d->line_len;
	uint64_t v = 0;
	size_t digits = 0;

	for (; p < end && ais_hexval(*p) >= 0; p++) {
		if (++digits > 16) {
			return s3_ach_fail(d, "chunk size too large");
		}
		v = v * 16 + (uint64_t) ais_hexval(*p);
	}
	if (digits == 0) {
		return s3_ach_fail(d, "invalid chunk size");
	}
	if (v > S3_ACH_CHUNK_MAX) {
		return s3_ach_fail(d, "chunk size too large");
	}
	while (p < end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	d->sig[0] = '\0';
	while (p < end) {
		const char *ext;
		const char *semi;
		size_t n;

		if (*p != ';') {
			return s3_ach_fail(d, "invalid chunk extension");
		}
		ext = p + 1;
		semi = memchr(ext, ';', (size_t) (end - ext));
		n = (size_t) ((semi == NULL ? end : semi) - ext);
		if (n > 16 && memcmp(ext, "chunk-signature=", 16) == 0) {
			if (n - 16 != S3_ACH_SIG_LEN) {
				return s3_ach_fail(
				    d, "invalid chunk signature");
			}
			memcpy(d->sig, ext + 16, S3_ACH_SIG_LEN);
			d->sig[S3_ACH_SIG_LEN] = '\0';
		}
		p = ext + n;
	}
	d->left = v;
	d->last = v == 0;
	return true;
}

/* Appends c to the line being collected; handles CR LF. Returns 1 when a
 * line is complete, 0 to go on, -1 on error. */
static int
s3_ach_line_add(s3_ach *d, char c)
{
	if (c == '\n') {
		if (d->line_len == 0 || d->line[d->line_len - 1] != '\r') {
			s3_ach_fail(d, "bare LF in a chunk line");
			return -1;
		}
		d->line_len--;
		return 1;
	}
	if (d->line_len >= sizeof(d->line)) {
		s3_ach_fail(d, "chunk line too long");
		return -1;
	}
	if (d->line_len > 0 && d->line[d->line_len - 1] == '\r') {
		s3_ach_fail(d, "bare CR in a chunk line");
		return -1;
	}
	d->line[d->line_len++] = c;
	return 0;
}

static bool
s3_ach_chunk_end(s3_ach *d, const s3_ach_cb *cb, void *arg)
{
	if (cb->chunk_end != NULL && !cb->chunk_end(arg, d->sig, d->last)) {
		d->stopped = true;
		return false;
	}
	return true;
}

bool
s3_ach_feed(s3_ach *d, const char *p, size_t n, const s3_ach_cb *cb, void *arg)
{
	size_t i = 0;

	if (d->state == S3_ACH_ERR || d->stopped) {
		return false;
	}
	while (i < n) {
		switch (d->state) {
		case S3_ACH_SIZE:
		case S3_ACH_TRAILER: {
			int rc = s3_ach_line_add(d, p[i++]);

			if (rc < 0) {
				return false;
			}
			if (rc == 0) {
				break;
			}
			if (d->state == S3_ACH_TRAILER) {
				/* trailers are skipped; an empty line ends */
				if (d->line_len == 0) {
					d->state = S3_ACH_DONE;
				}
				d->line_len = 0;
				break;
			}
			if (!s3_ach_size_line(d)) {
				return false;
			}
			d->line_len = 0;
			if (d->last) {
				if (!s3_ach_chunk_end(d, cb, arg)) {
					return false;
				}
				d->state = S3_ACH_TRAILER;
			} else {
				d->state = S3_ACH_DATA;
			}
			break;
		}
		case S3_ACH_DATA: {
			size_t take = n - i;

			if ((uint64_t) take > d->left) {
				take = (size_t) d->left;
			}
			if (!cb->data(arg, p + i, take)) {
				d->stopped = true;
				return false;
			}
			i += take;
			d->left -= take;
			d->total += take;
			if (d->left == 0) {
				d->state = S3_ACH_DATA_CR;
			}
			break;
		}
		case S3_ACH_DATA_CR:
			if (p[i++] != '\r') {
				return s3_ach_fail(d, "chunk data too long");
			}
			d->state = S3_ACH_DATA_LF;
			break;
		case S3_ACH_DATA_LF:
			if (p[i++] != '\n') {
				return s3_ach_fail(
				    d, "no CRLF after chunk data");
			}
			if (!s3_ach_chunk_end(d, cb, arg)) {
				return false;
			}
			d->state = S3_ACH_SIZE;
			break;
		case S3_ACH_DONE:
			return s3_ach_fail(d, "data after the final chunk");
		case S3_ACH_ERR:
		default:
			return false;
		}
	}
	return true;
}

bool
s3_ach_complete(const s3_ach *d)
{
	return !d->stopped
	    && (d->state == S3_ACH_DONE
	        || (d->state == S3_ACH_TRAILER && d->line_len == 0));
}

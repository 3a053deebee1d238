/*
 * Durations and sizes in the textual forms AIS puts in its config JSON.
 *
 * Durations follow Go's time.ParseDuration / Duration.String exactly (AIS
 * marshals cos.Duration through them), so a value written by an AIS node
 * parses here and ours parse there. The one difference is AIS's trimming of
 * a dangling "0s" after minutes ("2h0m", "10m"), which Go's parser accepts.
 *
 * Sizes follow AIS's cos.ParseSizeIEC: the suffixes K/KB/KiB (and M, G, T)
 * are all binary multiples, so "32kb" is 32768. Formatting picks the largest
 * binary unit that divides the value exactly, so format -> parse is lossless
 * (AIS itself rounds to whole units).
 */
#include "core/units.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define AIS_NS_US 1000ULL
#define AIS_NS_MS (1000ULL * AIS_NS_US)
#define AIS_NS_S (1000ULL * AIS_NS_MS)
#define AIS_NS_MIN (60ULL * AIS_NS_S)
#define AIS_NS_H (60ULL * AIS_NS_MIN)

#define AIS_DUR_LIMIT (1ULL << 63) /* |INT64_MIN| */

typedef struct ais_unit {
	const char *name;
	uint64_t mult;
} ais_unit;

/* Go's unitMap; "µs" is U+00B5 and "μs" U+03BC, both accepted by Go. */
static const ais_unit ais_dur_units[] = {
	{ "ns", 1 },
	{ "us", AIS_NS_US },
	{ "\xc2\xb5s", AIS_NS_US },
	{ "\xce\xbcs", AIS_NS_US },
	{ "ms", AIS_NS_MS },
	{ "s", AIS_NS_S },
	{ "m", AIS_NS_MIN },
	{ "h", AIS_NS_H },
};

#define AIS_DUR_NUNITS (sizeof(ais_dur_units) / sizeof(ais_dur_units[0]))

static bool
ais_dur_isnum(char c)
{
	return c == '.' || (c >= '0' && c <= '9');
}

/* Consumes [0-9]*; AIS_EINVAL on overflow past 2^63 (Go's leadingInt). */
static ais_err
ais_dur_leading_int(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t x = 0;
	while (*s >= '0' && *s <= '9') {
		if (x > AIS_DUR_LIMIT / 10) {
			return AIS_EINVAL;
		}
		x = x * 10 + (uint64_t) (*s - '0');
		if (x > AIS_DUR_LIMIT) {
			return AIS_EINVAL;
		}
		s++;
	}
	*sp = s;
	*out = x;
	return AIS_OK;
}

/* Consumes [0-9]* after the dot; digits beyond uint64 precision are
 * dropped, as in Go's leadingFraction. */
static void
ais_dur_leading_frac(const char **sp, uint64_t *f, double *scale)
{
	const char *s = *sp;
	uint64_t x = 0;
	double sc = 1;
	bool overflow = false;
	while (*s >= '0' && *s <= '9') {
		if (!overflow) {
			if (x > (UINT64_MAX >> 1) / 10) {
				overflow = true;
			} else {
				uint64_t y = x * 10 + (uint64_t) (*s - '0');
				if (y > AIS_DUR_LIMIT) {
					overflow = true;
				} else {
					x = y;
					sc *= 10;
				}
			}
		}
		s++;
	}
	*sp = s;
	*f = x;
	*scale = sc;
}

ais_err
ais_dur_parse(const char *s, int64_t *ns_out)
{
	uint64_t d = 0;
	bool neg = false;

	if (s == NULL || ns_out == NULL) {
		return AIS_EINVAL;
	}
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*ns_out = 0;
		return AIS_OK;
	}
	if (*s == '\0') {
		return AIS_EINVAL;
	}
	while (*s != '\0') {
		uint64_t v = 0, f = 0, mult = 0;
		double scale = 1;
		const char *start;
		size_t ulen;

		if (!ais_dur_isnum(*s)) {
			return AIS_EINVAL;
		}
		start = s;
		if (ais_dur_leading_int(&s, &v) != AIS_OK) {
			return AIS_EINVAL;
		}
		bool pre = s != start;
		bool post = false;
		if (*s == '.') {
			s++;
			start = s;
			ais_dur_leading_frac(&s, &f, &scale);
			post = s != start;
		}
		if (!pre && !post) {
			return AIS_EINVAL;
		}
		ulen = 0;
		while (s[ulen] != '\0' && !ais_dur_isnum(s[ulen])) {
			ulen++;
		}
		if (ulen == 0) {
			return AIS_EINVAL; /* missing unit */
		}
		for (size_t i = 0; i < AIS_DUR_NUNITS; i++) {
			if (strlen(ais_dur_units[i].name) == ulen &&
			    memcmp(ais_dur_units[i].name, s, ulen) == 0) {
				mult = ais_dur_units[i].mult;
				break;
			}
		}
		if (mult == 0) {
			return AIS_EINVAL; /* unknown unit */
		}
		s += ulen;
		if (v > AIS_DUR_LIMIT / mult) {
			return AIS_EINVAL;
		}
		v *= mult;
		if (f > 0) {
			v += (uint64_t) ((double) f * ((double) mult / scale));
			if (v > AIS_DUR_LIMIT) {
				return AIS_EINVAL;
			}
		}
		d += v;
		if (d > AIS_DUR_LIMIT) {
			return AIS_EINVAL;
		}
	}
	if (neg) {
		*ns_out = d == AIS_DUR_LIMIT ? INT64_MIN : -(int64_t) d;
		return AIS_OK;
	}
	if (d > (uint64_t) INT64_MAX) {
		return AIS_EINVAL;
	}
	*ns_out = (int64_t) d;
	return AIS_OK;
}

/* Writes the `prec` low decimal digits of v as a fraction (trailing zeros
 * dropped, no dot if all zero) ending just before buf[w]; returns the new
 * start and leaves v / 10^prec in *vp. Go's fmtFrac. */
static size_t
ais_dur_fmt_frac(char *buf, size_t w, uint64_t *vp, int prec)
{
	uint64_t v = *vp;
	bool print = false;
	for (int i = 0; i < prec; i++) {
		uint64_t digit = v % 10;
		print = print || digit != 0;
		if (print) {
			buf[--w] = (char) ('0' + digit);
		}
		v /= 10;
	}
	if (print) {
		buf[--w] = '.';
	}
	*vp = v;
	return w;
}

static size_t
ais_dur_fmt_int(char *buf, size_t w, uint64_t v)
{
	if (v == 0) {
		buf[--w] = '0';
		return w;
	}
	while (v > 0) {
		buf[--w] = (char) ('0' + v % 10);
		v /= 10;
	}
	return w;
}

void
ais_dur_format(int64_t ns, char *buf, size_t n)
{
	char tmp[40];
	size_t w = sizeof(tmp) - 1;
	uint64_t u = ns < 0 ? -(uint64_t) ns : (uint64_t) ns;
	bool trim = false;

	if (buf == NULL || n == 0) {
		return;
	}
	tmp[w] = '\0';
	if (u < AIS_NS_S) {
		int prec = 0;
		tmp[--w] = 's';
		if (u == 0) {
			snprintf(buf, n, "0s");
			return;
		}
		if (u < AIS_NS_US) {
			tmp[--w] = 'n';
		} else if (u < AIS_NS_MS) {
			prec = 3;
			tmp[--w] = '\xb5'; /* U+00B5, as Go prints it */
			tmp[--w] = '\xc2';
		} else {
			prec = 6;
			tmp[--w] = 'm';
		}
		w = ais_dur_fmt_frac(tmp, w, &u, prec);
		w = ais_dur_fmt_int(tmp, w, u);
	} else {
		uint64_t secs;
		tmp[--w] = 's';
		w = ais_dur_fmt_frac(tmp, w, &u, 9);
		secs = u % 60;
		w = ais_dur_fmt_int(tmp, w, secs);
		u /= 60;
		if (u > 0) {
			/* AIS trims "2h0m0s" to "2h0m" and "10m0s" to "10m"
			 * (only whole seconds of zero, never "0.5s"). */
			trim = secs == 0 && tmp[w + 1] == 's';
			tmp[--w] = 'm';
			w = ais_dur_fmt_int(tmp, w, u % 60);
			u /= 60;
			if (u > 0) {
				tmp[--w] = 'h';
				w = ais_dur_fmt_int(tmp, w, u);
			}
		}
	}
	if (ns < 0) {
		tmp[--w] = '-';
	}
	if (trim) {
		tmp[sizeof(tmp) - 3] = '\0'; /* drop the trailing "0s" */
	}
	snprintf(buf, n, "%s", tmp + w);
}

/* cos.ParseSizeIEC suffixes, longest first so "KIB" wins over "B". */
static const ais_unit ais_size_units[] = {
	{ "KIB", 1ULL << 10 },
	{ "MIB", 1ULL << 20 },
	{ "GIB", 1ULL << 30 },
	{ "TIB", 1ULL << 40 },
	{ "KB", 1ULL << 10 },
	{ "MB", 1ULL << 20 },
	{ "GB", 1ULL << 30 },
	{ "TB", 1ULL << 40 },
	{ "K", 1ULL << 10 },
	{ "M", 1ULL << 20 },
	{ "G", 1ULL << 30 },
	{ "T", 1ULL << 40 },
	{ "B", 1 },
};

ais_err
ais_size_parse(const char *s, int64_t *bytes_out)
{
	const char *end;
	uint64_t mult = 1, ip = 0, fnum = 0, fden = 1;
	bool digits = false;

	if (s == NULL || bytes_out == NULL) {
		return AIS_EINVAL;
	}
	while (isspace((unsigned char) *s)) {
		s++;
	}
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1])) {
		end--;
	}
	for (size_t i = 0;
	    i < sizeof(ais_size_units) / sizeof(ais_size_units[0]); i++) {
		size_t ul = strlen(ais_size_units[i].name);
		if ((size_t) (end - s) >= ul &&
		    strncasecmp(end - ul, ais_size_units[i].name, ul) == 0) {
			mult = ais_size_units[i].mult;
			end -= ul;
			break;
		}
	}
	while (end > s && isspace((unsigned char) end[-1])) {
		end--; /* "64 MiB" */
	}
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (ip > (uint64_t) INT64_MAX / 10) {
			return AIS_EINVAL;
		}
		ip = ip * 10 + (uint64_t) (*s - '0');
		digits = true;
	}
	if (s < end && *s == '.') {
		/* Fractions ("1.5GiB") keep up to 18 digits; the rest only
		 * matter below one byte. */
		for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
			if (fden < 1000000000000000000ULL) {
				fnum = fnum * 10 + (uint64_t) (*s - '0');
				fden *= 10;
			}
			digits = true;
		}
	}
	if (!digits || s != end) {
		return AIS_EINVAL;
	}
	if (ip > (uint64_t) INT64_MAX / mult) {
		return AIS_EINVAL;
	}
	uint64_t v = ip * mult;
	uint64_t frac = (uint64_t) ((long double) fnum * (long double) mult /
	    (long double) fden);
	if (v > (uint64_t) INT64_MAX - frac) {
		return AIS_EINVAL;
	}
	*bytes_out = (int64_t) (v + frac);
	return AIS_OK;
}

void
ais_size_format(int64_t bytes, char *buf, size_t n)
{
	static const ais_unit units[] = {
		{ "TiB", 1ULL << 40 },
		{ "GiB", 1ULL << 30 },
		{ "MiB", 1ULL << 20 },
		{ "KiB", 1ULL << 10 },
	};
	uint64_t u = bytes < 0 ? -(uint64_t) bytes : (uint64_t) bytes;

	if (buf == NULL || n == 0) {
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (u >= units[i].mult && u % units[i].mult == 0) {
			snprintf(buf, n, "%s%" PRIu64 "%s",
			    bytes < 0 ? "-" : "", u / units[i].mult,
			    units[i].name);
			return;
		}
	}
	snprintf(buf, n, "%" PRId64 "B", bytes);
}

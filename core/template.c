/*
 * AIS name templates: parsing of the three range styles (bash braces, "at",
 * printf) and a non-materializing iterator over the names they denote.
 *
 * The parse follows AIS cmn/cos/template.go closely, including its
 * detection order and its quirks (padding = the shorter bound's width, an
 * '@' or a '{...}' anywhere makes the text a template), because users of
 * the CLI and SDK write templates against AIS's behaviour. Differences: the
 * fmt style is capped at AIS_TMPL_MAX_NAMES names instead of running to
 * INT64_MAX, and padding is limited to AIS_TMPL_MAX_DIGITS.
 */
#include "core/err.h"
#include "core/template.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go strconv.ParseInt(s[0..len), 10, 64): optional sign, at least one
 * digit, nothing else, no overflow. */
static bool
ais_tmpl_int(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == len) {
		return false;
	}
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		d = (unsigned) (s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			return false;
		}
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (uint64_t) INT64_MAX + 1) {
			return false;
		}
		*out
		    = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
	} else {
		if (v > (uint64_t) INT64_MAX) {
			return false;
		}
		*out = (int64_t) v;
	}
	return true;
}

static ais_err
ais_tmpl_bounds(const ais_tmpl_range *r, const char *style, const char *s,
    char *errbuf, size_t errlen)
{
	if (r->start > r->end) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid '%s' template \"%s\": 'start' cannot be greater "
		    "than 'end'",
		    style, s);
		return AIS_EINVAL;
	}
	if (r->start < 0) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid '%s' template \"%s\": 'start' is negative", style,
		    s);
		return AIS_EINVAL;
	}
	if (r->step <= 0) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid '%s' template \"%s\": 'step' is non-positive",
		    style, s);
		return AIS_EINVAL;
	}
	if (r->digits > AIS_TMPL_MAX_DIGITS) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid '%s' template \"%s\": padding wider than %d",
		    style, s, AIS_TMPL_MAX_DIGITS);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

static ais_err
ais_tmpl_add(ais_tmpl *t, const ais_tmpl_range *r, const char *style,
    char *errbuf, size_t errlen)
{
	if (t->nranges == AIS_TMPL_MAX_RANGES) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid '%s' template \"%s\": more than %d ranges", style,
		    t->text, AIS_TMPL_MAX_RANGES);
		return AIS_EINVAL;
	}
	t->ranges[t->nranges++] = *r;
	return AIS_OK;
}

/* The gap after a range ends at the next `open` character or at the end. */
static void
ais_tmpl_gap(const ais_tmpl *t, ais_tmpl_range *r, size_t from, char open)
{
	const char *p = strchr(t->text + from, open);

	r->gap_off = from;
	r->gap_len = p == NULL ? strlen(t->text + from)
	                       : (size_t) (p - (t->text + from));
}

/* "pre{0001..0010}mid{1..9..2}suf". AIS_ENOENT: not a bash template. */
static ais_err
ais_tmpl_bash(ais_tmpl *t, char *errbuf, size_t errlen)
{
	const char *s = t->text;
	const char *left = strchr(s, '{');
	const char *right = strrchr(s, '}');
	size_t pos;
	ais_err err;

	if (left == NULL || right == NULL) {
		return AIS_ENOENT;
	}
	if (right < left) {
		goto invalid;
	}
	t->prefix_len = (size_t) (left - s);
	pos = 0;
	for (;;) {
		ais_tmpl_range r = { .step = 1 };
		const char *l = strchr(s + pos, '{');
		const char *rb;
		const char *in;
		const char *d1;
		const char *d2;
		size_t w0;
		size_t w1;

		if (l == NULL) {
			break;
		}
		rb = strchr(s + pos, '}');
		if (rb == NULL || rb < l) {
			goto invalid;
		}
		in = l + 1;
		d1 = strstr(in, "..");
		if (d1 == NULL || d1 > rb) {
			goto invalid;
		}
		d2 = strstr(d1 + 2, "..");
		if (d2 != NULL && d2 > rb) {
			d2 = NULL;
		}
		if (d2 != NULL && strstr(d2 + 2, "..") != NULL
		    && strstr(d2 + 2, "..") < rb) {
			goto invalid; /* more than three fields */
		}
		w0 = (size_t) (d1 - in);
		w1 = (size_t) ((d2 != NULL ? d2 : rb) - (d1 + 2));
		if (!ais_tmpl_int(in, w0, &r.start)
		    || !ais_tmpl_int(d1 + 2, w1, &r.end)) {
			goto invalid;
		}
		if (d2 != NULL
		    && !ais_tmpl_int(
		        d2 + 2, (size_t) (rb - (d2 + 2)), &r.step)) {
			goto invalid;
		}
		r.digits = (int) (w0 < w1 ? w0 : w1);
		err = ais_tmpl_bounds(&r, "bash", s, errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
		pos = (size_t) (rb + 1 - s);
		ais_tmpl_gap(t, &r, pos, '{');
		err = ais_tmpl_add(t, &r, "bash", errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
	}
	t->kind = AIS_TMPL_BASH;
	return AIS_OK;
invalid:
	ais_errbuf_set(errbuf, errlen,
	    "invalid 'bash' template \"%s\" (expecting e.g. "
	    "'prefix-{0001..0010..1}-suffix')",
	    s);
	return AIS_EINVAL;
}

/* "pre@00100suf": 0..100 padded to 5. AIS_ENOENT: not an at template. */
static ais_err
ais_tmpl_at(ais_tmpl *t, char *errbuf, size_t errlen)
{
	const char *s = t->text;
	const char *at = strchr(s, '@');
	size_t pos;
	ais_err err;

	if (at == NULL) {
		return AIS_ENOENT;
	}
	t->prefix_len = (size_t) (at - s);
	pos = 0;
	for (;;) {
		ais_tmpl_range r = { .step = 1 };
		const char *p = strchr(s + pos, '@');
		size_t n = 0;

		if (p == NULL) {
			break;
		}
		p++;
		while (p[n] >= '0' && p[n] <= '9') {
			n++;
		}
		if (!ais_tmpl_int(p, n, &r.end)) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid 'at' template \"%s\" (expecting e.g. "
			    "'prefix-@00100-suffix')",
			    s);
			return AIS_EINVAL;
		}
		r.digits = (int) n;
		err = ais_tmpl_bounds(&r, "at", s, errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
		pos = (size_t) (p + n - s);
		ais_tmpl_gap(t, &r, pos, '@');
		err = ais_tmpl_add(t, &r, "at", errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
	}
	t->kind = AIS_TMPL_AT;
	return AIS_OK;
}

/* "pre%06dsuf" (one '%'; "%d" = no padding). AIS_ENOENT: not fmt. */
static ais_err
ais_tmpl_fmt(ais_tmpl *t, char *errbuf, size_t errlen)
{
	const char *s = t->text;
	const char *pct = strchr(s, '%');
	const char *d;
	ais_tmpl_range r
	    = { .step = 1, .end = (int64_t) AIS_TMPL_MAX_NAMES - 1 };
	size_t w;

	if (pct == NULL || strchr(pct + 1, '%') != NULL) {
		return AIS_ENOENT;
	}
	d = strchr(pct, 'd');
	if (d == NULL) {
		goto invalid;
	}
	w = (size_t) (d - pct - 1);
	if (w > 0) {
		int64_t digits;

		if (w == 1 || pct[1] != '0'
		    || !ais_tmpl_int(pct + 2, w - 1, &digits) || digits < 0
		    || digits > AIS_TMPL_MAX_DIGITS) {
			goto invalid;
		}
		r.digits = (int) digits;
	}
	t->prefix_len = (size_t) (pct - s);
	r.gap_off = (size_t) (d + 1 - s);
	r.gap_len = strlen(d + 1);
	t->ranges[0] = r;
	t->nranges = 1;
	t->kind = AIS_TMPL_FMT;
	return AIS_OK;
invalid:
	ais_errbuf_set(errbuf, errlen,
	    "invalid 'fmt' template \"%s\" (expecting e.g. "
	    "'prefix-%%06d-suffix')",
	    s);
	return AIS_EINVAL;
}

/* Names a range template yields; > AIS_TMPL_MAX_NAMES means too many. */
static uint64_t
ais_tmpl_count_of(const ais_tmpl *t)
{
	uint64_t count = 1;

	for (size_t i = 0; i < t->nranges; i++) {
		const ais_tmpl_range *r = &t->ranges[i];
		uint64_t n
		    = (uint64_t) (r->end - r->start) / (uint64_t) r->step + 1;

		if (n > AIS_TMPL_MAX_NAMES || count * n > AIS_TMPL_MAX_NAMES) {
			return AIS_TMPL_MAX_NAMES + 1;
		}
		count *= n;
	}
	return count;
}

ais_err
ais_tmpl_parse(ais_tmpl *t, const char *s, char *errbuf, size_t errlen)
{
	size_t len;
	size_t cap;
	ais_err err;

	memset(t, 0, sizeof(*t));
	if (s == NULL) {
		s = "";
	}
	len = strlen(s);
	if (len > AIS_TMPL_TEXT_MAX) {
		ais_errbuf_set(errbuf, errlen,
		    "template too long (%zu bytes, limit %d)", len,
		    AIS_TMPL_TEXT_MAX);
		return AIS_EINVAL;
	}
	/* text, then the NUL-terminated prefix after it */
	t->text = malloc(2 * len + 2);
	if (t->text == NULL) {
		return AIS_ENOMEM;
	}
	memcpy(t->text, s, len + 1);
	t->prefix = t->text + len + 1;

	if (len == 0 || strcmp(s, "*") == 0) {
		t->kind = AIS_TMPL_ALL;
		t->prefix[0] = '\0';
		return AIS_OK;
	}
	err = ais_tmpl_bash(t, errbuf, errlen);
	if (err == AIS_ENOENT) {
		t->nranges = 0;
		err = ais_tmpl_at(t, errbuf, errlen);
	}
	if (err == AIS_ENOENT) {
		t->nranges = 0;
		err = ais_tmpl_fmt(t, errbuf, errlen);
	}
	if (err == AIS_ENOENT) {
		/* no range: a prefix, without a trailing wildcard */
		t->nranges = 0;
		t->kind = AIS_TMPL_PREFIX;
		t->prefix_len = len;
		if (len > 0 && s[len - 1] == '*') {
			t->prefix_len--;
		}
		if (t->prefix_len == 0) {
			t->kind = AIS_TMPL_ALL;
		}
		err = AIS_OK;
	}
	if (err != AIS_OK) {
		goto fail;
	}
	memcpy(t->prefix, s, t->prefix_len);
	t->prefix[t->prefix_len] = '\0';
	if (ais_tmpl_is_prefix(t)) {
		return AIS_OK;
	}

	t->count = ais_tmpl_count_of(t);
	if (t->count > AIS_TMPL_MAX_NAMES) {
		ais_errbuf_set(errbuf, errlen,
		    "template \"%s\" names more than %llu objects", s,
		    (unsigned long long) AIS_TMPL_MAX_NAMES);
		err = AIS_EINVAL;
		goto fail;
	}
	/* every piece of literal text, and each number at its widest */
	cap = len + 1;
	for (size_t i = 0; i < t->nranges; i++) {
		cap += 20 + (size_t) t->ranges[i].digits;
	}
	t->buf = malloc(cap);
	if (t->buf == NULL) {
		err = AIS_ENOMEM;
		goto fail;
	}
	t->buf_cap = cap;
	ais_tmpl_reset(t);
	return AIS_OK;
fail:
	ais_tmpl_fini(t);
	return err;
}

void
ais_tmpl_fini(ais_tmpl *t)
{
	if (t == NULL) {
		return;
	}
	free(t->text);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

bool
ais_tmpl_is_prefix(const ais_tmpl *t)
{
	return t->kind == AIS_TMPL_ALL || t->kind == AIS_TMPL_PREFIX;
}

const char *
ais_tmpl_prefix(const ais_tmpl *t)
{
	return t->prefix == NULL ? "" : t->prefix;
}

void
ais_tmpl_reset(ais_tmpl *t)
{
	for (size_t i = 0; i < t->nranges; i++) {
		t->at[i] = t->ranges[i].start;
	}
	t->yielded = 0;
}

const char *
ais_tmpl_next(ais_tmpl *t, size_t *len)
{
	size_t n;

	if (ais_tmpl_is_prefix(t) || t->yielded >= t->count) {
		return NULL;
	}
	memcpy(t->buf, t->text, t->prefix_len);
	n = t->prefix_len;
	for (size_t i = 0; i < t->nranges; i++) {
		const ais_tmpl_range *r = &t->ranges[i];
		int w = snprintf(t->buf + n, t->buf_cap - n, "%0*" PRId64,
		    r->digits, t->at[i]);

		n += (size_t) w;
		memcpy(t->buf + n, t->text + r->gap_off, r->gap_len);
		n += r->gap_len;
	}
	t->buf[n] = '\0';
	/* advance like an odometer, the last range fastest; no overflow:
	 * 0 <= start <= at <= end */
	for (size_t i = t->nranges; i-- > 0;) {
		const ais_tmpl_range *r = &t->ranges[i];

		if (t->at[i] <= r->end - r->step) {
			t->at[i] += r->step;
			break;
		}
		t->at[i] = r->start;
	}
	t->yielded++;
	if (len != NULL) {
		*len = n;
	}
	return t->buf;
}

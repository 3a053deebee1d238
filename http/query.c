/*
 * Request-target parsing for the public HTTP server, without libmicrohttpd.
 *
 * The server hands us the request target exactly as the client sent it
 * (MHD would unescape the path before we could split it, which turns an
 * escaped "%2F" into a separator). Here it is split into path and query,
 * the path is cut into segments and each is unescaped once, and the query is
 * decoded with the form rules Go and Python clients use ('+' is a space).
 * Everything is plain string work over malloc'd copies, so the unit tests and
 * fuzzers exercise it directly.
 */
#include "core/hex.h"
#include "http/query.h"

#include <stdlib.h>
#include <string.h>

ais_err
http_unescape(char *s, bool plus_space, size_t *len)
{
	char *w = s;
	const char *r = s;

	while (*r != '\0') {
		if (*r == '%') {
			int hi = ais_hexval(r[1]);
			int lo = hi < 0 ? -1 : ais_hexval(r[2]);

			/* An escaped NUL would silently cut the name short
			 * at the first C string boundary: refuse it. */
			if (lo < 0 || (hi == 0 && lo == 0)) {
				return AIS_EINVAL;
			}
			*w++ = (char) (hi * 16 + lo);
			r += 3;
		} else if (*r == '+' && plus_space) {
			*w++ = ' ';
			r++;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	if (len != NULL) {
		*len = (size_t) (w - s);
	}
	return AIS_OK;
}

ais_err
http_uri_split(const char *uri, char **path, char **query)
{
	const char *p = uri;
	const char *end;
	const char *q = NULL;
	const char *qend;

	*path = NULL;
	*query = NULL;
	/* Absolute form (RFC 9112 section 3.2.2): skip scheme and authority.
	 */
	if (*p != '/') {
		const char *sch = strstr(p, "://");

		if (sch != NULL && sch < p + strcspn(p, "/?#")) {
			p = sch + 3;
			p += strcspn(p, "/?#");
		}
	}
	end = p + strcspn(p, "?#");
	if (*end == '?') {
		q = end + 1;
		qend = q + strcspn(q, "#");
	}
	if (end == p) {
		*path = strdup("/");
	} else {
		*path = strndup(p, (size_t) (end - p));
	}
	*query = q == NULL ? strdup("") : strndup(q, (size_t) (qend - q));
	if (*path == NULL || *query == NULL) {
		free(*path);
		*path = NULL;
		free(*query);
		*query = NULL;
		return AIS_ENOMEM;
	}
	return AIS_OK;
}

ais_err
http_path_split(const char *raw, size_t max, http_path *p)
{
	const char *start = raw;
	char *cur;
	ais_err err;

	memset(p, 0, sizeof(*p));
	if (max == 0 || max > HTTP_PATH_SEGS_MAX) {
		return AIS_EINVAL;
	}
	if (*start == '/') {
		start++;
	}
	p->rest_raw = start;
	if (*start == '\0') {
		return AIS_OK;
	}
	p->buf = strdup(start);
	if (p->buf == NULL) {
		return AIS_ENOMEM;
	}
	cur = p->buf;
	for (;;) {
		char *slash;

		p->rest_raw = start + (cur - p->buf);
		p->segs[p->nsegs++] = cur;
		if (p->nsegs == max) {
			break; /* the last segment keeps the rest */
		}
		slash = strchr(cur, '/');
		if (slash == NULL) {
			break;
		}
		*slash = '\0';
		cur = slash + 1;
		if (*cur == '\0') {
			break; /* trailing '/': no empty last segment */
		}
	}
	for (size_t i = 0; i < p->nsegs; i++) {
		err = http_unescape(p->segs[i], false, NULL);
		if (err != AIS_OK) {
			http_path_fini(p);
			return err;
		}
	}
	return AIS_OK;
}

void
http_path_fini(http_path *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

ais_err
http_query_parse(const char *raw, http_query *q)
{
	size_t cap = 1;
	char *cur;
	ais_err err;

	memset(q, 0, sizeof(*q));
	for (const char *s = raw; *s != '\0'; s++) {
		if (*s == '&') {
			cap++;
		}
	}
	q->buf = strdup(raw);
	q->kv = calloc(cap, sizeof(*q->kv));
	if (q->buf == NULL || q->kv == NULL) {
		http_query_fini(q);
		return AIS_ENOMEM;
	}
	cur = q->buf;
	while (cur != NULL) {
		char *amp = strchr(cur, '&');
		char *eq;
		http_kv *kv;

		if (amp != NULL) {
			*amp = '\0';
		}
		if (*cur != '\0') {
			kv = &q->kv[q->n++];
			kv->key = cur;
			eq = strchr(cur, '=');
			if (eq != NULL) {
				*eq = '\0';
				kv->val = eq + 1;
			} else {
				kv->val = cur + strlen(cur); /* "" */
			}
			err = http_unescape(kv->key, true, NULL);
			if (err == AIS_OK) {
				err = http_unescape(kv->val, true, NULL);
			}
			if (err != AIS_OK) {
				http_query_fini(q);
				return err;
			}
		}
		cur = amp == NULL ? NULL : amp + 1;
	}
	return AIS_OK;
}

void
http_query_fini(http_query *q)
{
	free(q->kv);
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

const char *
http_query_get(const http_query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++) {
		if (strcmp(q->kv[i].key, key) == 0) {
			return q->kv[i].val;
		}
	}
	return NULL;
}

bool
http_query_bool(const http_query *q, const char *key)
{
	return http_str_true(http_query_get(q, key));
}

bool
http_str_true(const char *s)
{
	static const char *const yes[] = {
		"1",
		"t",
		"T",
		"true",
		"TRUE",
		"True",
	};

	if (s == NULL) {
		return false;
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			return true;
		}
	}
	return false;
}

http_what
http_what_parse(const char *s)
{
	static const struct {
		const char *name;
		http_what what;
	} tab[] = {
		{ "smap", HTTP_WHAT_SMAP },
		{ "bmd", HTTP_WHAT_BMD },
		{ "snode", HTTP_WHAT_SNODE },
		{ "config", HTTP_WHAT_CONFIG },
		{ "cluster_config", HTTP_WHAT_CLUSTER_CONFIG },
	};

	if (s == NULL) {
		return HTTP_WHAT_UNKNOWN;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(s, tab[i].name) == 0) {
			return tab[i].what;
		}
	}
	return HTTP_WHAT_UNKNOWN;
}

/* Reads exactly n decimal digits. */
static bool
http_time_digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*s)[i];

		if (c < '0' || c > '9') {
			return false;
		}
		v = v * 10 + (c - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool
http_time_expect(const char **s, char c)
{
	if (**s != c) {
		return false;
	}
	(*s)++;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no timegm() and no TZ environment is involved. */
static int64_t
http_days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Zone part: "", "Z", "+hh:mm", "-hhmm", optionally followed by a zone
 * name (Go's "+0000 UTC m=+0.1"); a bare name must be UTC or GMT. */
static bool
http_time_zone(const char *s, int64_t *off_s)
{
	int hh;
	int mm;
	int sign;

	*off_s = 0;
	while (*s == ' ') {
		s++;
	}
	if (*s == '\0' || strcmp(s, "Z") == 0) {
		return true;
	}
	if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
		if (!http_time_digits(&s, 2, &hh)) {
			return false;
		}
		(void) http_time_expect(&s, ':');
		if (!http_time_digits(&s, 2, &mm) || hh > 23 || mm > 59) {
			return false;
		}
		*off_s = sign * (hh * 3600 + mm * 60);
		return *s == '\0' || *s == ' ';
	}
	return strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0;
}

ais_err
http_time_parse_ns(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, sec;
	int64_t frac = 0;
	int64_t off;
	int64_t days;

	if (s == NULL) {
		return AIS_EINVAL;
	}
	if (!http_time_digits(&s, 4, &y) || !http_time_expect(&s, '-')
	    || !http_time_digits(&s, 2, &mo) || !http_time_expect(&s, '-')
	    || !http_time_digits(&s, 2, &d)) {
		return AIS_EINVAL;
	}
	if (*s != 'T' && *s != 't' && *s != ' ') {
		return AIS_EINVAL;
	}
	s++;
	if (!http_time_digits(&s, 2, &h) || !http_time_expect(&s, ':')
	    || !http_time_digits(&s, 2, &mi) || !http_time_expect(&s, ':')
	    || !http_time_digits(&s, 2, &sec)) {
		return AIS_EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
	    || sec > 60) {
		return AIS_EINVAL;
	}
	if (*s == '.' || *s == ',') {
		int n = 0;

		s++;
		if (*s < '0' || *s > '9') {
			return AIS_EINVAL;
		}
		/* Nanosecond precision; further digits are dropped. */
		for (; *s >= '0' && *s <= '9'; s++, n++) {
			if (n < 9) {
				frac = frac * 10 + (*s - '0');
			}
		}
		for (; n < 9; n++) {
			frac *= 10;
		}
	}
	if (!http_time_zone(s, &off)) {
		return AIS_EINVAL;
	}
	days = http_days_from_civil(y, mo, d);
	*ns = ((days * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000000000LL
	    + frac;
	return AIS_OK;
}

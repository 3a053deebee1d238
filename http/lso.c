/*
 * List objects without a server: LsoMsg parsing, pages with a string arena,
 * the k-way merge, JSON and MessagePack encodings (and the MessagePack
 * decoder), Go time layouts, custom metadata text and bucket cnames.
 *
 * Encodings are written by hand (a growing buffer for JSON, msgpack-c's
 * packer for MessagePack) rather than through a JSON tree: a page has up to
 * 10,000 entries, and object names are not guaranteed to be UTF-8 -- like
 * Go's encoder, invalid bytes become U+FFFD in JSON (MessagePack carries the
 * raw bytes).
 */
#include "http/lso.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/jsonx.h"

#define HTTP_LSO_BLK_SIZE (64u * 1024u)

struct http_lso_blk {
	struct http_lso_blk *next;
	size_t used;
	size_t cap;
	char data[];
};

/* LsoMsg ------------------------------------------------------------------ */

static const struct {
	const char *name;
	unsigned bit;
} http_lso_props[] = {
	{ "name", HTTP_LSO_P_NAME },
	{ "size", HTTP_LSO_P_SIZE },
	{ "version", HTTP_LSO_P_VERSION },
	{ "checksum", HTTP_LSO_P_CHECKSUM },
	{ "atime", HTTP_LSO_P_ATIME },
	{ "cached", HTTP_LSO_P_CACHED },
	{ "status", HTTP_LSO_P_STATUS },
	{ "copies", HTTP_LSO_P_COPIES },
	{ "ec", HTTP_LSO_P_EC },
	{ "custom", HTTP_LSO_P_CUSTOM },
	{ "location", HTTP_LSO_P_LOCATION },
	{ "chunked", HTTP_LSO_P_CHUNKED },
	{ "last-modified", HTTP_LSO_P_LAST_MODIFIED },
	{ "etag", HTTP_LSO_P_ETAG },
};

#define HTTP_LSO_NPROPS (sizeof(http_lso_props) / sizeof(http_lso_props[0]))

unsigned
http_lso_props_parse(const char *props)
{
	unsigned mask = 0;
	const char *p = props;

	if (p == NULL) {
		return 0;
	}
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end == NULL ? strlen(p) : (size_t) (end - p);

		/* trim blanks around a name */
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
			n--;
		}
		for (size_t i = 0; i < HTTP_LSO_NPROPS; i++) {
			if (strlen(http_lso_props[i].name) == n
			    && strncasecmp(http_lso_props[i].name, p, n)
			        == 0) {
				mask |= http_lso_props[i].bit;
			}
		}
		if (end == NULL) {
			break;
		}
		p = end + 1;
	}
	return mask;
}

static ais_err
http_lso_str(const json_t *v, const char *key, char *dst, size_t cap,
    char *errbuf, size_t errlen)
{
	const json_t *s = ais_json_get_ci(v, key);
	size_t n;

	dst[0] = '\0';
	if (s == NULL || json_is_null(s)) {
		return AIS_OK;
	}
	if (!json_is_string(s)) {
		snprintf(errbuf, errlen, "list-objects: '%s' must be a string",
		    key);
		return AIS_EINVAL;
	}
	n = json_string_length(s);
	if (n >= cap || memchr(json_string_value(s), '\0', n) != NULL) {
		snprintf(errbuf, errlen,
		    "list-objects: invalid '%s' (too long or contains NUL)",
		    key);
		return AIS_EINVAL;
	}
	memcpy(dst, json_string_value(s), n + 1);
	return AIS_OK;
}

ais_err
http_lso_msg_parse(
    const json_t *value, http_lso_msg *m, char *errbuf, size_t errlen)
{
	char props[512];
	int64_t pagesize = 0;
	ais_err err;
	char discard[1]; /* errors unwanted: write them nowhere */

	if (errbuf == NULL || errlen == 0) {
		errbuf = discard;
		errlen = sizeof(discard);
	}
	memset(m, 0, sizeof(*m));
	if (value != NULL && !json_is_null(value) && !json_is_object(value)) {
		snprintf(errbuf, errlen,
		    "list-objects: the message value must be an object");
		return AIS_EINVAL;
	}
	if ((err = http_lso_str(
	         value, "uuid", m->uuid, sizeof(m->uuid), errbuf, errlen))
	        != AIS_OK
	    || (err = http_lso_str(value, "continuation_token", m->token,
	            sizeof(m->token), errbuf, errlen))
	        != AIS_OK
	    || (err = http_lso_str(value, "prefix", m->prefix,
	            sizeof(m->prefix), errbuf, errlen))
	        != AIS_OK
	    || (err = http_lso_str(value, "start_after", m->start_after,
	            sizeof(m->start_after), errbuf, errlen))
	        != AIS_OK
	    || (err = http_lso_str(value, "time_format", m->time_format,
	            sizeof(m->time_format), errbuf, errlen))
	        != AIS_OK
	    || (err = http_lso_str(
	            value, "props", props, sizeof(props), errbuf, errlen))
	        != AIS_OK) {
		return err;
	}
	err = ais_json_uint64(value, "flags", &m->flags);
	if (err != AIS_OK && err != AIS_ENOENT) {
		snprintf(errbuf, errlen,
		    "list-objects: 'flags' must be an unsigned integer");
		return AIS_EINVAL;
	}
	if (err == AIS_ENOENT) {
		m->flags = 0;
	}
	err = ais_json_int64(value, "pagesize", &pagesize);
	if ((err != AIS_OK && err != AIS_ENOENT) || pagesize < 0) {
		snprintf(errbuf, errlen,
		    "list-objects: 'pagesize' must be a non-negative integer");
		return AIS_EINVAL;
	}
	if (pagesize == 0) {
		pagesize = HTTP_LSO_PAGE_DEFAULT;
	}
	if (pagesize > HTTP_LSO_PAGE_MAX) {
		pagesize = HTTP_LSO_PAGE_MAX;
	}
	m->pagesize = (size_t) pagesize;

	if (m->flags & HTTP_LSO_F_NAME_ONLY) {
		m->props = HTTP_LSO_P_NAME;
	} else if (props[0] == '\0') {
		m->props = (m->flags & HTTP_LSO_F_CACHED)
		    ? HTTP_LSO_P_NAME | HTTP_LSO_P_SIZE | HTTP_LSO_P_CHECKSUM
		        | HTTP_LSO_P_ATIME
		    : HTTP_LSO_P_NAME | HTTP_LSO_P_SIZE | HTTP_LSO_P_CACHED;
	} else {
		m->props = http_lso_props_parse(props) | HTTP_LSO_P_NAME;
	}
	if ((m->flags & HTTP_LSO_F_NAME_SIZE)
	    && !(m->flags & HTTP_LSO_F_NAME_ONLY)) {
		m->props |= HTTP_LSO_P_SIZE;
	}
	return AIS_OK;
}

json_t *
http_lso_msg_to_json(const http_lso_msg *m)
{
	char props[512] = "";
	char flags[24];
	size_t n = 0;

	for (size_t i = 0; i < HTTP_LSO_NPROPS; i++) {
		if (m->props & http_lso_props[i].bit) {
			int w = snprintf(props + n, sizeof(props) - n, "%s%s",
			    n == 0 ? "" : ",", http_lso_props[i].name);
			if (w > 0 && (size_t) w < sizeof(props) - n) {
				n += (size_t) w;
			}
		}
	}
	snprintf(flags, sizeof(flags), "%llu", (unsigned long long) m->flags);
	return json_pack("{s:s,s:s%,s:s%,s:s%,s:s,s:s,s:I,s:s}", "uuid",
	    m->uuid, "continuation_token", m->token, strlen(m->token),
	    "prefix", m->prefix, strlen(m->prefix), "start_after",
	    m->start_after, strlen(m->start_after), "props", props,
	    "time_format", m->time_format, "pagesize",
	    (json_int_t) m->pagesize, "flags", flags);
}

const char *
http_lso_msg_after(const http_lso_msg *m)
{
	return m->token[0] != '\0' ? m->token : m->start_after;
}

/* Pages --------------------------------------------------------------------
 */

void
http_lso_page_init(http_lso_page *p)
{
	memset(p, 0, sizeof(*p));
}

void
http_lso_page_fini(http_lso_page *p)
{
	http_lso_blk *b = p->blks;

	while (b != NULL) {
		http_lso_blk *next = b->next;
		free(b);
		b = next;
	}
	free(p->ents);
	memset(p, 0, sizeof(*p));
}

static const char *
http_lso_page_str(http_lso_page *p, const char *s)
{
	size_t n;
	http_lso_blk *b = p->blks;
	char *dst;

	if (s == NULL || s[0] == '\0') {
		return NULL;
	}
	n = strlen(s) + 1;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > HTTP_LSO_BLK_SIZE / 4 ? n : HTTP_LSO_BLK_SIZE;
		http_lso_blk *nb = malloc(sizeof(*nb) + cap);

		if (nb == NULL) {
			return NULL;
		}
		nb->cap = cap;
		nb->used = 0;
		if (b != NULL && cap == n) {
			/* a big one-off: behind the current block, which
			 * keeps its free space */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			p->blks = nb;
		}
		b = nb;
	}
	dst = b->data + b->used;
	memcpy(dst, s, n);
	b->used += n;
	return dst;
}

ais_err
http_lso_page_add(http_lso_page *p, const http_lso_ent *e)
{
	http_lso_ent c = *e;

	if (e->name == NULL || e->name[0] == '\0') {
		return AIS_EINVAL;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap == 0 ? 64 : p->cap * 2;
		http_lso_ent *ne = realloc(p->ents, cap * sizeof(*ne));

		if (ne == NULL) {
			return AIS_ENOMEM;
		}
		p->ents = ne;
		p->cap = cap;
	}
	c.name = http_lso_page_str(p, e->name);
	if (c.name == NULL) {
		return AIS_ENOMEM;
	}
#define HTTP_LSO_COPY(f)                                                      \
	do {                                                                  \
		if (e->f != NULL && e->f[0] != '\0') {                        \
			c.f = http_lso_page_str(p, e->f);                     \
			if (c.f == NULL) {                                    \
				return AIS_ENOMEM;                            \
			}                                                     \
		} else {                                                      \
			c.f = NULL;                                           \
		}                                                             \
	} while (0)
	HTTP_LSO_COPY(cksum);
	HTTP_LSO_COPY(atime);
	HTTP_LSO_COPY(version);
	HTTP_LSO_COPY(location);
	HTTP_LSO_COPY(custom);
#undef HTTP_LSO_COPY
	p->ents[p->n++] = c;
	return AIS_OK;
}

ais_err
http_lso_merge(const http_lso_page *const *in, size_t nin, size_t limit,
    http_lso_page *out)
{
	size_t *pos;
	const char *last = NULL;
	ais_err err = AIS_OK;

	for (size_t i = 0; i < nin; i++) {
		for (size_t k = 1; k < in[i]->n; k++) {
			if (strcmp(
			        in[i]->ents[k - 1].name, in[i]->ents[k].name)
			    >= 0) {
				return AIS_EINVAL;
			}
		}
	}
	pos = calloc(nin == 0 ? 1 : nin, sizeof(*pos));
	if (pos == NULL) {
		return AIS_ENOMEM;
	}
	while (out->n < limit) {
		long best = -1;

		for (size_t i = 0; i < nin; i++) {
			if (pos[i] < in[i]->n
			    && (best < 0
			        || strcmp(in[i]->ents[pos[i]].name,
			               in[best]->ents[pos[best]].name)
			            < 0)) {
				best = (long) i;
			}
		}
		if (best < 0) {
			break;
		}
		{
			const http_lso_ent *e = &in[best]->ents[pos[best]++];

			if (last != NULL && strcmp(last, e->name) == 0) {
				continue; /* same name from another page */
			}
			err = http_lso_page_add(out, e);
			if (err != AIS_OK) {
				break;
			}
			last = out->ents[out->n - 1].name;
		}
	}
	free(pos);
	return err;
}

/* JSON ---------------------------------------------------------------------
 */

typedef struct http_lso_buf {
	char *p;
	size_t n;
	size_t cap;
	bool nomem;
} http_lso_buf;

static void
http_lso_put(http_lso_buf *b, const void *s, size_t n)
{
	if (b->nomem) {
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap;
		char *np;

		while (cap < b->n + n + 1) {
			cap *= 2;
		}
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->nomem = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
http_lso_puts(http_lso_buf *b, const char *s)
{
	http_lso_put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
http_lso_utf8(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80) {
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800)
	    || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
	    || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

static void
http_lso_put_jstr(http_lso_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t n = strlen(s);
	size_t i = 0;

	http_lso_put(b, "\"", 1);
	while (i < n) {
		size_t run = i;
		size_t k;

		/* copy the longest run that needs no escaping at once */
		while (run < n && u[run] >= 0x20 && u[run] != '"'
		    && u[run] != '\\' && u[run] < 0x80) {
			run++;
		}
		http_lso_put(b, s + i, run - i);
		i = run;
		if (i == n) {
			break;
		}
		if (u[i] == '"') {
			http_lso_put(b, "\\\"", 2);
			i++;
		} else if (u[i] == '\\') {
			http_lso_put(b, "\\\\", 2);
			i++;
		} else if (u[i] < 0x20) {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			http_lso_put(b, esc, 6);
			i++;
		} else if ((k = http_lso_utf8(u + i, n - i)) != 0) {
			http_lso_put(b, s + i, k);
			i += k;
		} else {
			http_lso_put(b, "\\ufffd", 6);
			i++;
		}
	}
	http_lso_put(b, "\"", 1);
}

static void
http_lso_put_jkv(http_lso_buf *b, const char *key, const char *val)
{
	if (val == NULL || val[0] == '\0') {
		return;
	}
	http_lso_put(b, ",\"", 2);
	http_lso_puts(b, key);
	http_lso_put(b, "\":", 2);
	http_lso_put_jstr(b, val);
}

ais_err
http_lso_encode_json(const http_lso_page *p, char **out, size_t *len)
{
	http_lso_buf b = { 0 };
	char num[48];

	*out = NULL;
	*len = 0;
	http_lso_puts(&b, "{\"uuid\":");
	http_lso_put_jstr(&b, p->uuid);
	http_lso_puts(&b, ",\"continuation_token\":");
	http_lso_put_jstr(&b, p->token);
	http_lso_puts(&b, ",\"entries\":[");
	for (size_t i = 0; i < p->n; i++) {
		const http_lso_ent *e = &p->ents[i];

		http_lso_puts(&b, i == 0 ? "{\"name\":" : ",{\"name\":");
		http_lso_put_jstr(&b, e->name);
		http_lso_put_jkv(&b, "checksum", e->cksum);
		http_lso_put_jkv(&b, "atime", e->atime);
		http_lso_put_jkv(&b, "version", e->version);
		http_lso_put_jkv(&b, "location", e->location);
		http_lso_put_jkv(&b, "custom-md", e->custom);
		if (e->size != 0) {
			snprintf(num, sizeof(num), ",\"size\":\"%lld\"",
			    (long long) e->size);
			http_lso_puts(&b, num);
		}
		if (e->copies != 0) {
			snprintf(num, sizeof(num), ",\"copies\":%d",
			    (int) e->copies);
			http_lso_puts(&b, num);
		}
		if (e->flags != 0) {
			snprintf(num, sizeof(num), ",\"flags\":%u",
			    (unsigned) e->flags);
			http_lso_puts(&b, num);
		}
		http_lso_put(&b, "}", 1);
	}
	snprintf(num, sizeof(num), "],\"flags\":%u}", (unsigned) p->flags);
	http_lso_puts(&b, num);
	if (b.nomem) {
		free(b.p);
		return AIS_ENOMEM;
	}
	*out = b.p;
	*len = b.n;
	return AIS_OK;
}

/* MessagePack --------------------------------------------------------------
 */

static int
http_lso_pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	if (msgpack_pack_str(pk, n) != 0) {
		return -1;
	}
	return msgpack_pack_str_body(pk, s, n);
}

static bool
http_lso_has(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static int
http_lso_pack_ent(msgpack_packer *pk, const http_lso_ent *e)
{
	size_t nkeys = 1;
	int rc;

	nkeys += http_lso_has(e->cksum) + http_lso_has(e->atime)
	    + http_lso_has(e->version) + http_lso_has(e->location)
	    + http_lso_has(e->custom) + (e->size != 0) + (e->copies != 0)
	    + (e->flags != 0);
	rc = msgpack_pack_map(pk, nkeys);
	rc |= http_lso_pack_str(pk, "n");
	rc |= http_lso_pack_str(pk, e->name);
#define HTTP_LSO_PACK_S(key, f)                                               \
	if (http_lso_has(e->f)) {                                             \
		rc |= http_lso_pack_str(pk, key);                             \
		rc |= http_lso_pack_str(pk, e->f);                            \
	}
	HTTP_LSO_PACK_S("cs", cksum)
	HTTP_LSO_PACK_S("a", atime)
	HTTP_LSO_PACK_S("v", version)
	HTTP_LSO_PACK_S("t", location)
	HTTP_LSO_PACK_S("m", custom)
#undef HTTP_LSO_PACK_S
	if (e->size != 0) {
		rc |= http_lso_pack_str(pk, "s");
		rc |= msgpack_pack_int64(pk, e->size);
	}
	if (e->copies != 0) {
		rc |= http_lso_pack_str(pk, "c");
		rc |= msgpack_pack_int16(pk, (int16_t) e->copies);
	}
	if (e->flags != 0) {
		rc |= http_lso_pack_str(pk, "f");
		rc |= msgpack_pack_uint16(pk, e->flags);
	}
	return rc;
}

ais_err
http_lso_encode_msgpack(const http_lso_page *p, char **out, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	*out = NULL;
	*len = 0;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rc = msgpack_pack_map(&pk, 4);
	rc |= http_lso_pack_str(&pk, "UUID");
	rc |= http_lso_pack_str(&pk, p->uuid);
	rc |= http_lso_pack_str(&pk, "ContinuationToken");
	rc |= http_lso_pack_str(&pk, p->token);
	rc |= http_lso_pack_str(&pk, "Entries");
	rc |= msgpack_pack_array(&pk, p->n);
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		rc |= http_lso_pack_ent(&pk, &p->ents[i]);
	}
	rc |= http_lso_pack_str(&pk, "Flags");
	rc |= msgpack_pack_uint32(&pk, p->flags);
	if (rc != 0) {
		msgpack_sbuffer_destroy(&sb);
		return AIS_ENOMEM;
	}
	*len = sb.size;
	*out = msgpack_sbuffer_release(&sb);
	if (*out == NULL) {
		/* an empty buffer is impossible here (the map header) */
		return AIS_ENOMEM;
	}
	return AIS_OK;
}

static bool
http_lso_key_is(const msgpack_object *k, const char *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(s)
	    && memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

/* A msgpack str as a NUL-terminated copy in buf; false if not a str, too
 * long or containing NUL. */
static bool
http_lso_obj_str(const msgpack_object *o, char *buf, size_t cap)
{
	if (o->type == MSGPACK_OBJECT_NIL) {
		buf[0] = '\0';
		return true;
	}
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap
	    || memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		return false;
	}
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	return true;
}

static bool
http_lso_obj_int(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > (uint64_t) INT64_MAX) {
			return false;
		}
		*v = (int64_t) o->via.u64;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return true;
	}
	return false;
}

/* Scratch for one decoded entry. */
typedef struct http_lso_dec {
	char name[AIS_OBJNAME_MAX * 4 + 1];
	char cksum[256];
	char atime[128];
	char version[128];
	char location[AIS_OBJNAME_MAX + 64];
	char custom[AIS_LOM_CUSTOM_MAX + 64];
} http_lso_dec;

static ais_err
http_lso_dec_ent(const msgpack_object *o, http_lso_page *p, http_lso_dec *d)
{
	http_lso_ent e;

	if (o->type == MSGPACK_OBJECT_NIL) {
		return AIS_OK;
	}
	if (o->type != MSGPACK_OBJECT_MAP) {
		return AIS_EPROTO;
	}
	memset(&e, 0, sizeof(e));
	d->name[0] = d->cksum[0] = d->atime[0] = d->version[0] = '\0';
	d->location[0] = d->custom[0] = '\0';
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		const msgpack_object *v = &o->via.map.ptr[i].val;
		int64_t x = 0;
		bool ok = true;

		if (http_lso_key_is(k, "n")) {
			ok = http_lso_obj_str(v, d->name, sizeof(d->name));
		} else if (http_lso_key_is(k, "cs")) {
			ok = http_lso_obj_str(v, d->cksum, sizeof(d->cksum));
		} else if (http_lso_key_is(k, "a")) {
			ok = http_lso_obj_str(v, d->atime, sizeof(d->atime));
		} else if (http_lso_key_is(k, "v")) {
			ok = http_lso_obj_str(
			    v, d->version, sizeof(d->version));
		} else if (http_lso_key_is(k, "t")) {
			ok = http_lso_obj_str(
			    v, d->location, sizeof(d->location));
		} else if (http_lso_key_is(k, "m")) {
			ok = http_lso_obj_str(v, d->custom, sizeof(d->custom));
		} else if (http_lso_key_is(k, "s")) {
			ok = http_lso_obj_int(v, &x);
			e.size = x;
		} else if (http_lso_key_is(k, "c")) {
			ok = http_lso_obj_int(v, &x) && x >= INT16_MIN
			    && x <= INT16_MAX;
			e.copies = (int32_t) x;
		} else if (http_lso_key_is(k, "f")) {
			ok = http_lso_obj_int(v, &x) && x >= 0
			    && x <= UINT16_MAX;
			e.flags = (uint16_t) x;
		}
		if (!ok) {
			return AIS_EPROTO;
		}
	}
	if (d->name[0] == '\0') {
		return AIS_EPROTO;
	}
	e.name = d->name;
	e.cksum = d->cksum;
	e.atime = d->atime;
	e.version = d->version;
	e.location = d->location;
	e.custom = d->custom;
	return http_lso_page_add(p, &e);
}

ais_err
http_lso_decode_msgpack(const void *buf, size_t len, http_lso_page *p)
{
	msgpack_unpacked res;
	size_t off = 0;
	http_lso_dec *d = NULL;
	ais_err err = AIS_OK;
	const msgpack_object *root;

	msgpack_unpacked_init(&res);
	if (msgpack_unpack_next(&res, buf, len, &off)
	    != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&res);
		return AIS_EPROTO;
	}
	root = &res.data;
	if (root->type != MSGPACK_OBJECT_MAP) {
		err = AIS_EPROTO;
		goto out;
	}
	d = malloc(sizeof(*d));
	if (d == NULL) {
		err = AIS_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < root->via.map.size && err == AIS_OK; i++) {
		const msgpack_object *k = &root->via.map.ptr[i].key;
		const msgpack_object *v = &root->via.map.ptr[i].val;
		int64_t x;

		if (http_lso_key_is(k, "UUID")) {
			if (!http_lso_obj_str(v, p->uuid, sizeof(p->uuid))) {
				err = AIS_EPROTO;
			}
		} else if (http_lso_key_is(k, "ContinuationToken")) {
			if (!http_lso_obj_str(v, p->token, sizeof(p->token))) {
				err = AIS_EPROTO;
			}
		} else if (http_lso_key_is(k, "Flags")) {
			if (!http_lso_obj_int(v, &x) || x < 0
			    || x > UINT32_MAX) {
				err = AIS_EPROTO;
			} else {
				p->flags = (uint32_t) x;
			}
		} else if (http_lso_key_is(k, "Entries")) {
			if (v->type == MSGPACK_OBJECT_NIL) {
				continue;
			}
			if (v->type != MSGPACK_OBJECT_ARRAY) {
				err = AIS_EPROTO;
				break;
			}
			for (uint32_t j = 0;
			     j < v->via.array.size && err == AIS_OK; j++) {
				err = http_lso_dec_ent(
				    &v->via.array.ptr[j], p, d);
			}
		}
	}
out:
	free(d);
	msgpack_unpacked_destroy(&res);
	return err;
}

/* Go time layouts ----------------------------------------------------------
 */

static const char *const http_lso_months[]
    = { "January", "February", "March", "April", "May", "June", "July",
	      "August", "September", "October", "November", "December" };
static const char *const http_lso_days[] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };

typedef struct http_lso_out {
	char *buf;
	size_t len;
	size_t n;
} http_lso_out;

static void
http_lso_emit(http_lso_out *o, const char *s, size_t n)
{
	if (o->len == 0) {
		return;
	}
	if (n > o->len - 1 - o->n) {
		n = o->len - 1 - o->n;
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
	o->buf[o->n] = '\0';
}

/* v in decimal, padded to width with pad ('0' or ' '). */
static void
http_lso_emit_num(http_lso_out *o, int v, int width, char pad)
{
	char tmp[16];
	int w = pad == '0' ? snprintf(tmp, sizeof(tmp), "%0*d", width, v)
	                   : snprintf(tmp, sizeof(tmp), "%*d", width, v);

	if (w > 0) {
		http_lso_emit(o, tmp, (size_t) w);
	}
}

static bool
http_lso_at(const char *s, const char *tok)
{
	return strncmp(s, tok, strlen(tok)) == 0;
}

void
http_lso_time_fmt(int64_t ns, const char *layout, char *buf, size_t len)
{
	http_lso_out o = { buf, len, 0 };
	time_t sec;
	long nsec;
	struct tm tm;
	const char *s;

	if (len == 0) {
		return;
	}
	buf[0] = '\0';
	if (layout == NULL || layout[0] == '\0') {
		layout = HTTP_LSO_RFC822;
	}
	sec = (time_t) (ns / 1000000000LL);
	nsec = (long) (ns % 1000000000LL);
	if (nsec < 0) {
		sec--;
		nsec += 1000000000L;
	}
	gmtime_r(&sec, &tm);
	s = layout;
	while (*s != '\0') {
		int h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;

		switch (*s) {
		case 'J':
			if (http_lso_at(s, "January")) {
				http_lso_emit(&o, http_lso_months[tm.tm_mon],
				    strlen(http_lso_months[tm.tm_mon]));
				s += 7;
				continue;
			}
			if (http_lso_at(s, "Jan")) {
				http_lso_emit(
				    &o, http_lso_months[tm.tm_mon], 3);
				s += 3;
				continue;
			}
			break;
		case 'M':
			if (http_lso_at(s, "Monday")) {
				http_lso_emit(&o, http_lso_days[tm.tm_wday],
				    strlen(http_lso_days[tm.tm_wday]));
				s += 6;
				continue;
			}
			if (http_lso_at(s, "Mon")) {
				http_lso_emit(
				    &o, http_lso_days[tm.tm_wday], 3);
				s += 3;
				continue;
			}
			if (http_lso_at(s, "MST")) {
				http_lso_emit(&o, "UTC", 3);
				s += 3;
				continue;
			}
			break;
		case '0':
			if (s[1] >= '1' && s[1] <= '6') {
				int v[] = { tm.tm_mon + 1, tm.tm_mday, h12,
					tm.tm_min, tm.tm_sec,
					tm.tm_year % 100 };

				http_lso_emit_num(&o, v[s[1] - '1'], 2, '0');
				s += 2;
				continue;
			}
			if (s[1] == '0' && s[2] == '2') {
				http_lso_emit_num(&o, tm.tm_yday + 1, 3, '0');
				s += 3;
				continue;
			}
			break;
		case '1':
			if (s[1] == '5') {
				http_lso_emit_num(&o, tm.tm_hour, 2, '0');
				s += 2;
			} else {
				http_lso_emit_num(&o, tm.tm_mon + 1, 1, '0');
				s++;
			}
			continue;
		case '2':
			if (http_lso_at(s, "2006")) {
				http_lso_emit_num(
				    &o, tm.tm_year + 1900, 4, '0');
				s += 4;
			} else {
				http_lso_emit_num(&o, tm.tm_mday, 1, '0');
				s++;
			}
			continue;
		case '_':
			if (s[1] == '2' && !http_lso_at(s + 1, "2006")) {
				http_lso_emit_num(&o, tm.tm_mday, 2, ' ');
				s += 2;
				continue;
			}
			if (s[1] == '_' && s[2] == '2') {
				http_lso_emit_num(&o, tm.tm_yday + 1, 3, ' ');
				s += 3;
				continue;
			}
			break;
		case '3':
			http_lso_emit_num(&o, h12, 1, '0');
			s++;
			continue;
		case '4':
			http_lso_emit_num(&o, tm.tm_min, 1, '0');
			s++;
			continue;
		case '5':
			http_lso_emit_num(&o, tm.tm_sec, 1, '0');
			s++;
			continue;
		case 'P':
		case 'p':
			if (s[1] == (s[0] == 'P' ? 'M' : 'm')) {
				const char *ap
				    = tm.tm_hour >= 12 ? "PM" : "AM";

				http_lso_emit(&o,
				    s[0] == 'P'
				        ? ap
				        : (tm.tm_hour >= 12 ? "pm" : "am"),
				    2);
				s += 2;
				continue;
			}
			break;
		case '-':
		case 'Z': {
			static const char *const zones[]
			    = { "070000", "07:00:00", "0700", "07:00", "07" };
			static const char *const zero[] = { "+000000",
				"+00:00:00", "+0000", "+00:00", "+00" };
			bool hit = false;

			for (size_t i = 0; i < 5 && !hit; i++) {
				if (http_lso_at(s + 1, zones[i])) {
					if (*s == 'Z') {
						http_lso_emit(&o, "Z", 1);
					} else {
						http_lso_emit(&o, zero[i],
						    strlen(zero[i]));
					}
					s += 1 + strlen(zones[i]);
					hit = true;
				}
			}
			if (hit) {
				continue;
			}
			break;
		}
		case '.':
		case ',':
			if (s[1] == '0' || s[1] == '9') {
				char ch = s[1];
				size_t k = 1;

				while (s[k] == ch) {
					k++;
				}
				if (!(s[k] >= '0' && s[k] <= '9')) {
					char frac[16];
					size_t digits = k - 1 > 9 ? 9 : k - 1;
					size_t fl;

					snprintf(frac, sizeof(frac), "%c%09ld",
					    s[0], nsec);
					fl = 1 + digits;
					if (ch == '9') {
						while (fl > 1
						    && frac[fl - 1] == '0') {
							fl--;
						}
						if (fl == 1) {
							fl = 0;
						}
					}
					http_lso_emit(&o, frac, fl);
					s += k;
					continue;
				}
			}
			break;
		default:
			break;
		}
		http_lso_emit(&o, s, 1);
		s++;
	}
}

/* Custom metadata -----------------------------------------------------------
 */

static const char *const http_lso_std_custom[] = { "source", "ETag",
	"LastModified", "Last-Modified", "crc32c", "md5", "version" };

#define HTTP_LSO_NSTD                                                         \
	(sizeof(http_lso_std_custom) / sizeof(http_lso_std_custom[0]))

static bool
http_lso_is_key(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(k, name, klen) == 0;
}

void
http_lso_custom_fmt(const ais_lom_md *md, char *buf, size_t len)
{
	http_lso_out o = { buf, len, 0 };
	bool any = false;
	size_t pos;
	const char *k;
	const char *v;
	size_t klen;
	size_t vlen;

	if (len == 0) {
		return;
	}
	buf[0] = '\0';
	http_lso_emit(&o, "[", 1);
	/* two passes: AIS's standard keys in their order, then the rest */
	for (size_t pass = 0; pass <= HTTP_LSO_NSTD; pass++) {
		pos = 0;
		while (ais_lom_custom_next(md, &pos, &k, &klen, &v, &vlen)) {
			bool std = false;

			for (size_t i = 0; i < HTTP_LSO_NSTD; i++) {
				std = std
				    || http_lso_is_key(
				        k, klen, http_lso_std_custom[i]);
			}
			if (pass < HTTP_LSO_NSTD ? !http_lso_is_key(
			        k, klen, http_lso_std_custom[pass])
			                         : (std
			                             || http_lso_is_key(k,
			                                 klen, "orig_fntl"))) {
				continue;
			}
			if (any) {
				http_lso_emit(&o, " ", 1);
			}
			http_lso_emit(&o, k, klen);
			http_lso_emit(&o, ":", 1);
			http_lso_emit(&o, v, vlen);
			any = true;
		}
	}
	if (!any) {
		buf[0] = '\0';
		return;
	}
	http_lso_emit(&o, "]", 1);
}

/* Names ----------------------------------------------------------------------
 */

void
http_lso_cname(const char *provider, const char *ns, const char *bck,
    char *buf, size_t len)
{
	const char *scheme
	    = provider == NULL || provider[0] == '\0' ? "ais" : provider;
	const char *nsp = "";
	const char *sep = "";

	if (strcmp(scheme, "aws") == 0) {
		scheme = "s3";
	} else if (strcmp(scheme, "gcp") == 0) {
		scheme = "gs";
	} else if (strcmp(scheme, "azure") == 0) {
		scheme = "az";
	} else if (strcmp(scheme, "oci") == 0) {
		scheme = "oc";
	}
	if (ns != NULL && ns[0] != '\0' && strcmp(ns, "@#") != 0) {
		/* "@#name" -> "#name"; "@uuid#name" stays */
		nsp = strncmp(ns, "@#", 2) == 0 ? ns + 1 : ns;
		sep = "/";
	}
	snprintf(
	    buf, len, "%s://%s%s%s", scheme, nsp, sep, bck == NULL ? "" : bck);
}

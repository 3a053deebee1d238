/*
 * List objects ("lso", spec native-api.md section 4), the parts that need
 * no HTTP server: the request (LsoMsg), a page of entries, the k-way merge
 * of per-target pages, the two wire encodings (JSON section 4.2,
 * MessagePack section 4.3, plus the MessagePack decoder the proxy reads
 * target pages with), and the sorted walk of a target's mountpaths.
 *
 * Paging (ais:// buckets): a page holds the first `pagesize` names, in byte
 * order, greater than the continuation token; the token of the next page
 * is the last name iff the page is full, else "" (listing over). A target
 * produces such a page from its own disks; the proxy merges the targets'
 * pages and truncates -- the global first N names after the token are
 * among the union of every target's first N.
 *
 * Sorted walk: a directory walk yields full names in byte order when each
 * directory's entries are sorted by name with '/' appended to directory
 * names ("a.b" < "a/" < "a0"), since every name inside directory "a" starts
 * with "a/". Directories that cannot hold a name after the token or
 * matching the prefix are not opened. Per directory level the walk keeps
 * at most `cap` entries (the smallest ones still to visit) and re-reads the
 * directory when it runs out, so memory is O(depth x cap) however large a
 * directory is.
 */
#ifndef AIS_HTTP_LSO_H
#define AIS_HTTP_LSO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/fqn.h"
#include "core/lom.h"

#define HTTP_LSO_PAGE_DEFAULT 10000 /* pagesize 0 (AIS, ais://) */
#define HTTP_LSO_PAGE_MAX     10000 /* larger requests are capped */
#define HTTP_LSO_UUID_MAX     40
#define HTTP_LSO_TFMT_MAX     64
#define HTTP_LSO_RFC822       "02 Jan 06 15:04 MST"

/* Property names ("props"), as a bit set. */
enum {
	HTTP_LSO_P_NAME = 1u << 0,
	HTTP_LSO_P_SIZE = 1u << 1,
	HTTP_LSO_P_VERSION = 1u << 2,
	HTTP_LSO_P_CHECKSUM = 1u << 3,
	HTTP_LSO_P_ATIME = 1u << 4,
	HTTP_LSO_P_CACHED = 1u << 5,
	HTTP_LSO_P_STATUS = 1u << 6,
	HTTP_LSO_P_COPIES = 1u << 7,
	HTTP_LSO_P_EC = 1u << 8,
	HTTP_LSO_P_CUSTOM = 1u << 9,
	HTTP_LSO_P_LOCATION = 1u << 10,
	HTTP_LSO_P_CHUNKED = 1u << 11,
	HTTP_LSO_P_LAST_MODIFIED = 1u << 12,
	HTTP_LSO_P_ETAG = 1u << 13,
};

/* LsoMsg flag bits (the ones acted upon; others are accepted, ignored). */
#define HTTP_LSO_F_CACHED    (1ULL << 0)
#define HTTP_LSO_F_NAME_ONLY (1ULL << 4)
#define HTTP_LSO_F_NAME_SIZE (1ULL << 5)

/* Entry flag: present in the cluster (every object of an ais:// bucket). */
#define HTTP_LSO_E_PRESENT 64u

/* A parsed LsoMsg with the defaults applied. */
typedef struct http_lso_msg {
	char uuid[HTTP_LSO_UUID_MAX + 1];
	char token[AIS_OBJNAME_MAX + 1]; /* continuation_token */
	char prefix[AIS_OBJNAME_MAX + 1];
	char start_after[AIS_OBJNAME_MAX + 1];
	char time_format[HTTP_LSO_TFMT_MAX + 1]; /* "" = RFC822 */
	unsigned props;                          /* HTTP_LSO_P_*, effective */
	uint64_t flags;
	size_t pagesize; /* 1..HTTP_LSO_PAGE_MAX */
} http_lso_msg;

/* Parses the ActMsg "value" of a list request (an object, or NULL/null
 * for all defaults). Keys case-insensitive; flags and pagesize as numbers
 * or decimal strings. Effective props: "name" always; empty props =
 * name,size,cached (name,size,checksum,atime with the cached flag); the
 * name-only flag = name only. AIS_EINVAL with one line in errbuf. */
ais_err http_lso_msg_parse(
    const json_t *value, http_lso_msg *m, char *errbuf, size_t errlen);
/* The LsoMsg JSON of m (new reference; NULL on ENOMEM), for forwarding. */
json_t *http_lso_msg_to_json(const http_lso_msg *m);
/* Comma-separated prop names -> HTTP_LSO_P_* (unknown names ignored). */
unsigned http_lso_props_parse(const char *props);
/* The token a page starts after: continuation_token, or on the first page
 * start_after. */
const char *http_lso_msg_after(const http_lso_msg *m);

/* One entry. Strings are NUL-terminated; NULL or "" = absent. */
typedef struct http_lso_ent {
	const char *name;
	const char *cksum; /* checksum value only */
	const char *atime; /* formatted */
	const char *version;
	const char *location; /* "t[<tid>]:mp[<mountpath>]" */
	const char *custom;   /* "[k:v k:v]" */
	int64_t size;
	int32_t copies;
	uint16_t flags; /* HTTP_LSO_E_* */
} http_lso_ent;

typedef struct http_lso_blk http_lso_blk; /* string arena block */

/* A page: entries whose strings live in the page's own arena. */
typedef struct http_lso_page {
	char uuid[HTTP_LSO_UUID_MAX + 1];
	char token[AIS_OBJNAME_MAX + 1];
	uint32_t flags;
	http_lso_ent *ents;
	size_t n;
	size_t cap;
	http_lso_blk *blks;
} http_lso_page;

void http_lso_page_init(http_lso_page *p);
void http_lso_page_fini(http_lso_page *p); /* accepts an initialized p */
/* Appends a copy of e (its strings copied into p). AIS_ENOMEM. */
ais_err http_lso_page_add(http_lso_page *p, const http_lso_ent *e);

/* Merges pages whose entries are each sorted by name into out (initialized
 * by the caller, entries appended): byte order, duplicates dropped (the
 * first page's copy kept), at most `limit` entries. AIS_EINVAL if an input
 * page is not sorted; AIS_ENOMEM. */
ais_err http_lso_merge(const http_lso_page *const *in, size_t nin,
    size_t limit, http_lso_page *out);

/* Encodings of a page, into a malloc'd buffer the caller frees. JSON:
 * {"uuid","continuation_token","entries":[...],"flags"} with absent entry
 * fields omitted and size as a string. MessagePack: a 4-key map UUID,
 * ContinuationToken, Entries, Flags; entries with the short keys n cs a v t
 * m s c f, absent ones omitted. AIS_ENOMEM. */
ais_err http_lso_encode_json(const http_lso_page *p, char **out, size_t *len);
ais_err http_lso_encode_msgpack(
    const http_lso_page *p, char **out, size_t *len);
/* Decodes the MessagePack form into p (initialized by the caller; entries
 * appended, uuid/token/flags set). Unknown keys are skipped, nil entries
 * ignored. AIS_EPROTO for anything malformed, AIS_ENOMEM. */
ais_err http_lso_decode_msgpack(const void *buf, size_t len, http_lso_page *p);

/* Formats ns since the epoch, in UTC, with a Go time layout (RFC822 when
 * layout is NULL or ""): the layout's elements 2006 06 01 1 Jan January 02
 * 2 _2 002 Mon Monday 15 03 3 04 4 05 5 PM pm MST Z07:00 -07:00 -0700
 * Z0700 -07 Z07 and fractions .000/.999; other text is copied. */
void http_lso_time_fmt(int64_t ns, const char *layout, char *buf, size_t len);
/* Custom metadata as AIS lists it: "[k1:v1 k2:v2]", AIS's standard keys
 * first, orig_fntl left out; "" when there is none. */
void http_lso_custom_fmt(const ais_lom_md *md, char *buf, size_t len);
/* The canonical bucket name for messages: "ais://b", "s3://b",
 * "ais://@uuid#ns/b" (ns uname "" or "@#" = global). */
void http_lso_cname(const char *provider, const char *ns, const char *bck,
    char *buf, size_t len);

/* Sorted walk over one or more roots (a bucket's "%ob" directory on each
 * mountpath): object names > after (NULL/"" = from the start) that start
 * with prefix, in byte order across all roots (a name present under
 * several roots is reported once, from the first). cap (>= 1) bounds the
 * entries kept per directory level. A missing root is empty. Blocks on
 * disk I/O. */
typedef struct http_lso_walk http_lso_walk;

ais_err http_lso_walk_open(const char *const *roots, size_t nroots,
    const char *prefix, const char *after, size_t cap, http_lso_walk **out);
/* The next object: its name, its full path and the index of its root,
 * borrowed until the next call. AIS_ENOENT at the end; AIS_ESYS|errno or
 * AIS_ENOMEM on failure (the walk is then over). */
ais_err http_lso_walk_next(
    http_lso_walk *w, const char **name, const char **path, size_t *root);
void http_lso_walk_close(http_lso_walk *w); /* accepts NULL */

/* One target's page: walks roots[] (mpaths[] are the matching mountpaths,
 * for "location") and fills out with up to m->pagesize entries after the
 * message's token, with the props m asks for (size and atime from stat,
 * checksum/version/custom from the LOM xattr only when asked). tid names
 * this target in locations. Sets out->token by the paging rule and copies
 * the uuid. Blocks on disk I/O. */
ais_err http_lso_tgt_page(const char *const *roots, const char *const *mpaths,
    size_t nroots, const char *tid, const http_lso_msg *m, http_lso_page *out);

/* One merged page of a bucket across every target (lso_fanout.c): the
 * request m (uuid set by the caller) to each target, pages merged by name,
 * cut to m->pagesize; out->token = last name iff the page is full. On
 * failure eb holds one line and *status the HTTP status to answer with
 * (a target's own 4xx, 503 when a target failed or the map is not ready,
 * else 500). Blocks on the fan-out (bounded). out: initialized by the
 * caller. */
struct ais_node;
ais_err http_lso_cluster_page(struct ais_node *n, const char *provider,
    const char *ns, const char *bucket, const char *cname,
    const http_lso_msg *m, http_lso_page *out, int *status, char *eb,
    size_t el);

#endif

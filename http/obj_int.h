/*
 * Private to the object data path of http/ (h_objects.c, obj_get.c,
 * obj_put.c): the parsed object of one request, the helpers that resolve it
 * against this node's BMD and mountpaths, and a header list builder.
 *
 * Placement is a pure function of the request: the object's uname
 * ("ais/@#/b/o") gives one XXH64 digest, HRW over the Smap's targets picks
 * the owner target (proxies), HRW over node->mpaths the owner mountpath
 * (targets). Nothing here takes a lock that all requests share: snapshots
 * are held for the length of one lookup, object files are opened per
 * request, and only PUTs of objects whose digests collide in a small table
 * of stripes serialize their final rename.
 */
#ifndef AIS_HTTP_OBJ_INT_H
#define AIS_HTTP_OBJ_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/bmd.h"
#include "core/bprops.h"
#include "core/cksum.h"
#include "core/fqn.h"
#include "core/hrw.h"
#include "core/lom.h"
#include "http/server.h"

#define HTTP_OBJ_NS_MAX 80 /* namespace uname, as ais_bck.ns */
/* "<provider>/<ns>/<bucket>/<object>" and the "scheme://" form of it */
#define HTTP_OBJ_UNAME_MAX                                                    \
	(8 + HTTP_OBJ_NS_MAX + AIS_BCK_NAME_MAX + AIS_OBJNAME_MAX + 16)
#define HTTP_OBJ_CT_OCTET "application/octet-stream"

/* The object (or bucket) a /v1/objects request names. Lives in the
 * request arena. */
typedef struct http_obj {
	const char *provider;     /* normalized: ais, aws, ... (static) */
	char ns[HTTP_OBJ_NS_MAX]; /* namespace uname, "@#" = global */
	char *bck;                /* bucket name */
	char *name;               /* object name, "" when the path has none */
	size_t name_len;
	char uname[HTTP_OBJ_UNAME_MAX];
	size_t uname_len;
	uint64_t digest;          /* XXH64(uname): HRW input */
	ais_bprops props;         /* typed view of the bucket's props */
	char tag[AIS_ID_MAX + 4]; /* "t[<id>]" / "p[<id>]" for messages */
} http_obj;

/* Parses bucket, object name, provider and namespace of r into a new
 * http_obj in r's arena and computes uname and digest (only when there is
 * an object name). On failure answers r (400) and returns NULL. */
http_obj *http_obj_parse(http_req *r);

/* Looks the bucket up in this node's BMD and fills o->props; answers 404
 * (bucket message the SDKs recognise) or 503 (no BMD yet) and returns false
 * otherwise. */
bool http_obj_bucket(http_req *r, http_obj *o);

/* The same without a reply, for callers with their own error format (S3):
 * http_obj_set fills o (tag, provider, namespace, bucket, name, uname,
 * digest; strings copied into r's arena) and returns false when provider
 * or name are invalid or out of memory; http_obj_props looks the bucket
 * up: AIS_OK, AIS_EAGAIN (no BMD yet), AIS_ENOENT (no such bucket) or
 * AIS_EINTERNAL (unreadable props). ns "" means the global namespace. */
bool http_obj_set(http_req *r, http_obj *o, const char *provider,
    const char *ns, const char *bck, const char *name);
ais_err http_obj_props(ais_node *n, http_obj *o);

/* Validates the object name (spec section 0.2); answers 400 on failure. */
bool http_obj_name_ok(http_req *r, const http_obj *o, bool trailing_slash_ok);

/* True when the request carries the proxy's redirect marker (pid + utm). */
bool http_obj_redirected(http_req *r);
/* Answers 400 "... is expected to be redirected" and returns false unless
 * the request is marked. */
bool http_obj_need_marker(http_req *r, const http_obj *o);

/* "ais://b" (with_obj false) or "ais://b/o" into buf; namespace shown as
 * "@uuid#name/" or "#name/" when not global. Returns buf. */
const char *http_obj_cname(
    const http_obj *o, bool with_obj, char *buf, size_t len);

/* Answers 404 "<tag>: ais://b/o does not exist". */
void http_obj_reply_missing(http_req *r, const http_obj *o);

/* The "action" of an ActMsg body ("" when absent or there is no body);
 * false (after a 400) when the body is not a JSON object. Copies into buf. */
bool http_obj_action(http_req *r, char *buf, size_t len);

/* Path of o's content `kind` on mountpath mp into buf; false if it does not
 * fit. */
bool http_obj_fqn(const http_obj *o, const ais_mpath *mp, const char *kind,
    char *buf, size_t len);

/* Opens o's object file read-only: on its HRW mountpath first, then (an
 * object left behind by a mountpath change) on the others. Regular files
 * only. Returns 0 with *fd, *mp and *st (its fstat) set, or an errno
 * (ENOENT when there is no such object anywhere). Blocks on disk. */
int http_obj_open(ais_node *n, const http_obj *o, int *fd,
    const ais_mpath **mp, struct stat *st);

/* The HRW mountpath of o on node n; NULL when n has no mountpaths. */
const ais_mpath *http_obj_mpath(ais_node *n, const http_obj *o);

/* Removes o's file from every mountpath of n (a misplaced copy would be
 * served again otherwise). 0 with *removed = how many, or an errno. */
int http_obj_remove(ais_node *n, const http_obj *o, size_t *removed);

/* An opened object for reading (obj_get.c): its file, metadata and
 * stat, loaded together from one fd. */
typedef struct http_obj_file {
	int fd;
	const ais_mpath *mp;
	struct stat st;
	ais_lom_md md;
	int64_t atime_ns;
} http_obj_file;

typedef enum http_obj_fres {
	HTTP_OBJ_F_OK = 0,
	HTTP_OBJ_F_MISSING, /* no such object (or a stale incarnation's) */
	HTTP_OBJ_F_OPEN,    /* open failed: errno in *e */
	HTTP_OBJ_F_BADMD,   /* metadata unreadable: ais_err in *e */
	HTTP_OBJ_F_BADSIZE, /* file size differs from the metadata's */
} http_obj_fres;

/* Opens o and loads its metadata without answering; on anything but
 * HTTP_OBJ_F_OK no fd is left open (for F_BADSIZE, f->st and f->md still
 * tell the sizes). Blocks on disk. */
http_obj_fres http_obj_file_load(
    ais_node *n, const http_obj *o, http_obj_file *f, int *e);
/* A read moves atime forward, at most once per minute. */
void http_obj_touch(http_obj_file *f);

/* Get-from-neighbor (obj_gfn.c): on a local miss during or right after a
 * rebalance, fetches o from the target(s) that had it, with its metadata,
 * into place here; true when it is now local. Never for requests that are
 * themselves GFN fetches (is_gfn=true). Blocks on the network and disk. */
bool http_obj_gfn(http_req *r, const http_obj *o);
/* http_obj_file_load, then on a miss http_obj_gfn and one more load: what
 * the target GET/HEAD paths use. */
http_obj_fres http_obj_file_load_gfn(
    http_req *r, const http_obj *o, http_obj_file *f, int *e);

/* The PUT engine (obj_put.c), shared by the native PUT and S3's
 * PutObject/CopyObject: a work file on the object's HRW mountpath that
 * receives the data and the checksums computed over it, then metadata and
 * an atomic rename into place. Lives in the request arena (or on a
 * stack). */
typedef struct http_put {
	http_obj *o;
	const ais_mpath *mp;
	int fd;
	char wfqn[PATH_MAX]; /* the work file */
	ais_cksum ck;        /* what gets stored */
	ais_cksum ck2;       /* the client's type, when it differs */
	bool ck2_on;
	ais_cksum md5; /* S3 ETag when ck is not md5 */
	bool md5_on;
	bool want_md5;            /* open: an MD5 is wanted (S3) */
	ais_cksum_type want_type; /* client's Ais-Checksum-Type, or NONE */
	char want[AIS_CKSUM_HEX_MAX];
	uint64_t expect; /* Content-Length; UINT64_MAX = chunked */
	uint64_t got;    /* bytes written */
	int werr;        /* first write errno */
	bool custom_bad;
	int64_t now;   /* store: the PUT's time (ns) */
	ais_lom_md md; /* custom collected at begin */
} http_put;

/* Creates the work file of p->o (p zeroed except o, want_type, want_md5
 * and md's custom) and starts the checksums: the bucket's type, else the
 * client's; a second hasher for the client's type and one for MD5 when
 * needed. 0 or an errno (ENODEV: no mountpaths; nothing left behind). */
int http_put_start(http_put *p, ais_node *n);
/* Writes and hashes len bytes; false (p->werr set) on a write error. */
bool http_put_write(http_put *p, const char *data, size_t len);
/* Finishes the checksums: the stored one into p->md.cksum_value, the
 * client's into got2 ("" if no second hasher), the MD5 hex into md5 (""
 * unless wanted). */
void http_put_sums(
    http_put *p, char got2[AIS_CKSUM_HEX_MAX], char md5[AIS_CKSUM_HEX_MAX]);
/* Steps 2-3 of obj_put.c's comment: fsync if the bucket wants it, atime,
 * size, bucket ID, version; xattr, rename into place; closes the file.
 * 0 or an errno; on failure the caller discards. */
int http_put_store(http_put *p);
/* Removes the work file and frees the checksums. Idempotent. */
void http_put_discard(http_put *p);

/* Handlers by method, called by http_h_objects on the right role and call
 * (early or with the body). */
void http_obj_get(http_req *r, http_obj *o);       /* target, early */
void http_obj_head(http_req *r, http_obj *o);      /* target, early */
void http_obj_put_begin(http_req *r, http_obj *o); /* target, early */
void http_obj_delete(http_req *r, http_obj *o);    /* target, body in */

/* Striped per-object locks (by digest): serialize the read-modify-write of
 * one object's version and its rename. Not reentrant. */
void http_obj_lock(uint64_t digest);
void http_obj_unlock(uint64_t digest);

/* Response header list for http_reply*: pairs of name and value, values
 * copied into buf, NULL-terminated after every add. Fixed size: lives on
 * the stack of one handler; adds that do not fit are dropped (logged). */
#define HTTP_HDRS_MAX 320 /* pairs: fixed object headers + custom ones */
typedef struct http_hdrs {
	const char *kv[2 * HTTP_HDRS_MAX + 1];
	size_t n; /* pairs used */
	char buf[8192];
	size_t used;
} http_hdrs;

void http_hdrs_init(http_hdrs *h);
/* name must be a string literal or otherwise outlive the reply. */
void http_hdrs_add(http_hdrs *h, const char *name, const char *value);
void http_hdrs_addn(
    http_hdrs *h, const char *name, const char *value, size_t vlen);
void http_hdrs_addf(http_hdrs *h, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Current time, ns since the epoch (CLOCK_REALTIME). */
int64_t http_obj_now_ns(void);

#endif

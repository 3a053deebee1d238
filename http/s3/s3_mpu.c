/*
 * S3 multipart uploads on a target (spec s3-api.md section 5.6). The proxy
 * sends every request of an upload to the owner of its key (HRW over the
 * object's uname), so an upload lives on one target, on the object's HRW
 * mountpath, in a directory that survives restarts:
 *
 *   <mountpath>/@<provider>[/<ns>]/<bucket>/%mp/<uploadId>/
 *       meta.json     {"bucket", "key", "created" (ns), "custom": {k: v}}
 *                     -- Content-Type, x-amz-meta-* etc. of the Create
 *       part-00001    the bytes of part 1, its MD5 hex in the xattr
 *       ...           "user.ais.s3.md5" (S3_MPU_XATTR_MD5)
 *
 * Upload IDs are AIS job IDs (10 of [A-Za-z0-9], a letter first); any other
 * name in %mp (a claimed upload, "<id>.<tag>") is not an upload.
 *
 * UploadPart streams through the PutObject engine (s3_obj_put.c) into a
 * %wk work file and is renamed over part-NNNNN: a re-upload replaces the
 * part atomically. Complete and Abort first claim the upload by renaming
 * its directory to "<id>.<c|x><pid>.<seq>": only one of several concurrent
 * claims succeeds (the others find no directory: NoSuchUpload), and a part
 * still in flight then fails its own rename (NoSuchUpload). Complete
 * concatenates the parts into one work file of the object -- the bucket's
 * checksum computed over the whole -- stores it like a PUT (metadata with
 * ETag = hex(MD5(binary part MD5s)) + "-" + N, version, atomic rename),
 * then removes the claimed directory; a refused Complete (InvalidPart,
 * EntityTooSmall, a disk error) renames the directory back.
 *
 * ListMultipartUploads is answered by the proxy from every target's list
 * of its uploads in the bucket (s3_mpu_list_uploads_target: flat XML).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/hex.h"
#include "actors/node/node.h"
#include "core/log.h"
#include "core/xreg.h"
#include "http/s3/s3_obj_int.h"

#define S3_MPU_CT        "%mp"
#define S3_MPU_META      "meta.json"
#define S3_MPU_PARTS_MAX 10000
#define S3_MPU_PART_MIN  (5ull << 20) /* every part but the last */
#define S3_MPU_COPY_BUF  (1u << 20)

static atomic_uint_fast64_t s3_mpu_seq;

/* One part as found on disk. */
typedef struct s3_mpu_part {
	int num;
	char md5[AIS_CKSUM_HEX_MAX];
	uint64_t size;
	int64_t mtime_ns;
} s3_mpu_part;

/* Paths ------------------------------------------------------------------- */

static bool
s3_mpu_id_ok(const char *id)
{
	size_t n = id == NULL ? 0 : strlen(id);

	if (n < 9 || n > 31) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		        || (c >= '0' && c <= '9'))) {
			return false;
		}
	}
	return true;
}

/* <mp>/@<provider>/<ns>/<bck>/%mp into buf. */
static bool
s3_mpu_root(const char *mpath, const char *provider, const char *ns,
    const char *bck, char *buf, size_t len)
{
	size_t n;

	if (ais_bck_dir(buf, len, mpath, provider, ns, bck) != AIS_OK) {
		return false;
	}
	n = strlen(buf);
	return (size_t) snprintf(buf + n, len - n, "/%s", S3_MPU_CT) < len - n;
}

/* The upload directory of id for o (its HRW mountpath). */
static bool
s3_mpu_dir(
    ais_node *n, const http_obj *o, const char *id, char *buf, size_t len)
{
	const ais_mpath *mp = http_obj_mpath(n, o);
	size_t l;

	if (mp == NULL
	    || !s3_mpu_root(mp->path, o->provider, o->ns, o->bck, buf, len)) {
		return false;
	}
	l = strlen(buf);
	return (size_t) snprintf(buf + l, len - l, "/%s", id) < len - l;
}

/* dir/part-NNNNN into buf; "" if it does not fit. */
static void
s3_mpu_part_path(const char *dir, int num, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/part-%05d", dir, num);

	if (n < 0 || (size_t) n >= len) {
		buf[0] = '\0';
	}
}

/* meta.json ----------------------------------------------------------------
 */

/* Loads dir's meta.json; NULL if missing or unreadable. */
static json_t *
s3_mpu_meta_load(const char *dir)
{
	char path[PATH_MAX];

	if ((size_t) snprintf(path, sizeof(path), "%s/" S3_MPU_META, dir)
	    >= sizeof(path)) {
		return NULL;
	}
	return json_load_file(path, 0, NULL);
}

/* The upload id of o (query uploadId), its directory and meta. Replies
 * 404 NoSuchUpload (or 400) and returns NULL when there is no such upload
 * for this key. */
static json_t *
s3_mpu_find(http_req *r, s3_req *q, http_obj *o, const char **id, char *dir,
    size_t len)
{
	json_t *meta;
	const char *key;

	*id = http_query_get(&r->query, "uploadId");
	if (!s3_mpu_id_ok(*id) || !s3_mpu_dir(r->node, o, *id, dir, len)) {
		s3_reply_err(r, 404, "NoSuchUpload",
		    "The specified upload does not exist");
		return NULL;
	}
	meta = s3_mpu_meta_load(dir);
	key = meta == NULL ? NULL
	                   : json_string_value(json_object_get(meta, "key"));
	if (key == NULL || strcmp(key, q->key) != 0) {
		json_decref(meta);
		s3_reply_err(r, 404, "NoSuchUpload",
		    "The specified upload does not exist");
		return NULL;
	}
	return meta;
}

/* CreateMultipartUpload -----------------------------------------------------
 */

void
s3_mpu_create(http_req *r, s3_req *q, http_obj *o)
{
	char id[AIS_XACT_ID_LEN + 1];
	char dir[PATH_MAX];
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	ais_lom_md *md = http_req_alloc(r, sizeof(*md));
	json_t *meta = NULL;
	json_t *custom = NULL;
	size_t pos = 0;
	const char *k, *v;
	size_t kl, vl;
	s3_buf b = { 0 };
	int e;

	if (md == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	memset(md, 0, sizeof(*md));
	if (!s3_obj_md_from_req(r, md)) {
		s3_reply_err(r, 400, "MetadataTooLarge",
		    "metadata headers exceed the maximum allowed size");
		return;
	}
	ais_xact_id_new(id);
	if (!s3_mpu_dir(r->node, o, id, dir, sizeof(dir))
	    || (size_t) snprintf(path, sizeof(path), "%s/" S3_MPU_META, dir)
	        >= sizeof(path)
	    || (size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path)
	        >= sizeof(tmp)) {
		s3_reply_err(r, 503, "ServiceUnavailable",
		    "%s: no mountpath for the upload", o->tag);
		return;
	}
	custom = json_object();
	while (custom != NULL
	    && ais_lom_custom_next(md, &pos, &k, &kl, &v, &vl) != 0) {
		char *ks = strndup(k, kl);

		if (ks == NULL
		    || json_object_set_new(custom, ks, json_stringn(v, vl))
		        != 0) {
			free(ks);
			json_decref(custom);
			custom = NULL;
			break;
		}
		free(ks);
	}
	meta = custom == NULL
	    ? NULL
	    : json_pack("{s:s,s:s,s:I,s:o}", "bucket", q->bucket, "key",
	        q->key, "created", (json_int_t) http_obj_now_ns(), "custom",
	        custom);
	if (meta == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	e = ais_mkdir_parent(path);
	if (e == 0 && json_dump_file(meta, tmp, JSON_COMPACT) != 0) {
		e = errno != 0 ? errno : EIO;
	}
	if (e == 0 && rename(tmp, path) != 0) {
		e = errno;
	}
	json_decref(meta);
	if (e != 0) {
		(void) unlink(tmp);
		(void) rmdir(dir);
		s3_obj_reply_errno(r, o, e, "CreateMultipartUpload");
		return;
	}
	s3_buf_put(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<InitiateMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "Bucket", q->bucket);
	s3_buf_elem(&b, "Key", q->key);
	s3_buf_elem(&b, "UploadId", id);
	s3_buf_put(&b, "</InitiateMultipartUploadResult>");
	s3_reply_xml(r, 200, &b, NULL);
}

/* UploadPart -----------------------------------------------------------------
 */

static bool
s3_mpu_partnum(const char *v, int *out)
{
	char *end;
	long n;

	if (v == NULL || v[0] == '\0') {
		return false;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > S3_MPU_PARTS_MAX) {
		return false;
	}
	*out = (int) n;
	return true;
}

void
s3_mpu_upload_part(http_req *r, s3_req *q, http_obj *o)
{
	char dir[PATH_MAX];
	char *part = http_req_alloc(r, PATH_MAX);
	const char *id;
	json_t *meta;
	int num;

	if (part == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		return;
	}
	if (!s3_mpu_partnum(http_query_get(&r->query, "partNumber"), &num)) {
		s3_reply_err(r, 400, "InvalidArgument",
		    "Part number must be an integer between 1 and 10000, "
		    "inclusive");
		return;
	}
	meta = s3_mpu_find(r, q, o, &id, dir, sizeof(dir));
	if (meta == NULL) {
		return;
	}
	json_decref(meta);
	s3_mpu_part_path(dir, num, part, PATH_MAX);
	s3_obj_put_part(r, o, part);
}

/* Parts on disk ---------------------------------------------------------- */

static bool
s3_mpu_part_load(const char *dir, int num, s3_mpu_part *p)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;

	s3_mpu_part_path(dir, num, path, sizeof(path));
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		return false;
	}
	n = getxattr(path, S3_MPU_XATTR_MD5, p->md5, sizeof(p->md5) - 1);
	if (n <= 0) {
		return false;
	}
	p->md5[n] = '\0';
	p->num = num;
	p->size = (uint64_t) st.st_size;
	p->mtime_ns
	    = (int64_t) st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return true;
}

static int
s3_mpu_part_cmp(const void *a, const void *b)
{
	const s3_mpu_part *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* Every part in dir, sorted by number (malloc'd; *n of them). */
static int
s3_mpu_parts_scan(const char *dir, s3_mpu_part **out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	s3_mpu_part *v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		return errno;
	}
	while ((de = readdir(d)) != NULL) {
		int num;

		if (strncmp(de->d_name, "part-", 5) != 0
		    || !s3_mpu_partnum(de->d_name + 5, &num)) {
			continue;
		}
		if (*n == cap) {
			size_t nc = cap == 0 ? 64 : cap * 2;
			s3_mpu_part *nv = realloc(v, nc * sizeof(*v));

			if (nv == NULL) {
				closedir(d);
				free(v);
				*n = 0;
				return ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		if (s3_mpu_part_load(dir, num, &v[*n])) {
			(*n)++;
		}
	}
	closedir(d);
	if (*n > 0) {
		qsort(v, *n, sizeof(*v), s3_mpu_part_cmp);
	}
	*out = v;
	return 0;
}

/* Removes dir and what it holds (one level: parts, meta, temporaries). */
static void
s3_mpu_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL) {
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0
		    || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if ((size_t) snprintf(
		        path, sizeof(path), "%s/%s", dir, de->d_name)
		    < sizeof(path)) {
			(void) unlink(path);
		}
	}
	closedir(d);
	if (rmdir(dir) != 0) {
		AIS_LOGW("AIS-S3-MPU-RM", "cannot remove %s: %s", dir,
		    strerror(errno));
	}
}

/* Claims the upload in dir by renaming it to "<dir>.<c><pid>.<seq>"
 * (claimed). 0, or ENOENT when another claim came first. */
static int
s3_mpu_claim(const char *dir, char c, char *claimed, size_t len)
{
	if ((size_t) snprintf(claimed, len, "%s.%c%ld.%" PRIu64, dir, c,
	        (long) getpid(), (uint64_t) atomic_fetch_add(&s3_mpu_seq, 1))
	    >= len) {
		return ENAMETOOLONG;
	}
	return rename(dir, claimed) == 0 ? 0 : errno;
}

static void
s3_mpu_unclaim(const char *claimed, const char *dir)
{
	if (rename(claimed, dir) != 0) {
		AIS_LOGE("AIS-S3-MPU-UNCLAIM", "cannot restore %s to %s: %s",
		    claimed, dir, strerror(errno));
	}
}

/* ListParts ------------------------------------------------------------- */

void
s3_mpu_list_parts(http_req *r, s3_req *q, http_obj *o)
{
	char dir[PATH_MAX];
	const char *id;
	const char *v;
	json_t *meta;
	s3_mpu_part *parts = NULL;
	size_t n = 0;
	int marker = 0;
	long maxp = 1000;
	size_t shown = 0;
	int last = 0;
	bool trunc = false;
	s3_buf b = { 0 };
	char owner[65];
	const char *display;
	int e;

	v = http_query_get(&r->query, "part-number-marker");
	if (v != NULL && v[0] != '\0') {
		marker = atoi(v);
	}
	v = http_query_get(&r->query, "max-parts");
	if (v != NULL && v[0] != '\0') {
		maxp = strtol(v, NULL, 10);
		if (maxp < 0) {
			s3_reply_err(r, 400, "InvalidArgument",
			    "max-parts must be non-negative");
			return;
		}
		if (maxp > 1000) {
			maxp = 1000;
		}
	}
	meta = s3_mpu_find(r, q, o, &id, dir, sizeof(dir));
	if (meta == NULL) {
		return;
	}
	json_decref(meta);
	e = s3_mpu_parts_scan(dir, &parts, &n);
	if (e != 0) {
		s3_obj_reply_errno(r, o, e, "ListParts");
		return;
	}
	s3_owner(q, owner, &display);
	s3_buf_put(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListPartsResult xmlns=\"" S3_XMLNS "\">");
	s3_buf_elem(&b, "Bucket", q->bucket);
	s3_buf_elem(&b, "Key", q->key);
	s3_buf_elem(&b, "UploadId", id);
	s3_buf_printf(&b, "<PartNumberMarker>%d</PartNumberMarker>", marker);
	for (size_t i = 0; i < n; i++) {
		char date[40];

		if (parts[i].num <= marker) {
			continue;
		}
		if ((long) shown == maxp) {
			trunc = true;
			break;
		}
		s3_obj_iso_date(parts[i].mtime_ns, date, sizeof(date));
		s3_buf_printf(&b,
		    "<Part><PartNumber>%d</PartNumber>"
		    "<LastModified>%s</LastModified>"
		    "<ETag>&quot;%s&quot;</ETag><Size>%" PRIu64
		    "</Size></Part>",
		    parts[i].num, date, parts[i].md5, parts[i].size);
		last = parts[i].num;
		shown++;
	}
	s3_buf_printf(&b,
	    "<NextPartNumberMarker>%d</NextPartNumberMarker>"
	    "<MaxParts>%ld</MaxParts><IsTruncated>%s</IsTruncated>",
	    last, maxp, trunc ? "true" : "false");
	s3_buf_put(&b, "<Initiator>");
	s3_buf_elem(&b, "ID", owner);
	s3_buf_elem(&b, "DisplayName", display);
	s3_buf_put(&b, "</Initiator><Owner>");
	s3_buf_elem(&b, "ID", owner);
	s3_buf_elem(&b, "DisplayName", display);
	s3_buf_put(&b,
	    "</Owner><StorageClass>STANDARD</StorageClass>"
	    "</ListPartsResult>");
	free(parts);
	s3_reply_xml(r, 200, &b, NULL);
}

/* AbortMultipartUpload --------------------------------------------------- */

void
s3_mpu_abort(http_req *r, s3_req *q, http_obj *o)
{
	char dir[PATH_MAX];
	char claimed[PATH_MAX];
	const char *id;
	json_t *meta;
	int e;

	meta = s3_mpu_find(r, q, o, &id, dir, sizeof(dir));
	if (meta == NULL) {
		return;
	}
	json_decref(meta);
	e = s3_mpu_claim(dir, 'x', claimed, sizeof(claimed));
	if (e == ENOENT) {
		s3_reply_err(r, 404, "NoSuchUpload",
		    "The specified upload does not exist");
		return;
	}
	if (e != 0) {
		s3_obj_reply_errno(r, o, e, "AbortMultipartUpload");
		return;
	}
	s3_mpu_rmdir(claimed);
	s3_reply_xml(r, 204, &(s3_buf) { 0 }, NULL);
}

/* CompleteMultipartUpload ------------------------------------------------ */

/* One <Part> of the request. */
typedef struct s3_mpu_want {
	int num;
	char etag[AIS_CKSUM_HEX_MAX];
} s3_mpu_want;

/* Parses the CompleteMultipartUpload body into *out (malloc'd). false:
 * malformed. */
static bool
s3_mpu_body_parse(const char *doc, size_t len, s3_mpu_want **out, size_t *n)
{
	size_t pos = 0;
	size_t cap = 0;
	s3_mpu_want *v = NULL;
	char part[512];

	*out = NULL;
	*n = 0;
	if (doc == NULL || strstr(doc, "<CompleteMultipartUpload") == NULL) {
		return false;
	}
	while (s3_xml_next(doc, len, &pos, "Part", part, sizeof(part))) {
		size_t pp = 0;
		char num[32];
		char etag[128];
		size_t el;
		const char *e;

		if (!s3_xml_next(part, strlen(part), &pp, "PartNumber", num,
		        sizeof(num))) {
			free(v);
			return false;
		}
		pp = 0;
		if (!s3_xml_next(
		        part, strlen(part), &pp, "ETag", etag, sizeof(etag))) {
			free(v);
			return false;
		}
		if (*n == cap) {
			size_t nc = cap == 0 ? 16 : cap * 2;
			s3_mpu_want *nv;

			if (nc > S3_MPU_PARTS_MAX + 1) {
				free(v);
				return false;
			}
			nv = realloc(v, nc * sizeof(*v));
			if (nv == NULL) {
				free(v);
				return false;
			}
			v = nv;
			cap = nc;
		}
		if (!s3_mpu_partnum(num, &v[*n].num)) {
			free(v);
			return false;
		}
		/* the ETag, quoted or not */
		e = etag;
		el = strlen(e);
		while (el > 0 && (*e == '"' || *e == ' ')) {
			e++;
			el--;
		}
		while (el > 0 && (e[el - 1] == '"' || e[el - 1] == ' ')) {
			el--;
		}
		if (el >= sizeof(v[*n].etag)) {
			el = sizeof(v[*n].etag) - 1;
		}
		memcpy(v[*n].etag, e, el);
		v[*n].etag[el] = '\0';
		(*n)++;
	}
	if (*n == 0) {
		free(v);
		return false;
	}
	*out = v;
	return true;
}

static unsigned
s3_mpu_hexval(char c)
{
	int v = ais_hexval(c); /* part MD5s were checked when stored */
	return v < 0 ? 0u : (unsigned) v;
}

/* The custom metadata of the Create (meta "custom") into md. */
static bool
s3_mpu_meta_custom(json_t *meta, ais_lom_md *md)
{
	json_t *custom = json_object_get(meta, "custom");
	const char *k;
	json_t *v;

	json_object_foreach(custom, k, v)
	{
		const char *s = json_string_value(v);

		if (s != NULL && ais_lom_custom_set(md, k, s) != AIS_OK) {
			return false;
		}
	}
	return true;
}

/* Concatenates parts[0..n) of dir into p's work file. 0 or an errno. */
static int
s3_mpu_concat(http_put *p, const char *dir, const s3_mpu_part *parts, size_t n)
{
	char *buf = malloc(S3_MPU_COPY_BUF);
	int e = 0;

	if (buf == NULL) {
		return ENOMEM;
	}
	for (size_t i = 0; i < n && e == 0; i++) {
		char path[PATH_MAX];
		int fd;

		s3_mpu_part_path(dir, parts[i].num, path, sizeof(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			e = errno;
			break;
		}
		for (;;) {
			ssize_t got = read(fd, buf, S3_MPU_COPY_BUF);

			if (got < 0 && errno == EINTR) {
				continue;
			}
			if (got < 0) {
				e = errno;
				break;
			}
			if (got == 0) {
				break;
			}
			if (!http_put_write(p, buf, (size_t) got)) {
				e = p->werr;
				break;
			}
		}
		close(fd);
	}
	free(buf);
	return e;
}

/* Checks the wanted parts against dir and loads them into parts. Replies
 * and returns false on a refusal. */
static bool
s3_mpu_check(http_req *r, const char *dir, const s3_mpu_want *want, size_t n,
    s3_mpu_part *parts)
{
	for (size_t i = 0; i < n; i++) {
		if (!s3_mpu_part_load(dir, want[i].num, &parts[i])
		    || strcasecmp(parts[i].md5, want[i].etag) != 0) {
			s3_reply_err(r, 400, "InvalidPart",
			    "One or more of the specified parts could not be "
			    "found or its entity tag did not match (part %d)",
			    want[i].num);
			return false;
		}
		if (i + 1 < n && parts[i].size < S3_MPU_PART_MIN) {
			s3_reply_err(r, 400, "EntityTooSmall",
			    "Your proposed upload is smaller than the minimum "
			    "allowed object size (part %d: %" PRIu64 " bytes)",
			    want[i].num, parts[i].size);
			return false;
		}
	}
	return true;
}

void
s3_mpu_complete(http_req *r, s3_req *q, http_obj *o)
{
	char dir[PATH_MAX];
	char claimed[PATH_MAX];
	const char *id;
	json_t *meta;
	s3_mpu_want *want = NULL;
	s3_mpu_part *parts = NULL;
	size_t n = 0;
	http_put *p = NULL;
	ais_cksum ec;
	char ehex[AIS_CKSUM_HEX_MAX];
	char etag[AIS_CKSUM_HEX_MAX + 24]; /* hex + "-" + up to 20 digits */
	char got2[AIS_CKSUM_HEX_MAX];
	char md5[AIS_CKSUM_HEX_MAX];
	s3_buf b = { 0 };
	char *loc;
	int e;

	meta = s3_mpu_find(r, q, o, &id, dir, sizeof(dir));
	if (meta == NULL) {
		return;
	}
	if (!s3_mpu_body_parse(r->body, r->body_len, &want, &n)) {
		s3_reply_err(r, 400, "MalformedXML",
		    "The XML you provided was not well-formed or did not "
		    "validate against our published schema");
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		if (want[i].num <= want[i - 1].num) {
			s3_reply_err(r, 400, "InvalidPartOrder",
			    "The list of parts was not in ascending order");
			goto out;
		}
	}
	parts = calloc(n, sizeof(*parts));
	p = http_req_alloc(r, sizeof(*p));
	if (parts == NULL || p == NULL) {
		s3_reply_err(r, 500, "InternalError", "out of memory");
		goto out;
	}
	e = s3_mpu_claim(dir, 'c', claimed, sizeof(claimed));
	if (e != 0) {
		if (e == ENOENT) {
			s3_reply_err(r, 404, "NoSuchUpload",
			    "The specified upload does not exist");
		} else {
			s3_obj_reply_errno(r, o, e, "CompleteMultipartUpload");
		}
		goto out;
	}
	if (!s3_mpu_check(r, claimed, want, n, parts)) {
		s3_mpu_unclaim(claimed, dir);
		goto out;
	}
	/* ETag: MD5 over the binary MD5s of the parts, "-N" */
	if (ais_cksum_init(&ec, AIS_CKSUM_MD5) != AIS_OK) {
		s3_mpu_unclaim(claimed, dir);
		s3_reply_err(r, 500, "InternalError", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char bin[16];

		for (size_t j = 0; j < 16; j++) {
			bin[j] = (unsigned char) (s3_mpu_hexval(
			                              parts[i].md5[2 * j])
			        << 4
			    | s3_mpu_hexval(parts[i].md5[2 * j + 1]));
		}
		ais_cksum_update(&ec, bin, sizeof(bin));
	}
	ais_cksum_final(&ec, ehex);
	ais_cksum_fini(&ec);
	snprintf(etag, sizeof(etag), "%s-%zu", ehex, n);

	memset(p, 0, sizeof(*p));
	p->o = o;
	p->fd = -1;
	p->expect = UINT64_MAX;
	if (!s3_mpu_meta_custom(meta, &p->md)
	    || ais_lom_custom_set(&p->md, S3_OBJ_KEY_ETAG, etag) != AIS_OK) {
		s3_mpu_unclaim(claimed, dir);
		s3_reply_err(r, 400, "MetadataTooLarge",
		    "metadata headers exceed the maximum allowed size");
		goto out;
	}
	e = http_put_start(p, r->node);
	if (e == 0) {
		e = s3_mpu_concat(p, claimed, parts, n);
	}
	if (e == 0) {
		http_put_sums(p, got2, md5);
		e = http_put_store(p);
	}
	if (e != 0) {
		http_put_discard(p);
		s3_mpu_unclaim(claimed, dir);
		s3_obj_reply_errno(r, o, e, "CompleteMultipartUpload");
		goto out;
	}
	http_put_discard(p);
	s3_mpu_rmdir(claimed);

	loc = http_req_alloc(r, strlen(q->bucket) + q->key_len + 8);
	s3_buf_put(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<CompleteMultipartUploadResult xmlns=\"" S3_XMLNS "\">");
	if (loc != NULL) {
		sprintf(loc, "/s3/%s/%s", q->bucket, q->key);
		s3_buf_elem(&b, "Location", loc);
	}
	s3_buf_elem(&b, "Bucket", q->bucket);
	s3_buf_elem(&b, "Key", q->key);
	s3_buf_printf(&b, "<ETag>&quot;%s&quot;</ETag>", etag);
	s3_buf_put(&b, "</CompleteMultipartUploadResult>");
	s3_reply_xml(r, 200, &b, NULL);
out:
	free(parts);
	free(want);
	json_decref(meta);
}

/* The target's uploads in a bucket (for the proxy's listing) ----------- */

void
s3_mpu_list_uploads_target(http_req *r, s3_req *q)
{
	char provider[8];
	char ns[80];
	s3_buf b = { 0 };

	if (s3_obj_bck_find(
	        r->node, q->bucket, provider, sizeof(provider), ns, sizeof(ns))
	    != 1) {
		s3_reply_err(r, 404, "NoSuchBucket",
		    "The specified bucket does not exist: %s", q->bucket);
		return;
	}
	s3_buf_put(&b, "<Uploads>");
	const ais_mpset *mset = ais_node_mpset(r->node);
	for (size_t i = 0; i < mset->n; i++) {
		char root[PATH_MAX];
		DIR *d;
		struct dirent *de;

		if (!s3_mpu_root(mset->avail[i].path,
		        ais_provider_norm(provider), ns[0] == '\0' ? "@#" : ns,
		        q->bucket, root, sizeof(root))) {
			continue;
		}
		d = opendir(root);
		if (d == NULL) {
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			char dir[PATH_MAX];
			json_t *meta;
			const char *key;
			json_int_t created;

			if (!s3_mpu_id_ok(de->d_name)
			    || (size_t) snprintf(
			           dir, sizeof(dir), "%s/%s", root, de->d_name)
			        >= sizeof(dir)) {
				continue;
			}
			meta = s3_mpu_meta_load(dir);
			key = json_string_value(json_object_get(meta, "key"));
			created = json_integer_value(
			    json_object_get(meta, "created"));
			if (key != NULL) {
				s3_buf_put(&b, "<Upload>");
				s3_buf_elem(&b, "Key", key);
				s3_buf_elem(&b, "UploadId", de->d_name);
				s3_buf_printf(&b,
				    "<Initiated>%lld</Initiated></Upload>",
				    (long long) created);
			}
			json_decref(meta);
		}
		closedir(d);
	}
	s3_buf_put(&b, "</Uploads>");
	s3_reply_xml(r, 200, &b, NULL);
}

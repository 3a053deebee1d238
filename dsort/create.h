/*
 * dSort creator: writes one output shard of a job into the output bucket
 * on a mountpath, as one atomic object, the way a PUT stores an object.
 *
 * The caller passes the shard's object name, its records in order (from
 * dsort/assign.h's plan), the output format and a fetch callback. For each
 * record the creator calls fetch once; fetch streams the record's files
 * through the sink: dsort_create_file_begin(name, size, mtime), then
 * dsort_create_file_write() with the bytes in chunks, then
 * dsort_create_file_end(), once per file. Later fetch pulls from other
 * targets over NNG; in tests it reads memory or local files.
 *
 * Steps (mirroring http/obj_put.c through core/ only):
 *   1. a unique work file <mpath>/@<prov>/[#ns/]<bck>/%wk/ds.<pid>.<seq>
 *      (O_EXCL), written by the dsort/shard.h writer;
 *   2. the bucket's checksum is computed on the fly: the writer's tap
 *      (ais_shard_writer_set_tap) hands it every byte as it goes into the
 *      work file, headers and trailer included, so it is the checksum of
 *      the whole file without reading anything back;
 *   3. fsync only when the bucket has the Fsync-PUT feature
 *      (AIS_FEAT_FSYNC_PUT in props->features; never with props NULL),
 *      as a PUT; atime set to now (mtime is the write time);
 *   4. LOM xattr (core/lom.h): size, checksum type+value, version ("1", or
 *      the existing object's + 1; none when versioning is off), lid = the
 *      bucket ID;
 *   5. rename over <...>/%ob/<objname> (creating directories), atomic
 *      because %wk and %ob share the mountpath's filesystem.
 *
 * Never half-visible: on any error or abort the work file is removed and
 * %ob is untouched (a previous object of that name stays as it was).
 *
 * Records are never split: each record's files are written back to back,
 * and the bytes of every file must equal the size announced in begin
 * (AIS_EIO otherwise, the message names the record and the file); when the
 * record's size is known, its files must add up to it. A fetch error is
 * passed through with the record's name in the message.
 *
 * Everything here blocks on disk I/O (and on whatever fetch does): run it
 * on a per-mountpath worker thread, never on an actor loop. Distinct
 * shards may be created concurrently from distinct threads.
 *
 * Not done here (the caller's job or later): the per-object stripe lock a
 * PUT takes around the version read + rename (it lives in http/), so a
 * client PUT racing a create of the same name may reuse a version number;
 * the last rename still wins whole.
 */
#ifndef AIS_DSORT_CREATE_H
#define AIS_DSORT_CREATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bprops.h"
#include "core/cksum.h"
#include "core/err.h"
#include "dsort/shard.h"
#include "dsort/spec.h"

#define DSORT_CREATE_SIZE_UNKNOWN UINT64_MAX
#define DSORT_CREATE_ERRLEN       512

/* One record of the shard, in output order. */
typedef struct dsort_create_rec {
	const char *name; /* record name (messages, and for fetch) */
	uint64_t size;    /* its files' total bytes, or SIZE_UNKNOWN */
	uint32_t origin;  /* caller's tag, e.g. the target holding it */
	void *arg;        /* caller's per-record handle, for fetch */
} dsort_create_rec;

/* Where the shard goes and how it is stored. */
typedef struct dsort_create_dst {
	const char *mpath;       /* the shard's mountpath root */
	const dsort_bck *bck;    /* output bucket */
	const ais_bprops *props; /* its props; NULL = AIS defaults for
	                          * ais:// (xxhash2, versioning on, bid 0) */
} dsort_create_dst;

/* What was created. */
typedef struct dsort_create_result {
	uint64_t size; /* bytes of the shard object */
	uint64_t records;
	uint64_t files;
	ais_cksum_type cksum_type;
	char cksum[AIS_CKSUM_HEX_MAX];
	char version[32]; /* "" when versioning is off */
} dsort_create_result;

/* The stream fetch writes a record's files into; borrowed for the call. */
typedef struct dsort_create_sink dsort_create_sink;

/* Starts the next file of the current record: name inside the shard
 * (e.g. "sample0001.jpg"), exact size in bytes, mtime (s; 0 unknown).
 * AIS_EINVAL if the previous file is not ended. */
ais_err dsort_create_file_begin(
    dsort_create_sink *s, const char *name, uint64_t size, int64_t mtime);
/* Next chunk of the current file (any length, also 0). AIS_EIO when it
 * would exceed the announced size; AIS_ESTOPPED when the job aborted
 * (fetch should return that error as is). */
ais_err dsort_create_file_write(
    dsort_create_sink *s, const void *buf, size_t len);
/* As dsort_create_file_write, but buf may be referenced, not copied,
 * until the next dsort_create_flush() (or the end of the shard): fetch
 * keeps it valid and unchanged until then. */
ais_err dsort_create_file_write_ref(
    dsort_create_sink *s, const void *buf, size_t len);
/* Writes out everything pending, so that no buffer given to
 * dsort_create_file_write_ref is referenced any more. */
ais_err dsort_create_flush(dsort_create_sink *s);
/* Ends the current file; AIS_EIO when fewer bytes than announced came. */
ais_err dsort_create_file_end(dsort_create_sink *s);

/* Streams every file of rec into s. Returns AIS_OK when the whole record
 * went in, else any error (the shard fails with it). May run for long;
 * should return soon after a sink call reports AIS_ESTOPPED. */
typedef ais_err (*dsort_create_fetch_fn)(
    void *arg, const dsort_create_rec *rec, dsort_create_sink *s);

/* Creates the shard object `objname` (validated like an object name) of
 * format fmt from recs[0..nrecs) (at least one; borrowed), fetching each
 * record's files with fetch(arg, ...). abort (may be NULL) is polled
 * between records and on every chunk: once true the create stops with
 * AIS_ESTOPPED. On success the object is in %ob and *res (may be NULL)
 * describes it. On failure nothing is left (work file removed) and errbuf
 * (may be NULL) has one line naming the shard and, when it is to blame,
 * the record. Blocks (see above). */
ais_err dsort_create_shard(const char *objname, ais_shard_fmt fmt,
    const dsort_create_rec *recs, size_t nrecs, dsort_create_fetch_fn fetch,
    void *arg, const dsort_create_dst *dst, const atomic_bool *abort,
    dsort_create_result *res, char *errbuf, size_t errlen);

/* Removes a shard this job created (abort cleanup): unlinks its %ob file.
 * AIS_OK also when it is already gone, so cleanup can be retried. Other
 * unlink errors are returned (ais_err_from_errno). Blocks. */
ais_err dsort_create_remove(
    const char *mpath, const dsort_bck *bck, const char *objname);

/* Path of objname's %ob file in bck on mpath (for callers and tests).
 * AIS_EINVAL when it does not fit or the name is not a valid object
 * name. */
ais_err dsort_create_fqn(char *buf, size_t len, const char *mpath,
    const dsort_bck *bck, const char *objname);

#endif

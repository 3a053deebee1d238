/*
 * dSort record source: where an extracted record's bytes live on its
 * target, how to stream them back out, and how a record's metadata travels
 * between targets.
 *
 * A location (dsort_rec_loc) lists the record's files in shard order. The
 * bytes are either
 *   DSORT_LOC_FILE  ranges of one local file, `path`: the input shard itself
 *                   for uncompressed tar (no copy), or the extract phase's
 *                   spill file in the %ds work dir; each file is
 *                   [offset, offset + size) of path, so a sender may use
 *                   sendfile(2) on (path, offset, size);
 *   DSORT_LOC_MEM   one heap block holding the files back to back (a
 *                   compressed shard's record kept under the memory
 *                   budget); file i starts at files[i].offset of mem.
 *
 * Wire form (dsort_rec_meta_encode): little-endian, length-prefixed, no
 * padding, so any number can be concatenated in one message:
 *   u8  version (1)
 *   u32 len + bytes   record name
 *   u8  key kind (dsort_key_kind); INT: i64; FLOAT: f64 bits as u64;
 *                     STR: u32 len + bytes; NONE: nothing
 *   u64 size, u64 seq, u32 origin
 *   u8  location kind; u32 len + bytes path ("" for MEM)
 *   u32 nfiles, then per file: u32 len + bytes name, u64 size,
 *                     i64 mtime, u64 offset
 * Lengths are bounded (names < 64 KiB, < 1M files) so a decoder never
 * allocates more than the message allows. Bytes never travel in it: a MEM
 * location decoded elsewhere has mem == NULL, and a path is only meaningful
 * on the origin target; peers ask the origin for a record by (origin, seq)
 * and use the file list (names, sizes) to plan output shards.
 */
#ifndef AIS_DSORT_RECSRC_H
#define AIS_DSORT_RECSRC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dsort/order.h"

#define DSORT_RECSRC_CHUNK    (1024 * 1024) /* largest chunk a callback gets */
#define DSORT_RECMETA_VERSION 1

typedef enum dsort_loc_kind {
	DSORT_LOC_FILE = 0,
	DSORT_LOC_MEM,
} dsort_loc_kind;

typedef struct dsort_file_loc {
	char *name; /* path inside the shard, e.g. "a/s01.jpg" (owned) */
	uint64_t size;
	int64_t mtime;   /* seconds; 0 when the shard had none */
	uint64_t offset; /* of the data in path (FILE) or in mem (MEM) */
} dsort_file_loc;

typedef struct dsort_rec_loc {
	dsort_loc_kind kind;
	const char *path;      /* FILE: borrowed from the owner (the extract
	                        * result), or path_buf after a decode */
	char *path_buf;        /* owned copy, set only by decode */
	unsigned char *mem;    /* MEM: owned; NULL when all files are empty
	                        * or after a decode */
	dsort_file_loc *files; /* owned, in shard order */
	size_t nfiles;
	uint32_t src; /* FILE in an input shard: the index of path among the
	               * extract result's shard paths (a hint: users check
	               * that it names path); not encoded */
} dsort_rec_loc;

void dsort_rec_loc_fini(dsort_rec_loc *l); /* accepts a zeroed l */

/* Receives one file of a record: its data in order, in chunks of at most
 * DSORT_RECSRC_CHUNK bytes (buf borrowed for the call), then one call with
 * buf == NULL, len == 0 marking the end of the file (a 0-byte file gets
 * only that), as ais_shard_sink does. Anything but AIS_OK stops the stream
 * and is returned. */
typedef ais_err (*dsort_recsrc_cb)(
    void *arg, const dsort_file_loc *f, const void *buf, size_t len);

/* Streams every file of the record to cb, in order. abort (may be NULL) is
 * checked between chunks: AIS_ESTOPPED. A FILE location that no longer
 * holds the bytes (file gone or short) is AIS_ENOENT / AIS_EIO; a MEM
 * location without bytes (decoded on another node) is AIS_ENOENT. Blocks
 * on disk I/O: run it on a worker, not on an actor loop. */
ais_err dsort_recsrc_stream(const dsort_rec_loc *l, dsort_recsrc_cb cb,
    void *arg, const atomic_bool *abort);

/* The byte range of file i for a zero-copy sender: path, offset, size.
 * AIS_ENOTSUP for MEM locations (use dsort_recsrc_stream or mem), AIS_EINVAL
 * for i out of range. */
ais_err dsort_recsrc_range(const dsort_rec_loc *l, size_t i,
    const char **pathp, uint64_t *offp, uint64_t *sizep);

/* Bytes dsort_rec_meta_encode writes for (r, l). */
size_t dsort_rec_meta_size(const dsort_rec *r, const dsort_rec_loc *l);
/* Encodes (r, l) into buf[0..cap); *usedp gets the bytes written.
 * AIS_EINVAL when cap is too small or a length exceeds the wire bounds. */
ais_err dsort_rec_meta_encode(const dsort_rec *r, const dsort_rec_loc *l,
    void *buf, size_t cap, size_t *usedp);
/* Decodes one entry from buf[0..len); *usedp gets the bytes consumed, so
 * entries can be read back to back. On success r and l own their strings
 * (dsort_rec_fini, dsort_rec_loc_fini); on failure both are zeroed.
 * AIS_EPROTO for a short, malformed or unknown-version entry, AIS_ENOMEM. */
ais_err dsort_rec_meta_decode(const void *buf, size_t len, size_t *usedp,
    dsort_rec *r, dsort_rec_loc *l);

#endif

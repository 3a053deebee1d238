/*
 * Shard I/O for dSort: read input shards into WebDataset records and write
 * output shards, over libarchive, streaming with bounded memory.
 *
 * Formats: tar, tar.gz (.tgz), zip and tar.lz4. lz4 depends on how the
 * system libarchive was built, so ais_shard_fmt_supported() asks libarchive
 * at runtime (Debian 12's libarchive 3.6.2 has it).
 *
 * Records (WebDataset convention). A record is a run of consecutive regular
 * files whose names share a key, ais_shard_record_key(): the name with every
 * extension of its last path component removed, i.e. cut at the first '.'
 * of the last component that is not one of its leading dots:
 *
 *   "a/b/sample0001.jpg"     -> "a/b/sample0001"   ext ".jpg"
 *   "x.v1/s01.seg.png"       -> "x.v1/s01"         ext ".seg.png"
 *   ".hidden" / "dir/.cfg.x" -> ".hidden" / "dir/.cfg"
 *   "README"                 -> "README"           ext ""
 *
 * Leading dots stay in the key so that dot-files still get a non-empty key
 * (WebDataset itself rejects such names; we would rather keep the data).
 * A key that comes back after other records in between starts a new record
 * with the same key, flagged dup; the caller applies AIS's
 * duplicated_records reaction (ignore|warn|abort). Directories, symlinks,
 * hard links, device/fifo entries and pax/GNU meta headers are skipped and
 * do not break a record.
 *
 * Offsets. For uncompressed tar every file also carries the byte offset of
 * its data in the shard file, so a shuffler can send ranges without
 * extracting (tar stores file data contiguously after its header(s)). GNU
 * sparse entries have no contiguous data and get AIS_SHARD_NOOFF.
 *
 * Errors. A malformed, truncated or foreign-format shard is AIS_EPROTO with a
 * message naming the shard and the entry (name and ordinal) where it failed;
 * a tar that ends without its end-of-archive blocks counts as truncated,
 * although GNU tar accepts it silently, since otherwise a shard cut at an
 * entry boundary would lose records unnoticed. Syscall failures are
 * ais_err_from_errno(); an error from a caller's sink is passed through.
 *
 * Output determinism. The writer sets uid/gid 0, empty owner names, mode
 * 0644, the caller's mtime (0 when unknown), tar in libarchive's
 * "pax restricted" form (plain ustar unless a name or size needs a pax
 * header), no gzip timestamp and no tar block padding past the 1024-byte
 * trailer: the same input gives the same bytes. Zip stores DOS times in the
 * local time zone, so zip output is reproducible for a fixed TZ.
 *
 * Nothing here is thread-safe per object; distinct readers and writers may
 * run on distinct threads. All calls block on disk I/O: run them on the
 * per-mountpath workers, never on an actor loop.
 */
#ifndef AIS_DSORT_SHARD_H
#define AIS_DSORT_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum ais_shard_fmt {
	AIS_SHARD_TAR = 0, /* ".tar" */
	AIS_SHARD_TGZ,     /* ".tgz", ".tar.gz" */
	AIS_SHARD_ZIP,     /* ".zip" */
	AIS_SHARD_TLZ4,    /* ".tar.lz4" */
	AIS_SHARD_FMT__COUNT
} ais_shard_fmt;

#define AIS_SHARD_NOOFF       UINT64_MAX /* file has no usable data offset */
#define AIS_SHARD_TAR_BLOCK   512
#define AIS_SHARD_TAR_TRAILER 1024 /* two zero blocks, no extra padding */
#define AIS_SHARD_ERRLEN      512

/* Maps a shard extension (".tar", ".tgz", ".tar.gz", ".zip", ".tar.lz4",
 * case-sensitive as AIS) to a format; AIS_EINVAL for anything else. */
ais_err ais_shard_fmt_parse(const char *ext, ais_shard_fmt *fmtp);
/* Canonical extension of fmt (".tar", ".tgz", ".zip", ".tar.lz4"). */
const char *ais_shard_fmt_ext(ais_shard_fmt fmt);
/* Whether this libarchive can read and write fmt (checked once, cached). */
bool ais_shard_fmt_supported(ais_shard_fmt fmt);

/* Length of the record key of name[0..len): name[0..key) is the key and
 * name[key..len) the extension(s), "" or starting with '.'. Pure. */
size_t ais_shard_record_key(const char *name, size_t len);

/*
 * Reader.
 */
typedef struct ais_shard_reader ais_shard_reader;

typedef struct ais_shard_file {
	const char *name;   /* path inside the shard, NUL-terminated */
	size_t key_len;     /* name[0..key_len) is the record key */
	uint64_t size;      /* data bytes */
	int64_t mtime;      /* seconds since the epoch, 0 when absent */
	uint64_t offset;    /* data offset in the shard (tar), or NOOFF */
	uint64_t index;     /* ordinal among the shard's regular files */
	uint64_t rec_index; /* ordinal of the record it belongs to */
} ais_shard_file;

typedef struct ais_shard_record {
	const char *key; /* NUL-terminated copy of the key */
	size_t key_len;
	uint64_t index; /* ordinal among the shard's records */
	bool dup;       /* key already used by an earlier record */
	uint64_t size;  /* sum of the files' sizes */
	size_t nfiles;  /* >= 1 */
	const ais_shard_file *files; /* in shard order */
} ais_shard_record;

/* Receives one file's data, in order, in chunks of at most a few hundred
 * KiB (buf is borrowed for the call), then one call with buf == NULL and
 * len == 0 marking the end of the file (0-byte files get only that). f is
 * borrowed for the call. Anything but AIS_OK stops the read and is returned
 * from ais_shard_reader_next(). */
typedef ais_err (*ais_shard_sink)(
    void *arg, const ais_shard_file *f, const void *buf, size_t len);

/* Opens a shard on fd, which is borrowed (not closed) and read with pread
 * from offset 0 when it is a regular file, else read sequentially. name is
 * for messages (copied). Fails only for a bad fmt (AIS_EINVAL), a format
 * this libarchive lacks (AIS_ENOTSUP), fstat/open errors and ENOMEM: the
 * content is first looked at by ais_shard_reader_next(), so every complaint
 * about it comes with a message. *rp is NULL on failure. */
ais_err ais_shard_reader_open_fd(
    ais_shard_reader **rp, int fd, const char *name, ais_shard_fmt fmt);
/* Same on a path (also the name in messages), opened read-only and closed
 * by ais_shard_reader_free(). */
ais_err ais_shard_reader_open_path(
    ais_shard_reader **rp, const char *path, ais_shard_fmt fmt);
/* Reads the next record. With a sink every file's data goes to it; without
 * one the data is skipped (cheap for uncompressed tar, which seeks). On
 * success *recp is the record, valid until the next call or free, or NULL at
 * the end of the shard. After an error the reader is unusable except for
 * ais_shard_reader_error() and free. */
ais_err ais_shard_reader_next(ais_shard_reader *r, ais_shard_sink sink,
    void *arg, const ais_shard_record **recp);
/* The message of the last error ("" if none); owned by the reader. */
const char *ais_shard_reader_error(const ais_shard_reader *r);
void ais_shard_reader_free(ais_shard_reader *r);

/*
 * Writer. One file is added at a time, from memory, from a byte range of an
 * input file (e.g. a tar input's ais_shard_file.offset), or piecewise with
 * begin/write/end (data arriving from the network). Memory stays bounded by
 * libarchive's compressor buffers plus a 128 KiB copy buffer and a 256 KiB
 * output buffer. Output is coalesced: small pieces (headers, padding, small
 * files) collect in the output buffer, large ones are written from the
 * caller's memory, together with what is pending, in one writev(2); so
 * until close the file may lag behind what was added by up to 256 KiB,
 * plus whatever write_ref data waits for the caller's flush.
 */
typedef struct ais_shard_writer ais_shard_writer;

/* Observer of the output: called with exactly the bytes the writer puts
 * into the shard's fd, in file order, just before it writes them (buf is
 * borrowed for the call; pieces of any length >= 1); if that write fails
 * the writer fails, so what the tap saw matters only when close succeeds.
 * Runs on the writer's thread inside write/add/end/flush/close calls;
 * must not call the writer. */
typedef void (*ais_shard_tap)(void *arg, const void *buf, size_t len);

/* Starts a shard on fd (borrowed; written sequentially from its current
 * position). name is for messages. */
ais_err ais_shard_writer_open_fd(
    ais_shard_writer **wp, int fd, const char *name, ais_shard_fmt fmt);
/* Creates or truncates path (mode 0644); closed by close/free. */
ais_err ais_shard_writer_open_path(
    ais_shard_writer **wp, const char *path, ais_shard_fmt fmt);
/* Sets (tap NULL: clears) the output observer, e.g. to checksum the shard
 * without reading it back. Set it before the first file so that it sees
 * the whole shard: once bytes have reached the fd it is AIS_EINVAL, and
 * like any writer error it sticks. arg is borrowed until close or free. */
ais_err ais_shard_writer_set_tap(
    ais_shard_writer *w, ais_shard_tap tap, void *arg);
ais_err ais_shard_writer_add_mem(ais_shard_writer *w, const char *name,
    int64_t mtime, const void *buf, size_t len);
/* Copies size bytes at off of fd (borrowed) with pread; AIS_EIO if the
 * input ends early. */
ais_err ais_shard_writer_add_range(ais_shard_writer *w, const char *name,
    int64_t mtime, int fd, uint64_t off, uint64_t size);
/* Piecewise: begin announces the size, writes must supply exactly that many
 * bytes before end (AIS_EINVAL otherwise: libarchive would pad silently). */
ais_err ais_shard_writer_begin(
    ais_shard_writer *w, const char *name, uint64_t size, int64_t mtime);
ais_err ais_shard_writer_write(
    ais_shard_writer *w, const void *buf, size_t len);
/* As write, but without a copy where the format lets the data through
 * unchanged (tar): buf may stay referenced until the next flush, close or
 * free, and the caller keeps it valid and unchanged until then. */
ais_err ais_shard_writer_write_ref(
    ais_shard_writer *w, const void *buf, size_t len);
/* Writes everything pending to the fd; afterwards no write_ref buffer is
 * referenced. */
ais_err ais_shard_writer_flush(ais_shard_writer *w);
ais_err ais_shard_writer_end(ais_shard_writer *w);
/* Writes the trailer and flushes the output buffer (the tap sees the last
 * bytes here); the shard is complete only when this returns AIS_OK. Closes
 * the fd only if the writer opened it. *bytesp (may be NULL) gets the
 * shard's size in bytes, all of them written to the fd. */
ais_err ais_shard_writer_close(ais_shard_writer *w, uint64_t *bytesp);
/* Message of the last error ("" if none). */
const char *ais_shard_writer_error(const ais_shard_writer *w);
/* Frees; a writer not closed is abandoned without a trailer and without
 * flushing its output buffer (the caller removes the partial file).
 * Accepts NULL. */
void ais_shard_writer_free(ais_shard_writer *w);

/*
 * Size estimation for the assigner.
 */
/* Exact bytes one file takes in a tar this writer makes: its header(s)
 * (512, plus a pax header when the name or size need one) and its data
 * padded to 512. A shard's size is the sum over its files plus
 * AIS_SHARD_TAR_TRAILER. */
uint64_t ais_shard_tar_file_size(
    const char *name, uint64_t size, int64_t mtime);
/* Bytes one file adds to a shard of fmt: exact for tar (as above); for the
 * compressed formats the input size, since the real size depends on the
 * data (images barely compress, so this is close for typical datasets). */
uint64_t ais_shard_file_size_estimate(
    ais_shard_fmt fmt, const char *name, uint64_t size, int64_t mtime);

#endif

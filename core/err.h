/*
 * ais_err: the one error type of AIStore-C.
 *
 * Convention (written down once, here): every fallible function returns
 * ais_err, 0 (AIS_OK) on success, and puts results in trailing
 * out-parameters. Predicates return bool, sizes size_t. errno never leaves the
 * function that made the syscall: it becomes AIS_ESYS|errno right there; NNG
 * codes become AIS_ENNG|rv. http/ maps ais_err to an HTTP status in one table.
 *
 * AIS_EINTERNAL returned by an actor handler means "this actor's state can no
 * longer be trusted": the supervisor resets and restarts it.
 */
#ifndef AIS_CORE_ERR_H
#define AIS_CORE_ERR_H

#include <stdbool.h>
#include <stddef.h>

/* X(name, text) -- codes are numbered in list order starting at 1. */
#define AIS_ERR_LIST(X)                                                   \
	X(ENOENT, "not found")                                            \
	X(EEXIST, "already exists")                                       \
	X(EINVAL, "invalid argument")                                     \
	X(ENOMEM, "out of memory")                                        \
	X(ENOSPC, "out of space")                                         \
	X(EIO, "I/O error")                                               \
	X(ECKSUM, "checksum mismatch")                                    \
	X(ESTALE, "stale metadata version")                               \
	X(ETIMEDOUT, "timed out")                                         \
	X(ECLOSED, "closed")                                              \
	X(ESTOPPED, "stopped")                                            \
	X(EBUSY, "busy")                                                  \
	X(EAGAIN, "try again")                                            \
	X(ENOTSUP, "not supported")                                       \
	X(EPROTO, "protocol error")                                       \
	X(EINTERNAL, "internal error")                                    \
	X(ECONFLICT, "conflict")                                          \
	X(EPERM, "not permitted")                                         \
	X(ENOQUORUM, "no quorum")

typedef int ais_err;

enum {
	AIS_OK = 0,
#define AIS_ERR_ENUM_(name, text) AIS_##name,
	AIS_ERR_LIST(AIS_ERR_ENUM_)
#undef AIS_ERR_ENUM_
	AIS_ERR__COUNT
};

#define AIS_ESYS 0x10000000 /* | errno */
#define AIS_ENNG 0x20000000 /* | nng error code */

/* Human-readable text; never NULL. Flagged codes use a thread-local buffer. */
const char *ais_strerror(ais_err err);
/* Stable upper-case name such as "ENOENT" (for logs and tests). */
const char *ais_err_name(ais_err err);
/* Converts an errno value to ais_err, folding the common ones onto our codes
 * (ENOENT, EEXIST, ENOMEM, ENOSPC, EINVAL, ETIMEDOUT) and flagging the rest. */
ais_err ais_err_from_errno(int e);

/* Formats one error line into a caller's buffer (the errbuf/errlen pair of
 * validating functions); a NULL or empty buffer is left alone. */
/* The HTTP status an error means on every endpoint: 404 not found, 409
 * exists/conflict, 400 invalid, 503 retryable (stale, busy, no quorum,
 * NNG), 504 timeout, errno values by kind, else 500. */
int ais_err_http_status(ais_err err);
void ais_errbuf_set(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

/* ais_err text and names, generated from the one X-macro list in err.h. */
#include "core/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const ais_err_texts[AIS_ERR__COUNT] = {
	[AIS_OK] = "success",
#define AIS_ERR_TEXT_(name, text) [AIS_##name] = text,
	AIS_ERR_LIST(AIS_ERR_TEXT_)
#undef AIS_ERR_TEXT_
};

static const char *const ais_err_names[AIS_ERR__COUNT] = {
	[AIS_OK] = "OK",
#define AIS_ERR_NAME_(name, text) [AIS_##name] = #name,
	AIS_ERR_LIST(AIS_ERR_NAME_)
#undef AIS_ERR_NAME_
};

static _Thread_local char ais_err_buf[96];

const char *
ais_strerror(ais_err err)
{
	if (err >= 0 && err < AIS_ERR__COUNT) {
		return ais_err_texts[err];
	}
	if (err & AIS_ESYS) {
		return strerror_r(err & ~AIS_ESYS, ais_err_buf, sizeof(ais_err_buf));
	}
	if (err & AIS_ENNG) {
		snprintf(ais_err_buf, sizeof(ais_err_buf), "NNG error %d",
		    err & ~AIS_ENNG);
		return ais_err_buf;
	}
	snprintf(ais_err_buf, sizeof(ais_err_buf), "unknown error %d", err);
	return ais_err_buf;
}

const char *
ais_err_name(ais_err err)
{
	if (err >= 0 && err < AIS_ERR__COUNT) {
		return ais_err_names[err];
	}
	if (err & AIS_ESYS) {
		return "ESYS";
	}
	if (err & AIS_ENNG) {
		return "ENNG";
	}
	return "EUNKNOWN";
}

ais_err
ais_err_from_errno(int e)
{
	switch (e) {
	case 0:
		return AIS_OK;
	case ENOENT:
		return AIS_ENOENT;
	case EEXIST:
		return AIS_EEXIST;
	case ENOMEM:
		return AIS_ENOMEM;
	case ENOSPC:
	case EDQUOT:
		return AIS_ENOSPC;
	case EINVAL:
		return AIS_EINVAL;
	case ETIMEDOUT:
		return AIS_ETIMEDOUT;
	default:
		return AIS_ESYS | e;
	}
}

void
ais_errbuf_set(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* HTTP statuses (the one mapping; http/ and the dsort API use it, AIS keeps
 * the same in cmn/err.go) ------------------------------------------------ */

/* Indexed by ais_err; 0 = not in the table (500). */
static const short ais_err_status_tab[AIS_ERR__COUNT] = {
	[AIS_OK] = 200,
	[AIS_ENOENT] = 404,
	[AIS_EEXIST] = 409,
	[AIS_EINVAL] = 400,
	[AIS_ENOMEM] = 500,
	[AIS_ENOSPC] = 507,
	[AIS_EIO] = 500,
	/* A mismatch is almost always the client's checksum against what it
	 * sent (S3's BadDigest is a 400 too); a corrupted local copy is
	 * reported by the code that found it, with its own message. */
	[AIS_ECKSUM] = 400,
	/* Our metadata is behind: retryable, the next metasync fixes it. */
	[AIS_ESTALE] = 503,
	[AIS_ETIMEDOUT] = 504,
	[AIS_ECLOSED] = 503,
	[AIS_ESTOPPED] = 503,
	[AIS_EBUSY] = 503,
	/* A full mailbox is back-pressure, not a rate limit the client hit. */
	[AIS_EAGAIN] = 503,
	[AIS_ENOTSUP] = 501,
	[AIS_EPROTO] = 400,
	[AIS_EINTERNAL] = 500,
	[AIS_ECONFLICT] = 409,
	[AIS_EPERM] = 403,
	/* The primary cannot reach a majority of the proxies: retryable. */
	[AIS_ENOQUORUM] = 503,
};

static int
ais_errno_http_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EACCES:
	case EPERM:
	case EROFS:
		return 403;
	case EEXIST:
		return 409;
	case ENOSPC:
	case EDQUOT:
		return 507;
	case EINVAL:
	case ENAMETOOLONG:
		return 400;
	default:
		return 500;
	}
}

int
ais_err_http_status(ais_err err)
{
	if ((err & AIS_ESYS) != 0) {
		return ais_errno_http_status(err & ~AIS_ESYS);
	}
	if ((err & AIS_ENNG) != 0) {
		return 503;
	}
	if (err < 0 || err >= AIS_ERR__COUNT || ais_err_status_tab[err] == 0) {
		return 500;
	}
	return ais_err_status_tab[err];
}

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

/*
 * Go-style durations ("10s", "2m", "1h30m", "100ms", "2h0m") and IEC sizes
 * ("64MiB", "1GiB", "32kb", "2gb", plain integers) as AIS writes them.
 */
#ifndef AIS_CORE_UNITS_H
#define AIS_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

ais_err ais_dur_parse(const char *s, int64_t *ns_out);
/* Formats like Go with AIS trimming ("2h0m", "10m", "1m30s", "500ms"). */
void ais_dur_format(int64_t ns, char *buf, size_t n);
ais_err ais_size_parse(const char *s, int64_t *bytes_out);
void ais_size_format(int64_t bytes, char *buf, size_t n); /* "64MiB" */

#endif

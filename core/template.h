/*
 * AIS name templates (spec native-api.md section 7; AIS cmn/cos/template.go):
 * a compact way to name a range of objects in multi-object jobs.
 *
 *   bash   "pre-{0001..0100}-mid-{1..9..2}-suf"  ranges with an optional
 *          step; zero padding = the shorter of the two bounds' widths
 *   at     "pre-@00100-suf"                      0..100, padded to 5
 *   fmt    "pre-%06d-suf"                        0, 1, 2, ... padded to 6
 *   prefix "logs/2025/"  (no range)               every name with the prefix
 *   ""  or "*"                                    every name (match all)
 *
 * The styles are tried in that order (bash, at, fmt), as AIS does: a text
 * with a '{' and a later '}' is a bash template or an error, a text with an
 * '@' an at template or an error, and so on. A trailing '*' of a prefix is
 * dropped ("logs/" followed by "*" == "logs/").
 *
 * Names are produced by an iterator, never materialized: the last range
 * varies fastest ("a{0..1}b{0..1}" -> a0b0 a0b1 a1b0 a1b1). A template
 * naming more than AIS_TMPL_MAX_NAMES names is refused, except the fmt style,
 * which is open-ended and yields the first AIS_TMPL_MAX_NAMES numbers.
 *
 * Not thread-safe: one iterator per ais_tmpl (parse once per user).
 */
#ifndef AIS_CORE_TEMPLATE_H
#define AIS_CORE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define AIS_TMPL_MAX_NAMES  10000000ULL /* AIS maxTemplateExpansion */
#define AIS_TMPL_MAX_RANGES 16
#define AIS_TMPL_MAX_DIGITS 32   /* zero padding width limit */
#define AIS_TMPL_TEXT_MAX   4096 /* template text length limit */

typedef enum ais_tmpl_kind {
	AIS_TMPL_ALL = 0, /* "" or "*": every name */
	AIS_TMPL_PREFIX,  /* no range: every name with the prefix */
	AIS_TMPL_BASH,
	AIS_TMPL_AT,
	AIS_TMPL_FMT,
} ais_tmpl_kind;

typedef struct ais_tmpl_range {
	int64_t start;
	int64_t end; /* inclusive */
	int64_t step;
	int digits;     /* zero padding width (0 = none) */
	size_t gap_off; /* literal text after the range, in ais_tmpl.text */
	size_t gap_len;
} ais_tmpl_range;

typedef struct ais_tmpl {
	ais_tmpl_kind kind;
	char *text;   /* owned copy of the template */
	char *prefix; /* literal text before the first range,
	               * NUL-terminated (same allocation as text) */
	size_t prefix_len;
	ais_tmpl_range ranges[AIS_TMPL_MAX_RANGES];
	size_t nranges;
	uint64_t count; /* names a range template yields; 0 otherwise */
	/* iterator */
	int64_t at[AIS_TMPL_MAX_RANGES];
	uint64_t yielded;
	char *buf; /* the current name */
	size_t buf_cap;
} ais_tmpl;

/* Parses s into t (zeroed first). AIS_EINVAL for a malformed template or
 * one that names too many names, with one line for a 400 in errbuf (may be
 * NULL); AIS_ENOMEM. On success the iterator is at the first name; release
 * with ais_tmpl_fini. */
ais_err ais_tmpl_parse(
    ais_tmpl *t, const char *s, char *errbuf, size_t errlen);
void ais_tmpl_fini(ais_tmpl *t); /* accepts a zeroed t */

/* True for the prefix and match-all kinds (no names to iterate: the caller
 * walks its objects with ais_tmpl_prefix instead). */
bool ais_tmpl_is_prefix(const ais_tmpl *t);
/* The literal prefix ("" for match-all), NUL-terminated, borrowed from t.
 * For range templates: the text before the first range. */
const char *ais_tmpl_prefix(const ais_tmpl *t);

/* Back to the first name. */
void ais_tmpl_reset(ais_tmpl *t);
/* The next name (NUL-terminated, borrowed until the next call) or NULL at
 * the end; always NULL for prefix templates. *len gets its length when len
 * is not NULL. */
const char *ais_tmpl_next(ais_tmpl *t, size_t *len);

#endif

/*
 * Unit tests for dsort/spec: every field with its AIS name, the SDK 1.2.2
 * names, the defaults, and the rejections (each message names its field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dsort/spec.h"

/* Parses text; returns the code, leaves the message in err. */
static ais_err
parse(const char *text, dsort_spec *s, char *err, size_t errlen)
{
	return dsort_spec_parse_text(text, strlen(text), s, err, errlen);
}

/* Asserts text is rejected with a message that mentions `field`. */
static void
reject(const char *text, const char *field)
{
	dsort_spec s;
	char err[512];

	assert_int_not_equal(parse(text, &s, err, sizeof(err)), AIS_OK);
	if (strstr(err, field) == NULL) {
		fail_msg("error \"%s\" does not name \"%s\" (spec %s)", err,
		    field, text);
	}
	/* A failed parse leaves nothing to free. */
	assert_null(s.input_template);
	assert_null(s.output_format);
	dsort_spec_fini(&s);
}

#define MIN_SPEC                                                           \
	"\"input_bck\":{\"name\":\"src\"},"                                \
	"\"input_format\":{\"template\":\"shard-{0000..0009}\"},"          \
	"\"output_format\":\"out-{000..099}\""

static void
test_spec_defaults(void **state)
{
	dsort_spec s;
	char err[256];

	(void) state;
	assert_int_equal(parse("{" MIN_SPEC "}", &s, err, sizeof(err)),
	    AIS_OK);
	assert_string_equal(s.input_bck.name, "src");
	assert_string_equal(s.input_bck.provider, "ais");
	assert_string_equal(s.input_bck.ns, "");
	assert_string_equal(s.output_bck.name, "src");
	assert_string_equal(s.output_bck.provider, "ais");
	assert_string_equal(s.input_template, "shard-{0000..0009}");
	assert_null(s.objnames);
	assert_string_equal(s.input_ext, ".tar");
	assert_string_equal(s.output_ext, ".tar");
	assert_string_equal(s.output_format, "out-{000..099}");
	assert_int_equal(s.output_count, 100);
	assert_int_equal(s.output_shard_size, 0);
	assert_int_equal(s.alg.kind, DSORT_ALG_ALPHANUMERIC);
	assert_false(s.alg.decreasing);
	assert_false(s.alg.has_seed);
	assert_string_equal(s.description, "");
	assert_true(s.mem_is_pct);
	assert_int_equal(s.max_mem, 80);
	assert_int_equal(s.extract_conc, 0);
	assert_int_equal(s.create_conc, 0);
	assert_string_equal(s.dsorter_type, "");
	assert_false(s.dry_run);
	assert_int_equal(s.conf.duplicated_records, DSORT_REACT_IGNORE);
	assert_int_equal(s.conf.missing_shards, DSORT_REACT_IGNORE);
	assert_int_equal(s.conf.ekm_malformed_line, DSORT_REACT_ABORT);
	assert_int_equal(s.conf.ekm_missing_key, DSORT_REACT_ABORT);
	assert_int_equal(s.conf.call_timeout_ns, 600LL * 1000000000LL);
	assert_int_equal(s.conf.dsorter_mem_threshold, 100LL << 30);
	dsort_spec_fini(&s);
}

static void
test_spec_all_fields(void **state)
{
	static const char *text =
	    "{\"input_bck\":{\"name\":\"src\",\"provider\":\"ais\","
	    "\"namespace\":{\"uuid\":\"\",\"name\":\"ns1\"}},"
	    "\"input_format\":{\"objnames\":[\"a.tgz\",\"b.tgz\"]},"
	    "\"input_extension\":\"TGZ\","
	    "\"output_bck\":{\"name\":\"dst\",\"provider\":\"s3\"},"
	    "\"output_format\":\"new-@0099\","
	    "\"output_extension\":\".zip\","
	    "\"output_shard_size\":\"10MiB\","
	    "\"algorithm\":{\"kind\":\"content\",\"decreasing\":true,"
	    "\"extension\":\".cls\",\"content_key_type\":\"int\"},"
	    "\"description\":\"resort\","
	    "\"max_mem_usage\":\"2GiB\","
	    "\"extract_concurrency_max_limit\":4,"
	    "\"create_concurrency_max_limit\":\"8\","
	    "\"dsorter_type\":\"dsort_mem\","
	    "\"dry_run\":true,"
	    "\"Config\":{\"duplicated_records\":\"abort\","
	    "\"missing_shards\":\"warn\",\"ekm_malformed_line\":\"ignore\","
	    "\"ekm_missing_key\":\"warn\",\"dsorter_mem_threshold\":\"1GB\","
	    "\"call_timeout\":\"30s\"}}";
	dsort_spec s;
	char err[256];

	(void) state;
	assert_int_equal(parse(text, &s, err, sizeof(err)), AIS_OK);
	assert_string_equal(s.input_bck.ns, "@#ns1");
	assert_null(s.input_template);
	assert_int_equal(s.nobjnames, 2);
	assert_string_equal(s.objnames[1], "b.tgz");
	assert_string_equal(s.input_ext, ".tgz");
	assert_string_equal(s.output_ext, ".zip");
	assert_string_equal(s.output_bck.name, "dst");
	assert_string_equal(s.output_bck.provider, "aws");
	assert_int_equal(s.output_count, 100);
	assert_int_equal(s.output_shard_size, 10 * 1024 * 1024);
	assert_int_equal(s.alg.kind, DSORT_ALG_CONTENT);
	assert_true(s.alg.decreasing);
	assert_string_equal(s.alg.ext, ".cls");
	assert_int_equal(s.alg.ckey_type, DSORT_CKEY_INT);
	assert_string_equal(s.description, "resort");
	assert_false(s.mem_is_pct);
	assert_int_equal(s.max_mem, 2ULL << 30);
	assert_int_equal(s.extract_conc, 4);
	assert_int_equal(s.create_conc, 8);
	assert_string_equal(s.dsorter_type, "dsort_mem");
	assert_true(s.dry_run);
	assert_int_equal(s.conf.duplicated_records, DSORT_REACT_ABORT);
	assert_int_equal(s.conf.missing_shards, DSORT_REACT_WARN);
	assert_int_equal(s.conf.ekm_malformed_line, DSORT_REACT_IGNORE);
	assert_int_equal(s.conf.ekm_missing_key, DSORT_REACT_WARN);
	assert_int_equal(s.conf.dsorter_mem_threshold, 1LL << 30); /* AIS: IEC */
	assert_int_equal(s.conf.call_timeout_ns, 30LL * 1000000000LL);
	dsort_spec_fini(&s);
}

/* Exactly what SDK 1.2.2 sent in the wire transcript, and the legacy-only
 * variant (bck, extension, input_format as a string). */
static void
test_spec_sdk_legacy(void **state)
{
	static const char *sdk =
	    "{\"input_bck\":{\"name\":\"judge-shards\",\"provider\":\"ais\"},"
	    "\"bck\":{\"name\":\"judge-shards\",\"provider\":\"ais\"},"
	    "\"output_bck\":{\"name\":\"judge-sorted\",\"provider\":\"ais\"},"
	    "\"input_extension\":\".tar\",\"extension\":\".tar\","
	    "\"input_format\":{\"template\":\"shard-{0..1}\"},"
	    "\"output_format\":\"out-shard-{0..9}\","
	    "\"output_shard_size\":\"20MB\",\"description\":\"judge\"}";
	static const char *legacy =
	    "{\"bck\":{\"name\":\"old\"},\"extension\":\"tar.gz\","
	    "\"input_format\":\"shard-{0..1}\","
	    "\"output_format\":\"out-{0..9}\",\"output_shard_size\":1024,"
	    "\"algorithm\":{\"kind\":\"shuffle\",\"seed\":\"1234\"}}";
	dsort_spec s;
	char err[256];

	(void) state;
	assert_int_equal(parse(sdk, &s, err, sizeof(err)), AIS_OK);
	assert_string_equal(s.input_bck.name, "judge-shards");
	assert_string_equal(s.output_bck.name, "judge-sorted");
	assert_string_equal(s.input_template, "shard-{0..1}");
	assert_int_equal(s.output_shard_size, 20LL << 20); /* "MB" is IEC */
	assert_int_equal(s.output_count, 10);
	dsort_spec_fini(&s);

	assert_int_equal(parse(legacy, &s, err, sizeof(err)), AIS_OK);
	assert_string_equal(s.input_bck.name, "old");
	assert_string_equal(s.input_ext, ".tar.gz");
	assert_string_equal(s.output_ext, ".tar.gz");
	assert_string_equal(s.input_template, "shard-{0..1}");
	assert_int_equal(s.output_shard_size, 1024);
	assert_int_equal(s.alg.kind, DSORT_ALG_SHUFFLE);
	assert_true(s.alg.has_seed);
	assert_int_equal(s.alg.seed, 1234);
	dsort_spec_fini(&s);
}

static void
test_spec_variants(void **state)
{
	dsort_spec s;
	char err[256];

	(void) state;
	/* Empty input template = every object; printf-style output. */
	assert_int_equal(parse("{\"input_bck\":{\"name\":\"b\"},"
	                       "\"input_format\":{\"template\":\"\"},"
	                       "\"output_format\":\"o-%04d\","
	                       "\"max_mem_usage\":\"50%\","
	                       "\"algorithm\":{\"kind\":\"md5\"}}",
	                     &s, err, sizeof(err)),
	    AIS_OK);
	assert_string_equal(s.input_template, "");
	assert_true(s.mem_is_pct);
	assert_int_equal(s.max_mem, 50);
	assert_int_equal(s.alg.kind, DSORT_ALG_MD5);
	dsort_spec_fini(&s);

	/* Config default for max_mem_usage; output_bck {} = input. */
	assert_int_equal(parse("{" MIN_SPEC ",\"output_bck\":{},"
	                       "\"config\":{\"default_max_mem_usage\":"
	                       "\"1GiB\"},\"algorithm\":{\"kind\":\"none\"}}",
	                     &s, err, sizeof(err)),
	    AIS_OK);
	assert_false(s.mem_is_pct);
	assert_int_equal(s.max_mem, 1ULL << 30);
	assert_string_equal(s.output_bck.name, "src");
	assert_int_equal(s.alg.kind, DSORT_ALG_NONE);
	dsort_spec_fini(&s);

	/* Content keys of the other two types; blanks around ext. */
	assert_int_equal(parse("{" MIN_SPEC ",\"algorithm\":{\"kind\":"
	                       "\"content\",\"extension\":\" .key \","
	                       "\"content_key_type\":\"float\"}}",
	                     &s, err, sizeof(err)),
	    AIS_OK);
	assert_string_equal(s.alg.ext, ".key");
	assert_int_equal(s.alg.ckey_type, DSORT_CKEY_FLOAT);
	dsort_spec_fini(&s);
	assert_int_equal(parse("{" MIN_SPEC ",\"algorithm\":{\"kind\":"
	                       "\"content\",\"extension\":\".txt\","
	                       "\"content_key_type\":\"string\"}}",
	                     &s, err, sizeof(err)),
	    AIS_OK);
	assert_int_equal(s.alg.ckey_type, DSORT_CKEY_STRING);
	dsort_spec_fini(&s);

	/* Shuffle without a seed: random. */
	assert_int_equal(parse("{" MIN_SPEC ",\"algorithm\":{\"kind\":"
	                       "\"shuffle\",\"seed\":\"\"}}",
	                     &s, err, sizeof(err)),
	    AIS_OK);
	assert_false(s.alg.has_seed);
	dsort_spec_fini(&s);
}

static void
test_spec_reject(void **state)
{
	(void) state;
	reject("[1]", "expected a JSON object");
	reject("{\"input_bck\":", "invalid JSON");
	/* buckets */
	reject("{\"input_format\":{\"template\":\"a{0..1}\"},"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_bck");
	reject("{\"input_bck\":{\"provider\":\"ais\"}," MIN_SPEC "}",
	    "input_bck");
	reject("{\"input_bck\":{\"name\":\"a/b\"},"
	       "\"input_format\":{\"template\":\"a{0..1}\"},"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_bck");
	reject("{\"input_bck\":\"src\","
	       "\"input_format\":{\"template\":\"a{0..1}\"},"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_bck");
	reject("{" MIN_SPEC ",\"output_bck\":{\"name\":\"x\","
	       "\"provider\":\"nope\"}}",
	    "output_bck");
	/* templates */
	reject("{\"input_bck\":{\"name\":\"b\"},"
	       "\"input_format\":{\"template\":\"s-{0..}\"},"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_format.template");
	reject("{\"input_bck\":{\"name\":\"b\"},"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_format");
	reject("{\"input_bck\":{\"name\":\"b\"},\"input_format\":42,"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_format");
	reject("{\"input_bck\":{\"name\":\"b\"},"
	       "\"input_format\":{\"objnames\":[\"ok\", 7]},"
	       "\"output_format\":\"o{0..1}\"}",
	    "input_format.objnames[1]");
	reject("{\"input_bck\":{\"name\":\"b\"},"
	       "\"input_format\":{\"template\":\"a{0..1}\"}}",
	    "output_format");
	reject("{\"input_bck\":{\"name\":\"b\"},"
	       "\"input_format\":{\"template\":\"a{0..1}\"},"
	       "\"output_format\":\"out-{9..1\"}",
	    "output_format");
	reject("{\"input_bck\":{\"name\":\"b\"},"
	       "\"input_format\":{\"template\":\"a{0..1}\"},"
	       "\"output_format\":\"prefix-only\"}",
	    "output_format");
	/* extensions */
	reject("{" MIN_SPEC ",\"input_extension\":\".rar\"}",
	    "input_extension");
	reject("{" MIN_SPEC ",\"extension\":\".7z\"}", "extension");
	reject("{" MIN_SPEC ",\"output_extension\":\".gz\"}",
	    "output_extension");
	reject("{" MIN_SPEC ",\"input_extension\":5}", "input_extension");
	/* sizes */
	reject("{" MIN_SPEC ",\"output_shard_size\":\"-5MB\"}",
	    "output_shard_size");
	reject("{" MIN_SPEC ",\"output_shard_size\":-5}",
	    "output_shard_size");
	reject("{" MIN_SPEC ",\"output_shard_size\":\"lots\"}",
	    "output_shard_size");
	reject("{" MIN_SPEC ",\"output_shard_size\":\"10QB\"}",
	    "output_shard_size");
	reject("{" MIN_SPEC ",\"max_mem_usage\":\"120%\"}", "max_mem_usage");
	reject("{" MIN_SPEC ",\"max_mem_usage\":\"-1GB\"}", "max_mem_usage");
	reject("{" MIN_SPEC ",\"max_mem_usage\":\"x%\"}", "max_mem_usage");
	reject("{" MIN_SPEC ",\"extract_concurrency_max_limit\":-1}",
	    "extract_concurrency_max_limit");
	reject("{" MIN_SPEC ",\"create_concurrency_max_limit\":\"many\"}",
	    "create_concurrency_max_limit");
	/* algorithm */
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"bogo\"}}",
	    "algorithm.kind");
	reject("{" MIN_SPEC ",\"algorithm\":\"shuffle\"}", "algorithm");
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"shuffle\","
	       "\"seed\":\"abc\"}}",
	    "algorithm.seed");
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"shuffle\","
	       "\"seed\":\"-3\"}}",
	    "algorithm.seed");
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"content\","
	       "\"content_key_type\":\"int\"}}",
	    "algorithm.extension");
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"content\","
	       "\"extension\":\"cls\",\"content_key_type\":\"int\"}}",
	    "algorithm.extension");
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"content\","
	       "\"extension\":\".cls\",\"content_key_type\":\"date\"}}",
	    "algorithm.content_key_type");
	reject("{" MIN_SPEC ",\"algorithm\":{\"kind\":\"alphanumeric\","
	       "\"decreasing\":\"yes\"}}",
	    "algorithm.decreasing");
	/* the rest */
	reject("{" MIN_SPEC ",\"dry_run\":\"yes\"}", "dry_run");
	reject("{" MIN_SPEC ",\"description\":7}", "description");
	reject("{" MIN_SPEC ",\"dsorter_type\":\"fast\"}", "dsorter_type");
	reject("{" MIN_SPEC ",\"ekm_file\":\"http://x/ekm\"}", "ekm_file");
	reject("{" MIN_SPEC ",\"Config\":[]}", "Config");
	reject("{" MIN_SPEC ",\"Config\":{\"missing_shards\":\"panic\"}}",
	    "Config.missing_shards");
	reject("{" MIN_SPEC ",\"Config\":{\"call_timeout\":\"soon\"}}",
	    "Config.call_timeout");
	reject("{" MIN_SPEC ",\"Config\":{\"default_max_mem_usage\":\"x\"}}",
	    "Config.default_max_mem_usage");
}

static void
test_spec_ext_helpers(void **state)
{
	char ext[DSORT_EXT_MAX], name[64];

	(void) state;
	assert_int_equal(dsort_ext_canon(".TAR", ext), AIS_OK);
	assert_string_equal(ext, ".tar");
	assert_int_equal(dsort_ext_canon("tar.gz", ext), AIS_OK);
	assert_string_equal(ext, ".tar.gz");
	assert_int_equal(dsort_ext_canon(".zip", ext), AIS_OK);
	assert_int_equal(dsort_ext_canon("", ext), AIS_EINVAL);
	assert_int_equal(dsort_ext_canon(".gz", ext), AIS_EINVAL);
	assert_int_equal(dsort_ext_canon(".tar.lz4", ext),
	    dsort_lz4_supported() ? AIS_OK : AIS_EINVAL);
	assert_string_equal(dsort_ext_of("a/b.tar.gz"), ".tar.gz");
	assert_string_equal(dsort_ext_of("x.TGZ"), ".tgz");
	assert_null(dsort_ext_of("x.gz"));
	assert_null(dsort_ext_of(".tar"));
	assert_int_equal(dsort_shard_name("out-01", ".tar", name,
	                     sizeof(name)),
	    AIS_OK);
	assert_string_equal(name, "out-01.tar");
	assert_int_equal(dsort_shard_name("out-01.zip", ".tar", name,
	                     sizeof(name)),
	    AIS_OK);
	assert_string_equal(name, "out-01.zip");
	assert_int_equal(dsort_shard_name("0123456789", ".tar", name, 12),
	    AIS_EINVAL);
	assert_string_equal(dsort_alg_kind_str(DSORT_ALG_SHUFFLE), "shuffle");
	assert_string_equal(dsort_ckey_type_str(DSORT_CKEY_FLOAT), "float");
	assert_string_equal(dsort_react_str(DSORT_REACT_WARN), "warn");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_defaults),
		cmocka_unit_test(test_spec_all_fields),
		cmocka_unit_test(test_spec_sdk_legacy),
		cmocka_unit_test(test_spec_variants),
		cmocka_unit_test(test_spec_reject),
		cmocka_unit_test(test_spec_ext_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

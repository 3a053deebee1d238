/*
 * Unit tests for core/config: the local config file (load, validate, add
 * fspath, wire JSON) and the cluster config (defaults with every AIS
 * section, overlay merge and coercion, validation errors, file loading,
 * clone / set_version / refcounts, typed getters).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/jsonx.h"

#define ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct cfg_fixture {
	char dir[64];
	char path[128];
	ais_local_config lc;
	char err[1024];
} cfg_fixture;

static int
cfg_setup(void **state)
{
	cfg_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/ais_test_config.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/ais_local.json", f->dir);
	*state = f;
	return 0;
}

static int
cfg_teardown(void **state)
{
	cfg_fixture *f = *state;

	ais_local_config_fini(&f->lc);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
cfg_write(cfg_fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* The error must be one line and mention every given fragment. */
static void
assert_err_has(const char *err, const char *a, const char *b)
{
	if (strchr(err, '\n') != NULL || err[0] == '\0') {
		fail_msg("error is not one line: \"%s\"", err);
	}
	if (a != NULL && strstr(err, a) == NULL) {
		fail_msg("\"%s\" does not mention \"%s\"", err, a);
	}
	if (b != NULL && strstr(err, b) == NULL) {
		fail_msg("\"%s\" does not mention \"%s\"", err, b);
	}
}

static ais_err
cfg_load_text(cfg_fixture *f, const char *text)
{
	ais_local_config_fini(&f->lc);
	f->err[0] = '\0';
	cfg_write(f, text);
	return ais_local_config_load(f->path, &f->lc, f->err, sizeof(f->err));
}

static void
test_local_good(void **state)
{
	cfg_fixture *f = *state;
	json_t *j;

	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/etc/ais\", \"log_dir\": \"/tmp/ais/log\","
	    " \"host_net\": {\"hostname\": \"\","
	    " \"hostname_intra_control\": \"\", \"hostname_intra_data\": \"\","
	    " \"port\": \"8080\", \"port_intra_control\": 9080,"
	    " \"port_intra_data\": \"10080\"},"
	    " \"fspaths\": {\"/ais//mp1/\": \"\", \"/ais/mp2\": \"ssd\"},"
	    " \"test_fspaths\": {\"root\": \"/tmp/ais/\", \"count\": 0,"
	    " \"instance\": 0}, \"unknown_key\": 1}"), AIS_OK);
	assert_string_equal(f->lc.confdir, "/etc/ais");
	assert_string_equal(f->lc.log_dir, "/tmp/ais/log");
	assert_string_equal(f->lc.hostname, "127.0.0.1");
	assert_int_equal(f->lc.port, 8080);
	assert_int_equal(f->lc.port_intra_control, 9080);
	assert_int_equal(f->lc.port_intra_data, 10080);
	assert_int_equal(f->lc.nfspaths, 2);
	assert_string_equal(f->lc.fspaths[0], "/ais/mp1");
	assert_string_equal(f->lc.fslabels[0], "");
	assert_string_equal(f->lc.fspaths[1], "/ais/mp2");
	assert_string_equal(f->lc.fslabels[1], "ssd");
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_OK);

	j = ais_local_config_to_json(&f->lc);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "confdir")),
	    "/etc/ais");
	json_t *hn = json_object_get(j, "host_net");
	assert_true(json_is_string(json_object_get(hn, "port")));
	assert_string_equal(json_string_value(json_object_get(hn, "port")),
	    "8080");
	assert_string_equal(json_string_value(json_object_get(hn,
	    "port_intra_data")), "10080");
	json_t *fsp = json_object_get(j, "fspaths");
	assert_true(json_is_object(fsp));
	assert_int_equal(json_object_size(fsp), 2);
	assert_string_equal(json_string_value(json_object_get(fsp,
	    "/ais/mp2")), "ssd");
	assert_true(json_is_object(json_object_get(j, "test_fspaths")));
	json_decref(j);
}

static void
test_local_port_defaults(void **state)
{
	cfg_fixture *f = *state;

	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"hostname\": \"10.0.0.1\","
	    " \"port\": 8080}}"), AIS_OK);
	assert_string_equal(f->lc.hostname, "10.0.0.1");
	assert_int_equal(f->lc.port_intra_control, 0);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_OK);
	assert_int_equal(f->lc.port_intra_control, 9080);
	assert_int_equal(f->lc.port_intra_data, 9081);

	/* port+1000 does not fit: the operator must set it. */
	f->lc.port = 65000;
	f->lc.port_intra_control = 0;
	f->lc.port_intra_data = 0;
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "port_intra_control", NULL);
}

static void
test_local_missing_file(void **state)
{
	cfg_fixture *f = *state;
	char want[256];

	assert_int_equal(ais_local_config_load("/nonexistent/dir/x.json",
	    &f->lc, f->err, sizeof(f->err)), AIS_EINVAL);
	snprintf(want, sizeof(want), "config file \"%s\": %s",
	    "/nonexistent/dir/x.json", "No such file or directory");
	assert_string_equal(f->err, want);
	assert_int_equal(f->lc.nfspaths, 0);
}

static void
test_local_bad_json(void **state)
{
	cfg_fixture *f = *state;

	assert_int_equal(cfg_load_text(f, "{\"confdir\": \"/c\",\n  oops}"),
	    AIS_EINVAL);
	assert_err_has(f->err, f->path, "line 2 column");
	assert_int_equal(cfg_load_text(f, "[1, 2]"), AIS_EINVAL);
	assert_err_has(f->err, f->path, "object");
	assert_int_equal(cfg_load_text(f, ""), AIS_EINVAL);
	assert_err_has(f->err, f->path, "line");
}

static void
test_local_wrong_types(void **state)
{
	static const struct {
		const char *text;
		const char *frag1;
		const char *frag2;
	} cases[] = {
		{ "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"abc\"}}",
		    "\"host_net.port\" must be a port number (1-65535), got "
		    "\"abc\"", NULL },
		{ "{\"confdir\": \"/c\", \"host_net\": {\"port\": 70000}}",
		    "\"host_net.port\"", "70000" },
		{ "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"-1\"}}",
		    "\"host_net.port\"", "\"-1\"" },
		{ "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\","
		  " \"port_intra_control\": true}}",
		    "\"host_net.port_intra_control\"", "true" },
		{ "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\","
		  " \"port_intra_data\": \"99999\"}}",
		    "\"host_net.port_intra_data\"", "99999" },
		{ "{\"confdir\": 5}", "\"confdir\"", "string" },
		{ "{\"confdir\": \"/c\", \"log_dir\": [1]}", "\"log_dir\"",
		    NULL },
		{ "{\"confdir\": \"/c\", \"host_net\": 8080}", "\"host_net\"",
		    "object" },
		{ "{\"confdir\": \"/c\", \"host_net\": {\"hostname\": 1}}",
		    "\"host_net.hostname\"", NULL },
		{ "{\"confdir\": \"/c\", \"fspaths\": [\"/a\"]}",
		    "\"fspaths\"", NULL },
		{ "{\"confdir\": \"/c\", \"fspaths\": {\"/a\": 1}}",
		    "\"fspaths\"", "/a" },
		{ "{\"confdir\": \"/c\", \"fspaths\": {\"rel/mp\": \"\"}}",
		    "rel/mp", "absolute" },
		{ "{\"confdir\": \"/c\", \"fspaths\": {\"/a/../b\": \"\"}}",
		    "/a/../b", "\"..\"" },
		{ "{\"confdir\": \"/c\", \"fspaths\": {\"/a/b\": \"\","
		  " \"/a/b/\": \"\"}}", "duplicate", "\"/a/b\"" },
		{ "{\"confdir\": \"/c\", \"fspaths\": {\"/a\": \"\","
		  " \"/a/b\": \"\"}}", "\"/a/b\" is nested in \"/a\"", NULL },
		{ "{\"confdir\": \"/c\", \"fspaths\": {\"/a/b/c\": \"\","
		  " \"/a/b\": \"\"}}", "\"/a/b/c\" is nested in \"/a/b\"",
		    NULL },
	};
	cfg_fixture *f = *state;

	for (size_t i = 0; i < ARRLEN(cases); i++) {
		if (cfg_load_text(f, cases[i].text) != AIS_EINVAL) {
			fail_msg("accepted: %s", cases[i].text);
		}
		assert_err_has(f->err, f->path, cases[i].frag1);
		assert_err_has(f->err, cases[i].frag2, NULL);
		assert_int_equal(f->lc.nfspaths, 0); /* freed on failure */
	}
}

static void
test_local_not_nested_sibling(void **state)
{
	cfg_fixture *f = *state;

	/* "/a/bc" shares a prefix with "/a/b" but is not inside it. */
	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\"},"
	    " \"fspaths\": {\"/a/b\": \"\", \"/a/bc\": \"\"}}"), AIS_OK);
	assert_int_equal(f->lc.nfspaths, 2);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_OK);
}

static void
test_local_validate_errors(void **state)
{
	cfg_fixture *f = *state;

	/* Missing confdir is a validate error (a flag may supply it). */
	assert_int_equal(cfg_load_text(f,
	    "{\"host_net\": {\"port\": \"8080\"}}"), AIS_OK);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "\"confdir\"", "required");

	/* Missing port. */
	assert_int_equal(cfg_load_text(f, "{\"confdir\": \"/c\"}"), AIS_OK);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "\"host_net.port\"", NULL);

	/* Intra port equal to the public one. */
	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\","
	    " \"port_intra_control\": \"8080\"}}"), AIS_OK);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "port_intra_control", "8080");

	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\","
	    " \"port_intra_control\": \"9000\","
	    " \"port_intra_data\": \"9000\"}}"), AIS_OK);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "port_intra_data", NULL);

	/* A proxy with fspaths. */
	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\"},"
	    " \"fspaths\": {\"/mp1\": \"\"}}"), AIS_OK);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_PROXY,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "proxy", "\"fspaths\"");
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_OK);

	/* A target without fspaths. */
	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\"},"
	    " \"fspaths\": {}}"), AIS_OK);
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "target", "\"fspaths\"");
}

static void
test_local_validate_catches_hand_edits(void **state)
{
	cfg_fixture *f = *state;

	/* Entries written into the struct directly (not via add_fspath) are
	 * still checked. */
	assert_int_equal(cfg_load_text(f,
	    "{\"confdir\": \"/c\", \"host_net\": {\"port\": \"8080\"},"
	    " \"fspaths\": {\"/x\": \"\"}}"), AIS_OK);
	f->lc.fspaths[1] = strdup("/x/y");
	f->lc.fslabels[1] = strdup("");
	f->lc.nfspaths = 2;
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "\"/x/y\"", "\"/x\"");
	free(f->lc.fspaths[1]);
	f->lc.fspaths[1] = strdup("/x");
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "duplicate", "\"/x\"");
	free(f->lc.fspaths[1]);
	f->lc.fspaths[1] = strdup("y");
	assert_int_equal(ais_local_config_validate(&f->lc, AIS_ROLE_TARGET,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "\"y\"", "absolute");
}

static void
test_local_add_fspath(void **state)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: rejected */
	} cases[] = {
		{ "//a///b/", "/a/b" },
		{ "/data/mp1", "/data/mp1" },
		{ "/x.y/..z/.w", "/x.y/..z/.w" },
		{ "/a/./b", NULL },
		{ "/a/b/..", NULL },
		{ "/", NULL },
		{ "///", NULL },
		{ "", NULL },
		{ "a/b", NULL },
	};
	cfg_fixture *f = *state;

	for (size_t i = 0; i < ARRLEN(cases); i++) {
		ais_local_config c;
		ais_err err;

		memset(&c, 0, sizeof(c));
		f->err[0] = '\0';
		err = ais_local_config_add_fspath(&c, cases[i].in, NULL,
		    f->err, sizeof(f->err));
		if (cases[i].out == NULL) {
			assert_int_equal(err, AIS_EINVAL);
			assert_err_has(f->err, "fspaths", NULL);
			assert_int_equal(c.nfspaths, 0);
		} else {
			assert_int_equal(err, AIS_OK);
			assert_int_equal(c.nfspaths, 1);
			assert_string_equal(c.fspaths[0], cases[i].out);
			assert_string_equal(c.fslabels[0], "");
		}
		ais_local_config_fini(&c);
		assert_int_equal(c.nfspaths, 0);
	}
	ais_local_config_fini(NULL);
}

static void
test_local_too_many_fspaths(void **state)
{
	cfg_fixture *f = *state;
	ais_local_config c;

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < AIS_MAX_MPATHS; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/mp%d", i);
		assert_int_equal(ais_local_config_add_fspath(&c, p, "l",
		    f->err, sizeof(f->err)), AIS_OK);
	}
	assert_int_equal(ais_local_config_add_fspath(&c, "/one-more", "",
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, "too many", NULL);
	ais_local_config_fini(&c);
}

/*
 * Cluster config
 */

static const char *const always_sections[] = {
	"auth", "backend", "proxy", "net", "timeout", "memsys", "versioning",
	"resilver",
};
static const char *const optional_sections[] = {
	"tracing", "distributed_sort", "write_policy", "checksum", "tcb",
	"tco", "arch", "lso", "rate_limit", "keepalivetracker", "rebalance",
	"log", "ec", "get_batch", "space", "transport", "disk", "fshc",
	"chunks", "lru", "mirror", "periodic", "client", "downloader",
};

static void
assert_path_str(const json_t *root, const char *path, const char *want)
{
	const json_t *v = ais_json_path(root, path);

	if (!json_is_string(v)) {
		fail_msg("%s is not a string", path);
	}
	if (want != NULL && strcmp(json_string_value(v), want) != 0) {
		fail_msg("%s = \"%s\", want \"%s\"", path,
		    json_string_value(v), want);
	}
}

static void
assert_path_int(const json_t *root, const char *path, json_int_t want)
{
	const json_t *v = ais_json_path(root, path);

	if (!json_is_integer(v)) {
		fail_msg("%s is not an integer", path);
	}
	assert_int_equal(json_integer_value(v), want);
}

static void
test_cconfig_defaults(void **state)
{
	static const char *const durs[] = {
		"timeout.cplane_operation", "timeout.max_keepalive",
		"timeout.max_host_busy", "timeout.startup_time",
		"timeout.join_startup_time", "timeout.send_file_time",
		"timeout.ec_streams_time", "timeout.object_md",
		"timeout.cold_get_conflict", "periodic.stats_time",
		"periodic.retry_sync_time", "periodic.notif_time",
		"client.client_timeout", "client.client_long_timeout",
		"client.list_timeout", "log.flush_time", "lru.dont_evict_time",
		"keepalivetracker.proxy.interval", "downloader.timeout",
		"transport.idle_teardown", "get_batch.max_wait",
	};
	ais_cconfig *c = NULL;
	json_t *r;

	(void) state;
	assert_int_equal(ais_cconfig_default(&c), AIS_OK);
	r = c->root;
	assert_int_equal(atomic_load(&c->refs), 1);
	assert_int_equal(c->version, 0);
	assert_string_equal(c->uuid, "");
	for (size_t i = 0; i < ARRLEN(always_sections); i++) {
		if (!json_is_object(json_object_get(r, always_sections[i]))) {
			fail_msg("section %s missing", always_sections[i]);
		}
	}
	for (size_t i = 0; i < ARRLEN(optional_sections); i++) {
		if (!json_is_object(json_object_get(r,
			optional_sections[i]))) {
			fail_msg("section %s missing", optional_sections[i]);
		}
	}
	assert_path_str(r, "uuid", "");
	assert_path_str(r, "lastupdate_time", "");
	assert_path_str(r, "features", "0");
	assert_path_str(r, "config_version", "0");
	for (size_t i = 0; i < ARRLEN(durs); i++) {
		int64_t ms = ais_cconfig_dur_ms(c, durs[i], -1);
		assert_path_str(r, durs[i], NULL);
		if (ms <= 0) {
			fail_msg("%s does not parse", durs[i]);
		}
	}
	assert_path_str(r, "timeout.cplane_operation", "2s");
	assert_path_str(r, "timeout.max_keepalive", "4s");
	assert_path_str(r, "timeout.max_host_busy", "20s");
	assert_path_str(r, "timeout.startup_time", "1m");
	assert_path_str(r, "timeout.join_startup_time", "3m");
	assert_path_str(r, "timeout.send_file_time", "5m");
	assert_path_str(r, "timeout.ec_streams_time", "10m");
	assert_path_str(r, "timeout.object_md", "2h");
	assert_path_str(r, "timeout.cold_get_conflict", "5s");
	assert_path_str(r, "checksum.type", "xxhash2");
	assert_true(json_is_true(ais_json_path(r, "versioning.enabled")));
	assert_path_str(r, "net.l4.proto", "tcp");
	assert_path_int(r, "net.l4.sndrcv_buf_size", 0);
	assert_true(json_is_false(ais_json_path(r, "net.http.use_https")));
	assert_path_str(r, "keepalivetracker.proxy.name", "heartbeat");
	assert_path_str(r, "keepalivetracker.target.interval", "10s");
	assert_path_int(r, "keepalivetracker.target.factor", 3);
	assert_path_int(r, "keepalivetracker.num_retries", 3);
	assert_path_int(r, "keepalivetracker.retry_factor", 4);
	assert_path_int(r, "space.cleanupwm", 65);
	assert_path_int(r, "space.lowwm", 75);
	assert_path_int(r, "space.highwm", 90);
	assert_path_int(r, "space.out_of_space", 95);
	assert_path_str(r, "log.max_size", "64MiB");
	assert_path_str(r, "log.max_total", "512MiB");
	assert_path_str(r, "log.level", "3");
	assert_path_int(r, "mirror.copies", 2);
	assert_path_int(r, "ec.objsize_limit", 262144);
	assert_path_str(r, "transport.lz4_block", "256KiB");
	assert_path_str(r, "memsys.min_free", "2GiB");
	assert_path_str(r, "proxy.primary_url", "");
	assert_true(json_is_false(ais_json_path(r, "proxy.non_electable")));
	assert_path_str(r, "write_policy.data", "immediate");
	assert_null(json_object_get(r, "ext"));

	/* Getters. */
	assert_int_equal(ais_cconfig_dur_ms(c, "timeout.cplane_operation", 0),
	    2000);
	assert_int_equal(ais_cconfig_dur_ms(c, "timeout.object_md", 0),
	    2 * 3600 * 1000);
	assert_int_equal(ais_cconfig_dur_ms(c, "timeout.nope", 77), 77);
	assert_int_equal(ais_cconfig_dur_ms(c, "space.lowwm", 78), 78);
	assert_int_equal(ais_cconfig_int(c, "space.highwm", 0), 90);
	assert_int_equal(ais_cconfig_int(c, "features", -1), 0);
	assert_int_equal(ais_cconfig_int(c, "log.max_size", 0), 64 << 20);
	assert_int_equal(ais_cconfig_int(c, "checksum.type", -5), -5);
	assert_int_equal(ais_cconfig_int(c, "no.such.key", 42), 42);
	assert_true(ais_cconfig_bool(c, "versioning.enabled", false));
	assert_false(ais_cconfig_bool(c, "mirror.enabled", true));
	assert_true(ais_cconfig_bool(c, "timeout", true));
	assert_string_equal(ais_cconfig_str(c, "checksum.type", "x"),
	    "xxhash2");
	assert_string_equal(ais_cconfig_str(c, "space.lowwm", "d"), "d");
	assert_string_equal(ais_cconfig_str(c, "KeepAliveTracker.Proxy.Name",
	    "d"), "heartbeat"); /* case-insensitive like AIS */
	assert_int_equal(ais_cconfig_int(NULL, "space.lowwm", 3), 3);
	ais_cconfig_rele(c);
	ais_cconfig_rele(NULL);
}

static void
test_cconfig_defaults_validate(void **state)
{
	ais_cconfig *d = NULL, *c = NULL;
	char err[512] = "";
	json_t *empty = json_object();

	(void) state;
	assert_int_equal(ais_cconfig_default(&d), AIS_OK);
	assert_int_equal(ais_cconfig_from_json(empty, &c, err, sizeof(err)),
	    AIS_OK);
	assert_true(json_equal(d->root, c->root));
	ais_cconfig_rele(c);
	c = NULL;
	assert_int_equal(ais_cconfig_from_json(NULL, &c, err, sizeof(err)),
	    AIS_OK);
	assert_true(json_equal(d->root, c->root));
	ais_cconfig_rele(c);
	/* A full config (as persisted or metasync'ed) is a fixed point. */
	c = NULL;
	assert_int_equal(ais_cconfig_from_json(d->root, &c, err, sizeof(err)),
	    AIS_OK);
	assert_true(json_equal(d->root, c->root));
	ais_cconfig_rele(c);
	ais_cconfig_rele(d);
	json_decref(empty);
}

static void
test_cconfig_overlay(void **state)
{
	ais_cconfig *c = NULL;
	char err[512] = "";
	json_error_t jerr;
	json_t *ov = json_loads(
	    "{\"timeout\": {\"cplane_operation\": \"500ms\","
	    "  \"transport_idle_term\": \"4s\"},"
	    " \"space\": {\"lowwm\": \"70\"},"
	    " \"mirror\": {\"enabled\": \"true\", \"copies\": 3.0},"
	    " \"config_version\": 7, \"uuid\": \"Yz9a-uuid\","
	    " \"features\": 24,"
	    " \"custom_section\": {\"x\": [1, 2]},"
	    " \"backend\": {\"aws\": {}, \"ais\": {\"remote\":"
	    "  [\"http://h:8080\"]}},"
	    " \"log\": {\"max_size\": 1048576, \"max_total\": \"64mb\"},"
	    " \"Checksum\": {\"type\": \"md5\"},"
	    " \"net\": {\"http\": {\"use_https\": true}},"
	    " \"tracing\": null,"
	    " \"lastupdate_time\": \"yesterday\"}", 0, &jerr);

	(void) state;
	assert_non_null(ov);
	assert_int_equal(ais_cconfig_from_json(ov, &c, err, sizeof(err)),
	    AIS_OK);
	json_t *r = c->root;
	assert_path_str(r, "timeout.cplane_operation", "500ms");
	assert_path_str(r, "timeout.max_keepalive", "4s"); /* kept */
	assert_path_str(r, "timeout.transport_idle_term", "4s"); /* added */
	assert_int_equal(ais_cconfig_dur_ms(c, "timeout.cplane_operation", 0),
	    500);
	assert_path_int(r, "space.lowwm", 70);
	assert_path_int(r, "space.highwm", 90);
	assert_true(json_is_true(ais_json_path(r, "mirror.enabled")));
	assert_path_int(r, "mirror.copies", 3);
	assert_path_str(r, "config_version", "7");
	assert_int_equal(c->version, 7);
	assert_string_equal(c->uuid, "Yz9a-uuid");
	assert_path_str(r, "features", "24");
	assert_int_equal(ais_cconfig_int(c, "features", 0), 24);
	assert_true(json_is_array(ais_json_path(r, "custom_section.x")));
	assert_true(json_is_object(ais_json_path(r, "backend.aws")));
	assert_true(json_is_array(ais_json_path(r, "backend.ais.remote")));
	assert_path_str(r, "log.max_size", "1MiB");
	assert_path_str(r, "log.max_total", "64mb");
	assert_path_str(r, "checksum.type", "md5");
	assert_null(json_object_get(r, "Checksum"));
	assert_true(json_is_true(ais_json_path(r, "net.http.use_https")));
	assert_true(json_is_object(json_object_get(r, "tracing")));
	assert_path_str(r, "lastupdate_time", "yesterday");
	/* The snapshot shares nothing mutable with the overlay. */
	json_array_append_new(ais_json_path(ov, "custom_section.x"),
	    json_integer(3));
	json_array_append_new(ais_json_path(ov, "backend.ais.remote"),
	    json_string("http://other:8080"));
	assert_int_equal(json_array_size(ais_json_path(r,
	    "custom_section.x")), 2);
	assert_int_equal(json_array_size(ais_json_path(r,
	    "backend.ais.remote")), 1);
	ais_cconfig_rele(c);
	json_decref(ov);

	/* All four watermarks zero means "defaults". */
	ov = json_pack("{s:{s:i, s:i, s:i, s:i}}", "space", "cleanupwm", 0,
	    "lowwm", 0, "highwm", 0, "out_of_space", 0);
	c = NULL;
	assert_int_equal(ais_cconfig_from_json(ov, &c, err, sizeof(err)),
	    AIS_OK);
	assert_path_int(c->root, "space.lowwm", 75);
	assert_path_int(c->root, "space.out_of_space", 95);
	ais_cconfig_rele(c);
	json_decref(ov);
}

static void
test_cconfig_invalid(void **state)
{
	static const struct {
		const char *overlay;
		const char *frag1;
		const char *frag2;
	} cases[] = {
		{ "{\"timeout\": {\"max_keepalive\": \"abc\"}}",
		    "invalid cluster config: timeout.max_keepalive \"abc\": "
		    "invalid duration", NULL },
		{ "{\"timeout\": {\"cplane_operation\": 5}}",
		    "timeout.cplane_operation \"5\"", "invalid duration" },
		{ "{\"timeout\": {\"some_new_time\": \"1y\"}}",
		    "timeout.some_new_time", "invalid duration" },
		{ "{\"timeout\": \"5s\"}", "timeout", "object" },
		{ "{\"keepalivetracker\": {\"target\": {\"interval\": "
		  "\"10\"}}}", "keepalivetracker.target.interval", NULL },
		{ "{\"keepalivetracker\": {\"proxy\": {\"factor\": 11}}}",
		    "keepalivetracker.proxy.factor", "11" },
		{ "{\"keepalivetracker\": {\"target\": {\"factor\": 0}}}",
		    "keepalivetracker.target.factor", NULL },
		{ "{\"periodic\": {\"stats_time\": \"often\"}}",
		    "periodic.stats_time", NULL },
		{ "{\"client\": {\"list_timeout\": \"\"}}",
		    "client.list_timeout", NULL },
		{ "{\"space\": {\"lowwm\": 95, \"highwm\": 90}}", "lowwm (95)",
		    "highwm (90)" },
		{ "{\"space\": {\"out_of_space\": 101}}", "space.out_of_space",
		    NULL },
		{ "{\"space\": {\"cleanupwm\": 0}}", "cleanupwm (0)", NULL },
		{ "{\"space\": {\"lowwm\": \"abc\"}}", "space.lowwm \"abc\"",
		    "integer" },
		{ "{\"log\": {\"max_size\": \"1GiB\"}}", "log.max_total",
		    "log.max_size" },
		{ "{\"log\": {\"max_size\": \"lots\"}}", "log.max_size",
		    "invalid size" },
		{ "{\"checksum\": {\"type\": \"foo\"}}",
		    "checksum.type \"foo\"", NULL },
		{ "{\"versioning\": {\"enabled\": false,"
		  " \"validate_warm_get\": true}}",
		    "versioning.validate_warm_get", "versioning.enabled" },
		{ "{\"versioning\": {\"enabled\": \"maybe\"}}",
		    "versioning.enabled", NULL },
		{ "{\"config_version\": \"-1\"}", "config_version \"-1\"",
		    "non-negative" },
		{ "{\"config_version\": \"abc\"}", "config_version", NULL },
		{ "{\"config_version\": true}", "config_version", NULL },
		{ "{\"features\": \"x\"}", "features", NULL },
		{ "{\"uuid\": [5]}", "uuid", NULL },
	};

	(void) state;
	for (size_t i = 0; i < ARRLEN(cases); i++) {
		json_error_t jerr;
		json_t *ov = json_loads(cases[i].overlay, 0, &jerr);
		ais_cconfig *c = NULL;
		char err[512] = "";

		assert_non_null(ov);
		if (ais_cconfig_from_json(ov, &c, err, sizeof(err)) !=
		    AIS_EINVAL) {
			fail_msg("accepted: %s", cases[i].overlay);
		}
		assert_null(c);
		assert_err_has(err, "invalid cluster config", cases[i].frag1);
		assert_err_has(err, cases[i].frag2, NULL);
		json_decref(ov);
	}

	json_t *arr = json_array();
	ais_cconfig *c = NULL;
	char err[128] = "";
	assert_int_equal(ais_cconfig_from_json(arr, &c, err, sizeof(err)),
	    AIS_EINVAL);
	assert_err_has(err, "object", NULL);
	json_decref(arr);
}

static void
test_cconfig_load_file(void **state)
{
	cfg_fixture *f = *state;
	ais_cconfig *c = NULL;

	assert_int_equal(ais_cconfig_load_file("/nonexistent/ais.json", &c,
	    f->err, sizeof(f->err)), AIS_EINVAL);
	assert_string_equal(f->err, "config file \"/nonexistent/ais.json\": "
	    "No such file or directory");

	cfg_write(f, "{\"timeout\": {");
	assert_int_equal(ais_cconfig_load_file(f->path, &c, f->err,
	    sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, f->path, "line 1");

	cfg_write(f, "{\"checksum\": {\"type\": \"bogus\"}}");
	assert_int_equal(ais_cconfig_load_file(f->path, &c, f->err,
	    sizeof(f->err)), AIS_EINVAL);
	assert_err_has(f->err, f->path, "checksum.type");

	cfg_write(f, "{\"proxy\": {\"primary_url\": \"http://p:8080\"},"
	    " \"mirror\": {\"enabled\": true}, \"config_version\": \"0\"}");
	assert_int_equal(ais_cconfig_load_file(f->path, &c, f->err,
	    sizeof(f->err)), AIS_OK);
	assert_string_equal(ais_cconfig_str(c, "proxy.primary_url", ""),
	    "http://p:8080");
	assert_true(ais_cconfig_bool(c, "mirror.enabled", false));
	assert_int_equal(c->version, 0);
	ais_cconfig_rele(c);
}

static void
test_cconfig_clone_version_dumps(void **state)
{
	ais_cconfig *a = NULL, *b = NULL, *c = NULL;
	char err[256] = "";
	json_error_t jerr;
	char *text;
	json_t *j;

	(void) state;
	assert_int_equal(ais_cconfig_default(&a), AIS_OK);
	assert_int_equal(ais_cconfig_clone(a, &b), AIS_OK);
	assert_int_equal(atomic_load(&b->refs), 1);
	assert_true(json_equal(a->root, b->root));
	assert_ptr_not_equal(a->root, b->root);

	ais_cconfig_set_version(b, 5, "cluster-uuid-1");
	assert_int_equal(b->version, 5);
	assert_string_equal(b->uuid, "cluster-uuid-1");
	assert_path_str(b->root, "config_version", "5");
	assert_path_str(b->root, "uuid", "cluster-uuid-1");
	const char *ts = ais_cconfig_str(b, "lastupdate_time", "");
	assert_true(strlen(ts) > 20);
	assert_non_null(strstr(ts, "UTC"));
	/* The original is untouched. */
	assert_path_str(a->root, "config_version", "0");
	assert_path_str(a->root, "lastupdate_time", "");

	/* NULL uuid keeps the current one. */
	ais_cconfig_set_version(b, 6, NULL);
	assert_path_str(b->root, "uuid", "cluster-uuid-1");
	assert_path_str(b->root, "config_version", "6");

	/* dumps -> from_json round-trips, version and uuid included. */
	text = ais_cconfig_dumps(b);
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	j = json_loads(text, 0, &jerr);
	assert_non_null(j);
	assert_true(json_equal(j, b->root));
	assert_int_equal(ais_cconfig_from_json(j, &c, err, sizeof(err)),
	    AIS_OK);
	assert_true(json_equal(c->root, b->root));
	assert_int_equal(c->version, 6);
	assert_string_equal(c->uuid, "cluster-uuid-1");
	free(text);
	json_decref(j);

	/* Refcounts: hold twice, release three times (ASan checks). */
	ais_cconfig_hold(c);
	ais_cconfig_hold(c);
	assert_int_equal(atomic_load(&c->refs), 3);
	ais_cconfig_rele(c);
	ais_cconfig_rele(c);
	assert_int_equal(atomic_load(&c->refs), 1);
	ais_cconfig_rele(c);
	ais_cconfig_rele(b);
	ais_cconfig_rele(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_good, cfg_setup,
		    cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_port_defaults,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_missing_file,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_bad_json, cfg_setup,
		    cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_wrong_types,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_not_nested_sibling,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_validate_errors,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_local_validate_catches_hand_edits, cfg_setup,
		    cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_add_fspath,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(test_local_too_many_fspaths,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test(test_cconfig_defaults),
		cmocka_unit_test(test_cconfig_defaults_validate),
		cmocka_unit_test(test_cconfig_overlay),
		cmocka_unit_test(test_cconfig_invalid),
		cmocka_unit_test_setup_teardown(test_cconfig_load_file,
		    cfg_setup, cfg_teardown),
		cmocka_unit_test(test_cconfig_clone_version_dumps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

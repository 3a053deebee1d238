/*
 * Configuration: the node's local config and the cluster config
 * (shared/spec/config.md sections 1 and 2).
 *
 * The local part is a small fixed struct read from the operator's JSON file;
 * flags override single keys afterwards, so the cross-key checks (required
 * keys, role rules, nested mountpaths) run in a separate validate step over
 * the final values.
 *
 * The cluster part stays JSON: AIS has dozens of sections and we must
 * round-trip all of them (including ones we do not act on) through AIS
 * clients. Every config starts as a parsed copy of the full default document
 * below; an overlay (plain ais.json, a persisted or received config, a
 * set-config delta) is deep-merged onto it, coerced to the default's type
 * leaf by leaf, then validated. The result is an immutable refcounted
 * snapshot with typed getters by dotted path.
 */
#include "core/config.h"
#include "core/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/mpset.h"
#include "core/units.h"

#define AIS_CFG_MERGE_DEPTH 32 /* sections nest 3 deep; bound recursion */

/* Reads and parses a JSON file; errors name the file in one line. */
static ais_err
ais_cfg_read_json(const char *path, json_t **out, char *errbuf, size_t errlen)
{
	json_error_t jerr;
	FILE *fp;
	json_t *j;

	fp = fopen(path, "r");
	if (fp == NULL) {
		ais_errbuf_set(errbuf, errlen, "config file \"%s\": %s", path,
		    strerror(errno));
		return AIS_EINVAL;
	}
	j = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	if (j == NULL) {
		ais_errbuf_set(errbuf, errlen,
		    "config file \"%s\": line %d column %d: %s", path,
		    jerr.line, jerr.column, jerr.text);
		return AIS_EINVAL;
	}
	if (!json_is_object(j)) {
		ais_errbuf_set(errbuf, errlen,
		    "config file \"%s\": expected a JSON object", path);
		json_decref(j);
		return AIS_EINVAL;
	}
	*out = j;
	return AIS_OK;
}

/*
 * Local config
 */

static ais_err
ais_lcfg_str(const json_t *obj, const char *key, const char *name, char *dst,
    size_t dstlen, char *errbuf, size_t errlen)
{
	const json_t *v = ais_json_get_ci(obj, key);

	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	if (!json_is_string(v)) {
		char shown[64];
		ais_json_show(v, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "\"%s\" must be a string, got %s", name, shown);
		return AIS_EINVAL;
	}
	if (json_string_length(v) >= dstlen) {
		ais_errbuf_set(errbuf, errlen, "\"%s\" is too long (max %zu)",
		    name, dstlen - 1);
		return AIS_EINVAL;
	}
	snprintf(dst, dstlen, "%s", json_string_value(v));
	return AIS_OK;
}

/* Ports are strings on the wire (Go ",string"); numbers are accepted too.
 * Missing or "" means 0 (unset): validate decides what is required. */
static ais_err
ais_lcfg_port(const json_t *hn, const char *key, uint16_t *out, char *errbuf,
    size_t errlen)
{
	const json_t *v = ais_json_get_ci(hn, key);
	long long p = -1;
	char shown[64];

	if (v == NULL || json_is_null(v)) {
		return AIS_OK;
	}
	if (json_is_integer(v)) {
		p = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (*s == '\0') {
			p = 0;
		} else if (strspn(s, "0123456789") == strlen(s)
		    && strlen(s) <= 5) {
			p = strtoll(s, NULL, 10);
		}
	}
	if (p < 0 || p > 65535) {
		ais_json_show(v, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "\"host_net.%s\" must be a port number (1-65535), got %s",
		    key, shown);
		return AIS_EINVAL;
	}
	*out = (uint16_t) p;
	return AIS_OK;
}

/* The mountpath spelling rule is core/mpset.h's (ais_mpath_clean); here
 * its message names the config key. */
static ais_err
ais_lcfg_clean_path(
    const char *in, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	char why[256] = "";
	ais_err err = ais_mpath_clean(in, out, outlen, why, sizeof(why));

	if (err != AIS_OK) {
		ais_errbuf_set(errbuf, errlen, "\"fspaths\": %s", why);
	}
	return err;
}

/* True if `a` lies strictly under `b` ("/a/b" under "/a", not "/ab"). */
static bool
ais_lcfg_nested(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && a[n] == '/';
}

/* Duplicate / nesting check of `path` against the first `n` mountpaths. */
static ais_err
ais_lcfg_check_fspath(char *const *paths, size_t n, const char *path,
    char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(paths[i], path) == 0) {
			ais_errbuf_set(errbuf, errlen,
			    "\"fspaths\": duplicate mountpath \"%s\"", path);
			return AIS_EINVAL;
		}
		if (ais_lcfg_nested(path, paths[i])
		    || ais_lcfg_nested(paths[i], path)) {
			bool inner = ais_lcfg_nested(path, paths[i]);
			ais_errbuf_set(errbuf, errlen,
			    "\"fspaths\": mountpath \"%s\" is nested in "
			    "\"%s\"",
			    inner ? path : paths[i], inner ? paths[i] : path);
			return AIS_EINVAL;
		}
	}
	return AIS_OK;
}

ais_err
ais_local_config_add_fspath(ais_local_config *c, const char *path,
    const char *label, char *errbuf, size_t errlen)
{
	char clean[PATH_MAX];
	char *p, *l;
	ais_err err;

	err = ais_lcfg_clean_path(path, clean, sizeof(clean), errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	err = ais_lcfg_check_fspath(
	    c->fspaths, c->nfspaths, clean, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	if (c->nfspaths >= AIS_MAX_MPATHS) {
		ais_errbuf_set(errbuf, errlen,
		    "\"fspaths\": too many mountpaths (max %d)",
		    AIS_MAX_MPATHS);
		return AIS_EINVAL;
	}
	p = strdup(clean);
	l = strdup(label ? label : "");
	if (p == NULL || l == NULL) {
		free(p);
		free(l);
		ais_errbuf_set(errbuf, errlen, "out of memory");
		return AIS_ENOMEM;
	}
	c->fspaths[c->nfspaths] = p;
	c->fslabels[c->nfspaths] = l;
	c->nfspaths++;
	return AIS_OK;
}

static ais_err
ais_lcfg_parse_fspaths(
    ais_local_config *c, const json_t *fsp, char *errbuf, size_t errlen)
{
	const json_t *paths = fsp;
	const json_t *v;
	const char *k;

	if (!json_is_object(fsp)) {
		char shown[64];
		ais_json_show(fsp, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "\"fspaths\" must be an object {mountpath: label}, got %s",
		    shown);
		return AIS_EINVAL;
	}
	/* Older releases may have written {"paths": {...}} (spec, "verify");
	 * a real mountpath key always starts with '/', so this is safe. */
	v = json_object_get(fsp, "paths");
	if (json_object_size(fsp) == 1 && json_is_object(v)) {
		paths = v;
	}
	json_object_foreach((json_t *) paths, k, v)
	{
		const char *label = "";
		ais_err err;

		if (json_is_string(v)) {
			label = json_string_value(v);
		} else if (!json_is_null(v)) {
			ais_errbuf_set(errbuf, errlen,
			    "\"fspaths\": label of \"%s\" must be a string",
			    k);
			return AIS_EINVAL;
		}
		err = ais_local_config_add_fspath(c, k, label, errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
	}
	return AIS_OK;
}

static ais_err
ais_lcfg_parse(
    ais_local_config *c, const json_t *root, char *errbuf, size_t errlen)
{
	static const char *const hosts_intra[] = {
		"hostname_intra_control",
		"hostname_intra_data",
	};
	const json_t *hn, *fsp;
	ais_err err;

	err = ais_lcfg_str(root, "confdir", "confdir", c->confdir,
	    sizeof(c->confdir), errbuf, errlen);
	if (err == AIS_OK) {
		err = ais_lcfg_str(root, "log_dir", "log_dir", c->log_dir,
		    sizeof(c->log_dir), errbuf, errlen);
	}
	if (err != AIS_OK) {
		return err;
	}
	hn = ais_json_get_ci(root, "host_net");
	if (hn != NULL && !json_is_null(hn)) {
		if (!json_is_object(hn)) {
			ais_errbuf_set(
			    errbuf, errlen, "\"host_net\" must be an object");
			return AIS_EINVAL;
		}
		err = ais_lcfg_str(hn, "hostname", "host_net.hostname",
		    c->hostname, sizeof(c->hostname), errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
		/* We run control and data on the public host (the struct has
		 * no separate intra hostnames); still type-check them. */
		for (size_t i = 0;
		     i < sizeof(hosts_intra) / sizeof(hosts_intra[0]); i++) {
			char name[64], tmp[AIS_HOST_MAX + 1] = "";
			snprintf(
			    name, sizeof(name), "host_net.%s", hosts_intra[i]);
			err = ais_lcfg_str(hn, hosts_intra[i], name, tmp,
			    sizeof(tmp), errbuf, errlen);
			if (err != AIS_OK) {
				return err;
			}
			if (tmp[0] != '\0' && strcmp(tmp, c->hostname) != 0) {
				AIS_LOGW("AIS-CONF-INTRA-HOST",
				    "%s \"%s\" ignored: intra-cluster "
				    "networks use the public hostname",
				    name, tmp);
			}
		}
		err = ais_lcfg_port(hn, "port", &c->port, errbuf, errlen);
		if (err == AIS_OK) {
			err = ais_lcfg_port(hn, "port_intra_control",
			    &c->port_intra_control, errbuf, errlen);
		}
		if (err == AIS_OK) {
			err = ais_lcfg_port(hn, "port_intra_data",
			    &c->port_intra_data, errbuf, errlen);
		}
		if (err != AIS_OK) {
			return err;
		}
	}
	if (c->hostname[0] == '\0') {
		snprintf(c->hostname, sizeof(c->hostname), "127.0.0.1");
	}
	fsp = ais_json_get_ci(root, "fspaths");
	if (fsp != NULL && !json_is_null(fsp)) {
		err = ais_lcfg_parse_fspaths(c, fsp, errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
	}
	/* test_fspaths (dev multi-target layout) is accepted and ignored. */
	return AIS_OK;
}

ais_err
ais_local_config_load(
    const char *path, ais_local_config *out, char *errbuf, size_t errlen)
{
	char msg[512];
	json_t *root = NULL;
	ais_err err;

	memset(out, 0, sizeof(*out));
	if (path == NULL) {
		ais_errbuf_set(errbuf, errlen, "no local config file given");
		return AIS_EINVAL;
	}
	err = ais_cfg_read_json(path, &root, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	msg[0] = '\0';
	err = ais_lcfg_parse(out, root, msg, sizeof(msg));
	json_decref(root);
	if (err != AIS_OK) {
		ais_errbuf_set(
		    errbuf, errlen, "config file \"%s\": %s", path, msg);
		ais_local_config_fini(out);
		return err;
	}
	return AIS_OK;
}

ais_err
ais_local_config_validate(
    ais_local_config *c, ais_role role, char *errbuf, size_t errlen)
{
	/* Defaults that depend on the final (post-flags) public port are
	 * filled here. */
	ais_local_config *w = c;

	if (c->confdir[0] == '\0') {
		ais_errbuf_set(errbuf, errlen,
		    "local config: \"confdir\" is required (config file or "
		    "command line)");
		return AIS_EINVAL;
	}
	if (c->port == 0) {
		ais_errbuf_set(errbuf, errlen,
		    "local config: \"host_net.port\" is required (1-65535)");
		return AIS_EINVAL;
	}
	if (c->hostname[0] == '\0') {
		snprintf(w->hostname, sizeof(w->hostname), "127.0.0.1");
	}
	if (c->port_intra_control == 0) {
		if ((unsigned) c->port + 1000 > 65535) {
			ais_errbuf_set(errbuf, errlen,
			    "local config: \"host_net.port_intra_control\" "
			    "must be set (default port+1000 exceeds 65535)");
			return AIS_EINVAL;
		}
		w->port_intra_control = (uint16_t) (c->port + 1000);
	}
	if (c->port_intra_data == 0) {
		if ((unsigned) c->port_intra_control + 1 > 65535) {
			ais_errbuf_set(errbuf, errlen,
			    "local config: \"host_net.port_intra_data\" must "
			    "be set (default port_intra_control+1 exceeds "
			    "65535)");
			return AIS_EINVAL;
		}
		w->port_intra_data = (uint16_t) (c->port_intra_control + 1);
	}
	if (c->port_intra_control == c->port
	    || c->port_intra_data == c->port) {
		ais_errbuf_set(errbuf, errlen,
		    "local config: \"host_net.%s\" (%u) must differ from "
		    "\"host_net.port\" (%u)",
		    c->port_intra_control == c->port ? "port_intra_control"
		                                     : "port_intra_data",
		    (unsigned) c->port, (unsigned) c->port);
		return AIS_EINVAL;
	}
	if (c->port_intra_control == c->port_intra_data) {
		ais_errbuf_set(errbuf, errlen,
		    "local config: \"host_net.port_intra_data\" (%u) must "
		    "differ from \"host_net.port_intra_control\"",
		    (unsigned) c->port_intra_data);
		return AIS_EINVAL;
	}
	if (role == AIS_ROLE_TARGET && c->nfspaths == 0) {
		ais_errbuf_set(errbuf, errlen,
		    "local config: a target needs at least one mountpath in "
		    "\"fspaths\"");
		return AIS_EINVAL;
	}
	if (role == AIS_ROLE_PROXY && c->nfspaths > 0) {
		ais_errbuf_set(errbuf, errlen,
		    "local config: a proxy must not have \"fspaths\" (got "
		    "\"%s\")",
		    c->fspaths[0]);
		return AIS_EINVAL;
	}
	for (size_t i = 0; i < c->nfspaths; i++) {
		char clean[PATH_MAX];
		char msg[PATH_MAX + 128];

		msg[0] = '\0';
		if (c->fspaths[i] == NULL
		    || ais_lcfg_clean_path(c->fspaths[i], clean, sizeof(clean),
		           msg, sizeof(msg))
		        != AIS_OK
		    || ais_lcfg_check_fspath(
		           c->fspaths, i, clean, msg, sizeof(msg))
		        != AIS_OK) {
			ais_errbuf_set(errbuf, errlen, "local config: %s",
			    msg[0] ? msg : "\"fspaths\": missing mountpath");
			return AIS_EINVAL;
		}
	}
	return AIS_OK;
}

void
ais_local_config_fini(ais_local_config *c)
{
	if (c == NULL) {
		return;
	}
	for (size_t i = 0; i < c->nfspaths && i < AIS_MAX_MPATHS; i++) {
		free(c->fspaths[i]);
		c->fspaths[i] = NULL;
		free(c->fslabels[i]);
		c->fslabels[i] = NULL;
	}
	c->nfspaths = 0;
}

static json_t *
ais_lcfg_port_json(uint16_t port)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%u", (unsigned) port);
	return json_string(buf);
}

json_t *
ais_local_config_to_json(const ais_local_config *c)
{
	json_t *fsp = json_object();
	json_t *j;

	if (fsp == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < c->nfspaths; i++) {
		json_object_set_new(fsp, c->fspaths[i],
		    json_string(c->fslabels[i] ? c->fslabels[i] : ""));
	}
	j = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:o, s:o, s:o}, s:o, "
	              "s:{s:s, s:i, s:i}}",
	    "confdir", c->confdir, "log_dir", c->log_dir, "host_net",
	    "hostname", c->hostname, "hostname_intra_control", "",
	    "hostname_intra_data", "", "port", ais_lcfg_port_json(c->port),
	    "port_intra_control", ais_lcfg_port_json(c->port_intra_control),
	    "port_intra_data", ais_lcfg_port_json(c->port_intra_data),
	    "fspaths", fsp, "test_fspaths", "root", "", "count", 0, "instance",
	    0);
	return j;
}

/*
 * Cluster config
 */

/* Every section of AIS's ClusterConfig with its defaults (dev values for
 * the timeouts, which AIS has no code default for). Types are the wire
 * types: durations and sizes as strings, counts as numbers, features and
 * config_version as decimal strings. */
static const char ais_cconfig_defaults[]
    = "{"
      "\"backend\": {},"
      "\"mirror\": {\"copies\": 2, \"burst_buffer\": 512,"
      " \"enabled\": false},"
      "\"ec\": {\"objsize_limit\": 262144, \"compression\": \"never\","
      " \"bundle_multiplier\": 2, \"data_slices\": 2, \"parity_slices\": 2,"
      " \"enabled\": false, \"disk_only\": false, \"burst_buffer\": 512},"
      "\"chunks\": {\"objsize_limit\": \"0B\","
      " \"max_monolithic_size\": \"1TiB\", \"chunk_size\": \"1GiB\","
      " \"checkpoint_every\": 0, \"flags\": 0},"
      "\"log\": {\"level\": \"3\", \"max_size\": \"64MiB\","
      " \"max_total\": \"512MiB\", \"flush_time\": \"1m\","
      " \"stats_time\": \"3m\", \"to_stderr\": false},"
      "\"periodic\": {\"stats_time\": \"10s\", \"retry_sync_time\": \"2s\","
      " \"notif_time\": \"30s\"},"
      "\"timeout\": {\"cplane_operation\": \"2s\", \"max_keepalive\": \"4s\","
      " \"max_host_busy\": \"20s\", \"startup_time\": \"1m\","
      " \"join_startup_time\": \"3m\", \"send_file_time\": \"5m\","
      " \"ec_streams_time\": \"10m\", \"object_md\": \"2h\","
      " \"cold_get_conflict\": \"5s\"},"
      "\"client\": {\"client_timeout\": \"10s\","
      " \"client_long_timeout\": \"5m\", \"list_timeout\": \"5m\"},"
      "\"proxy\": {\"primary_url\": \"\", \"original_url\": \"\","
      " \"discovery_url\": \"\", \"non_electable\": false},"
      "\"space\": {\"cleanupwm\": 65, \"lowwm\": 75, \"highwm\": 90,"
      " \"out_of_space\": 95, \"batch_size\": 32768,"
      " \"dont_cleanup_time\": \"30m\"},"
      "\"lru\": {\"dont_evict_time\": \"2h\", \"capacity_upd_time\": \"10m\","
      " \"batch_size\": 32768, \"enabled\": false},"
      "\"disk\": {\"disk_util_low_wm\": 20, \"disk_util_high_wm\": 80,"
      " \"disk_util_max_wm\": 95, \"iostat_time_long\": \"2s\","
      " \"iostat_time_short\": \"100ms\", \"iostat_time_smooth\": \"0s\"},"
      "\"rebalance\": {\"dest_retry_time\": \"2m\", \"compression\": "
      "\"never\","
      " \"bundle_multiplier\": 2, \"burst_buffer\": 1024, \"enabled\": true},"
      "\"resilver\": {\"enabled\": true},"
      "\"checksum\": {\"type\": \"xxhash2\", \"validate_cold_get\": true,"
      " \"validate_warm_get\": false, \"validate_obj_move\": false,"
      " \"enable_read_range\": false},"
      "\"versioning\": {\"enabled\": true, \"validate_warm_get\": false,"
      " \"synchronize\": false},"
      "\"net\": {\"l4\": {\"proto\": \"tcp\", \"sndrcv_buf_size\": 0},"
      " \"http\": {\"server_crt\": \"\", \"server_key\": \"\","
      " \"domain_tls\": \"\", \"client_ca_tls\": \"\","
      " \"client_auth_tls\": 0, \"idle_conn_time\": \"6s\","
      " \"backend_idle_conn_time\": \"0s\", \"idle_conns_per_host\": 128,"
      " \"idle_conns\": 4096, \"write_buffer_size\": 0,"
      " \"read_buffer_size\": 0, \"use_https\": false,"
      " \"skip_verify\": false, \"chunked_transfer\": true},"
      " \"use_ipv6\": false},"
      "\"fshc\": {\"test_files\": 4, \"error_limit\": 2, \"io_err_limit\": 10,"
      " \"io_err_time\": \"10s\", \"enabled\": true},"
      "\"auth\": {\"client_auth_required\": false},"
      "\"s3\": {\"auth_required\": false, \"keys\": {},"
      " \"region\": \"us-east-1\", \"redirect\": false, \"domain\": \"\","
      " \"root\": false},"
      "\"keepalivetracker\": {"
      " \"proxy\": {\"name\": \"heartbeat\", \"interval\": \"10s\","
      " \"factor\": 3},"
      " \"target\": {\"name\": \"heartbeat\", \"interval\": \"10s\","
      " \"factor\": 3},"
      " \"num_retries\": 3, \"retry_factor\": 4},"
      "\"downloader\": {\"timeout\": \"1h\"},"
      "\"distributed_sort\": {\"duplicated_records\": \"ignore\","
      " \"missing_shards\": \"ignore\", \"ekm_malformed_line\": \"abort\","
      " \"ekm_missing_key\": \"abort\", \"default_max_mem_usage\": \"80%\","
      " \"call_timeout\": \"10m\", \"dsorter_mem_threshold\": \"100GB\","
      " \"compression\": \"never\", \"bundle_multiplier\": 4,"
      " \"burst_buffer\": 1024},"
      "\"transport\": {\"max_header\": 4096, \"burst_buffer\": 1024,"
      " \"idle_teardown\": \"4s\", \"quiescent\": \"10s\","
      " \"lz4_block\": \"256KiB\", \"lz4_frame_checksum\": false},"
      "\"memsys\": {\"min_free\": \"2GiB\", \"default_buf\": \"32KiB\","
      " \"to_gc\": \"4GiB\", \"hk_time\": \"3m\", \"min_pct_total\": 0,"
      " \"min_pct_free\": 0},"
      "\"tcb\": {\"compression\": \"never\", \"bundle_multiplier\": 2,"
      " \"burst_buffer\": 512},"
      "\"tco\": {\"compression\": \"never\", \"bundle_multiplier\": 2,"
      " \"burst_buffer\": 512},"
      "\"arch\": {\"compression\": \"never\", \"bundle_multiplier\": 2,"
      " \"burst_buffer\": 512},"
      "\"lso\": {\"compression\": \"never\", \"bundle_multiplier\": 1,"
      " \"burst_buffer\": 512, \"walk_buffer\": 128, \"idle_time\": \"20s\","
      " \"quiescent\": \"5s\"},"
      "\"write_policy\": {\"data\": \"immediate\", \"md\": \"immediate\"},"
      "\"rate_limit\": {"
      " \"backend\": {\"enabled\": false, \"interval\": \"1m\","
      " \"max_tokens\": 1000, \"per_op_max_tokens\": \"\","
      " \"num_retries\": 3},"
      " \"frontend\": {\"enabled\": false, \"interval\": \"1m\","
      " \"max_tokens\": 1000, \"burst_size\": 375,"
      " \"per_op_max_tokens\": \"\"}},"
      "\"get_batch\": {\"max_wait\": \"20s\", \"warmup_workers\": 2,"
      " \"max_soft_errs\": 8, \"max_gfn\": 4, \"compression\": \"never\","
      " \"bundle_multiplier\": 2, \"burst_buffer\": 512},"
      "\"tracing\": {\"enabled\": false, \"exporter_endpoint\": \"\","
      " \"exporter_auth\": {\"token_header\": \"\", \"token_file\": \"\"},"
      " \"service_name_prefix\": \"aistore\", \"extra_attributes\": {},"
      " \"sampler_probability\": \"1.0\", \"skip_verify\": false},"
      "\"features\": \"0\","
      "\"uuid\": \"\","
      "\"config_version\": \"0\","
      "\"lastupdate_time\": \"\""
      "}";

/* Duration leaves we validate; "sec.*" means every string in the section
 * (old configs carry extra timeouts such as transport_idle_term). */
static const char *const ais_cconfig_durs[] = {
	"timeout.*",
	"periodic.*",
	"client.*",
	"keepalivetracker.proxy.interval",
	"keepalivetracker.target.interval",
	"log.flush_time",
	"log.stats_time",
	"lru.dont_evict_time",
	"lru.capacity_upd_time",
	"space.dont_cleanup_time",
	"disk.iostat_time_long",
	"disk.iostat_time_short",
	"rebalance.dest_retry_time",
	"fshc.io_err_time",
	"downloader.timeout",
	"transport.idle_teardown",
	"transport.quiescent",
	"net.http.idle_conn_time",
};

/* Size leaves: validated, and numbers (as old configs wrote them) turned
 * into the IEC strings AIS clients expect. */
static const char *const ais_cconfig_sizes[] = {
	"log.max_size",
	"log.max_total",
	"chunks.objsize_limit",
	"chunks.max_monolithic_size",
	"chunks.chunk_size",
	"transport.lz4_block",
	"memsys.min_free",
	"memsys.default_buf",
	"memsys.to_gc",
};

static const char *const ais_cconfig_cksums[] = {
	"none",
	"xxhash",
	"xxhash2",
	"md5",
	"crc32c",
	"sha256",
	"sha512",
};

static ais_err
ais_cconfig_new(json_t *root, ais_cconfig **out)
{
	ais_cconfig *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return AIS_ENOMEM;
	}
	atomic_init(&c->refs, 1);
	c->root = root;
	*out = c;
	return AIS_OK;
}

static json_t *
ais_cconfig_default_json(void)
{
	json_error_t jerr;
	json_t *j
	    = json_loads(ais_cconfig_defaults, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL) {
		/* Only OOM, or a typo in the literal above (a unit test
		 * parses it on every run). */
		AIS_LOGE("AIS-CONF-DEFAULTS", "cluster config defaults: %s",
		    jerr.text);
	}
	return j;
}

ais_err
ais_cconfig_default(ais_cconfig **out)
{
	json_t *root = ais_cconfig_default_json();
	ais_err err;

	if (root == NULL) {
		return AIS_ENOMEM;
	}
	err = ais_cconfig_new(root, out);
	if (err != AIS_OK) {
		json_decref(root);
	}
	return err;
}

static bool
ais_cconfig_is_size(const char *path)
{
	for (size_t i = 0;
	     i < sizeof(ais_cconfig_sizes) / sizeof(ais_cconfig_sizes[0]);
	     i++) {
		if (strcasecmp(path, ais_cconfig_sizes[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* Converts `src` to the JSON type of the default `dst` (set-config sends
 * textual values; old configs wrote sizes as numbers). New reference, or
 * NULL with errbuf set. */
static json_t *
ais_cconfig_coerce(const json_t *dst, json_t *src, const char *path,
    char *errbuf, size_t errlen)
{
	char shown[96];

	if (json_is_string(dst)) {
		if (json_is_string(src)) {
			return json_deep_copy(src);
		}
		if (json_is_integer(src)) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(src));
			if (ais_cconfig_is_size(path)
			    && json_integer_value(src) >= 0) {
				ais_size_format(
				    json_integer_value(src), buf, sizeof(buf));
			}
			return json_string(buf);
		}
		ais_json_show(src, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: %s %s: expected a string", path,
		    shown);
		return NULL;
	}
	if (json_is_boolean(dst)) {
		bool b;
		if (json_is_boolean(src)) {
			return json_deep_copy(src);
		}
		if (json_is_string(src)) {
			const char *s = json_string_value(src);
			if (strcasecmp(s, "true") == 0
			    || strcasecmp(s, "false") == 0) {
				b = strcasecmp(s, "true") == 0;
				return json_boolean(b);
			}
		}
		ais_json_show(src, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: %s %s: expected true or false",
		    path, shown);
		return NULL;
	}
	if (json_is_integer(dst)) {
		if (json_is_integer(src)) {
			return json_deep_copy(src);
		}
		if (json_is_real(src)
		    && json_real_value(src)
		        == (double) (json_int_t) json_real_value(src)) {
			return json_integer((json_int_t) json_real_value(src));
		}
		if (json_is_string(src)) {
			const char *s = json_string_value(src);
			char *end = NULL;
			long long v;
			errno = 0;
			v = strtoll(s, &end, 10);
			if (*s != '\0' && errno == 0 && *end == '\0') {
				return json_integer(v);
			}
		}
		ais_json_show(src, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: %s %s: expected an integer", path,
		    shown);
		return NULL;
	}
	if (json_is_real(dst)) {
		if (json_is_number(src)) {
			return json_real(json_number_value(src));
		}
		if (json_is_string(src)) {
			const char *s = json_string_value(src);
			char *end = NULL;
			double v;
			errno = 0;
			v = strtod(s, &end);
			if (*s != '\0' && errno == 0 && *end == '\0') {
				return json_real(v);
			}
		}
		ais_json_show(src, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: %s %s: expected a number", path,
		    shown);
		return NULL;
	}
	return json_deep_copy(src); /* arrays, null: replaced as given */
}

/* Deep merge of `src` onto `dst`: objects merge recursively, scalars
 * replace (coerced to the existing type), null keeps the existing value,
 * unknown keys are added as given. */
static ais_err
ais_cconfig_merge(json_t *dst, json_t *src, const char *prefix, int depth,
    char *errbuf, size_t errlen)
{
	const char *k;
	json_t *sv;

	if (depth > AIS_CFG_MERGE_DEPTH) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: %s: nested too deeply", prefix);
		return AIS_EINVAL;
	}
	json_object_foreach(src, k, sv)
	{
		char path[256];
		const char *dk = k;
		json_t *dv = json_object_get(dst, k);
		json_t *nv;

		int pn = snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] ? "." : "", k);

		if (pn < 0 || (size_t) pn >= sizeof(path)) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid cluster config: key %.64s...: name too "
			    "long",
			    path);
			return AIS_EINVAL;
		}
		if (dv == NULL && strcasecmp(prefix, "s3.keys") != 0) {
			/* Match keys case-insensitively, as Go's decoder
			 * matches struct fields -- except S3 access keys,
			 * which are data, and case-sensitive. */
			const char *k2;
			json_t *v2;
			json_object_foreach(dst, k2, v2)
			{
				if (strcasecmp(k2, k) == 0) {
					dk = k2;
					dv = v2;
					break;
				}
			}
		}
		if (json_is_null(sv)) {
			continue;
		}
		if (dv == NULL) {
			/* Copied: the snapshot must not share mutable
			 * values with the caller's overlay. */
			if (json_object_set_new(dst, k, json_deep_copy(sv))
			    != 0) {
				return AIS_ENOMEM;
			}
			continue;
		}
		if (json_is_object(dv)) {
			ais_err err;
			if (!json_is_object(sv)) {
				char shown[96];
				ais_json_show(sv, shown, sizeof(shown));
				ais_errbuf_set(errbuf, errlen,
				    "invalid cluster config: %s %s: expected "
				    "an object",
				    path, shown);
				return AIS_EINVAL;
			}
			err = ais_cconfig_merge(
			    dv, sv, path, depth + 1, errbuf, errlen);
			if (err != AIS_OK) {
				return err;
			}
			continue;
		}
		nv = ais_cconfig_coerce(dv, sv, path, errbuf, errlen);
		if (nv == NULL) {
			return AIS_EINVAL;
		}
		if (json_object_set_new(dst, dk, nv) != 0) {
			return AIS_ENOMEM;
		}
	}
	return AIS_OK;
}

static ais_err
ais_cconfig_check_dur(
    const json_t *v, const char *path, char *errbuf, size_t errlen)
{
	int64_t ns;
	char shown[96];

	if (json_is_string(v)
	    && ais_dur_parse(json_string_value(v), &ns) == AIS_OK) {
		return AIS_OK;
	}
	ais_json_show(v, shown, sizeof(shown));
	ais_errbuf_set(errbuf, errlen,
	    "invalid cluster config: %s %s: invalid duration", path, shown);
	return AIS_EINVAL;
}

static ais_err
ais_cconfig_check_durs(json_t *root, char *errbuf, size_t errlen)
{
	for (size_t i = 0;
	     i < sizeof(ais_cconfig_durs) / sizeof(ais_cconfig_durs[0]); i++) {
		const char *p = ais_cconfig_durs[i];
		size_t n = strlen(p);
		ais_err err;

		if (n > 2 && strcmp(p + n - 2, ".*") == 0) {
			char sec[64];
			const char *k;
			json_t *v, *obj;

			snprintf(sec, sizeof(sec), "%.*s", (int) (n - 2), p);
			obj = ais_json_path(root, sec);
			json_object_foreach(obj, k, v)
			{
				char path[128];
				if (json_is_object(v) || json_is_array(v)) {
					continue;
				}
				snprintf(path, sizeof(path), "%s.%s", sec, k);
				err = ais_cconfig_check_dur(
				    v, path, errbuf, errlen);
				if (err != AIS_OK) {
					return err;
				}
			}
			continue;
		}
		const json_t *v = ais_json_path(root, p);
		if (v == NULL) {
			continue; /* the section itself was replaced */
		}
		err = ais_cconfig_check_dur(v, p, errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
	}
	return AIS_OK;
}

/* Validates a size leaf and, if it came as a number, stores the IEC
 * string. *bytes gets the value (0 if absent). */
static ais_err
ais_cconfig_check_size(json_t *root, const char *path, int64_t *bytes,
    char *errbuf, size_t errlen)
{
	char sec[64], shown[96];
	const char *dot = strrchr(path, '.');
	json_t *parent, *v;
	int64_t n = 0;

	*bytes = 0;
	snprintf(sec, sizeof(sec), "%.*s", (int) (dot - path), path);
	parent = ais_json_path(root, sec);
	v = ais_json_get_ci(parent, dot + 1);
	if (v == NULL) {
		return AIS_OK;
	}
	if (json_is_string(v)
	    && ais_size_parse(json_string_value(v), &n) == AIS_OK && n >= 0) {
		*bytes = n;
		return AIS_OK;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		char buf[32];
		n = json_integer_value(v);
		ais_size_format(n, buf, sizeof(buf));
		if (json_object_set_new(parent, dot + 1, json_string(buf))
		    != 0) {
			return AIS_ENOMEM;
		}
		*bytes = n;
		return AIS_OK;
	}
	ais_json_show(v, shown, sizeof(shown));
	ais_errbuf_set(errbuf, errlen,
	    "invalid cluster config: %s %s: invalid size", path, shown);
	return AIS_EINVAL;
}

static ais_err
ais_cconfig_check_int(const json_t *root, const char *path, int64_t lo,
    int64_t hi, int64_t *out, char *errbuf, size_t errlen)
{
	const json_t *v = ais_json_path(root, path);
	char shown[96];

	if (json_is_integer(v) && json_integer_value(v) >= lo
	    && json_integer_value(v) <= hi) {
		if (out != NULL) {
			*out = json_integer_value(v);
		}
		return AIS_OK;
	}
	ais_json_show(v, shown, sizeof(shown));
	ais_errbuf_set(errbuf, errlen,
	    "invalid cluster config: %s %s: must be an integer in "
	    "[%" PRId64 ", %" PRId64 "]",
	    path, shown, lo, hi);
	return AIS_EINVAL;
}

static ais_err
ais_cconfig_check_space(json_t *root, char *errbuf, size_t errlen)
{
	static const char *const keys[] = {
		"cleanupwm",
		"lowwm",
		"highwm",
		"out_of_space",
	};
	static const int defs[] = { 65, 75, 90, 95 };
	json_t *space = ais_json_get_ci(root, "space");
	int64_t wm[4];
	bool all_zero = true;

	for (size_t i = 0; i < 4; i++) {
		char path[64];
		snprintf(path, sizeof(path), "space.%s", keys[i]);
		if (ais_cconfig_check_int(
		        root, path, 0, 100, &wm[i], errbuf, errlen)
		    != AIS_OK) {
			return AIS_EINVAL;
		}
		all_zero = all_zero && wm[i] == 0;
	}
	if (all_zero) {
		/* AIS: all four zero means "use the defaults". */
		for (size_t i = 0; i < 4; i++) {
			wm[i] = defs[i];
			json_object_set_new(
			    space, keys[i], json_integer(defs[i]));
		}
	}
	if (!(wm[0] > 0 && wm[0] <= wm[1] && wm[1] <= wm[2] && wm[2] <= wm[3]
	        && wm[3] <= 100)) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: space watermarks must satisfy "
		    "0 < cleanupwm (%" PRId64 ") <= lowwm (%" PRId64
		    ") <= highwm (%" PRId64 ") <= out_of_space (%" PRId64
		    ") <= 100",
		    wm[0], wm[1], wm[2], wm[3]);
		return AIS_EINVAL;
	}
	return AIS_OK;
}

/* Decimal-string leaves at the top level (Go ",string" fields):
 * normalized to the string form. */
static ais_err
ais_cconfig_norm_decimal(
    json_t *root, const char *key, uint64_t *out, char *errbuf, size_t errlen)
{
	char shown[96], buf[32];
	uint64_t u = 0;

	if (ais_json_uint64(root, key, &u) != AIS_OK) {
		ais_json_show(
		    json_object_get(root, key), shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: %s %s: must be a non-negative "
		    "integer",
		    key, shown);
		return AIS_EINVAL;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, u);
	if (json_object_set_new(root, key, json_string(buf)) != 0) {
		return AIS_ENOMEM;
	}
	*out = u;
	return AIS_OK;
}

/* The "s3" section (AIStore-C's own; AIS has none): auth_required,
 * redirect and root booleans, region a non-empty string, domain a host
 * name or "" (virtual-hosted-style addressing off), keys an object
 * mapping each access key to its secret key, both non-empty strings (the
 * access key also short enough for SigV4 credentials and free of '/').
 * Auth without a single key would refuse every request, so it is refused
 * here. */
static ais_err
ais_cconfig_check_s3(json_t *root, char *errbuf, size_t errlen)
{
	json_t *s3 = ais_json_get_ci(root, "s3");
	json_t *keys, *v;
	const char *k;
	char shown[96];

	if (!json_is_object(s3)) {
		ais_json_show(s3, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: s3 %s: expected an object",
		    shown);
		return AIS_EINVAL;
	}
	v = ais_json_get_ci(s3, "region");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		ais_json_show(v, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: s3.region %s: must be a "
		    "non-empty string",
		    shown);
		return AIS_EINVAL;
	}
	v = ais_json_get_ci(s3, "domain");
	if (!json_is_string(v) || strchr(json_string_value(v), ':') != NULL
	    || strchr(json_string_value(v), '/') != NULL) {
		ais_json_show(v, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: s3.domain %s: must be a host "
		    "name (\"\" = no virtual hosts)",
		    shown);
		return AIS_EINVAL;
	}
	keys = ais_json_get_ci(s3, "keys");
	if (!json_is_object(keys)) {
		ais_json_show(keys, shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: s3.keys %s: expected an object "
		    "{\"<access key>\": \"<secret key>\"}",
		    shown);
		return AIS_EINVAL;
	}
	json_object_foreach(keys, k, v)
	{
		size_t kl = strlen(k);
		if (kl == 0 || kl > 127 || strchr(k, '/') != NULL) {
			ais_errbuf_set(errbuf, errlen,
			    "invalid cluster config: s3.keys: access key "
			    "\"%.64s\" must be 1 to 127 characters without "
			    "'/'",
			    k);
			return AIS_EINVAL;
		}
		if (!json_is_string(v) || json_string_length(v) == 0) {
			/* The secret itself is never echoed. */
			ais_errbuf_set(errbuf, errlen,
			    "invalid cluster config: s3.keys.%.64s: the "
			    "secret key must be a non-empty string",
			    k);
			return AIS_EINVAL;
		}
	}
	if (json_is_true(ais_json_get_ci(s3, "auth_required"))
	    && json_object_size(keys) == 0) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: s3.auth_required needs at least "
		    "one access key in s3.keys");
		return AIS_EINVAL;
	}
	return AIS_OK;
}

static ais_err
ais_cconfig_validate(json_t *root, int64_t *version, char *uuid,
    size_t uuidlen, char *errbuf, size_t errlen)
{
	int64_t max_size = 0, max_total = 0, bytes;
	const char *ck, *id;
	bool ok, b;
	uint64_t u;
	ais_err err;

	err = ais_cconfig_check_durs(root, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	for (size_t i = 0;
	     i < sizeof(ais_cconfig_sizes) / sizeof(ais_cconfig_sizes[0]);
	     i++) {
		err = ais_cconfig_check_size(
		    root, ais_cconfig_sizes[i], &bytes, errbuf, errlen);
		if (err != AIS_OK) {
			return err;
		}
		if (strcmp(ais_cconfig_sizes[i], "log.max_size") == 0) {
			max_size = bytes;
		} else if (strcmp(ais_cconfig_sizes[i], "log.max_total")
		    == 0) {
			max_total = bytes;
		}
	}
	if (max_total < 2 * max_size) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: log.max_total (%" PRId64
		    ") must be at least twice log.max_size (%" PRId64 ")",
		    max_total, max_size);
		return AIS_EINVAL;
	}
	if (ais_cconfig_check_int(root, "keepalivetracker.proxy.factor", 1, 10,
	        NULL, errbuf, errlen)
	        != AIS_OK
	    || ais_cconfig_check_int(root, "keepalivetracker.target.factor", 1,
	           10, NULL, errbuf, errlen)
	        != AIS_OK
	    || ais_cconfig_check_int(root, "keepalivetracker.num_retries", 1,
	           10, NULL, errbuf, errlen)
	        != AIS_OK) {
		return AIS_EINVAL;
	}
	err = ais_cconfig_check_space(root, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	ck = json_string_value(ais_json_path(root, "checksum.type"));
	ok = false;
	for (size_t i = 0; ck != NULL
	     && i < sizeof(ais_cconfig_cksums) / sizeof(ais_cconfig_cksums[0]);
	     i++) {
		ok = ok || strcmp(ck, ais_cconfig_cksums[i]) == 0;
	}
	if (!ok) {
		char shown[96];
		ais_json_show(ais_json_path(root, "checksum.type"), shown,
		    sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: checksum.type %s: unknown "
		    "checksum (none, xxhash, xxhash2, md5, crc32c, sha256, "
		    "sha512)",
		    shown);
		return AIS_EINVAL;
	}
	b = json_is_true(ais_json_path(root, "versioning.validate_warm_get"));
	if (b && !json_is_true(ais_json_path(root, "versioning.enabled"))) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: versioning.validate_warm_get "
		    "requires versioning.enabled");
		return AIS_EINVAL;
	}
	err = ais_cconfig_check_s3(root, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	err = ais_cconfig_norm_decimal(
	    root, "config_version", &u, errbuf, errlen);
	if (err == AIS_OK && u > (uint64_t) INT64_MAX) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: config_version %" PRIu64
		    ": out of range",
		    u);
		err = AIS_EINVAL;
	}
	if (err != AIS_OK) {
		return err;
	}
	*version = (int64_t) u;
	err = ais_cconfig_norm_decimal(root, "features", &u, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	id = json_string_value(json_object_get(root, "uuid"));
	if (id == NULL || strlen(id) >= uuidlen) {
		char shown[96];
		ais_json_show(
		    json_object_get(root, "uuid"), shown, sizeof(shown));
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: uuid %s: must be a string of at "
		    "most %zu characters",
		    shown, uuidlen - 1);
		return AIS_EINVAL;
	}
	snprintf(uuid, uuidlen, "%s", id);
	return AIS_OK;
}

ais_err
ais_cconfig_from_json(
    const json_t *overlay, ais_cconfig **out, char *errbuf, size_t errlen)
{
	json_t *root;
	ais_cconfig *c = NULL;
	int64_t version = 0;
	char uuid[sizeof(c->uuid)] = "";
	ais_err err;

	if (overlay != NULL && !json_is_object(overlay)) {
		ais_errbuf_set(errbuf, errlen,
		    "invalid cluster config: expected a JSON object");
		return AIS_EINVAL;
	}
	root = ais_cconfig_default_json();
	if (root == NULL) {
		ais_errbuf_set(errbuf, errlen, "out of memory");
		return AIS_ENOMEM;
	}
	if (overlay != NULL) {
		err = ais_cconfig_merge(
		    root, (json_t *) overlay, "", 0, errbuf, errlen);
		if (err != AIS_OK) {
			goto fail;
		}
	}
	err = ais_cconfig_validate(
	    root, &version, uuid, sizeof(uuid), errbuf, errlen);
	if (err != AIS_OK) {
		goto fail;
	}
	err = ais_cconfig_new(root, &c);
	if (err != AIS_OK) {
		goto fail;
	}
	c->version = version;
	snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
	*out = c;
	return AIS_OK;
fail:
	if (err == AIS_ENOMEM) {
		ais_errbuf_set(errbuf, errlen, "out of memory");
	}
	json_decref(root);
	return err;
}

ais_err
ais_cconfig_load_file(
    const char *path, ais_cconfig **out, char *errbuf, size_t errlen)
{
	char msg[512];
	json_t *j = NULL;
	ais_err err;

	if (path == NULL) {
		ais_errbuf_set(errbuf, errlen, "no cluster config file given");
		return AIS_EINVAL;
	}
	err = ais_cfg_read_json(path, &j, errbuf, errlen);
	if (err != AIS_OK) {
		return err;
	}
	msg[0] = '\0';
	err = ais_cconfig_from_json(j, out, msg, sizeof(msg));
	json_decref(j);
	if (err != AIS_OK) {
		ais_errbuf_set(
		    errbuf, errlen, "config file \"%s\": %s", path, msg);
	}
	return err;
}

ais_err
ais_cconfig_clone(const ais_cconfig *src, ais_cconfig **out)
{
	json_t *root = json_deep_copy(src->root);
	ais_cconfig *c;

	if (root == NULL || ais_cconfig_new(root, &c) != AIS_OK) {
		json_decref(root);
		return AIS_ENOMEM;
	}
	c->version = src->version;
	memcpy(c->uuid, src->uuid, sizeof(c->uuid));
	*out = c;
	return AIS_OK;
}

void
ais_cconfig_set_version(ais_cconfig *c, int64_t version, const char *uuid)
{
	char buf[32], ts[64], date[40];
	struct timespec now;
	struct tm tm;

	c->version = version;
	if (uuid != NULL) {
		snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
	}
	snprintf(buf, sizeof(buf), "%" PRId64, version);
	json_object_set_new(c->root, "config_version", json_string(buf));
	json_object_set_new(c->root, "uuid", json_string(c->uuid));
	/* Go's time.Time.String() of a UTC time, as AIS writes it. */
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(ts, sizeof(ts), "%s.%09ld +0000 UTC", date, now.tv_nsec);
	json_object_set_new(c->root, "lastupdate_time", json_string(ts));
}

void
ais_cconfig_hold(ais_cconfig *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void
ais_cconfig_rele(ais_cconfig *c)
{
	if (c == NULL) {
		return;
	}
	if (atomic_fetch_sub(&c->refs, 1) == 1) {
		json_decref(c->root);
		c->root = NULL;
		free(c);
	}
}

char *
ais_cconfig_dumps(const ais_cconfig *c)
{
	return json_dumps(c->root, JSON_COMPACT);
}

static const json_t *
ais_cconfig_get(const ais_cconfig *c, const char *path)
{
	if (c == NULL || c->root == NULL || path == NULL) {
		return NULL;
	}
	return ais_json_path(c->root, path);
}

int64_t
ais_cconfig_dur_ms(const ais_cconfig *c, const char *path, int64_t def_ms)
{
	const json_t *v = ais_cconfig_get(c, path);
	int64_t ns;

	if (!json_is_string(v)
	    || ais_dur_parse(json_string_value(v), &ns) != AIS_OK) {
		return def_ms;
	}
	return ns / 1000000;
}

/* Numbers, decimal strings ("features") and, as a convenience, size
 * strings ("64MiB") all read as integers. */
int64_t
ais_cconfig_int(const ais_cconfig *c, const char *path, int64_t def)
{
	const json_t *v = ais_cconfig_get(c, path);
	int64_t n;

	if (json_is_integer(v)) {
		return json_integer_value(v);
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end = NULL;
		long long x;
		errno = 0;
		x = strtoll(s, &end, 10);
		if (*s != '\0' && errno == 0 && *end == '\0') {
			return x;
		}
		if (ais_size_parse(s, &n) == AIS_OK) {
			return n;
		}
	}
	return def;
}

bool
ais_cconfig_bool(const ais_cconfig *c, const char *path, bool def)
{
	const json_t *v = ais_cconfig_get(c, path);

	if (json_is_boolean(v)) {
		return json_is_true(v);
	}
	if (json_is_string(v)) {
		if (strcasecmp(json_string_value(v), "true") == 0) {
			return true;
		}
		if (strcasecmp(json_string_value(v), "false") == 0) {
			return false;
		}
	}
	return def;
}

const char *
ais_cconfig_str(const ais_cconfig *c, const char *path, const char *def)
{
	const json_t *v = ais_cconfig_get(c, path);

	return json_is_string(v) ? json_string_value(v) : def;
}

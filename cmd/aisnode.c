/*
 * aisnode: one AIStore-C node (proxy or target) in the foreground.
 *
 * Wiring only: parse flags, load and validate config (any problem: one line
 * on stderr, exit 2), load the node ID and persisted metadata, start the
 * actor runtime and the supervised actors, then the HTTP server, and wait for
 * SIGTERM/SIGINT. Shutdown goes in reverse: HTTP stops taking requests,
 * actors stop (metasync last), the runtime closes, the current metadata is
 * persisted once more, exit 0 (or the code an actor asked for).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "actors/node/mpath.h"
#include "actors/node/node.h"
#include "actors/node/node_actors.h"
#include "actors/node/rebalance.h"
#include "core/bmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metafile.h"
#include "core/mpset.h"
#include "core/nodeid.h"
#include "core/smap.h"
#include "dsort/job.h"
#include "dsort/proxy.h"
#include "http/server.h"

#define EXIT_CONFIG 2

typedef struct node_flags {
	const char *role;
	const char *local_config;
	const char *config;
	const char *confdir;
	const char *log_dir;
	const char *host;
	const char *port;
	const char *port_intra_control;
	const char *port_intra_data;
	const char *mountpaths;
	const char *primary_url;
	const char *daemon_id;
	const char *loglevel;
} node_flags;

static void __attribute__((noreturn, format(printf, 1, 2)))
node_die_config(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("aisnode: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_CONFIG);
}

static void
node_usage(void)
{
	fprintf(stdout,
	    "usage: aisnode -role=proxy|target [-local_config=FILE] "
	    "[-config=FILE]\n"
	    "       [-confdir=DIR] [-log_dir=DIR] [-host=HOST] [-port=N]\n"
	    "       [-port_intra_control=N] [-port_intra_data=N]\n"
	    "       [-mountpaths=/a,/b] [-primary_url=URL] [-daemon_id=ID]\n"
	    "       [-loglevel=0..4]\n");
}

/* Go-style flags: -name=value, --name=value, or -name value. */
static void
node_flags_parse(int argc, char **argv, node_flags *f)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
#define NODE_FLAG_(n) { #n, offsetof(node_flags, n) }
		NODE_FLAG_(role), NODE_FLAG_(local_config), NODE_FLAG_(config),
		NODE_FLAG_(confdir), NODE_FLAG_(log_dir), NODE_FLAG_(host),
		NODE_FLAG_(port), NODE_FLAG_(port_intra_control),
		NODE_FLAG_(port_intra_data), NODE_FLAG_(mountpaths),
		NODE_FLAG_(primary_url), NODE_FLAG_(daemon_id),
		NODE_FLAG_(loglevel),
#undef NODE_FLAG_
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			node_die_config("unexpected argument \"%s\"", a);
		}
		a += (a[1] == '-') ? 2 : 1;
		if (strcmp(a, "h") == 0 || strcmp(a, "help") == 0) {
			node_usage();
			exit(0);
		}
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t) (eq - a) : strlen(a);
		const char *val = eq ? eq + 1 : NULL;
		size_t k;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (strlen(known[k].name) == nlen &&
			    strncmp(known[k].name, a, nlen) == 0) {
				break;
			}
		}
		if (k == sizeof(known) / sizeof(known[0])) {
			node_die_config("unknown flag \"%s\" (see -help)",
			    argv[i]);
		}
		if (val == NULL) {
			if (i + 1 >= argc) {
				node_die_config("flag -%s needs a value",
				    known[k].name);
			}
			val = argv[++i];
		}
		*(const char **) ((char *) f + known[k].off) = val;
	}
}

static uint16_t
node_port(const char *name, const char *s)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535) {
		node_die_config("-%s must be a port number (1-65535), got "
				"\"%s\"",
		    name, s);
	}
	return (uint16_t) v;
}

static void
node_config_load(const node_flags *f, ais_node *n)
{
	char ebuf[512];
	ais_local_config *lc = &n->lcfg;

	if (f->role == NULL) {
		node_die_config("missing -role (proxy or target)");
	}
	if (strcmp(f->role, "proxy") == 0) {
		n->role = AIS_ROLE_PROXY;
	} else if (strcmp(f->role, "target") == 0) {
		n->role = AIS_ROLE_TARGET;
	} else {
		node_die_config("invalid -role \"%s\": expecting proxy or "
				"target",
		    f->role);
	}
	if (f->local_config != NULL) {
		if (ais_local_config_load(f->local_config, lc, ebuf,
			sizeof(ebuf)) != AIS_OK) {
			node_die_config("%s", ebuf);
		}
	}
	if (f->confdir != NULL) {
		snprintf(lc->confdir, sizeof(lc->confdir), "%s", f->confdir);
	}
	if (f->log_dir != NULL) {
		snprintf(lc->log_dir, sizeof(lc->log_dir), "%s", f->log_dir);
	}
	if (f->host != NULL) {
		snprintf(lc->hostname, sizeof(lc->hostname), "%s", f->host);
	}
	if (f->port != NULL) {
		lc->port = node_port("port", f->port);
	}
	if (f->port_intra_control != NULL) {
		lc->port_intra_control =
		    node_port("port_intra_control", f->port_intra_control);
	}
	if (f->port_intra_data != NULL) {
		lc->port_intra_data =
		    node_port("port_intra_data", f->port_intra_data);
	}
	if (f->mountpaths != NULL) {
		char *dup = strdup(f->mountpaths), *save = NULL;
		for (char *p = strtok_r(dup, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save)) {
			if (ais_local_config_add_fspath(lc, p, "", ebuf,
				sizeof(ebuf)) != AIS_OK) {
				free(dup);
				node_die_config("%s", ebuf);
			}
		}
		free(dup);
	}
	if (lc->log_dir[0] == '\0' && lc->confdir[0] != '\0') {
		int k = snprintf(lc->log_dir, sizeof(lc->log_dir), "%s/log",
		    lc->confdir);
		if (k < 0 || (size_t) k >= sizeof(lc->log_dir)) {
			node_die_config("confdir path too long");
		}
	}
	if (ais_local_config_validate(lc, n->role, ebuf, sizeof(ebuf)) !=
	    AIS_OK) {
		node_die_config("%s", ebuf);
	}
	for (size_t i = 0; i < lc->nfspaths; i++) {
		struct stat st;
		if (stat(lc->fspaths[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			node_die_config("mountpath \"%s\" is not a directory",
			    lc->fspaths[i]);
		}
		ais_mpath probe;
		if (ais_mpath_init(&probe, lc->fspaths[i]) != AIS_OK) {
			node_die_config("invalid mountpath \"%s\"",
			    lc->fspaths[i]);
		}
	}
	if (f->primary_url != NULL) {
		snprintf(n->primary_url, sizeof(n->primary_url), "%s",
		    f->primary_url);
	}
	if (n->role == AIS_ROLE_TARGET && n->primary_url[0] == '\0') {
		char path[PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/.ais.smap", lc->confdir);
		if (access(path, F_OK) != 0) {
			node_die_config("a target needs -primary_url to join "
					"(no persisted cluster map in %s)",
			    lc->confdir);
		}
	}
}

static int
node_mkdirs(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
				return -1;
			}
			*p = '/';
		}
	}
	return (mkdir(tmp, 0755) != 0 && errno != EEXIST) ? -1 : 0;
}

/* Cluster config: the persisted (newest accepted) one, else the -config
 * file, else the defaults. */
static void
node_ccfg_load(const node_flags *f, ais_node *n)
{
	char ebuf[512], path[PATH_MAX + 16];
	char *text = NULL;
	size_t len = 0;
	ais_cconfig *c = NULL;

	ais_node_meta_path(n, "conf", path, sizeof(path));
	ais_err err = ais_metafile_load(path, &text, &len);
	if (err == AIS_OK) {
		json_error_t jerr;
		json_t *j = json_loadb(text, len, 0, &jerr);
		free(text);
		if (j == NULL ||
		    ais_cconfig_from_json(j, &c, ebuf, sizeof(ebuf)) !=
			AIS_OK) {
			json_decref(j);
			node_die_config("persisted cluster config %s is "
					"corrupted",
			    path);
		}
		json_decref(j);
	} else if (err != AIS_ENOENT) {
		node_die_config("cannot read %s: %s", path, ais_strerror(err));
	} else if (f->config != NULL) {
		if (ais_cconfig_load_file(f->config, &c, ebuf, sizeof(ebuf)) !=
		    AIS_OK) {
			node_die_config("%s", ebuf);
		}
	} else if (ais_cconfig_default(&c) != AIS_OK) {
		node_die_config("out of memory");
	}
	ais_snapslot_set(&n->ccfg, c);
}

static void
node_meta_load(ais_node *n)
{
	char path[PATH_MAX + 16];
	char *text = NULL;
	size_t len = 0;

	ais_node_meta_path(n, "smap", path, sizeof(path));
	ais_err err = ais_metafile_load(path, &text, &len);
	if (err == AIS_OK) {
		ais_smap *m = NULL;
		err = ais_smap_loads(text, len, &m);
		free(text);
		if (err != AIS_OK) {
			node_die_config("persisted cluster map %s is corrupted",
			    path);
		}
		ais_snapslot_set(&n->smap, m);
	} else if (err != AIS_ENOENT) {
		node_die_config("cannot read %s: %s", path, ais_strerror(err));
	}
	ais_node_meta_path(n, "bmd", path, sizeof(path));
	err = ais_metafile_load(path, &text, &len);
	if (err == AIS_OK) {
		ais_bmd *b = NULL;
		err = ais_bmd_loads(text, len, &b);
		free(text);
		if (err != AIS_OK) {
			node_die_config("persisted bucket metadata %s is "
					"corrupted",
			    path);
		}
		ais_snapslot_set(&n->bmd, b);
	} else if (err != AIS_ENOENT) {
		node_die_config("cannot read %s: %s", path, ais_strerror(err));
	}
}

/* Saves the published versions once more on shutdown (every version was
 * already persisted when it was installed; this covers a confdir that was
 * tampered with while running). */
static void
node_meta_persist(ais_node *n)
{
	char path[PATH_MAX + 16];
	if (atomic_load(&n->forget_meta)) {
		/* Decommissioned: the next start is a new node that joins by
		 * -primary_url, not a member coming back. */
		const char *what[] = { "smap", "bmd", "conf", "rmd" };
		for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
			ais_node_meta_path(n, what[i], path, sizeof(path));
			unlink(path);
		}
		return;
	}
	ais_smap *m = ais_node_smap(n);
	ais_bmd *b = ais_node_bmd(n);
	ais_cconfig *c = ais_node_ccfg(n);
	char *t;
	if (m != NULL && m->version > 0 && (t = ais_smap_dumps(m)) != NULL) {
		ais_node_meta_path(n, "smap", path, sizeof(path));
		ais_metafile_save(path, t, strlen(t));
		free(t);
	}
	if (b != NULL && b->version > 0 && (t = ais_bmd_dumps(b)) != NULL) {
		ais_node_meta_path(n, "bmd", path, sizeof(path));
		ais_metafile_save(path, t, strlen(t));
		free(t);
	}
	if (c != NULL && c->version > 0 &&
	    (t = ais_cconfig_dumps(c)) != NULL) {
		ais_node_meta_path(n, "conf", path, sizeof(path));
		ais_metafile_save(path, t, strlen(t));
		free(t);
	}
	ais_smap_rele(m);
	ais_bmd_rele(b);
	ais_cconfig_rele(c);
}

static void
node_on_giveup(void *cookie, const char *actor, ais_err last)
{
	AIS_LOGE("AIS-NODE-ACTOR-LOST",
	    "actor %s failed past its restart budget (%s); shutting down",
	    actor, ais_strerror(last));
	ais_node_shutdown(cookie, 1);
}

/* Target: the mountpath set. The persisted state <confdir>/.ais.vmd wins
 * over the config's fspaths, so runtime attach/detach/enable/disable
 * survive a restart; an fspath the config gained since the file last saw
 * it is attached, one the admin detached stays detached, a missing
 * directory is disabled (rule: ais_vmd_startup, core/mpset.h). Proxies:
 * an empty set. */
static void
node_mpaths_load(ais_node *n)
{
	ais_vmd *v = calloc(1, sizeof(*v));
	ais_mpset *set = NULL;
	char file[PATH_MAX + 16];
	bool changed = false;

	if (v == NULL) {
		node_die_config("out of memory");
	}
	if (n->role == AIS_ROLE_TARGET) {
		snprintf(file, sizeof(file), "%s/%s", n->lcfg.confdir,
		    AIS_VMD_FILE);
		ais_vmd_startup(file, n->lcfg.fspaths, n->lcfg.fslabels,
		    n->lcfg.nfspaths, v, &changed);
		if (changed && ais_vmd_save(file, v) != AIS_OK) {
			AIS_LOGE("AIS-MPATH-VMD-SAVE", "cannot save %s", file);
		}
	}
	if (ais_vmd_to_mpset(v, v->version, &set) != AIS_OK) {
		node_die_config("invalid mountpaths");
	}
	free(v);
	ais_node_mpset_publish(n, set);
}

int
main(int argc, char **argv)
{
	static ais_node node; /* lives for the whole process */
	ais_node *n = &node;
	node_flags f = { 0 };
	char ebuf[512], path[PATH_MAX + 32];
	sigset_t sigs;

	/* Block the stop signals before any thread exists, so every thread
	 * inherits the mask and only sigwait() below sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	node_flags_parse(argc, argv, &f);
	node_config_load(&f, n);
	if (f.loglevel != NULL) {
		int lvl = atoi(f.loglevel);
		if (lvl < 0 || lvl > AIS_LOG_DEBUG) {
			node_die_config("-loglevel must be 0..4");
		}
		ais_log_level = lvl;
	}
	if (node_mkdirs(n->lcfg.confdir) != 0) {
		node_die_config("cannot create confdir %s: %s", n->lcfg.confdir,
		    strerror(errno));
	}
	if (node_mkdirs(n->lcfg.log_dir) != 0) {
		node_die_config("cannot create log_dir %s: %s", n->lcfg.log_dir,
		    strerror(errno));
	}
	int plen = snprintf(path, sizeof(path), "%s/aisnode.log",
	    n->lcfg.log_dir);
	if (plen < 0 || (size_t) plen >= sizeof(path)) {
		node_die_config("log_dir path too long");
	}
	if (ais_log_open(path) != 0) {
		node_die_config("cannot open log %s: %s", path,
		    strerror(errno));
	}

	char id[AIS_ID_MAX + 1];
	if (ais_nodeid_load_or_create(n->lcfg.confdir, n->lcfg.fspaths,
		n->lcfg.nfspaths, f.daemon_id, id, ebuf,
		sizeof(ebuf)) != AIS_OK) {
		node_die_config("%s", ebuf);
	}
	ais_log_set_node(id);
	if (ais_snode_init(&n->self, id, n->role, n->lcfg.hostname,
		n->lcfg.port, n->lcfg.port_intra_control,
		n->lcfg.port_intra_data) != AIS_OK) {
		node_die_config("invalid node identity or host");
	}
	ais_node_snapslots_init(n);
	node_mpaths_load(n);
	node_ccfg_load(&f, n);
	node_meta_load(n);
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		n->start_ns = (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ais_tgt_trash_sweep(n);
	AIS_LOGN("AIS-NODE-START", "%s %s: public %s, control %s",
	    n->role == AIS_ROLE_PROXY ? "proxy" : "target", id,
	    n->self.pub.url, n->self.ctrl.url);

	int code = 1;
	act_sup_policy pol = {
		.max_restarts = 5,
		.window_ms = 60000,
		.backoff_min_ms = 100,
		.backoff_max_ms = 5000,
		.on_giveup = node_on_giveup,
		.cookie = n,
	};
	http_server *http = NULL;
	ais_err err = act_rt_open(id, n->self.ctrl.url, &n->rt);
	if (err != AIS_OK) {
		fprintf(stderr, "aisnode: cannot listen on %s: %s\n",
		    n->self.ctrl.url, ais_strerror(err));
		goto out;
	}
	if ((err = act_sup_open(n->rt, &pol, &n->sup)) != AIS_OK ||
	    (err = act_sup_start_child(n->sup, &ais_metasync_ops, n, NULL)) !=
		AIS_OK ||
	    (err = act_sup_start_child(n->sup, &ais_membership_ops, n,
		 NULL)) != AIS_OK ||
	    (err = act_sup_start_child(n->sup, &ais_buckets_ops, n, NULL)) !=
		AIS_OK ||
	    (err = act_sup_start_child(n->sup, &ais_keepalive_ops, n, NULL)) !=
		AIS_OK ||
	    (n->role == AIS_ROLE_TARGET &&
		(err = act_sup_start_child(n->sup, &ais_mpath_ops, n, NULL)) !=
		    AIS_OK) ||
	    (err = ais_reb_start_actors(n->sup, n)) != AIS_OK ||
	    /* "dsort": the job actors on targets, the API on proxies */
	    (err = ais_dsort_start_actors(n->sup, n)) != AIS_OK ||
	    (err = ais_dsort_proxy_start_actors(n->sup, n)) != AIS_OK) {
		fprintf(stderr, "aisnode: cannot start actors: %s\n",
		    ais_strerror(err));
		goto out;
	}
	err = http_server_start(n, n->lcfg.port, n->lcfg.hostname, &http);
	if (err != AIS_OK) {
		fprintf(stderr, "aisnode: cannot serve HTTP on %s: %s\n",
		    n->self.pub.url, ais_strerror(err));
		goto out;
	}

	int sig = 0;
	sigwait(&sigs, &sig);
	atomic_store(&n->stopping, true);
	code = atomic_load(&n->exit_code);
	AIS_LOGN("AIS-NODE-STOP", "stopping (%s), exit code %d",
	    code ? "requested" : strsignal(sig), code);
out:
	atomic_store(&n->stopping, true);
	if (http != NULL) {
		http_server_stop(http);
	}
	if (n->sup != NULL) {
		act_sup_close(n->sup);
	}
	if (n->rt != NULL) {
		act_rt_close(n->rt);
	}
	node_meta_persist(n);
	ais_node_snapslots_fini(n);
	ais_local_config_fini(&n->lcfg);
	curl_global_cleanup();
	AIS_LOGN("AIS-NODE-EXIT", "exit %d", code);
	ais_log_close();
	return code;
}

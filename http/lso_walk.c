/*
 * The sorted, bounded walk of a target's object directories (http/lso.h
 * explains why sorting each directory by name, with '/' appended to
 * directory names, yields full names in byte order), the k-way merge of
 * one walk per mountpath, and a target's list page built on top.
 *
 * Each root keeps a stack of directory frames. A frame holds the smallest
 * `cap` candidate entries of its directory still to visit; when they run
 * out and the directory had more, it is read again from just after the
 * last one kept. Candidates are files after the token that match the
 * prefix, and directories that may contain such files; everything else is
 * dropped while reading, so a listing that resumes deep into a bucket does
 * not open the subtrees it already passed.
 */
#include "http/lso.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct lsw_dent {
	char *key; /* component, '/' appended for a directory */
	bool dir;
} lsw_dent;

typedef struct lsw_frame {
	char *rel; /* directory relative to the root, '/'-terminated
	            * ("" for the root itself) */
	size_t rel_len;
	lsw_dent *ents; /* sorted candidates still to visit: [i, n) */
	size_t n;
	size_t i;
	bool more; /* the directory holds candidates past ents[n-1] */
} lsw_frame;

typedef struct lsw_root {
	char *path; /* the root directory */
	lsw_frame *stack;
	size_t depth;
	size_t stack_cap;
	char *head; /* next name of this root (malloc'd) or NULL */
	size_t head_cap;
} lsw_root;

struct http_lso_walk {
	lsw_root *roots;
	size_t nroots;
	char *prefix;
	char *after; /* "" = no lower bound */
	size_t cap;
	bool started;
	char *cur; /* the name last returned */
	size_t cur_cap;
	char *path; /* its full path */
	size_t path_cap;
	char *scratch; /* candidate names while reading */
	size_t scratch_cap;
};

static ais_err
lsw_reserve(char **buf, size_t *cap, size_t need)
{
	if (need > *cap) {
		size_t ncap = *cap == 0 ? 256 : *cap;
		char *nb;

		while (ncap < need) {
			ncap *= 2;
		}
		nb = realloc(*buf, ncap);
		if (nb == NULL) {
			return AIS_ENOMEM;
		}
		*buf = nb;
		*cap = ncap;
	}
	return AIS_OK;
}

static bool
lsw_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Can `full` (a file name, or a directory name ending in '/') hold a name
 * the walk wants? */
static bool
lsw_candidate(const http_lso_walk *w, const char *full, bool dir)
{
	if (!dir) {
		return (w->after[0] == '\0' || strcmp(full, w->after) > 0)
		    && lsw_starts(full, w->prefix);
	}
	/* every name inside starts with full: all of them are <= after iff
	 * full < after and after is not inside */
	if (w->after[0] != '\0' && strcmp(full, w->after) < 0
	    && !lsw_starts(w->after, full)) {
		return false;
	}
	return lsw_starts(full, w->prefix) || lsw_starts(w->prefix, full);
}

static int
lsw_dent_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const lsw_dent *) a)->key, ((const lsw_dent *) b)->key);
}

static void
lsw_dents_free(lsw_dent *d, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		free(d[i].key);
		d[i].key = NULL;
	}
}

static void
lsw_frame_clear(lsw_frame *f)
{
	lsw_dents_free(f->ents, 0, f->n);
	free(f->ents);
	f->ents = NULL;
	f->n = 0;
	f->i = 0;
	f->more = false;
}

/* Keeps the smallest `cap` of d[0..*n) (sorted); frees the rest. */
static void
lsw_trim(lsw_dent *d, size_t *n, size_t cap, bool *more)
{
	qsort(d, *n, sizeof(*d), lsw_dent_cmp);
	if (*n > cap) {
		lsw_dents_free(d, cap, *n);
		*n = cap;
		*more = true;
	}
}

/* Reads f's directory: the smallest cap candidates with a key > resume
 * (NULL = from the start). A vanished directory is empty. */
static ais_err
lsw_frame_fill(http_lso_walk *w, lsw_root *r, lsw_frame *f, const char *resume)
{
	char *dpath = NULL;
	size_t dcap = 0;
	DIR *d;
	struct dirent *de;
	lsw_dent *ents;
	size_t n = 0;
	size_t ecap = 64; /* grows up to lim + 1 */
	size_t lim = 2 * w->cap;
	bool more = false;
	const char *ceiling = NULL; /* largest kept key once trimmed */
	ais_err err = AIS_OK;
	size_t plen = strlen(r->path);

	lsw_frame_clear(f);
	err = lsw_reserve(&dpath, &dcap, plen + 1 + f->rel_len + 1);
	if (err != AIS_OK) {
		return err;
	}
	memcpy(dpath, r->path, plen);
	dpath[plen] = '/';
	memcpy(dpath + plen + 1, f->rel, f->rel_len + 1);
	d = opendir(dpath);
	free(dpath);
	if (d == NULL) {
		int e = errno;
		return e == ENOENT || e == ENOTDIR ? AIS_OK : (AIS_ESYS | e);
	}
	ents = malloc(ecap * sizeof(*ents));
	if (ents == NULL) {
		closedir(d);
		return AIS_ENOMEM;
	}
	for (;;) {
		const char *nm;
		size_t nl;
		bool dir;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				err = AIS_ESYS | errno;
			}
			break;
		}
		nm = de->d_name;
		nl = strlen(nm);

		if (nm[0] == '.'
		    && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0'))) {
			continue;
		}
		if (de->d_type == DT_DIR) {
			dir = true;
		} else if (de->d_type == DT_REG) {
			dir = false;
		} else {
			struct stat st;

			/* DT_UNKNOWN on some filesystems; symlinks and
			 * specials are not objects */
			if (de->d_type != DT_UNKNOWN
			    || fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW)
			        != 0) {
				continue;
			}
			if (S_ISDIR(st.st_mode)) {
				dir = true;
			} else if (S_ISREG(st.st_mode)) {
				dir = false;
			} else {
				continue;
			}
		}
		err = lsw_reserve(
		    &w->scratch, &w->scratch_cap, f->rel_len + nl + 2);
		if (err != AIS_OK) {
			break;
		}
		memcpy(w->scratch, f->rel, f->rel_len);
		memcpy(w->scratch + f->rel_len, nm, nl);
		if (dir) {
			w->scratch[f->rel_len + nl++] = '/';
		}
		w->scratch[f->rel_len + nl] = '\0';
		/* the key is the tail of scratch */
		if (resume != NULL
		    && strcmp(w->scratch + f->rel_len, resume) <= 0) {
			continue;
		}
		if (ceiling != NULL
		    && strcmp(w->scratch + f->rel_len, ceiling) > 0) {
			continue; /* past the kept ones: would be dropped */
		}
		if (!lsw_candidate(w, w->scratch, dir)) {
			continue;
		}
		if (n == ecap) {
			size_t nc = ecap * 2 > lim + 1 ? lim + 1 : ecap * 2;
			lsw_dent *ne = realloc(ents, nc * sizeof(*ne));

			if (ne == NULL) {
				err = AIS_ENOMEM;
				break;
			}
			ents = ne;
			ecap = nc;
		}
		ents[n].key = strdup(w->scratch + f->rel_len);
		if (ents[n].key == NULL) {
			err = AIS_ENOMEM;
			break;
		}
		ents[n].dir = dir;
		n++;
		if (n > lim) {
			lsw_trim(ents, &n, w->cap, &more);
			ceiling = ents[n - 1].key;
		}
	}
	closedir(d);
	if (err != AIS_OK) {
		lsw_dents_free(ents, 0, n);
		free(ents);
		return err;
	}
	lsw_trim(ents, &n, w->cap, &more);
	f->ents = ents;
	f->n = n;
	f->i = 0;
	f->more = more;
	return AIS_OK;
}

static ais_err
lsw_push(http_lso_walk *w, lsw_root *r, const char *rel, size_t rel_len)
{
	lsw_frame *f;

	if (r->depth == r->stack_cap) {
		size_t cap = r->stack_cap == 0 ? 8 : r->stack_cap * 2;
		lsw_frame *ns = realloc(r->stack, cap * sizeof(*ns));

		if (ns == NULL) {
			return AIS_ENOMEM;
		}
		r->stack = ns;
		r->stack_cap = cap;
	}
	f = &r->stack[r->depth];
	memset(f, 0, sizeof(*f));
	f->rel = malloc(rel_len + 1);
	if (f->rel == NULL) {
		return AIS_ENOMEM;
	}
	memcpy(f->rel, rel, rel_len);
	f->rel[rel_len] = '\0';
	f->rel_len = rel_len;
	r->depth++;
	return lsw_frame_fill(w, r, f, NULL);
}

static void
lsw_pop(lsw_root *r)
{
	lsw_frame *f = &r->stack[--r->depth];

	lsw_frame_clear(f);
	free(f->rel);
	f->rel = NULL;
}

/* Moves r->head to the root's next file name; NULL at the end. */
static ais_err
lsw_root_advance(http_lso_walk *w, lsw_root *r)
{
	ais_err err;

	for (;;) {
		lsw_frame *f;
		lsw_dent *e;
		size_t kl;

		if (r->depth == 0) {
			free(r->head);
			r->head = NULL;
			r->head_cap = 0;
			return AIS_OK;
		}
		f = &r->stack[r->depth - 1];
		if (f->i == f->n) {
			if (f->more) {
				char *resume = f->ents[f->n - 1].key;

				f->ents[f->n - 1].key = NULL;
				err = lsw_frame_fill(w, r, f, resume);
				free(resume);
				if (err != AIS_OK) {
					return err;
				}
			} else {
				lsw_pop(r);
			}
			continue;
		}
		e = &f->ents[f->i++];
		kl = strlen(e->key);
		if (e->dir) {
			char *rel = malloc(f->rel_len + kl + 1);

			if (rel == NULL) {
				return AIS_ENOMEM;
			}
			memcpy(rel, f->rel, f->rel_len);
			memcpy(rel + f->rel_len, e->key, kl + 1);
			err = lsw_push(w, r, rel, f->rel_len + kl);
			free(rel);
			if (err != AIS_OK) {
				return err;
			}
			continue;
		}
		err = lsw_reserve(&r->head, &r->head_cap, f->rel_len + kl + 1);
		if (err != AIS_OK) {
			return err;
		}
		memcpy(r->head, f->rel, f->rel_len);
		memcpy(r->head + f->rel_len, e->key, kl + 1);
		return AIS_OK;
	}
}

void
http_lso_walk_close(http_lso_walk *w)
{
	if (w == NULL) {
		return;
	}
	for (size_t i = 0; i < w->nroots; i++) {
		lsw_root *r = &w->roots[i];

		while (r->depth > 0) {
			lsw_pop(r);
		}
		free(r->stack);
		free(r->head);
		free(r->path);
	}
	free(w->roots);
	free(w->prefix);
	free(w->after);
	free(w->cur);
	free(w->path);
	free(w->scratch);
	free(w);
}

ais_err
http_lso_walk_open(const char *const *roots, size_t nroots, const char *prefix,
    const char *after, size_t cap, http_lso_walk **out)
{
	http_lso_walk *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return AIS_ENOMEM;
	}
	w->cap = cap == 0 ? 1 : cap;
	w->prefix = strdup(prefix == NULL ? "" : prefix);
	w->after = strdup(after == NULL ? "" : after);
	w->roots = calloc(nroots == 0 ? 1 : nroots, sizeof(*w->roots));
	if (w->prefix == NULL || w->after == NULL || w->roots == NULL) {
		http_lso_walk_close(w);
		return AIS_ENOMEM;
	}
	w->nroots = nroots;
	for (size_t i = 0; i < nroots; i++) {
		w->roots[i].path = strdup(roots[i]);
		if (w->roots[i].path == NULL) {
			http_lso_walk_close(w);
			return AIS_ENOMEM;
		}
	}
	*out = w;
	return AIS_OK;
}

ais_err
http_lso_walk_next(
    http_lso_walk *w, const char **name, const char **path, size_t *root)
{
	long best = -1;
	ais_err err;
	size_t nl;
	size_t pl;

	if (!w->started) {
		w->started = true;
		for (size_t i = 0; i < w->nroots; i++) {
			err = lsw_push(w, &w->roots[i], "", 0);
			if (err == AIS_OK) {
				err = lsw_root_advance(w, &w->roots[i]);
			}
			if (err != AIS_OK) {
				return err;
			}
		}
	} else if (w->cur != NULL) {
		/* advance every root whose head was the name returned last
		 * (the same name under two mountpaths is reported once) */
		for (size_t i = 0; i < w->nroots; i++) {
			lsw_root *r = &w->roots[i];

			if (r->head != NULL && strcmp(r->head, w->cur) == 0) {
				err = lsw_root_advance(w, r);
				if (err != AIS_OK) {
					return err;
				}
			}
		}
	}
	for (size_t i = 0; i < w->nroots; i++) {
		if (w->roots[i].head != NULL
		    && (best < 0
		        || strcmp(w->roots[i].head, w->roots[best].head)
		            < 0)) {
			best = (long) i;
		}
	}
	if (best < 0) {
		return AIS_ENOENT;
	}
	nl = strlen(w->roots[best].head);
	pl = strlen(w->roots[best].path);
	if (lsw_reserve(&w->cur, &w->cur_cap, nl + 1) != AIS_OK
	    || lsw_reserve(&w->path, &w->path_cap, pl + 1 + nl + 1)
	        != AIS_OK) {
		return AIS_ENOMEM;
	}
	memcpy(w->cur, w->roots[best].head, nl + 1);
	memcpy(w->path, w->roots[best].path, pl);
	w->path[pl] = '/';
	memcpy(w->path + pl + 1, w->cur, nl + 1);
	*name = w->cur;
	if (path != NULL) {
		*path = w->path;
	}
	if (root != NULL) {
		*root = (size_t) best;
	}
	return AIS_OK;
}

/* A target's page ----------------------------------------------------------
 */

ais_err
http_lso_tgt_page(const char *const *roots, const char *const *mpaths,
    size_t nroots, const char *tid, const http_lso_msg *m, http_lso_page *out)
{
	http_lso_walk *w = NULL;
	const unsigned need_stat = HTTP_LSO_P_SIZE | HTTP_LSO_P_ATIME;
	const unsigned need_lom
	    = HTTP_LSO_P_CHECKSUM | HTTP_LSO_P_VERSION | HTTP_LSO_P_CUSTOM;
	bool name_only = (m->props & ~HTTP_LSO_P_NAME) == 0;
	ais_lom_md *md = NULL;
	char atime[128];
	char *loc = NULL;
	size_t loc_cap = PATH_MAX + 64 + strlen(tid);
	char *custom = NULL;
	ais_err err;

	snprintf(out->uuid, sizeof(out->uuid), "%s", m->uuid);
	out->token[0] = '\0';
	if (m->props & need_lom) {
		md = malloc(sizeof(*md));
		custom = malloc(AIS_LOM_CUSTOM_MAX + 64);
		if (md == NULL || custom == NULL) {
			err = AIS_ENOMEM;
			goto out;
		}
	}
	if (m->props & HTTP_LSO_P_LOCATION) {
		loc = malloc(loc_cap);
		if (loc == NULL) {
			err = AIS_ENOMEM;
			goto out;
		}
	}
	err = http_lso_walk_open(
	    roots, nroots, m->prefix, http_lso_msg_after(m), m->pagesize, &w);
	if (err != AIS_OK) {
		goto out;
	}
	while (out->n < m->pagesize) {
		const char *name;
		const char *path;
		size_t ri;
		http_lso_ent e;

		err = http_lso_walk_next(w, &name, &path, &ri);
		if (err == AIS_ENOENT) {
			err = AIS_OK;
			break;
		}
		if (err != AIS_OK) {
			goto out;
		}
		memset(&e, 0, sizeof(e));
		e.name = name;
		if (!name_only) {
			e.flags = HTTP_LSO_E_PRESENT;
		}
		if (m->props & need_stat) {
			struct stat st;

			if (stat(path, &st) != 0) {
				continue; /* deleted meanwhile */
			}
			if (m->props & HTTP_LSO_P_SIZE) {
				e.size = (int64_t) st.st_size;
			}
			if (m->props & HTTP_LSO_P_ATIME) {
				http_lso_time_fmt(
				    (int64_t) st.st_atim.tv_sec * 1000000000LL
				        + st.st_atim.tv_nsec,
				    m->time_format, atime, sizeof(atime));
				e.atime = atime;
			}
		}
		if (md != NULL && ais_lom_load(path, md) == AIS_OK) {
			if ((m->props & HTTP_LSO_P_CHECKSUM)
			    && md->cksum_type != AIS_CKSUM_NONE) {
				e.cksum = md->cksum_value;
			}
			if (m->props & HTTP_LSO_P_VERSION) {
				e.version = md->version;
			}
			if (m->props & HTTP_LSO_P_CUSTOM) {
				http_lso_custom_fmt(
				    md, custom, AIS_LOM_CUSTOM_MAX + 64);
				e.custom = custom;
			}
		}
		if (loc != NULL) {
			snprintf(
			    loc, loc_cap, "t[%s]:mp[%s]", tid, mpaths[ri]);
			e.location = loc;
		}
		if (m->props & HTTP_LSO_P_COPIES) {
			e.copies = 1;
		}
		err = http_lso_page_add(out, &e);
		if (err != AIS_OK) {
			goto out;
		}
	}
	if (out->n == m->pagesize && out->n > 0) {
		snprintf(out->token, sizeof(out->token), "%s",
		    out->ents[out->n - 1].name);
	}
out:
	http_lso_walk_close(w);
	free(md);
	free(custom);
	free(loc);
	return err;
}

/*
 * Names and paths of the open on-disk format (shared/spec/smap-bmd.md
 * section 5.1):
 *
 *   <mountpath>/@<provider>/[#<ns>/]<bucket>/<kind>/<object name>
 *
 * kind is a content directory: "%ob" objects, "%wk" work files, "%ec",
 * "%mt", "%ds"... Object names are stored verbatim ('/' makes virtual
 * directories), so they are validated first: non-empty, no "." or ".."
 * component, no leading "/" or "~/", no empty component ("a//b"), no NUL,
 * each component <= 255 bytes, whole name <= AIS_OBJNAME_MAX bytes.
 */
#ifndef AIS_CORE_FQN_H
#define AIS_CORE_FQN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define AIS_OBJNAME_MAX 1024
#define AIS_CT_OBJ "%ob"
#define AIS_CT_WORK "%wk"

/* AIS_OK or AIS_EINVAL. trailing_slash_ok: HEAD tolerates "dir/". */
ais_err ais_objname_check(const char *name, size_t len,
    bool trailing_slash_ok);
/* Bucket names: 1..64 of [A-Za-z0-9_.-], no "..", no leading '.'. */
ais_err ais_bckname_check(const char *name);
/* Provider normalization: "" / NULL -> "ais"; aliases s3->aws, gs->gcp,
 * az->azure, oc->oci. NULL if unknown. Returns a static string. */
const char *ais_provider_norm(const char *p);

/* <mpath>/@<provider>[/<ns-dir>]/<bck> into buf; ns "" / "@#" = global,
 * "@#name" -> "#name", "@uuid#name" -> "@uuid#name". AIS_EINVAL if it does
 * not fit. */
ais_err ais_bck_dir(char *buf, size_t len, const char *mpath,
    const char *provider, const char *ns, const char *bck);
/* Full path of an object's content of the given kind. */
ais_err ais_fqn(char *buf, size_t len, const char *mpath,
    const char *provider, const char *ns, const char *bck, const char *kind,
    const char *obj);

/* mkdir -p of path's parent directory (mode 0755): 0 or errno. Concurrent
 * creators of the same directories just see EEXIST. */
int ais_mkdir_parent(const char *path);

#endif

/*
 * Mountpaths over HTTP (h_mountpaths.c) and the per-node reverse route
 * (h_reverse.c):
 *   GET /v1/daemon?what=mountpaths            a target's MountpathList
 *   GET /v1/cluster?what=mountpaths           {tid: MountpathList} (fan-out)
 *   PUT|POST|DELETE /v1/daemon/mountpaths     ActMsg attach-mp, enable-mp,
 *       detach-mp, disable-mp, rescan-mp, fshc-mp; ?mountpath_label=,
 *       ?dntres=true. Answer: the started resilver's job ID as plain text
 *       ("" when none started; AIS clients ignore the body).
 *   /v1/reverse/daemon[/...] + Ais-Node-Id    (proxies) forwards the request
 *       to that node's /v1/daemon[/...] and relays the answer.
 */
#ifndef AIS_HTTP_MOUNTPATHS_H
#define AIS_HTTP_MOUNTPATHS_H

#include "http/server.h"

void http_mountpaths_get(http_req *r);
void http_mountpaths_cluster(http_req *r);
void http_mountpaths_admin(http_req *r);

#endif

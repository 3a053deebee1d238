#!/usr/bin/env bash
# 03-sigterm: SIGTERM is a clean shutdown (exit 0, metadata persisted); both
# nodes restart with the same IDs, the same cluster uuid, and a Smap version
# not lower than before.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy p1
wait_healthy p1
start_target t1 "$(url_of p1)"
wait_healthy t1
v0=$(wait_converged 1 1 p1 t1)
pid=$(node_id p1)
tid=$(node_id t1)
uuid=$(smap_of p1 | json_eval 'd["uuid"]')

kill_node t1 TERM
wait_exit t1 10
assert_eq "$NODE_RC" 0 "t1 exit code on SIGTERM"
[ -s "$(confdir_of t1)/.ais.smap" ] || fail "t1: no $(confdir_of t1)/.ais.smap after shutdown"

kill_node p1 TERM
wait_exit p1 10
assert_eq "$NODE_RC" 0 "p1 exit code on SIGTERM"
[ -s "$(confdir_of p1)/.ais.smap" ] || fail "p1: no $(confdir_of p1)/.ais.smap after shutdown"

restart_node p1
wait_healthy p1
restart_node t1
wait_healthy t1
v1=$(wait_converged 1 1 p1 t1)
assert_eq "$(node_id p1)" "$pid" "p1 ID after restart"
assert_eq "$(node_id t1)" "$tid" "t1 ID after restart"
assert_eq "$(smap_of p1 | json_eval 'd["uuid"]')" "$uuid" "cluster uuid after restart (p1)"
assert_eq "$(smap_of t1 | json_eval 'd["uuid"]')" "$uuid" "cluster uuid after restart (t1)"
assert_ge "$v1" "$v0" "Smap version after restart"
assert_eq "$(smap_of p1 | json_eval 'd["proxy_si"]["daemon_id"]')" "$pid" "primary after restart"
log "03-sigterm OK (Smap v$v0 -> v$v1)"

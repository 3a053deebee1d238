#!/usr/bin/env bash
# 02-target-restart: a target killed with SIGKILL and restarted on the same
# dirs comes back with the same ID; the cluster converges again on one Smap
# version >= the earlier one, still with 3 targets.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
nodes=(p1 t1 t2 t3)
for n in "${nodes[@]}"; do wait_healthy "$n"; done
v0=$(wait_converged 1 3 "${nodes[@]}")
id2=$(node_id t2)
log "t2 is $id2; Smap v$v0"

kill_node t2 KILL
wait_exit t2 10
assert_eq "$(node_id t2)" "$id2" "t2 ID persisted in its confdir"
restart_node t2
wait_healthy t2
assert_eq "$(node_id t2)" "$id2" "t2 ID after restart"

v1=$(wait_converged 1 3 "${nodes[@]}")
assert_ge "$v1" "$v0" "Smap version after restart"
smap=$(smap_of p1)
assert_eq "$(json_eval "d['tmap']['$id2']['public_net']['daemon_port']" <<<"$smap")" "$(node_port t2)" "t2 port in Smap"
log "02-target-restart OK (Smap v$v0 -> v$v1)"

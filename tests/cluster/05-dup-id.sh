#!/usr/bin/env bash
# 05-dup-id: a second target claiming the running target's ID from another
# address is refused by the primary: it exits 1 within 15 s naming the ID, and
# the Smap keeps one target at the original address.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_target t1 "$P"
wait_healthy t1
v0=$(wait_converged 1 1 p1 t1)
tid=$(node_id t1)

node_init dup target "$P"
mapfile -t args < <(node_args dup)
err=$(node_dir dup)/log/stderr.log
log "starting dup with -daemon_id=$tid on port $(node_port dup)"
rc=0
timeout -k 2 15 "${args[@]}" -daemon_id="$tid" </dev/null >"$(node_dir dup)/log/stdout.log" 2>"$err" || rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	dump_node dup
	fail "dup: still running after 15 s"
fi
assert_eq "$rc" 1 "dup exit code (stderr: $(head -c 300 "$err"))"
grep -qF -- "$tid" "$err" || { dump_node dup; fail "dup: stderr does not mention the ID $tid"; }

wait_counts p1 1 1
smap=$(smap_of p1)
assert_eq "$(json_eval 'list(d["tmap"])' <<<"$smap")" "[\"$tid\"]" "targets in Smap"
assert_eq "$(json_eval "d['tmap']['$tid']['public_net']['daemon_port']" <<<"$smap")" "$(node_port t1)" "t1 address in Smap"
assert_eq "$(http_code "$(url_of t1)/v1/health")" 200 "t1 still healthy"
v1=$(wait_converged 1 1 p1 t1)
assert_ge "$v1" "$v0" "Smap version"
log "05-dup-id OK"

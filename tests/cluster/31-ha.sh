#!/usr/bin/env bash
# 31-ha: the highly available control plane on 3 proxies + 4 targets
# (issue 5). Keepalives every 500 ms, a node is "silent" after 1.5 s.
#  1. PUT 2,000 objects (known bytes, varied sizes).
#  2. kill -9 the primary: a new primary within 10 s, elected by the other
#     two; PUT/GET go on through a surviving proxy; the old primary, started
#     again, finds the new one (no second primary) and rejoins.
#  3. a 5th target joins at runtime: rebalance moves about 1/5 of the
#     objects to it while a reader GETs continuously (never a failure).
#  4. decommission a target: its objects move first, then it leaves the
#     Smap and exits; every GET still right.
#  5. maintenance start/stop of a target through the API (flag 4 in Smap).
#     shutdown-node: objects move away, the node exits 0 and stays in the
#     Smap in maintenance; restarted + stop-maintenance, it gets data back.
#  6. set primary by hand.
#  7. partition: SIGSTOP the primary and a second proxy; the third cannot
#     change metadata (503) and does not become primary; SIGCONT -> one Smap,
#     nothing lost.
#     Then the primary alone (other proxies stopped): 503 too.
#  8. full restart of every node: same nodes, buckets and objects.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export AIS_CONFIG_JSON='{"keepalivetracker": {"proxy": {"interval": "500ms", "factor": 3}, "target": {"interval": "500ms", "factor": 3}}, "timeout": {"cplane_operation": "1s", "max_keepalive": "2s"}}'
CL=("$PY" "$AIS_CLUSTER_DIR/ha_client.py")
N=2000

primary_of() { smap_of "$1" | json_eval 'd["proxy_si"]["daemon_id"]'; }
name_of_id() { # ID -> node name among the started ones
	local n
	for n in p1 p2 p3 t1 t2 t3 t4 t5; do
		[ -e "$(node_dir "$n")" ] || continue
		[ "$(cat "$(node_dir "$n")/id" 2>/dev/null)" = "$1" ] && { printf '%s\n' "$n"; return 0; }
	done
	return 1
}
remember_ids() {
	local n
	for n in "$@"; do node_id "$n" >"$(node_dir "$n")/id"; done
}
# put_status URL BUCKET: status of creating a bucket
create_status() { http_code "$1/v1/buckets/$2" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}'; }
# objects_on NAME BUCKET: object files under a target's mountpaths
objects_on() { find "$(node_dir "$1")"/mp* -path "*/@ais/$2/%ob/*" -type f 2>/dev/null | wc -l; }
admin() { # URL ACTION SID -> body; fails unless 200
	local out code
	out=$("${CURL[@]}" --max-time 30 -w '\n%{http_code}' -X PUT -H 'Content-Type: application/json' \
	    -d "{\"action\":\"$2\",\"value\":{\"sid\":\"$3\"}}" "$1/v1/cluster") || fail "admin $2 $3: no answer"
	code=${out##*$'\n'}
	[ "$code" = 200 ] || fail "admin $2 $3: status $code: ${out%$'\n'*}"
	printf '%s\n' "${out%$'\n'*}"
}
# wait_reb_done URL MINVER: every target's latest rebalance is g<v>, v >=
# MINVER, and has ended (job API, per-target snapshots via the proxy)
wait_reb_done() {
	local i out=
	for ((i = 0; i < 240; i++)); do
		out=$("${CURL[@]}" -X GET "$1/v1/cluster?what=qryxstats" \
		    -H 'Content-Type: application/json' -d '{"kind":"rebalance"}' 2>/dev/null |
		    "$PY" -c '
import json, re, sys
d, minv = json.load(sys.stdin), int(sys.argv[1])
ok = bool(d)
for tid, snaps in d.items():
    s = max(snaps, key=lambda s: s["start-time"])
    m = re.match(r"g(\d+)", s["id"])
    ok = ok and m is not None and int(m.group(1)) >= minv and s["end-time"] != "0001-01-01T00:00:00Z"
print("done" if ok else "running")' "$2" 2>/dev/null) || out=err
		[ "$out" = done ] && return 0
		sleep 0.5
	done
	fail "rebalance >= g$2 not finished on every target after 120 s ($out)"
}

log "--- 1. 3 proxies + 4 targets, $N objects"
start_proxy p1
wait_healthy p1
P1=$(url_of p1)
start_proxy p2 "$P1"
start_proxy p3 "$P1"
for t in t1 t2 t3 t4; do start_target "$t" "$P1"; done
for n in p2 p3 t1 t2 t3 t4; do wait_healthy "$n"; done
wait_converged 3 4 p1 p2 p3 t1 t2 t3 t4 >/dev/null
remember_ids p1 p2 p3 t1 t2 t3 t4
assert_eq "$(create_status "$P1" ha)" 200 "create bucket"
"${CL[@]}" put "$P1" ha 0 "$N" >/dev/null || fail "initial PUT"
"${CL[@]}" verify "$(url_of p3)" ha 0 "$N" >/dev/null || fail "initial GET"

log "--- 2. kill -9 the primary"
assert_eq "$(primary_of p2)" "$(cat "$(node_dir p1)/id")" "primary before"
kill_node p1 KILL
t0=$SECONDS
newp=
for ((i = 0; i < 60; i++)); do
	newp=$(primary_of p2 2>/dev/null || true)
	if [ -n "$newp" ] && [ "$newp" != "$(cat "$(node_dir p1)/id")" ]; then break; fi
	sleep 0.25
done
elapsed=$((SECONDS - t0))
[ -n "$newp" ] && [ "$newp" != "$(cat "$(node_dir p1)/id")" ] || fail "no new primary after 15 s"
assert_ge 10 "$elapsed" "seconds to elect a new primary"
PN=$(name_of_id "$newp") || fail "new primary $newp is not p2/p3"
log "new primary $PN ($newp) after ${elapsed}s"
wait_converged 2 4 p2 p3 t1 t2 t3 t4 >/dev/null
PURL=$(url_of "$PN")
OTHER=p2
[ "$PN" = p2 ] && OTHER=p3
"${CL[@]}" put "$(url_of "$OTHER")" ha "$N" 200 >/dev/null || fail "PUT after failover"
N=$((N + 200))
"${CL[@]}" verify "$(url_of "$OTHER")" ha 0 "$N" >/dev/null || fail "GET after failover"
assert_eq "$(create_status "$(url_of "$OTHER")" ha2)" 200 "create bucket after failover"
# The old primary comes back: it must not resume as primary.
restart_node p1
wait_healthy p1
wait_converged 3 4 p1 p2 p3 t1 t2 t3 t4 >/dev/null
assert_eq "$(primary_of p1)" "$newp" "primary seen by the restarted old primary"

log "--- 3. a 5th target joins; rebalance while reading"
rm -f "$AIS_TMP/stop-reader"
STOPFILE=$AIS_TMP/stop-reader "${CL[@]}" getloop "$(url_of "$OTHER")" ha "$N" 120 >"$AIS_TMP/reader.out" 2>&1 &
reader=$!
start_target t5 "$PURL"
wait_healthy t5
v=$(wait_converged 3 5 p1 p2 p3 t1 t2 t3 t4 t5)
remember_ids t5
wait_reb_done "$PURL" "$v"
touch "$AIS_TMP/stop-reader"
wait "$reader" || fail "reader during rebalance: $(cat "$AIS_TMP/reader.out")"
log "reader: $(cat "$AIS_TMP/reader.out")"
on5=$(objects_on t5 ha)
log "t5 holds $on5 of $N objects"
assert_ge "$on5" $((N * 12 / 100)) "objects moved to t5"
assert_ge $((N * 30 / 100)) "$on5" "objects moved to t5 (at most 30%)"
"${CL[@]}" verify "$PURL" ha 0 "$N" >/dev/null || fail "GET after rebalance"
total=0
for t in t1 t2 t3 t4 t5; do total=$((total + $(objects_on "$t" ha))); done
assert_eq "$total" "$N" "object files across targets (no duplicates, none lost)"

log "--- 4. decommission t2"
T2=$(cat "$(node_dir t2)/id")
reb=$(admin "$PURL" decommission-node "$T2")
log "decommission-node -> rebalance '$reb'"
assert_match "$reb" '^g[0-9]+$' "rebalance ID"
wait_exit t2 120
wait_converged 3 4 p1 p2 p3 t1 t3 t4 t5 >/dev/null
assert_eq "$(objects_on t2 ha)" 0 "objects left on the decommissioned target"
"${CL[@]}" verify "$PURL" ha 0 "$N" >/dev/null || fail "GET after decommission"

log "--- 5. maintenance"
T3=$(cat "$(node_dir t3)/id")
reb=$(admin "$(url_of "$OTHER")" start-maintenance "$T3")
flags=$(smap_of "$OTHER" | json_eval "d['tmap']['$T3']['flags']")
assert_eq $((flags & 4)) 4 "maintenance flag"
wait_reb_done "$PURL" "${reb#g}"
assert_eq "$(objects_on t3 ha)" 0 "objects left on a target in maintenance"
"${CL[@]}" verify "$PURL" ha 0 "$N" >/dev/null || fail "GET during maintenance"
reb=$(admin "$PURL" stop-maintenance "$T3")
wait_reb_done "$PURL" "${reb#g}"
assert_ge "$(objects_on t3 ha)" 1 "objects back on t3"
"${CL[@]}" verify "$PURL" ha 0 "$N" >/dev/null || fail "GET after maintenance"
code=$(http_code "$PURL/v1/cluster" -X PUT -d '{"action":"start-maintenance","value":{"sid":"nosuchnode"}}')
assert_eq "$code" 404 "maintenance of an unknown node"
code=$(http_code "$PURL/v1/cluster" -X PUT -d '{"action":"start-maintenance","value":{}}')
assert_eq "$code" 400 "maintenance without sid"

log "--- 5b. graceful shutdown of a node (shutdown-node)"
T4=$(cat "$(node_dir t4)/id")
reb=$(admin "$PURL" shutdown-node "$T4")
log "shutdown-node -> rebalance '$reb'"
wait_exit t4 120
assert_eq "$NODE_RC" 0 "exit code of the node shut down by the API"
flags=$(smap_of "$OTHER" | json_eval "d['tmap']['$T4']['flags']")
assert_eq $((flags & 4)) 4 "node shut down stays in the Smap in maintenance"
assert_eq "$(objects_on t4 ha)" 0 "objects left on the node shut down"
"${CL[@]}" verify "$PURL" ha 0 "$N" >/dev/null || fail "GET with a node shut down"
restart_node t4
wait_healthy t4
reb=$(admin "$PURL" stop-maintenance "$T4")
wait_reb_done "$PURL" "${reb#g}"
assert_ge "$(objects_on t4 ha)" 1 "objects back on t4"
"${CL[@]}" verify "$PURL" ha 0 "$N" >/dev/null || fail "GET after t4 is back"

log "--- 6. set primary by hand"
P1ID=$(cat "$(node_dir p1)/id")
assert_eq "$(http_code "$PURL/v1/cluster/proxy/$P1ID" -X PUT)" 200 "set primary"
for ((i = 0; i < 40; i++)); do
	[ "$(primary_of p3 2>/dev/null)" = "$P1ID" ] && break
	sleep 0.25
done
assert_eq "$(primary_of p3)" "$P1ID" "primary after set-primary (seen by p3)"
assert_eq "$(primary_of t1)" "$P1ID" "primary after set-primary (seen by t1)"
assert_eq "$(create_status "$(url_of p2)" ha3)" 200 "create bucket via the new primary"

log "--- 7. partition: stop the primary and one more proxy"
kill_node p1 STOP
kill_node p2 STOP
v3=$(smap_version p3)
sleep 4
code=$(create_status "$(url_of p3)" split)
log "create bucket through the cut-off proxy: $code"
[ "$code" = 503 ] || fail "metadata change through a proxy without quorum: $code, expected 503"
sleep 2
assert_ne "$(primary_of p3)" "$(cat "$(node_dir p3)/id")" "cut-off proxy made itself primary"
assert_eq "$(smap_version p3)" "$v3" "cut-off proxy changed the Smap"
kill_node p1 CONT
kill_node p2 CONT
wait_converged 3 4 p1 p2 p3 t1 t3 t4 t5 >/dev/null
assert_eq "$(primary_of p3)" "$P1ID" "one primary after the partition heals"
bl=$(get_json p3 '/v1/buckets?provider=ais' | json_eval '" ".join(sorted(b["name"] for b in d))')
assert_eq "$bl" "ha ha2 ha3" "buckets after the partition"
"${CL[@]}" verify "$(url_of p3)" ha 0 "$N" >/dev/null || fail "GET after the partition"

# The primary itself cut off from the other proxies: no quorum, no change.
kill_node p2 STOP
kill_node p3 STOP
sleep 4
code=$(create_status "$(url_of p1)" split2)
log "create bucket through a primary without quorum: $code"
[ "$code" = 503 ] || fail "metadata change by a primary without quorum: $code, expected 503"
kill_node p2 CONT
kill_node p3 CONT
wait_converged 3 4 p1 p2 p3 t1 t3 t4 t5 >/dev/null
assert_eq "$(primary_of p2)" "$P1ID" "primary after the second partition"
assert_eq "$(create_status "$(url_of p3)" ha4)" 200 "create bucket after the partition healed"
bl=$(get_json p2 '/v1/buckets?provider=ais' | json_eval '" ".join(sorted(b["name"] for b in d))')
assert_eq "$bl" "ha ha2 ha3 ha4" "buckets after the second partition"

log "--- 8. full restart"
ver=$(wait_converged 3 4 p1 p2 p3 t1 t3 t4 t5)
for n in p2 p3 t1 t3 t4 t5 p1; do kill_node "$n" TERM; done
for n in p2 p3 t1 t3 t4 t5 p1; do wait_exit "$n" 20; done
for n in p1 p2 p3 t1 t3 t4 t5; do restart_node "$n"; done
for n in p1 p2 p3 t1 t3 t4 t5; do wait_healthy "$n" 60; done
ver2=$(wait_converged 3 4 p1 p2 p3 t1 t3 t4 t5)
log "Smap v$ver before, v$ver2 after the restart"
assert_eq "$(primary_of t5)" "$P1ID" "primary after the restart"
bl=$(get_json p2 '/v1/buckets?provider=ais' | json_eval '" ".join(sorted(b["name"] for b in d))')
assert_eq "$bl" "ha ha2 ha3 ha4" "buckets after the restart"
"${CL[@]}" verify "$(url_of p2)" ha 0 "$N" >/dev/null || fail "GET after the restart"
log "PASS"

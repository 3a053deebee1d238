#!/usr/bin/env bash
# 30-rebalance: global rebalance and get-from-neighbor on 1 proxy + 3
# targets. 1000 objects of known content (1 KiB .. 5 MiB) are PUT, a 4th
# target joins: every target runs rebalance g<v> (job API, kind
# "rebalance"); meanwhile 8 threads GET random objects through the proxy
# and every answer must be 200 with the right bytes (objects not moved yet
# are fetched from their previous owner). Afterwards: every object reads
# back byte-identical, every object file sits on its HRW owner (about 1/4
# on the new target), the job reports non-zero in/out counters with sent
# == received, and no work files are left. Then a 5th target joins and is
# killed -9 mid-rebalance and restarted: its rebalance reruns and the
# cluster again ends with every object readable and on its owner.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=1000
RC=("$PY" "$AIS_CLUSTER_DIR/reb_client.py")
B=rb

# jobs NAME: per-target latest rebalance as "tid id finished out_objs
# in_objs out_bytes in_bytes", one a line (via the proxy's fan-out).
jobs() {
	"${CURL[@]}" -X GET "$(url_of p1)/v1/cluster?what=qryxstats" \
	    -H 'Content-Type: application/json' -d '{"kind":"rebalance"}' |
	    "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for tid, snaps in sorted(d.items()):
    s = max(snaps, key=lambda s: s["start-time"])
    st = s.get("stats") or {}
    print(tid, s["id"], int(s["end-time"] != "0001-01-01T00:00:00Z"),
          st.get("out-objs", 0), st.get("in-objs", 0),
          st.get("out-bytes", 0), st.get("in-bytes", 0))'
}

# wait_reb MINVER NTARGETS SECS: every target's latest rebalance is the same
# job g<v> with v >= MINVER and it has finished there; prints the ID.
wait_reb() {
	local min=$1 nt=$2 secs=$3 i deadline out id
	deadline=$((SECONDS + secs))
	for ((i = 0; i < secs * 2 + 2; i++)); do
		out=$(jobs 2>/dev/null || true)
		id=$(awk '{print $2}' <<<"$out" | sort -u)
		if [ "$(wc -l <<<"$out")" -eq "$nt" ] && [ "$(wc -l <<<"$id")" -eq 1 ] &&
		    [[ $id =~ ^g([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$min" ] &&
		    ! awk '{print $3}' <<<"$out" | grep -q 0; then
			log "rebalance $id finished on $nt targets"
			printf '%s\n' "$id"
			return 0
		fi
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.5
	done
	fail "rebalance (>= g$min) not finished on $nt targets after ${secs}s: $(tr '\n' ';' <<<"$out")"
}

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in p1 t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
code=$(http_code "$P/v1/buckets/$B" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}')
assert_eq "$code" 200 "create-bck ais://$B"

t0=$SECONDS
out=$("${RC[@]}" put "$P" "$B" "$N") || fail "PUT: $out"
log "$out ($((SECONDS - t0))s)"

# --- a 4th target joins --------------------------------------------------
stop=$AIS_TMP/getloop.stop
start_target t4 "$P"
wait_healthy t4
# (From t4's health on: before, a GET redirected to t4 may find it without
# the BMD it is still being sent -- a join race, not a rebalance one.)
"${RC[@]}" getloop "$P" "$B" "$N" 60 "$stop" >"$AIS_TMP/getloop.out" 2>&1 &
gl=$!
vjoin=$(smap_version t4)
wait_converged 1 4 p1 t1 t2 t3 t4 >/dev/null
id=$(wait_reb "$vjoin" 4 60)
touch "$stop"
wait "$gl" || fail "GETs during rebalance: $(cat "$AIS_TMP/getloop.out")"
log "during rebalance: $(cat "$AIS_TMP/getloop.out")"
gfn=$(grep -c 'AIS-GFN:' "$(node_dir t4)/log/aisnode.log" || true)
log "get-from-neighbor fetches on t4: $gfn"

out=$("${RC[@]}" verify "$P" "$B" "$N") || fail "after rebalance: $out"
log "$out"
dirs=()
for t in t1 t2 t3 t4; do dirs+=("$(node_dir "$t")=$(node_id "$t")"); done
out=$("${RC[@]}" placement "$P" "$B" "${dirs[@]}") || fail "placement: $out"
log "placement: $out"
files=$(awk '{print $2}' <<<"$out")
assert_eq "$files" "$N" "object files in the cluster"
id4=$(node_id t4)
on4=$(tr ',' '\n' <<<"${out#OK * }" | awk -F: -v t="$id4" '$1 == t {print $2}')
pct=$((on4 * 100 / N))
log "t4 holds $on4 of $N objects ($pct%)"
[ "$pct" -ge 15 ] && [ "$pct" -le 35 ] || fail "t4 holds $pct% of the objects, expected 15..35%"

stats=$(jobs)
log "job $id per target (tid id finished out_objs in_objs out_bytes in_bytes): $(tr '\n' ';' <<<"$stats")"
sums=$(awk '{o += $4; i += $5; ob += $6; ib += $7} END {print o, i, ob, ib}' <<<"$stats")
read -r so si sob sib <<<"$sums"
assert_ge "$so" 1 "objects sent"
assert_eq "$si" "$so" "objects received == sent"
assert_eq "$sib" "$sob" "bytes received == sent"
# t4's objects came by rebalance, or by GFN before the rebalance got there
in4=$(awk -v t="$id4" '$1 == t {print $5}' <<<"$stats")
assert_ge "$in4" 1 "objects received by t4"
assert_ge "$on4" "$in4" "t4 objects vs received"
assert_ge "$((in4 + gfn))" "$on4" "t4 objects: received + fetched from neighbors"
st=$("${CURL[@]}" -X GET "$P/v1/cluster?what=status" -H 'Content-Type: application/json' -d "{\"kind\":\"rebalance\"}")
assert_eq "$(json_eval 'd["uuid"]' <<<"$st")" "$id" "status: latest rebalance"
assert_eq "$(json_eval 'd["is_idle"]' <<<"$st")" true "status: $id finished"
assert_eq "$(json_eval 'd["aborted"]' <<<"$st")" false "status: $id not aborted"
left=$(find "$AIS_TMP"/t*/mp* -path '*/%wk/*' -type f 2>/dev/null | head -n 5)
[ -z "$left" ] || fail "work files left behind: $left"

# --- a 5th target joins and is killed -9 mid-rebalance --------------------
# SIGSTOP as soon as t5 has the new Smap (the senders then hang on it), so
# the kill lands mid-rebalance however fast the disks are; after the
# restart t5 reruns its job (marker) and the senders rerun theirs for what
# they could not move.
start_target t5 "$P"
for ((i = 0; i < 1000; i++)); do # <= 10 s
	grep -q 'AIS-REB-START' "$(node_dir t5)/log/aisnode.log" 2>/dev/null && break
	sleep 0.01
done
kill_node t5 STOP
sleep 1
kill_node t5 KILL
wait_exit t5 10
[ -e "$(confdir_of t5)/.ais.rmd" ] || fail "t5: no rebalance marker after kill -9 mid-rebalance"
restart_node t5
wait_healthy t5
wait_converged 1 5 p1 t1 t2 t3 t4 t5 >/dev/null
dirs+=("$(node_dir t5)=$(node_id t5)")
# Every job finished and every file on its owner (bounded).
for ((i = 0; i < 120; i++)); do
	stats=$(jobs 2>/dev/null || true)
	if [ "$(wc -l <<<"$stats")" -eq 5 ] && ! awk '{print $3}' <<<"$stats" | grep -q 0; then
		out=$("${RC[@]}" placement "$P" "$B" "${dirs[@]}" 2>&1) && [ "$(awk '{print $2}' <<<"$out")" = "$N" ] && break
	fi
	sleep 0.5
done
log "jobs after kill -9: $(tr '\n' ';' <<<"$stats")"
[[ $out == OK* ]] || fail "placement after kill -9: $out"
assert_eq "$(awk '{print $2}' <<<"$out")" "$N" "object files after kill -9"
[ ! -e "$(confdir_of t5)/.ais.rmd" ] || fail "t5: marker left after its rerun"
log "placement: $out"
out=$("${RC[@]}" verify "$P" "$B" "$N") || fail "after the kill -9: $out"
log "$out"
log "30-rebalance OK"

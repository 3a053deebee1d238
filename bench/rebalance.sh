#!/usr/bin/env bash
# bench/rebalance.sh -- global rebalance throughput vs a plain copy.
#
# A local cluster (1 proxy + 3 targets, 2 mountpaths each, all on the same
# disk) gets TOTAL_MIB (default 1536) of objects of 1..16 MiB. Then RUNS
# (default 5) rebalances, each followed by a `cp -r` of as many bytes:
#   round 1: a 4th target joins (about 1/4 of the objects move to it);
#   even rounds: start-maintenance of the 4th (its objects move away);
#   odd rounds after the first: stop-maintenance (they move back).
# A round's rebalance time runs from the first target's job start to the
# last one's end (the job stats, polled every 0.1 s by one process);
# moved MiB/s = sum(out-bytes) / that time. The copy reads the same kind of files: object
# files hard-linked into one tree before the first round. The ratio is the
# median of the rounds' ratios (the VM's CPU share varies by the minute:
# each round also prints the steal /proc/stat showed and the CPU time the
# nodes used, a figure the steal does not inflate).
#
# Caveats: page cache is not dropped (not possible here), so both read
# mostly from memory; neither fsyncs (buckets default to no fsync). The
# rebalance also crosses NNG (TCP loopback) and checksums every byte.
#
#   bench/rebalance.sh                 # ~1.5 GiB
#   TOTAL_MIB=512 RUNS=3 bench/rebalance.sh   # quick look
#   PERF_OUT=/tmp/p.data bench/rebalance.sh   # perf record -a -g, round 2
# Not part of `make test`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${TOTAL_MIB:=1536}" "${RUNS:=5}"
# shellcheck source=cluster.sh
. "$ROOT/bench/cluster.sh"
bench_cluster_init reb

RC=("$PY" "$ROOT/tests/cluster/reb_client.py")
B=bench
N=$((TOTAL_MIB * 2 / 17)) # objects of 8.5 MiB on average

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in p1 t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
code=$(http_code "$P/v1/buckets/$B" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}')
[ "$code" = 200 ] || fail "create-bck: $code"
log "$("${RC[@]}" put "$P" "$B" "$N" 1024 16384)"

# wait_job MINVER: polls (one process, every 0.1 s, so the polling costs
# little CPU) until every target's latest rebalance is one g<v>, v >=
# MINVER, ended; prints "id out_bytes seconds" (seconds: the first
# target's job start to the last one's end, as the targets record them)
wait_job() {
	"$PY" - "$P" "$1" <<'PYEOF' || fail "rebalance >= g$1 did not finish in 600 s"
import json, re, sys, time, urllib.request
from datetime import datetime, timezone

base, minv = sys.argv[1], int(sys.argv[2])
NOEND = "0001-01-01T00:00:00Z"

def t(s):
    b, _, frac = s.rstrip("Z").partition(".")
    d = datetime.fromisoformat(b).replace(tzinfo=timezone.utc)
    return d.timestamp() + float("0." + (frac or "0"))

req = urllib.request.Request(base + "/v1/cluster?what=qryxstats", method="GET",
                             data=b'{"kind":"rebalance"}',
                             headers={"Content-Type": "application/json"})
end = time.monotonic() + 600
while time.monotonic() < end:
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            d = json.load(r)
    except Exception:
        d = {}
    rows = [max(s, key=lambda s: s["start-time"]) for s in d.values() if s]
    ids = {s["id"] for s in rows}
    m = re.match(r"g(\d+)$", next(iter(ids))) if len(ids) == 1 else None
    if len(rows) == 4 and m and int(m.group(1)) >= minv and \
            all(s["end-time"] != NOEND for s in rows):
        out = sum(int((s.get("stats") or {}).get("out-bytes", 0)) for s in rows)
        secs = max(t(s["end-time"]) for s in rows) - min(t(s["start-time"]) for s in rows)
        print(rows[0]["id"], out, "%.3f" % secs)
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PYEOF
}
admin() { # ACTION SID -> the rebalance ID it started
	"${CURL[@]}" -X PUT -H 'Content-Type: application/json' \
	    -d "{\"action\":\"$1\",\"value\":{\"sid\":\"$2\"}}" "$P/v1/cluster"
}

# The copy's source: object files (hard links, so they stay when a
# rebalance removes them), as many bytes as a rebalance moves at most.
src=$AIS_TMP/cp-src
mkdir -p "$src"
srcbytes=0 i=0
while IFS= read -r f; do
	[ "$srcbytes" -lt $((TOTAL_MIB * 1048576 * 2 / 5)) ] || break
	ln "$f" "$src/f$i"
	srcbytes=$((srcbytes + $(stat -c %s "$f")))
	i=$((i + 1))
done < <(find "$AIS_TMP"/t*/mp* -path '*/%ob/*' -type f)

reb_all=() cp_all=() cpu_all=() rr_all=() moved_all=()
T4=
for r in $(seq 1 "$RUNS"); do
	sync
	if [ -n "${PERF_OUT:-}" ] && [ "$r" = 2 ]; then perf record -F ${PERF_FREQ:-999} -a ${PERF_CG:--g} -o "$PERF_OUT" >/dev/null 2>&1 & perfpid=$!; sleep 1; fi
	k0=$(ticks) u0=$(node_cpu)
	if [ "$r" = 1 ]; then
		what="t4 joins"
		start_target t4 "$P"
		wait_healthy t4
		T4=$(node_id t4)
		minv=$(smap_version t4)
	elif [ $((r % 2)) = 0 ]; then
		what="t4 start-maintenance"
		id=$(admin start-maintenance "$T4") || fail "start-maintenance"
		minv=${id#g}
	else
		what="t4 stop-maintenance"
		id=$(admin stop-maintenance "$T4") || fail "stop-maintenance"
		minv=${id#g}
	fi
	[[ $minv =~ ^[0-9]+$ ]] || fail "$what: no rebalance ID ($minv)"
	read -r jid moved job_s <<<"$(wait_job "$minv")"
	k1=$(ticks) u1=$(node_cpu)
	if [ -n "${PERF_OUT:-}" ] && [ "$r" = 2 ]; then kill -INT "$perfpid"; wait "$perfpid" || true; fi
	reb_mibs=$(mibs "$moved" "$job_s")
	cpu=$("$PY" -c "print('%.2f' % ($u1 - $u0))")
	reb_all+=("$reb_mibs") cpu_all+=("$cpu") moved_all+=("$((moved / 1048576))")
	log "round $r ($what): $jid moved $moved bytes in ${job_s}s = $reb_mibs MiB/s, nodes' CPU ${cpu}s (steal $(steal_pct "$k0" "$k1")%)"
	read -r _ cp_mibs st <<<"$(bench_cp "$src" "$srcbytes")"
	cp_all+=("$cp_mibs")
	rr_all+=("$("$PY" -c "print('%.2f' % ($reb_mibs / $cp_mibs))")")
	log "round $r: cp -r of $srcbytes bytes: $cp_mibs MiB/s (steal $st%)"
done
log "rebalance MiB/s by round: ${reb_all[*]}; MiB moved: ${moved_all[*]}; nodes' CPU s: ${cpu_all[*]}; cp -r MiB/s: ${cp_all[*]}; ratios: ${rr_all[*]}"
printf 'rebalance: %d objects (%d MiB) on 3+1 targets, %d rounds: %s MiB/s moved; cp -r: %s MiB/s; ratio %s (medians; warm page cache, no fsync, %s CPUs)\n' \
    "$N" "$TOTAL_MIB" "$RUNS" "$(median "${reb_all[@]}")" "$(median "${cp_all[@]}")" \
    "$(median "${rr_all[@]}")" "$(nproc)"

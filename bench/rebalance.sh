#!/usr/bin/env bash
# bench/rebalance.sh -- global rebalance throughput vs a plain copy.
#
# A local cluster (1 proxy + 3 targets, 2 mountpaths each, all on the same
# disk) gets TOTAL_MIB (default 1536) of objects of 1..16 MiB; then a 4th
# target joins and the time until rebalance g<v> has finished on every
# target is measured (job status polled every 0.1 s). Moved MiB/s =
# sum(out-bytes) / seconds. In the same run, `cp -r` copies the same
# number of bytes (the same object files, hard-linked into one tree) on
# the same disk; the ratio rebalance/cp is printed.
#
# Caveats: page cache is not dropped (not possible here), so both read
# mostly from memory; neither fsyncs (buckets default to no fsync). The
# rebalance also crosses NNG (TCP loopback) and checksums every byte.
#
#   bench/rebalance.sh                 # ~1.5 GiB
#   TOTAL_MIB=512 bench/rebalance.sh   # quick look
# Not part of `make test`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${TOTAL_MIB:=1536}"
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

# per-target latest rebalance: "tid id finished out_bytes"
jobs() {
	"${CURL[@]}" -X GET "$P/v1/cluster?what=qryxstats" \
	    -H 'Content-Type: application/json' -d '{"kind":"rebalance"}' |
	    "$PY" -c '
import json, sys
for tid, snaps in sorted(json.load(sys.stdin).items()):
    s = max(snaps, key=lambda s: s["start-time"])
    print(tid, s["id"], int(s["end-time"] != "0001-01-01T00:00:00Z"),
          (s.get("stats") or {}).get("out-bytes", 0), s["start-time"],
          s["end-time"])'
}
# seconds from the first job start to the last job end (RFC 3339 times)
job_secs() {
	"$PY" -c '
import sys
from datetime import datetime, timezone
def t(s):
    base, _, frac = s.rstrip("Z").partition(".")
    d = datetime.fromisoformat(base).replace(tzinfo=timezone.utc)
    return d.timestamp() + float("0." + (frac or "0"))
rows = [l.split() for l in sys.stdin if l.strip()]
print("%.3f" % (max(t(r[5]) for r in rows) - min(t(r[4]) for r in rows)))'
}

sync
t0=$(date +%s.%N)
start_target t4 "$P"
wait_healthy t4
vjoin=$(smap_version t4)
deadline=$((SECONDS + 600))
while :; do
	out=$(jobs 2>/dev/null || true)
	ids=$(awk '{print $2}' <<<"$out" | sort -u)
	if [ "$(wc -l <<<"$out")" -eq 4 ] && [ "$(wc -l <<<"$ids")" -eq 1 ] &&
	    [[ $ids =~ ^g([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$vjoin" ] &&
	    ! awk '{print $3}' <<<"$out" | grep -q 0; then
		break
	fi
	[ "$SECONDS" -lt "$deadline" ] || fail "rebalance not finished in 600 s: $out"
	sleep 0.1
done
t1=$(date +%s.%N)
moved=$(awk '{s += $4} END {print s}' <<<"$out")
reb_s=$("$PY" -c "print(max($t1 - $t0, 1e-6))")
reb_mibs=$("$PY" -c "print('%.1f' % ($moved / 1048576 / $reb_s))")
log "rebalance $ids: $moved bytes in ${reb_s}s (from the join) = $reb_mibs MiB/s"
job_s=$(job_secs <<<"$out")
job_mibs=$("$PY" -c "print('%.1f' % ($moved / 1048576 / max($job_s, 1e-6)))")
log "rebalance $ids: jobs ran ${job_s}s (first start to last end) = $job_mibs MiB/s"

# cp -r of the same number of bytes (hard links to the object files).
src=$AIS_TMP/cp-src
mkdir -p "$src"
total=0
i=0
while IFS= read -r f; do
	[ "$total" -lt "$moved" ] || break
	ln "$f" "$src/f$i"
	total=$((total + $(stat -c %s "$f")))
	i=$((i + 1))
done < <(find "$AIS_TMP"/t*/mp* -path '*/%ob/*' -type f)
sync
c0=$(date +%s.%N)
cp -r "$src" "$AIS_TMP/cp-dst"
c1=$(date +%s.%N)
cp_s=$("$PY" -c "print(max($c1 - $c0, 1e-6))")
cp_mibs=$("$PY" -c "print('%.1f' % ($total / 1048576 / $cp_s))")
ratio=$("$PY" -c "print('%.2f' % ($job_mibs / $cp_mibs))")
log "cp -r: $total bytes in ${cp_s}s = $cp_mibs MiB/s"
printf 'rebalance: %d objects (%d MiB) on 3 targets, +1 target: moved %d MiB; jobs %.2fs = %s MiB/s (%.2fs = %s MiB/s from the join); cp -r of %d MiB: %s MiB/s; ratio %s (warm page cache, no fsync, %s CPUs)\n' \
    "$N" "$TOTAL_MIB" "$((moved / 1048576))" "$job_s" "$job_mibs" \
    "$reb_s" "$reb_mibs" "$((total / 1048576))" "$cp_mibs" "$ratio" "$(nproc)"

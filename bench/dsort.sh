#!/usr/bin/env bash
# bench/dsort.sh -- dSort resharding throughput vs a plain copy and vs a
# single-process reshard with GNU tar.
#
# A local cluster (1 proxy + 3 targets, 2 mountpaths each, all on the same
# disk) gets TOTAL_MIB (default 2048) of input: records of REC_KIB (default
# 20) KiB (sampleNNNNNN.jpg + a small .cls, tests/cluster/dsort_client.py)
# in NSHARDS (default 1000) tar shards, records spread over the shards in
# random order. A dSort job (alphanumeric) reshards them into OUT_SIZE
# (default 256MiB) output shards; the time from POST /v1/sort to the last
# target's shard-creation end time (as the targets record it; the client
# polls every 0.2 s and runs in one process, so neither its start-up nor
# the poll interval counts) gives MiB/s of input. Baselines on the same
# disk and bytes:
#   (a) `cp -r` of the input shard files (hard-linked into one tree),
#       timed alternately with dSort for RUNS (default 3) rounds: the
#       ratio is the median of the rounds' ratios, each dSort job against
#       the copy right after it (the VM's CPU share and memory bandwidth
#       vary by the minute: each round prints the steal time /proc/stat
#       showed, and the CPU time the nodes used);
#   (b) one process: extract every input shard with GNU tar into one
#       directory, then re-pack the files in sorted name order into
#       OUT_SIZE tar shards with GNU tar (once; it is disk-bound here).
# The first round's output is verified (records, bytes, order).
#
# Caveats: page cache is not dropped (not possible here), so everything
# reads mostly from memory; nothing fsyncs.
#
#   bench/dsort.sh                 # ~2 GiB, 100k records, 1000 shards
#   TOTAL_MIB=256 bench/dsort.sh   # quick look
#   PERF_OUT=/tmp/p.data bench/dsort.sh   # perf record -a -g of the first job
#       (PERF_FREQ=299 PERF_CG="--call-graph dwarf,16384" for deep stacks)
#   DSORT_DUMP=1 bench/dsort.sh    # final JobInfo (per-phase times) to stderr
#   BENCH_LOGS=/tmp/bl bench/dsort.sh      # keep the nodes' logs there
# Not part of `make test`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${TOTAL_MIB:=2048}" "${REC_KIB:=20}" "${NSHARDS:=1000}" "${OUT_SIZE:=256MiB}"
# shellcheck source=cluster.sh
. "$ROOT/bench/cluster.sh"
bench_cluster_init dsort

export DSORT_KIB="$REC_KIB,$REC_KIB" DSORT_POLL=0.2
DC=("$PY" "$ROOT/tests/cluster/dsort_client.py")
NREC=$((TOTAL_MIB * 1024 / REC_KIB / NSHARDS))
[ "$NREC" -ge 1 ] || fail "TOTAL_MIB too small for $NSHARDS shards of $REC_KIB KiB records"
NTOT=$((NREC * NSHARDS))

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in p1 t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
code=$(http_code "$P/v1/buckets/in" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}')
[ "$code" = 200 ] || fail "create-bck: $code"
log "$("${DC[@]}" gen "$P" in in- "$NSHARDS" "$NREC" .tar)"
mapfile -t shards < <(find "$AIS_TMP"/t*/mp* -path '*/@ais/in/%ob/*' -type f)
[ "${#shards[@]}" -eq "$NSHARDS" ] || fail "found ${#shards[@]} input shard files, expected $NSHARDS"
inbytes=$(stat -c %s "${shards[@]}" | awk '{s += $1} END {printf "%.0f\n", s}')

# --- dSort and (a) cp -r, interleaved ------------------------------------
# The VM's CPU share varies over time (steal: /proc/stat), so RUNS rounds
# of one dSort job and one cp -r each are timed alternately and the medians
# compared; every round prints its own figures and the steal it saw.
spec_for() {
	printf '{"input_bck":{"name":"in","provider":"ais"},"input_format":{"template":"in-{0000..%04d}"},"input_extension":".tar","output_bck":{"name":"%s","provider":"ais"},"output_format":"out-{00000..99999}","output_extension":".tar","output_shard_size":"%s","algorithm":{"kind":"alphanumeric"},"description":"bench"}' \
	    $((NSHARDS - 1)) "$1" "$OUT_SIZE"
}

src=$AIS_TMP/cp-src
mkdir -p "$src"
i=0
for f in "${shards[@]}"; do
	ln "$f" "$src/f$i"
	i=$((i + 1))
done
: "${RUNS:=3}"
ds_all=() cp_all=() cpu_all=() rr_all=()
for r in $(seq 1 "$RUNS"); do
	sync
	if [ -n "${PERF_OUT:-}" ] && [ "$r" = 1 ]; then perf record -F ${PERF_FREQ:-999} -a ${PERF_CG:--g} -o "$PERF_OUT" >/dev/null 2>&1 & perfpid=$!; sleep 1; fi
	k0=$(ticks) u0=$(node_cpu)
	out=$("${DC[@]}" run "$P" "$(spec_for "out$r")" 1800) || fail "run: $out"
	k1=$(ticks) u1=$(node_cpu)
	if [ -n "${PERF_OUT:-}" ] && [ "$r" = 1 ]; then kill -INT "$perfpid"; wait "$perfpid" || true; fi
	read -r _ id ds_s <<<"$out"
	ds_mibs=$(mibs "$inbytes" "$ds_s")
	ds_all+=("$ds_mibs")
	ds_cpu=$("$PY" -c "print('%.2f' % ($u1 - $u0))")
	cpu_all+=("$ds_cpu")
	log "round $r: dsort $id: $inbytes bytes in ${ds_s}s = $ds_mibs MiB/s, nodes' CPU ${ds_cpu}s (steal $(steal_pct "$k0" "$k1")%)"
	if [ "$r" = 1 ]; then
		# the same spec every round: one check of the output is enough
		out=$("${DC[@]}" verify "$P" out1 out- .tar "$NTOT" asc) || fail "verify: $out"
		log "output: $out"
	fi
	read -r cp_s cp_mibs st <<<"$(bench_cp "$src" "$inbytes")"
	cp_all+=("$cp_mibs")
	rr_all+=("$("$PY" -c "print('%.2f' % ($ds_mibs / $cp_mibs))")")
	log "round $r: cp -r: ${cp_s}s = $cp_mibs MiB/s (steal $st%)"
done
ds_mibs=$(median "${ds_all[@]}")
cp_mibs=$(median "${cp_all[@]}")
ds_s=$("$PY" -c "print('%.2f' % ($inbytes / 1048576 / $ds_mibs))")

# --- (b) single process: GNU tar extract + sorted re-pack ----------------
# (TAR_BASELINE=0 skips it: it takes a minute or more)
bl_mibs=0 r_bl=-
if [ "${TAR_BASELINE:-1}" != 0 ]; then
	x=$AIS_TMP/x
	mkdir -p "$x" "$AIS_TMP/repack"
	lim=$("$PY" -c "
s='$OUT_SIZE'.strip()
u={'KIB':1<<10,'MIB':1<<20,'GIB':1<<30,'KB':1<<10,'MB':1<<20,'GB':1<<30,'B':1}
for k in sorted(u, key=len, reverse=True):
    if s.upper().endswith(k):
        print(int(float(s[:-len(k)]) * u[k])); break
else:
    print(int(s))")
	sync
	b0=$(now)
	for f in "${shards[@]}"; do
		tar -xf "$f" -C "$x"
	done
	# sorted names, cut into lists of <= lim bytes, one tar -cf per list
	(cd "$x" && find . -type f -printf '%s %P\n' | sort -k2,2 |
	    awk -v lim="$lim" -v dir="$AIS_TMP/repack" '
		{ if (sz > 0 && sz + $1 > lim) { n++; sz = 0 } sz += $1;
		  printf "%s\n", $2 > sprintf("%s/list-%05d", dir, n) }')
	for l in "$AIS_TMP"/repack/list-*; do
		tar -cf "${l/list-/out-}.tar" -C "$x" -T "$l"
	done
	b1=$(now)
	bl_s=$(secs "$b0" "$b1")
	bl_mibs=$(mibs "$inbytes" "$bl_s")
	log "single-process tar reshard: ${bl_s}s = $bl_mibs MiB/s"
fi

r_cp=$(median "${rr_all[@]}")
log "dsort MiB/s by round: ${ds_all[*]}; nodes' CPU s: ${cpu_all[*]}; cp -r MiB/s: ${cp_all[*]}; ratios: ${rr_all[*]}"
[ "$bl_mibs" = 0 ] || r_bl=$("$PY" -c "print('%.2f' % ($ds_mibs / $bl_mibs))")
printf 'dsort: %d records x %d KiB in %d tar shards (%d MiB) -> %s shards on 3 targets: %.2fs = %s MiB/s; cp -r: %s MiB/s (ratio %s); medians of %d rounds; single-process GNU tar reshard: %s MiB/s (ratio %s) (warm page cache, no fsync, %s CPUs)\n' \
    "$NTOT" "$REC_KIB" "$NSHARDS" "$((inbytes / 1048576))" "$OUT_SIZE" \
    "$ds_s" "$ds_mibs" "$cp_mibs" "$r_cp" "$RUNS" "$bl_mibs" "$r_bl" "$(nproc)"

# bench/cluster.sh -- sourced by the benchmarks that start a local cluster
# (bench/rebalance.sh, bench/dsort.sh): a temp dir, tests/cluster/lib.sh's
# node helpers, and a teardown that stops the nodes it started by PID
# (SIGTERM, then SIGKILL after a second) and removes the dir. Set
# BENCH_LOGS=<dir> to keep the nodes' logs there.
#   bench_cluster_init <name>   # before starting nodes; ROOT must be set
# and the measuring helpers below (time, CPU, steal, medians).
bench_cluster_init() {
	export AIS_TMP
	AIS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ais-bench-$1.XXXXXX")
	: >"$AIS_TMP/pids"
	# shellcheck source=../tests/cluster/lib.sh
	. "$ROOT/tests/cluster/lib.sh"
	[ -x "$AISNODE" ] || { echo "bench: build first (no $AISNODE)" >&2; exit 2; }
	trap bench_cluster_cleanup EXIT
}

bench_cluster_cleanup() {
	local pid d
	set +e
	while read -r pid; do
		is_aisnode "$pid" && kill -TERM "$pid" 2>/dev/null
	done <"$AIS_TMP/pids"
	sleep 1
	while read -r pid; do
		is_aisnode "$pid" && kill -KILL "$pid" 2>/dev/null
	done <"$AIS_TMP/pids"
	if [ -n "${BENCH_LOGS:-}" ]; then
		mkdir -p "$BENCH_LOGS"
		for d in "$AIS_TMP"/*/log; do
			cp -r "$d" "$BENCH_LOGS/$(basename "$(dirname "$d")")"
		done
	fi
	rm -rf "$AIS_TMP"
}

now() { date +%s.%N; }
secs() { "$PY" -c "print('%.3f' % max($2 - $1, 1e-6))"; }   # T0 T1
mibs() { "$PY" -c "print('%.1f' % ($1 / 1048576 / $2))"; } # BYTES SECS
# cpu ticks: "busy steal total" from /proc/stat's first line
ticks() { awk '/^cpu /{b=$2+$3+$4+$7+$8; print b, $9, b+$5+$6+$9; exit}' /proc/stat; }
steal_pct() { # before after
	"$PY" -c "a='$1'.split(); b='$2'.split(); t=int(b[2])-int(a[2]); print('%.0f' % (100.0*(int(b[1])-int(a[1]))/t if t > 0 else 0))"
}
# CPU time (user + system, s) the cluster's nodes have used so far: a
# figure the steal does not inflate
node_cpu() {
	local pid t=0
	while read -r pid; do
		[ -r "/proc/$pid/stat" ] || continue
		t=$((t + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")))
	done <"$AIS_TMP/pids"
	"$PY" -c "print('%.2f' % ($t / $(getconf CLK_TCK)))"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# bench_cp SRC BYTES: times `cp -r SRC` on the same disk (then removes the
# copy); prints "seconds MiB/s steal%"
bench_cp() {
	local k0 k1 c0 c1 s
	sync
	k0=$(ticks)
	c0=$(now)
	cp -r "$1" "$AIS_TMP/cp-dst"
	c1=$(now)
	k1=$(ticks)
	rm -rf "$AIS_TMP/cp-dst"
	s=$(secs "$c0" "$c1")
	printf '%s %s %s\n' "$s" "$(mibs "$2" "$s")" "$(steal_pct "$k0" "$k1")"
}

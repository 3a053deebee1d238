# bench/cluster.sh -- sourced by the benchmarks that start a local cluster
# (bench/rebalance.sh, bench/dsort.sh): a temp dir, tests/cluster/lib.sh's
# node helpers, and a teardown that stops the nodes it started by PID
# (SIGTERM, then SIGKILL after a second) and removes the dir. Set
# BENCH_LOGS=<dir> to keep the nodes' logs there.
#   bench_cluster_init <name>   # before starting nodes; ROOT must be set
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

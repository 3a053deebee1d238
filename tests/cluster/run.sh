#!/usr/bin/env bash
# run.sh SCENARIO -- run one cluster scenario (tests/cluster/NN-name.sh).
#
# Creates a temp dir ($AIS_TMP), runs the scenario (bounded by
# AIS_SCENARIO_TIMEOUT seconds, default 240), then ALWAYS tears down: every
# aisnode PID the scenario started gets SIGTERM, then SIGKILL after a bound.
# Afterwards every node log and stderr capture is scanned for sanitizer
# reports; any report fails the run. The temp dir is removed unless AIS_KEEP=1.
#
# Environment: AIS_BIN (dir with aisnode; default <repo>/build/bin), AIS_KEEP,
# AIS_SCENARIO_TIMEOUT. ctest registers each scenario as cluster_<NN-name>.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 tests/cluster/NN-scenario.sh" >&2; exit 2; }
scenario=$1
[ -f "$scenario" ] || scenario=$HERE/$1
[ -f "$scenario" ] || { echo "run.sh: no scenario '$1'" >&2; exit 2; }
scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")
sname=$(basename "$scenario" .sh)

AIS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ais-$sname.XXXXXX") || exit 1
export AIS_TMP
: >"$AIS_TMP/pids"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
export AIS_BIN
# Sanitizer settings for the nodes (a build without sanitizers ignores them).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

SAN_RE='ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer|AddressSanitizer:DEADLYSIGNAL'
scenario_pid=
rc=1

# shellcheck disable=SC2317  # invoked by the EXIT trap
teardown() {
	local pid i left=() killed=() term=()
	trap - EXIT HUP INT TERM
	if [ -n "$scenario_pid" ] && kill -0 "$scenario_pid" 2>/dev/null; then
		kill -TERM "$scenario_pid" 2>/dev/null
	fi
	# Every aisnode this run started, by PID, checked against /proc.
	while read -r pid; do
		if is_aisnode "$pid"; then
			kill -TERM "$pid" 2>/dev/null && term+=("$pid")
		fi
	done < <(sort -un "$AIS_TMP/pids" 2>/dev/null)
	[ "${#term[@]}" -eq 0 ] || log "teardown: SIGTERM ${term[*]}"
	for ((i = 0; i < 100; i++)); do # <= 10 s
		left=()
		for pid in "${term[@]}"; do
			is_aisnode "$pid" && left+=("$pid")
		done
		[ "${#left[@]}" -gt 0 ] || break
		sleep 0.1
	done
	for pid in "${left[@]}"; do
		if is_aisnode "$pid"; then
			kill -KILL "$pid" 2>/dev/null && killed+=("$pid")
		fi
	done
	if [ "${#killed[@]}" -gt 0 ]; then
		log "teardown: SIGKILL ${killed[*]} (still running after 10s)"
		for ((i = 0; i < 50; i++)); do # <= 5 s
			left=()
			for pid in "${killed[@]}"; do
				is_aisnode "$pid" && left+=("$pid")
			done
			[ "${#left[@]}" -gt 0 ] || break
			sleep 0.1
		done
	fi
	[ -n "$scenario_pid" ] && wait "$scenario_pid" 2>/dev/null

	# Sanitizer reports in any node log or stderr capture.
	local reports
	reports=$(grep -rlE --binary-files=without-match "$SAN_RE" "$AIS_TMP" 2>/dev/null | sort)
	if [ -n "$reports" ]; then
		local f
		for f in $reports; do
			printf -- '----- sanitizer report in %s\n' "${f#"$AIS_TMP"/}" >&2
			grep -nE -A 30 "$SAN_RE" "$f" | head -n 60 >&2
		done
		log "FAIL: sanitizer reports found (see above)"
		rc=1
	fi

	if [ "$rc" -ne 0 ]; then
		local d
		for d in "$AIS_TMP"/*/; do
			[ -f "$d/role" ] || continue
			dump_node "$(basename "$d")"
		done
	fi
	if [ "${AIS_KEEP:-0}" = 1 ]; then
		log "keeping $AIS_TMP"
	else
		rm -rf "$AIS_TMP"
	fi
	if [ "$rc" -eq 0 ]; then
		log "PASS $sname"
	else
		log "FAIL $sname (exit $rc)"
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'rc=129; exit 129' HUP
trap 'rc=130; exit 130' INT
trap 'rc=143; exit 143' TERM

[ -x "$AISNODE" ] || { log "FAIL: no aisnode binary at $AISNODE (set AIS_BIN)"; exit 1; }
log "scenario $sname (AIS_BIN=$AIS_BIN, tmp $AIS_TMP)"
timeout -k 5 "${AIS_SCENARIO_TIMEOUT:-240}" bash "$scenario" &
scenario_pid=$!
wait "$scenario_pid"
rc=$?
[ "$rc" -ne 124 ] || log "FAIL: scenario timed out after ${AIS_SCENARIO_TIMEOUT:-240}s"
scenario_pid=
exit "$rc"

#!/usr/bin/env bash
# deploy.sh -- a local AIStore-C cluster on this machine (127.0.0.1).
#
#   scripts/deploy.sh start    start (or restart / grow) PROXIES proxies and
#                              TARGETS targets under ./.ais-data, wait until the
#                              primary's Smap has them all and it is ready
#   scripts/deploy.sh stop     SIGTERM exactly the recorded PIDs, SIGKILL
#                              stragglers after a bound, remove the pid files
#   scripts/deploy.sh status   one line per node
#
# Environment: PROXIES (default 1), TARGETS (default 3), AIS_DATA (default
# <repo>/.ais-data), AIS_BIN (default <repo>/build/bin), AIS_DEPLOY_WAIT
# (seconds to wait for the cluster, default 60).
#
# Layout: one directory per node, p1..pN then t1..tN, each holding local.json
# (the node's local config), conf/ (confdir: node ID, Smap, BMD, config),
# log/ (aisnode.log plus the process's stdout/stderr), pid, and for targets
# the mountpaths mp1/ and mp2/. On a fresh deploy node k (proxies first, then
# targets, k from 0) gets public port 8080+k, intra-control 9080+k and
# intra-data 10080+k; p1 is the primary at http://localhost:8080.
#
# A later `start` reuses every existing node directory as it is (same
# local.json, same node ID), leaves running nodes alone, and adds nodes when the
# counts grew. Processes are only ever signalled by their recorded PID, and
# only after /proc/<pid>/cmdline confirms it is an aisnode.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${AIS_DATA:-$ROOT/.ais-data}
BIN=${AIS_BIN:-$ROOT/build/bin}
AISNODE=$BIN/aisnode
PROXIES=${PROXIES:-1}
TARGETS=${TARGETS:-3}
WAIT=${AIS_DEPLOY_WAIT:-60}
HOST=127.0.0.1
BASE_PUB=8080
BASE_CTL=9080
BASE_DATA=10080
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }
say() { printf 'deploy: %s\n' "$*"; }

# is_aisnode PID: the process exists and is an aisnode (not a reused PID).
is_aisnode() {
	local pid=$1 cmd
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null </proc/"$pid"/cmdline) || return 1
	[[ $cmd == *aisnode* ]]
}

node_pid() { cat "$DATA/$1/pid" 2>/dev/null || true; }
node_running() { is_aisnode "$(node_pid "$1")"; }

# Existing node directories of one role, in numeric order (p1 p2 ... p10).
existing() {
	local prefix=$1 d n
	for d in "$DATA/$prefix"[0-9]*; do
		[ -f "$d/local.json" ] || continue
		n=${d##*/}
		[[ ${n#"$prefix"} =~ ^[0-9]+$ ]] && printf '%s\n' "${n#"$prefix"}"
	done | sort -n | sed "s/^/$prefix/"
}

# json_port FILE: the public port of a node's local.json.
json_port() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["host_net"]["port"])' "$1"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
	"$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# All ports named in existing local.json files (public, control, data).
used_ports() {
	"$PY" - "$DATA" <<'EOF'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*/local.json"):
    try:
        hn = json.load(open(f))["host_net"]
    except (OSError, ValueError, KeyError):
        continue
    for k in ("port", "port_intra_control", "port_intra_data"):
        if hn.get(k):
            print(hn[k])
EOF
}

# write_local_json DIR ROLE K: a fresh node directory with ports of slot K.
write_local_json() {
	local dir=$1 role=$2 k=$3
	mkdir -p "$dir/conf" "$dir/log"
	if [ "$role" = target ]; then
		mkdir -p "$dir/mp1" "$dir/mp2"
	fi
	"$PY" - "$dir" "$role" "$((BASE_PUB + k))" "$((BASE_CTL + k))" \
	    "$((BASE_DATA + k))" "$HOST" <<'EOF'
import json, sys
d, role, pub, ctl, dat, host = sys.argv[1:]
cfg = {
    "confdir": d + "/conf",
    "log_dir": d + "/log",
    "host_net": {"hostname": host, "port": pub,
                 "port_intra_control": ctl, "port_intra_data": dat},
    "fspaths": {d + "/mp1": "", d + "/mp2": ""} if role == "target" else {},
}
with open(d + "/local.json.tmp", "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
EOF
	mv "$dir/local.json.tmp" "$dir/local.json"
}

# launch NAME ROLE [PRIMARY_URL]: start one node in the background, in its own
# session, output to its log dir; record the PID.
launch() {
	local name=$1 role=$2 purl=${3:-} dir=$DATA/$1 pid
	local args=(-role="$role" -local_config="$dir/local.json")
	[ -n "$purl" ] && args+=(-primary_url="$purl")
	mkdir -p "$dir/log"
	# setsid does not fork here (a background job is not a group leader),
	# so $! is the aisnode process itself; checked below.
	setsid "$AISNODE" "${args[@]}" </dev/null \
	    >>"$dir/log/stdout.log" 2>>"$dir/log/stderr.log" &
	pid=$!
	printf '%s\n' "$pid" >"$dir/pid"
	say "started $name ($role, pid $pid, port $(json_port "$dir/local.json"))"
}

http_code() {
	curl -s --noproxy '*' --max-time 3 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true
}

show_failure() {
	local name=$1 dir=$DATA/$1 f
	for f in "$dir/log/stderr.log" "$dir/log/aisnode.log"; do
		[ -s "$f" ] || continue
		printf -- '--- %s (last lines)\n' "$f" >&2
		tail -n 15 "$f" >&2
	done
}

# smap_summary: prints "P T" counts of the primary's Smap; fails if unreachable.
smap_counts() {
	curl -sf --noproxy '*' --max-time 3 "$PRIMARY_URL/v1/daemon?what=smap" 2>/dev/null |
	    "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("pmap") or {}), len(d.get("tmap") or {}))' 2>/dev/null
}

summary() {
	curl -sf --noproxy '*' --max-time 3 "$PRIMARY_URL/v1/daemon?what=smap" |
	    "$PY" -c '
import json, sys
d = json.load(sys.stdin)
p, t = d.get("pmap") or {}, d.get("tmap") or {}
psi = d.get("proxy_si") or {}
print("cluster %s: Smap v%s, %d prox%s (primary %s), %d target%s" % (
    d.get("uuid", "?"), d.get("version", "?"), len(p), "y" if len(p) == 1 else "ies",
    psi.get("daemon_id", "?"), len(t), "" if len(t) == 1 else "s"))'
}

cmd_start() {
	[[ $PROXIES =~ ^[0-9]+$ && $PROXIES -ge 1 ]] || die "PROXIES must be >= 1 (got '$PROXIES')"
	[[ $TARGETS =~ ^[0-9]+$ ]] || die "TARGETS must be a number (got '$TARGETS')"
	[ -x "$AISNODE" ] || die "no node binary at $AISNODE (run: make build)"
	command -v "$PY" >/dev/null || die "python3 is required"
	command -v curl >/dev/null || die "curl is required"
	mkdir -p "$DATA"

	local proxies targets name i k
	mapfile -t proxies < <(existing p)
	mapfile -t targets < <(existing t)
	if [ "${#proxies[@]}" -gt "$PROXIES" ] || [ "${#targets[@]}" -gt "$TARGETS" ]; then
		say "note: $DATA already holds ${#proxies[@]} proxies and ${#targets[@]} targets; keeping all of them (make clean to start over smaller)"
	fi
	if [ "${#proxies[@]}" -eq 0 ] && [ "${#targets[@]}" -gt 0 ]; then
		die "$DATA has targets but no proxy p1; run make clean"
	fi

	# New nodes: the next slot k whose three ports are neither named by an
	# existing node nor in use.
	local -A used=()
	local p
	while read -r p; do used[$p]=1; done < <(used_ports)
	k=0
	next_slot() {
		while :; do
			if [ -z "${used[$((BASE_PUB + k))]:-}" ] && [ -z "${used[$((BASE_CTL + k))]:-}" ] &&
			    [ -z "${used[$((BASE_DATA + k))]:-}" ]; then
				if port_free $((BASE_PUB + k)) && port_free $((BASE_CTL + k)) &&
				    port_free $((BASE_DATA + k)); then
					break
				fi
				say "ports $((BASE_PUB + k))/$((BASE_CTL + k))/$((BASE_DATA + k)) are in use by another process; skipping"
			fi
			k=$((k + 1))
			[ "$k" -lt 1000 ] || die "no free port slot found"
		done
		used[$((BASE_PUB + k))]=1 used[$((BASE_CTL + k))]=1 used[$((BASE_DATA + k))]=1
	}
	for ((i = ${#proxies[@]} + 1; i <= PROXIES; i++)); do
		next_slot
		write_local_json "$DATA/p$i" proxy "$k"
		proxies+=("p$i")
	done
	for ((i = ${#targets[@]} + 1; i <= TARGETS; i++)); do
		next_slot
		write_local_json "$DATA/t$i" target "$k"
		targets+=("t$i")
	done

	PRIMARY_URL="http://$HOST:$(json_port "$DATA/p1/local.json")"
	local want_p=${#proxies[@]} want_t=${#targets[@]} deadline=$((SECONDS + WAIT))

	# The primary first: the others join it.
	if node_running p1; then
		say "p1 already running (pid $(node_pid p1))"
	else
		launch p1 proxy
	fi
	while [ "$(http_code "$PRIMARY_URL/v1/health")" != 200 ]; do
		node_running p1 || { show_failure p1; die "primary p1 exited; see $DATA/p1/log"; }
		[ "$SECONDS" -lt "$deadline" ] || { show_failure p1; die "primary p1 not healthy after ${WAIT}s"; }
		sleep 0.3
	done

	for name in "${proxies[@]:1}" "${targets[@]}"; do
		if node_running "$name"; then
			say "$name already running (pid $(node_pid "$name"))"
			continue
		fi
		local role=proxy
		[[ $name == t* ]] && role=target
		launch "$name" "$role" "$PRIMARY_URL"
	done

	# Wait for every node in the primary's Smap and the primary ready.
	local counts np nt unhealthy=
	while :; do
		counts=$(smap_counts || true)
		read -r np nt <<<"${counts:-0 0}"
		if [ "${np:-0}" -ge "$want_p" ] && [ "${nt:-0}" -ge "$want_t" ] &&
		    [ "$(http_code "$PRIMARY_URL/v1/health?prr=true")" = 200 ]; then
			# ... and every node of the set answers health (joined).
			unhealthy=
			for name in "${proxies[@]}" "${targets[@]}"; do
				if [ "$(http_code "http://$HOST:$(json_port "$DATA/$name/local.json")/v1/health")" != 200 ]; then
					unhealthy+=" $name"
				fi
			done
			[ -n "$unhealthy" ] || break
		fi
		for name in "${proxies[@]}" "${targets[@]}"; do
			if ! node_running "$name"; then
				show_failure "$name"
				die "$name exited during startup; see $DATA/$name/log"
			fi
		done
		if [ "$SECONDS" -ge "$deadline" ]; then
			die "cluster not ready after ${WAIT}s: primary Smap has ${np:-?}/$want_p proxies, ${nt:-?}/$want_t targets${unhealthy:+; not healthy:$unhealthy} (logs under $DATA/*/log)"
		fi
		sleep 0.5
	done
	echo
	echo "AIS endpoint: http://localhost:${PRIMARY_URL##*:}"
	summary
}

cmd_stop() {
	[ -d "$DATA" ] || { say "nothing to stop ($DATA does not exist)"; return 0; }
	# Targets first, then proxies; the primary p1 last.
	local groups=() name pid
	mapfile -t t < <(existing t)
	mapfile -t p < <(existing p)
	groups=("${t[*]:-}" "$(printf '%s ' "${p[@]:1}")" "${p[0]:-}")
	local g
	for g in "${groups[@]}"; do
		local sent=()
		for name in $g; do
			pid=$(node_pid "$name")
			[ -n "$pid" ] || continue
			if is_aisnode "$pid"; then
				kill -TERM "$pid" 2>/dev/null && sent+=("$name:$pid")
			else
				rm -f "$DATA/$name/pid"
			fi
		done
		[ "${#sent[@]}" -gt 0 ] || continue
		say "SIGTERM ${sent[*]}"
		local deadline=$((SECONDS + 20)) left
		while :; do
			left=()
			for name in "${sent[@]}"; do
				is_aisnode "${name#*:}" && left+=("$name")
			done
			[ "${#left[@]}" -gt 0 ] || break
			if [ "$SECONDS" -ge "$deadline" ]; then
				say "SIGKILL ${left[*]} (still running after 20s)"
				for name in "${left[@]}"; do
					if is_aisnode "${name#*:}"; then
						kill -KILL "${name#*:}" 2>/dev/null || true
					fi
				done
				sleep 0.5
				break
			fi
			sleep 0.2
		done
		for name in "${sent[@]}"; do
			rm -f "$DATA/${name%%:*}/pid"
		done
	done
	say "stopped"
}

cmd_status() {
	[ -d "$DATA" ] || { say "no cluster ($DATA does not exist)"; return 0; }
	local name pid state
	for name in $(existing p) $(existing t); do
		pid=$(node_pid "$name")
		state=stopped
		is_aisnode "$pid" && state="running (pid $pid)"
		printf '%-4s port %-5s %s\n' "$name" "$(json_port "$DATA/$name/local.json")" "$state"
	done
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*) echo "usage: $0 start|stop|status   (env: PROXIES, TARGETS, AIS_DATA, AIS_BIN)" >&2; exit 2 ;;
esac

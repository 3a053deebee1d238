# shellcheck shell=bash
# lib.sh -- helpers for the cluster scenarios (tests/cluster/NN-*.sh).
#
# A scenario is a standalone bash script that sources this file and exits 0 on
# pass. It runs under tests/cluster/run.sh, which creates $AIS_TMP, tears every
# node down afterwards (by PID) and scans the logs for sanitizer reports;
# running a scenario directly re-executes it through run.sh.
#
# Every node NAME lives in $AIS_TMP/NAME: local.json, conf/ (confdir), log/
# (aisnode.log, stdout.log, stderr.log), mp1/ mp2/ (targets), and small state
# files: role, port, primary_url, pid. Every PID ever started is appended to
# $AIS_TMP/pids so run.sh can kill it. All nodes listen on 127.0.0.1 only,
# on ports the kernel reported free.
#
# Functions that print a value are meant for $(...); everything else logs to
# stderr. Every wait is bounded in time and iterations; failures print what
# was expected and what was seen, then exit 1.

AIS_CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AIS_ROOT=$(cd "$AIS_CLUSTER_DIR/../.." && pwd)

if [ -z "${AIS_TMP:-}" ]; then
	# Run directly: go through run.sh for the temp dir, teardown and scan.
	exec bash "$AIS_CLUSTER_DIR/run.sh" "$0"
fi

: "${AIS_BIN:=$AIS_ROOT/build/bin}"
AISNODE=$AIS_BIN/aisnode
AIS_HOST=127.0.0.1
# The system python3 when there is one (starts fast; has python3-xxhash from
# install-deps), else whatever python3 is on PATH.
if [ -z "${AIS_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then AIS_PYTHON=/usr/bin/python3; else AIS_PYTHON=python3; fi
fi
PY=$AIS_PYTHON

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
fail() {
	printf '[%s] FAIL: %s\n' "$(date +%T)" "$*" >&2
	exit 1
}

# --- assertions -------------------------------------------------------------

assert_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}
assert_ne() { # ACTUAL UNEXPECTED WHAT
	[ "$1" != "$2" ] || fail "$3: got '$1', expected anything else"
}
assert_ge() { # ACTUAL MIN WHAT (integers)
	[[ $1 =~ ^-?[0-9]+$ ]] || fail "$3: '$1' is not an integer"
	[ "$1" -ge "$2" ] || fail "$3: expected >= $2, got $1"
}
assert_nonempty() { # VALUE WHAT
	[ -n "$1" ] || fail "$2: empty"
}
assert_match() { # TEXT ERE WHAT (case-insensitive)
	printf '%s' "$1" | grep -Eqi -- "$2" || fail "$3: '$1' does not match /$2/"
}

# --- small utilities --------------------------------------------------------

# free_ports N: N distinct free TCP ports on 127.0.0.1 (held together while
# chosen, so they differ), one per line.
free_ports() {
	"$PY" - "${1:-1}" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}
free_port() { free_ports 1; }

# json_eval EXPR: evaluates a python expression over the JSON document on
# stdin, bound to `d`; prints the result (str as is, others as JSON).
json_eval() {
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# is_aisnode PID: alive and really an aisnode (zombies and reused PIDs: no).
is_aisnode() {
	local pid=$1 cmd
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null </proc/"$pid"/cmdline) || return 1
	[[ $cmd == *aisnode* ]]
}

node_dir() { printf '%s/%s' "$AIS_TMP" "$1"; }
node_file() { cat "$AIS_TMP/$1/$2" 2>/dev/null; }
node_port() { node_file "$1" port; }
node_pid() { node_file "$1" pid; }
node_alive() { is_aisnode "$(node_pid "$1")"; }
url_of() { printf 'http://%s:%s' "$AIS_HOST" "$(node_port "$1")"; }
confdir_of() { printf '%s/conf' "$(node_dir "$1")"; }

# dump_node NAME: the tail of a node's stderr and log, for failure reports.
dump_node() {
	local f
	for f in "$(node_dir "$1")"/log/stderr.log "$(node_dir "$1")"/log/aisnode.log; do
		[ -s "$f" ] || continue
		printf -- '----- %s (last 25 lines)\n' "${f#"$AIS_TMP"/}" >&2
		tail -n 25 "$f" >&2
	done
}

# --- nodes --------------------------------------------------------------------

# node_init NAME ROLE [PRIMARY_URL]: a node directory with a local.json on
# three fresh ports (public, intra-control, intra-data); not started.
node_init() {
	local name=$1 role=$2 purl=${3:-} dir ports
	dir=$(node_dir "$name")
	[ ! -e "$dir" ] || fail "node $name already exists"
	mkdir -p "$dir/conf" "$dir/log"
	[ "$role" = target ] && mkdir -p "$dir/mp1" "$dir/mp2"
	mapfile -t ports < <(free_ports 3)
	[ "${#ports[@]}" -eq 3 ] || fail "could not get free ports"
	"$PY" - "$dir" "$role" "${ports[@]}" "$AIS_HOST" <<'EOF'
import json, sys
d, role, pub, ctl, dat, host = sys.argv[1:]
cfg = {
    "confdir": d + "/conf",
    "log_dir": d + "/log",
    "host_net": {"hostname": host, "port": pub,
                 "port_intra_control": ctl, "port_intra_data": dat},
    "fspaths": {d + "/mp1": "", d + "/mp2": ""} if role == "target" else {},
}
with open(d + "/local.json", "w") as f:
    json.dump(cfg, f, indent=2)
EOF
	printf '%s\n' "$role" >"$dir/role"
	printf '%s\n' "${ports[0]}" >"$dir/port"
	printf '%s' "$purl" >"$dir/primary_url"
}

# node_args NAME: the aisnode command line of a node, one word per line.
# AIS_CONFIG_JSON (optional): a plain cluster config (JSON, e.g.
# '{"s3": {"auth_required": true, ...}}'), written to
# $AIS_TMP/cluster_config.json and passed as -config=<file> to every node
# started; a node that already has a persisted config keeps that one.
node_args() {
	local dir purl
	dir=$(node_dir "$1")
	purl=$(node_file "$1" primary_url)
	printf '%s\n' "$AISNODE" -role="$(node_file "$1" role)" -local_config="$dir/local.json"
	[ -z "$purl" ] || printf '%s\n' -primary_url="$purl"
	if [ -n "${AIS_CONFIG_JSON:-}" ]; then
		printf '%s\n' "$AIS_CONFIG_JSON" >"$AIS_TMP/cluster_config.json"
		printf '%s\n' -config="$AIS_TMP/cluster_config.json"
	fi
}

# node_launch NAME [EXTRA FLAGS...]: start in the background (a child of the
# calling shell, so `wait` can collect its exit code). Do not call in $(...).
node_launch() {
	local name=$1 dir pid args
	shift
	dir=$(node_dir "$name")
	mapfile -t args < <(node_args "$name")
	"${args[@]}" "$@" </dev/null >>"$dir/log/stdout.log" 2>>"$dir/log/stderr.log" &
	pid=$!
	printf '%s\n' "$pid" >"$dir/pid"
	printf '%s\n' "$pid" >>"$AIS_TMP/pids"
	log "started $name ($(node_file "$name" role), pid $pid, $(url_of "$name"))"
}

# start_proxy NAME [PRIMARY_URL]: without a primary URL the proxy creates the
# cluster and is its primary.
start_proxy() {
	node_init "$1" proxy "${2:-}"
	node_launch "$1"
}

# start_target NAME PRIMARY_URL
start_target() {
	[ -n "${2:-}" ] || fail "start_target $1: primary URL required"
	node_init "$1" target "$2"
	node_launch "$1"
}

# kill_node NAME [SIG]: signal a node by its recorded PID (default TERM).
kill_node() {
	local name=$1 sig=${2:-TERM} pid
	pid=$(node_pid "$name")
	is_aisnode "$pid" || fail "kill_node $name: not running (pid '$pid')"
	log "kill -$sig $name (pid $pid)"
	kill -"$sig" "$pid"
}

# wait_exit NAME SECS: wait until the node's process is gone, then collect its
# exit code into NODE_RC (the node must be a child of this shell). Do not call
# in $(...).
NODE_RC=
wait_exit() {
	local name=$1 secs=${2:-10} pid i deadline
	pid=$(node_pid "$name")
	deadline=$((SECONDS + secs))
	for ((i = 0; i < secs * 10 + 10; i++)); do
		is_aisnode "$pid" || break
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.1
	done
	if is_aisnode "$pid"; then
		dump_node "$name"
		fail "$name (pid $pid) still running ${secs}s after the signal"
	fi
	NODE_RC=0
	wait "$pid" 2>/dev/null || NODE_RC=$?
	log "$name exited with code $NODE_RC"
}

# restart_node NAME [EXTRA FLAGS...]: start a stopped node again with the same
# local.json, confdir, mountpaths and primary URL.
restart_node() {
	local name=$1
	shift
	! node_alive "$name" || fail "restart_node $name: still running"
	node_launch "$name" "$@"
}

# --- HTTP -----------------------------------------------------------------------

CURL=(curl -s --noproxy '*' --max-time 5)

# http_code URL [CURL ARGS...]: the status code (000 if no answer).
http_code() {
	local url=$1
	shift
	"${CURL[@]}" -o /dev/null -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}

# get_json NAME PATH: the body of a GET that must answer 200.
get_json() {
	local out code
	out=$("${CURL[@]}" -w '\n%{http_code}' "$(url_of "$1")$2") || fail "GET $1 $2: no answer"
	code=${out##*$'\n'}
	[ "$code" = 200 ] || fail "GET $1 $2: status $code, body: ${out%$'\n'*}"
	printf '%s\n' "${out%$'\n'*}"
}

# wait_healthy NAME [SECS]: GET /v1/health answers 200 (node joined).
wait_healthy() {
	local name=$1 secs=${2:-30} i deadline code=
	deadline=$((SECONDS + secs))
	for ((i = 0; i < secs * 5 + 5; i++)); do
		code=$(http_code "$(url_of "$name")/v1/health")
		if [ "$code" = 200 ]; then
			log "$name healthy"
			return 0
		fi
		if ! node_alive "$name"; then
			dump_node "$name"
			fail "$name exited before becoming healthy"
		fi
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.2
	done
	dump_node "$name"
	fail "$name not healthy after ${secs}s (last status $code)"
}

smap_of() { get_json "$1" '/v1/daemon?what=smap'; }
smap_version() { smap_of "$1" | json_eval 'int(d["version"])'; }
# smap_counts NAME: "<proxies> <targets>"
smap_counts() { smap_of "$1" | json_eval '"%d %d" % (len(d.get("pmap") or {}), len(d.get("tmap") or {}))'; }

# node_id NAME: the node's daemon_id (from its snode; if it is down, from the
# last line of <confdir>/.ais.node_id).
node_id() {
	local id
	if node_alive "$1"; then
		id=$(get_json "$1" '/v1/daemon?what=snode' | json_eval 'd["daemon_id"]')
	else
		# The file: an "aismeta ..." checksum line, then {"daemon_id": ...}
		# (or a bare ID).
		id=$("$PY" - "$(confdir_of "$1")/.ais.node_id" 2>/dev/null <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
body = "\n".join(l for l in lines if not l.startswith("aismeta ")).strip()
try:
    print(json.loads(body)["daemon_id"])
except ValueError:
    print(body)
EOF
		) || id=
	fi
	[ -n "$id" ] || fail "node_id $1: unknown"
	printf '%s\n' "$id"
}

# wait_counts NAME PROXIES TARGETS [SECS]: NAME's Smap has exactly these counts.
wait_counts() {
	local name=$1 np=$2 nt=$3 secs=${4:-30} i deadline got=
	deadline=$((SECONDS + secs))
	for ((i = 0; i < secs * 4 + 4; i++)); do
		got=$(smap_counts "$name" 2>/dev/null || true)
		[ "$got" = "$np $nt" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.25
	done
	fail "$name: Smap has '$got' (proxies targets), expected '$np $nt' after ${secs}s"
}

# wait_smap_version NAME MINVER [SECS]: prints the version once >= MINVER.
wait_smap_version() {
	local name=$1 min=$2 secs=${3:-30} i deadline v=
	deadline=$((SECONDS + secs))
	for ((i = 0; i < secs * 4 + 4; i++)); do
		v=$(smap_version "$name" 2>/dev/null || true)
		if [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge "$min" ]; then
			printf '%s\n' "$v"
			return 0
		fi
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.25
	done
	fail "$name: Smap version '$v', expected >= $min after ${secs}s"
}

# wait_converged PROXIES TARGETS NAME...: every named node serves the same
# Smap version with these counts; prints that version.
wait_converged() {
	local np=$1 nt=$2 secs=${AIS_CONVERGE_SECS:-30} i deadline n line seen
	shift 2
	deadline=$((SECONDS + secs))
	for ((i = 0; i < secs * 2 + 2; i++)); do
		seen=()
		for n in "$@"; do
			line=$(smap_of "$n" 2>/dev/null |
			    json_eval '"%s %d %d" % (d["version"], len(d.get("pmap") or {}), len(d.get("tmap") or {}))' 2>/dev/null) ||
			    line="(no smap)"
			seen+=("$n=v${line// /,}")
		done
		local first=${seen[0]#*=} all_same=1 s
		for s in "${seen[@]}"; do
			[ "${s#*=}" = "$first" ] || all_same=0
		done
		if [ "$all_same" = 1 ] && [[ $first =~ ^v([0-9]+),$np,$nt$ ]]; then
			log "converged: Smap v${BASH_REMATCH[1]}, $np proxies, $nt targets on $*"
			printf '%s\n' "${BASH_REMATCH[1]}"
			return 0
		fi
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.5
	done
	fail "no convergence on Smap with $np proxies and $nt targets after ${secs}s: ${seen[*]} (v<version>,<proxies>,<targets>)"
}

# xxh64_id ID: XXH64(ID, seed 1103515245) as an unsigned decimal -- with the
# python xxhash module when some python3 has it, else a pure-python XXH64.
xxh64_id() {
	local py
	for py in "$PY" /usr/bin/python3; do
		if "$py" -c 'import xxhash' 2>/dev/null; then
			"$py" -c 'import sys, xxhash; print(xxhash.xxh64_intdigest(sys.argv[1].encode(), seed=1103515245))' "$1"
			return
		fi
	done
	"$PY" - "$1" <<'EOF'
import struct, sys
M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M
def rnd(acc, v):
    return (rotl((acc + v * P2) & M, 31) * P1) & M
def merge(acc, v):
    return ((acc ^ rnd(0, v)) * P1 + P4) & M
def xxh64(b, seed):
    n, i = len(b), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for j in range(4):
                v[j] = rnd(v[j], struct.unpack_from("<Q", b, i + 8 * j)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = merge(h, x)
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from("<Q", b, i)[0]), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from("<I", b, i)[0] * P1 & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = (rotl(h ^ (b[i] * P5 & M), 11) * P1) & M
        i += 1
    h ^= h >> 33; h = h * P2 & M; h ^= h >> 29; h = h * P3 & M; h ^= h >> 32
    return h
print(xxh64(sys.argv[1].encode(), 1103515245))
EOF
}

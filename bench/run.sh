#!/usr/bin/env bash
# bench/run.sh -- the data path against nginx on the same machine, same run.
#
# Object sets (SETS, default "4k:10000 1m:1000 64m:16"): the same files are
# served by nginx (sendfile on, WebDAV PUT) and by a local cluster (1 proxy +
# TARGETS targets, default 1 so one target and one nginx compete for the
# same cores). For every set, nginx and the cluster are measured back to
# back (interleaved), so drift in the machine hits both alike:
#
#   GET wrk  : keep-alive GETs, 16 and 64 connections, direct to the target
#   PUT wrk  : keep-alive PUTs of the set's object size (1m and 4k sets)
#   GET curl : curl --parallel (16) through the gateway with -L (redirects)
#
# Reported: MiB/s, requests/s, ratio cluster/nginx, and server CPU-seconds
# per GiB moved (utime+stime of the server processes from /proc).
#
#   bench/run.sh                      # full run (~10 min)
#   DUR=5 SETS="1m:200" bench/run.sh  # quick look
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${AIS_BIN:=$ROOT/build/bin}"
: "${DUR:=10}"
: "${SETS:=4k:10000 1m:1000 64m:16}"
: "${TARGETS:=1}"
: "${CONNS:=16 64}"
THREADS=2

command -v nginx >/dev/null && command -v wrk >/dev/null || {
	echo "bench: installing nginx and wrk" >&2
	apt-get install -y -qq nginx wrk >/dev/null
}
[ -x "$AIS_BIN/aisnode" ] || { echo "bench: build first (make build)" >&2; exit 2; }

export AIS_TMP
AIS_TMP=$(mktemp -d /tmp/ais-bench.XXXXXX)
NGX_PID=
cleanup() {
	set +e
	[ -n "$NGX_PID" ] && kill "$NGX_PID" 2>/dev/null
	if [ -f "$AIS_TMP/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null; done <"$AIS_TMP/pids"
		sleep 1
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$AIS_TMP/pids"
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$AIS_TMP"
}
trap cleanup EXIT INT TERM
# shellcheck source=../tests/cluster/lib.sh
. "$ROOT/tests/cluster/lib.sh"

size_of() { # 4k | 1m | 64m -> bytes
	local s=${1,,}
	case "$s" in
	*k) echo $((${s%k} * 1024)) ;;
	*m) echo $((${s%m} * 1024 * 1024)) ;;
	*) echo "$s" ;;
	esac
}

cpu_ticks() { # sum of utime+stime of the given PIDs and their children
	local total=0 p kids
	for p in "$@"; do
		kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
		for q in $p $kids; do
			[ -r /proc/"$q"/stat ] || continue
			total=$((total + $(awk '{print $14 + $15}' /proc/"$q"/stat)))
		done
	done
	echo "$total"
}

# --- data ------------------------------------------------------------------------
DATA=$AIS_TMP/data
mkdir -p "$DATA"
for set in $SETS; do
	name=${set%%:*} count=${set##*:} sz=$(size_of "${set%%:*}")
	mkdir -p "$DATA/$name"
	"$PY" - "$DATA/$name" "$count" "$sz" <<'PYEOF'
import os, sys
d, n, sz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blob = os.urandom(min(sz, 1 << 20))
for i in range(n):
    with open(os.path.join(d, "obj-%06d" % i), "wb") as f:
        left = sz
        # Different content per object: prefix with the index.
        f.write(("%08d" % i).encode()[:min(8, left)])
        left -= min(8, left)
        while left > 0:
            k = min(left, len(blob))
            f.write(blob[:k])
            left -= k
PYEOF
done
echo "bench: data ready under $DATA ($(du -sh "$DATA" | cut -f1))" >&2

# --- nginx ---------------------------------------------------------------------
NGX_PORT=$(free_port)
mkdir -p "$AIS_TMP/nginx/dav" "$AIS_TMP/nginx/tmp"
# Workers must read the data and write the DAV dir: run them as the user
# that owns them (the temp dir is private).
NGX_USER=
[ "$(id -u)" -ne 0 ] || NGX_USER="user root;"
cat >"$AIS_TMP/nginx/nginx.conf" <<NGXEOF
$NGX_USER
worker_processes auto;
pid $AIS_TMP/nginx/nginx.pid;
error_log $AIS_TMP/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $AIS_TMP/nginx/tmp;
	client_max_body_size 0;
	server {
		listen 127.0.0.1:$NGX_PORT;
		root $DATA;
		location /dav/ {
			root $AIS_TMP/nginx;
			dav_methods PUT;
			create_full_put_path on;
		}
	}
}
NGXEOF
nginx -c "$AIS_TMP/nginx/nginx.conf" -g 'daemon off;' &
NGX_PID=$!
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGX_PORT/")" != 000 ] && break
	sleep 0.1
done

# --- cluster --------------------------------------------------------------------
start_proxy p1
wait_healthy p1
P=$(url_of p1)
for i in $(seq "$TARGETS"); do start_target "t$i" "$P"; done
for i in $(seq "$TARGETS"); do wait_healthy "t$i"; done
wait_converged 1 "$TARGETS" p1 >/dev/null
curl -sf -X POST "$P/v1/buckets/bench" -H 'Content-Type: application/json' \
	-d '{"action":"create-bck","name":"","value":null}' >/dev/null
T1=$(url_of t1)
TPIDS=()
for i in $(seq "$TARGETS"); do TPIDS+=("$(node_pid "t$i")"); done

RESULTS=$AIS_TMP/results.tsv
: >"$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# run_wrk LABEL SERVER_PIDS... -- WRK ARGS: records MiB/s, req/s, CPU-s/GiB.
run_wrk() {
	local label=$1 server=$2 set=$3 sz=$4
	shift 4
	local pids=() a
	while [ "$1" != -- ]; do pids+=("$1"); shift; done
	shift
	local c0 c1 out rps reqs secs
	c0=$(cpu_ticks "${pids[@]}")
	out=$(wrk -t"$THREADS" --timeout 60s --latency "$@" 2>&1)
	c1=$(cpu_ticks "${pids[@]}")
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	reqs=$(awk '/requests in/ {print $1}' <<<"$out")
	secs=$(awk '/requests in/ {gsub(/s,/, "", $4); print $4}' <<<"$out")
	local errs
	errs=$(awk '/Non-2xx|Socket errors/' <<<"$out")
	if [ -n "$errs" ]; then
		# A row built on failed requests would be meaningless.
		echo "bench: $label $server $set: $errs" >&2
		rps=0
	fi
	"$PY" - "$label" "$server" "$set" "$sz" "$rps" "$reqs" "$((c1 - c0))" "$(getconf CLK_TCK)" >>"$RESULTS" <<'PYEOF'
import sys
label, server, set_, sz, rps, reqs, ticks, hz = sys.argv[1:]
sz, rps, reqs, ticks, hz = int(sz), float(rps or 0), int(reqs or 0), int(ticks), int(hz)
mibs = rps * sz / 2**20
gib = reqs * sz / 2**30
cpu = ticks / hz / gib if gib > 0 else 0
print("%s\t%s\t%s\t%.1f\t%.0f\t%.2f" % (label, server, set_, mibs, rps, cpu))
PYEOF
}

# run_curl LABEL SERVER SET SZ PIDS... -- CURL ARGS (parallel transfer)
run_curl() {
	local label=$1 server=$2 set=$3 sz=$4 count=$5
	shift 5
	local pids=()
	while [ "$1" != -- ]; do pids+=("$1"); shift; done
	shift
	local c0 c1 t0 t1
	c0=$(cpu_ticks "${pids[@]}")
	t0=$(date +%s.%N)
	local codes
	codes=$(curl -s --no-progress-meter --parallel --parallel-max 16 -w '%{http_code}\n' "$@" | sort | uniq -c)
	t1=$(date +%s.%N)
	if grep -vqE '^ *[0-9]+ 2[0-9][0-9]$' <<<"$codes"; then
		echo "bench: $label $server $set: non-2xx responses: $(tr '\n' ' ' <<<"$codes")" >&2
		t1=$t0 # marks the row invalid (rate 0)
	fi
	c1=$(cpu_ticks "${pids[@]}")
	"$PY" - "$label" "$server" "$set" "$sz" "$count" "$t0" "$t1" "$((c1 - c0))" "$(getconf CLK_TCK)" >>"$RESULTS" <<'PYEOF'
import sys
label, server, set_, sz, n, t0, t1, ticks, hz = sys.argv[1:]
sz, n, dt = int(sz), int(n), float(t1) - float(t0)
gib = n * sz / 2**30
rate = n * sz / 2**20 / dt if dt > 0 else 0
print("%s\t%s\t%s\t%.1f\t%.0f\t%.2f" % (label, server, set_, rate, n / dt if dt > 0 else 0, int(ticks) / int(hz) / gib))
PYEOF
}

for set in $SETS; do
	name=${set%%:*} count=${set##*:} sz=$(size_of "$name")
	echo "bench: set $name ($count x $sz bytes)" >&2
	# Load the set into the cluster through the gateway (curl -L) and
	# into nginx over WebDAV: the "PUT curl" rows.
	ls "$DATA/$name" >"$AIS_TMP/names-$name"
	cfg_ngx=$AIS_TMP/put-ngx-$name.cfg cfg_ais=$AIS_TMP/put-ais-$name.cfg
	: >"$cfg_ngx"; : >"$cfg_ais"
	while read -r o; do
		printf 'url = "http://127.0.0.1:%s/dav/%s/%s"\nupload-file = "%s"\n' "$NGX_PORT" "$name" "$o" "$DATA/$name/$o" >>"$cfg_ngx"
		printf 'url = "%s/v1/objects/bench/%s/%s"\nupload-file = "%s"\nlocation\n' "$P" "$name" "$o" "$DATA/$name/$o" >>"$cfg_ais"
	done <"$AIS_TMP/names-$name"
	run_curl "PUT curl16" nginx "$name" "$sz" "$count" "$NGX_PID" -- -K "$cfg_ngx"
	run_curl "PUT curl16 -L gw" aistore "$name" "$sz" "$count" "${TPIDS[@]}" "$(node_pid p1)" -- -K "$cfg_ais"

	# Objects owned by t1 (direct target GETs need the owner).
	: >"$AIS_TMP/ais-paths-$name"; : >"$AIS_TMP/ngx-paths-$name"
	while read -r o; do
		loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$P/v1/objects/bench/$name/$o")
		case "$loc" in "$T1"/*)
			printf '/v1/objects/bench/%s/%s\n' "$name" "$o" >>"$AIS_TMP/ais-paths-$name"
			printf '/%s/%s\n' "$name" "$o" >>"$AIS_TMP/ngx-paths-$name" ;;
		esac
	done <"$AIS_TMP/names-$name"
	n1=$(wc -l <"$AIS_TMP/ais-paths-$name")
	echo "bench: $n1 objects of set $name on t1" >&2
	for c in $CONNS; do
		run_wrk "GET wrk c$c" nginx "$name" "$sz" "$NGX_PID" -- -c"$c" -d"${DUR}s" \
			-s "$ROOT/bench/get.lua" "http://127.0.0.1:$NGX_PORT" -- "$AIS_TMP/ngx-paths-$name"
		run_wrk "GET wrk c$c" aistore "$name" "$sz" "${TPIDS[0]}" -- -c"$c" -d"${DUR}s" \
			-s "$ROOT/bench/get.lua" "$T1" -- "$AIS_TMP/ais-paths-$name"
	done
	sed "s|.*|url = \"http://127.0.0.1:$NGX_PORT/$name/&\"\noutput = \"/dev/null\"|" \
		"$AIS_TMP/names-$name" >"$AIS_TMP/get-ngx-$name.cfg"
	sed "s|.*|url = \"$P/v1/objects/bench/$name/&\"\noutput = \"/dev/null\"|" \
		"$AIS_TMP/names-$name" >"$AIS_TMP/get-ais-$name.cfg"
	run_curl "GET curl16" nginx "$name" "$sz" "$count" "$NGX_PID" -- -K "$AIS_TMP/get-ngx-$name.cfg"
	run_curl "GET curl16 -L gw" aistore "$name" "$sz" "$count" "${TPIDS[@]}" "$(node_pid p1)" -- \
		-L -K "$AIS_TMP/get-ais-$name.cfg"
	if [ "$sz" -le $((1 << 20)) ]; then
		# S3 through the gateway (default mode: the proxy streams each
		# request to the owning target and back), against nginx in the
		# same breath; "hop" rows compare it with the native direct GET.
		sed "s|^|/$name/|" "$AIS_TMP/names-$name" >"$AIS_TMP/ngx-all-$name"
		sed "s|^|/dav/wrk-$name/|" "$AIS_TMP/names-$name" >"$AIS_TMP/ngx-put-$name"
		sed "s|^|/s3/bench/$name/|" "$AIS_TMP/names-$name" >"$AIS_TMP/s3-get-$name"
		sed "s|^|/s3/bench/s3put-$name/|" "$AIS_TMP/names-$name" >"$AIS_TMP/s3-put-$name"
		run_wrk "S3 GET wrk c16" nginx "$name" "$sz" "$NGX_PID" -- -c16 -d"${DUR}s" \
			-s "$ROOT/bench/get.lua" "http://127.0.0.1:$NGX_PORT" -- "$AIS_TMP/ngx-all-$name"
		run_wrk "S3 GET wrk c16" aistore "$name" "$sz" "${TPIDS[@]}" "$(node_pid p1)" -- -c16 -d"${DUR}s" \
			-s "$ROOT/bench/get.lua" "$P" -- "$AIS_TMP/s3-get-$name"
		run_wrk "S3 PUT wrk c16" nginx "$name" "$sz" "$NGX_PID" -- -c16 -d"${DUR}s" \
			-s "$ROOT/bench/put.lua" "http://127.0.0.1:$NGX_PORT" -- "$AIS_TMP/ngx-put-$name" "$sz"
		run_wrk "S3 PUT wrk c16" aistore "$name" "$sz" "${TPIDS[@]}" "$(node_pid p1)" -- -c16 -d"${DUR}s" \
			-s "$ROOT/bench/put.lua" "$P" -- "$AIS_TMP/s3-put-$name" "$sz"
		# Keep-alive PUT of the set's size: nginx WebDAV vs a target
		# (marked as redirected, as the gateway would send it).
		sed "s|^|/v1/objects/bench/wrk-$name/|; s|$|?pid=bench\&utm=1|" "$AIS_TMP/names-$name" >"$AIS_TMP/ais-put-$name"
		run_wrk "PUT wrk c16" nginx "$name" "$sz" "$NGX_PID" -- -c16 -d"${DUR}s" \
			-s "$ROOT/bench/put.lua" "http://127.0.0.1:$NGX_PORT" -- "$AIS_TMP/ngx-put-$name" "$sz"
		run_wrk "PUT wrk c16" aistore "$name" "$sz" "${TPIDS[0]}" -- -c16 -d"${DUR}s" \
			-s "$ROOT/bench/put.lua" "$T1" -- "$AIS_TMP/ais-put-$name" "$sz"
	fi
done

"$PY" - "$RESULTS" <<'PYEOF'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = collections.OrderedDict()
for label, server, set_, mibs, rps, cpu in rows:
    key = (set_, label.replace(" -L gw", ""))
    by.setdefault(key, {})[server] = (float(mibs), float(rps), float(cpu))
print("%-5s %-14s %10s %10s %7s %12s %12s" % ("set", "test", "nginx MiB/s", "ais MiB/s", "ratio", "nginx CPU-s/GiB", "ais CPU-s/GiB"))
for (set_, label), v in by.items():
    n, a = v.get("nginx"), v.get("aistore")
    if not n or not a:
        continue
    ratio = a[0] / n[0] if n[0] else 0
    print("%-5s %-14s %11.1f %10.1f %7.2f %15.2f %13.2f" % (set_, label, n[0], a[0], ratio, n[2], a[2]))
# The gateway hop of S3: S3 GET through the proxy vs the native GET sent
# straight to the target (same objects, same connection count).
for (set_, label), v in by.items():
    if label != "S3 GET wrk c16" or "aistore" not in v:
        continue
    d = by.get((set_, "GET wrk c16"), {}).get("aistore")
    if d and d[0] > 0:
        print("%-5s S3 GET via gateway / native GET direct to target: %.2f" % (set_, v["aistore"][0] / d[0]))
PYEOF

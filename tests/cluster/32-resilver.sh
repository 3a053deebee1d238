#!/usr/bin/env bash
# 32-resilver: mountpath admin and resilver on 1 proxy + 1 target with
# mountpaths mp1, mp2 and a spare directory mp3. PUT 300 objects; attach
# mp3 through the proxy's /v1/reverse/daemon -> the resilver job moves
# about a third of them onto mp3 (reported by the job API), every GET
# byte-identical, no object on two mountpaths; disable mp3 -> its objects
# 404, the rest are served; enable -> all served again; detach mp1 directly
# on the target -> GETs right during and after, mp1 left with no object
# file, removed from the set; restart the target -> the same mountpaths;
# bad inputs -> 4xx with AIS error JSON. Cluster form of the list too.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

NOBJ=300
DATA=$AIS_TMP/data
mkdir -p "$DATA"

# objs put|get|status URL BUCKET: PUT (or GET and verify) NOBJ objects
# through URL with python-requests (follows the proxy's redirects).
# get prints "<ok> <404s> <bad>" and, with LIST, the 404'd names to LIST.
objs() {
	"$PY" - "$@" <<'EOF'
import hashlib, sys, requests
op, url, bck, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
miss_list = sys.argv[5] if len(sys.argv) > 5 else None
s = requests.Session()
def body(i):
    seed = hashlib.sha256(b"obj-%d" % i).digest()
    return seed * (1 + i % 40)
ok = miss = bad = 0
missing = []
for i in range(n):
    name = "d%d/obj-%03d" % (i % 5, i)
    u = "%s/v1/objects/%s/%s?provider=ais" % (url, bck, name)
    if op == "put":
        r = s.put(u, data=body(i), timeout=10)
        if r.status_code != 200:
            print("PUT %s: %d %s" % (name, r.status_code, r.text)); sys.exit(1)
        ok += 1
    else:
        r = s.get(u, timeout=10)
        if r.status_code == 404:
            miss += 1; missing.append(name)
        elif r.status_code == 200 and r.content == body(i):
            ok += 1
        else:
            bad += 1
if miss_list:
    open(miss_list, "w").write("\n".join(missing))
print(ok, miss, bad)
EOF
}

# count MP: object files under MP's bucket.
count() { find "$1/@ais/b/%ob" -type f 2>/dev/null | wc -l; }

# req METHOD URL [CURL ARGS...]: sets CODE and BODY.
CODE= BODY=
req() {
	local m=$1 u=$2 out
	shift 2
	out=$(curl -s --noproxy '*' --max-time 15 -X "$m" -w '\n%{http_code}' "$@" "$u") || true
	CODE=${out##*$'\n'}
	BODY=${out%$'\n'*}
}
# mpact METHOD URL ACTION PATH [QUERY] [HDR]: one mountpath action.
mpact() {
	local hdr=()
	[ -z "${6:-}" ] || hdr=(-H "$6")
	req "$1" "$2/mountpaths${5:-}" -H 'Content-Type: application/json' "${hdr[@]}" \
	    -d "{\"action\":\"$3\",\"value\":\"$4\"}"
}
check_err() { # WHAT STATUS [MESSAGE-ERE]
	assert_eq "$CODE" "$2" "$1: status (body: $BODY)"
	local ok
	ok=$(printf '%s' "$BODY" | json_eval "int(d.get('status', 0)) == $2 and bool(d.get('message'))" 2>/dev/null) ||
	    ok="not JSON"
	assert_eq "$ok" true "$1: AIS error JSON (body: $BODY)"
	[ -z "${3:-}" ] || assert_match "$BODY" "$3" "$1: message"
}
mplist() { get_json t1 '/v1/daemon?what=mountpaths'; }
# wait_job ID: the job API reports it finished (bounded); prints its status.
wait_job() {
	local i st=
	for ((i = 0; i < 100; i++)); do
		st=$(curl -s --noproxy '*' --max-time 5 -X GET "$P/v1/cluster?what=status" \
		    -H 'Content-Type: application/json' -d "{\"id\":\"$1\"}" || true)
		if [ "$(printf '%s' "$st" | json_eval 'int(d.get("end_time", 0)) != 0' 2>/dev/null)" = True ] ||
		    [ "$(printf '%s' "$st" | json_eval 'int(d.get("end_time", 0)) != 0' 2>/dev/null)" = true ]; then
			printf '%s\n' "$st"
			return 0
		fi
		sleep 0.1
	done
	fail "job $1 not finished after 10s (last status: $st)"
}

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_target t1 "$P"
wait_healthy t1
wait_converged 1 1 p1 t1 >/dev/null
T=$(url_of t1)
TID=$(node_id t1)
D=$(node_dir t1)
MP1=$D/mp1 MP2=$D/mp2
# AIS_RSL_MP3: the spare mountpath elsewhere, e.g. on another filesystem
# (/dev/shm) to exercise the copy path instead of rename(2).
MP3=${AIS_RSL_MP3:-$D/mp3}
mkdir -p "$MP3"

# --- the list -----------------------------------------------------------------
l=$(mplist)
assert_eq "$(json_eval 'd["available"]' <<<"$l")" "[\"$MP1\", \"$MP2\"]" "initial available"
assert_eq "$(json_eval 'd["waiting_dd"] + d["disabled"]' <<<"$l")" "[]" "initial waiting_dd + disabled"
req GET "$P/v1/daemon?what=mountpaths"
check_err "proxy what=mountpaths" 400
c=$(get_json p1 '/v1/cluster?what=mountpaths')
assert_eq "$(json_eval "d['$TID']['available']" <<<"$c")" "[\"$MP1\", \"$MP2\"]" "cluster what=mountpaths"
req GET "$P/v1/reverse/daemon?what=mountpaths" -H "Ais-Node-Id: $TID"
assert_eq "$CODE" 200 "reverse GET what=mountpaths"
assert_eq "$(json_eval 'd["available"]' <<<"$BODY")" "[\"$MP1\", \"$MP2\"]" "reverse what=mountpaths"

# --- objects ------------------------------------------------------------------
code=$(http_code "$P/v1/buckets/b" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}')
assert_eq "$code" 200 "create-bck ais://b"
out=$(objs put "$P" b $NOBJ) || fail "PUT: $out"
c1=$(count "$MP1") c2=$(count "$MP2")
assert_eq "$((c1 + c2))" $NOBJ "objects on mp1 + mp2"
log "PUT $NOBJ: mp1 $c1, mp2 $c2"

# --- attach mp3 through the proxy ----------------------------------------------
mpact PUT "$P/v1/reverse/daemon" attach-mp "$MP3" '?mountpath_label=spare' "Ais-Node-Id: $TID"
assert_eq "$CODE" 200 "attach-mp via reverse (body: $BODY)"
job=$BODY
assert_match "$job" '^[A-Za-z0-9]{9,}$' "attach-mp answers the resilver job ID"
st=$(wait_job "$job")
assert_eq "$(json_eval 'd["kind"]' <<<"$st")" resilver "job kind"
assert_eq "$(json_eval 'str(d["aborted"]).lower()' <<<"$st")" false "resilver not aborted"
assert_eq "$(json_eval 'd["err"]' <<<"$st")" "" "resilver error"
c1=$(count "$MP1") c2=$(count "$MP2") c3=$(count "$MP3")
log "after attach: mp1 $c1, mp2 $c2, mp3 $c3"
assert_eq "$((c1 + c2 + c3))" $NOBJ "every object exactly once"
assert_ge "$c3" 60 "objects moved onto mp3"
assert_ge 140 "$c3" "objects moved onto mp3 (at most)"
assert_eq "$(objs get "$P" b $NOBJ)" "$NOBJ 0 0" "GET after attach"
assert_eq "$(json_eval 'd["available"]' <<<"$(mplist)")" "[\"$MP1\", \"$MP2\", \"$MP3\"]" "available after attach"
[ "$(getfattr --only-values -n user.ais.daemon_id "$MP3" 2>/dev/null || true)" = "$TID" ] ||
	"$PY" -c 'import os,sys; assert os.getxattr(sys.argv[1], "user.ais.daemon_id").decode() == sys.argv[2]' "$MP3" "$TID" ||
	fail "mp3 has no user.ais.daemon_id = $TID"
grep -q '"label":"spare"' "$(confdir_of t1)/.ais.vmd" || fail "label not persisted in .ais.vmd"

# --- disable / enable mp3 -------------------------------------------------------
mpact POST "$T/v1/daemon" disable-mp "$MP3"
assert_eq "$CODE" 200 "disable-mp (body: $BODY)"
l=$(mplist)
assert_eq "$(json_eval 'd["disabled"]' <<<"$l")" "[\"$MP3\"]" "disabled list"
[ -z "$BODY" ] || wait_job "$BODY" >/dev/null
out=$(objs get "$P" b $NOBJ "$DATA/missing")
assert_eq "$out" "$((NOBJ - c3)) $c3 0" "GET with mp3 disabled: its objects 404"
assert_eq "$(count "$MP3")" "$c3" "disabled mp3 keeps its objects"
mpact POST "$T/v1/daemon" enable-mp "$MP3"
assert_eq "$CODE" 200 "enable-mp (body: $BODY)"
[ -z "$BODY" ] || wait_job "$BODY" >/dev/null
assert_eq "$(objs get "$P" b $NOBJ)" "$NOBJ 0 0" "GET after enable"
assert_eq "$(json_eval 'd["disabled"]' <<<"$(mplist)")" "[]" "nothing disabled after enable"

# --- detach mp1 directly on the target: GETs during and after --------------------
mpact DELETE "$T/v1/daemon" detach-mp "$MP1"
assert_eq "$CODE" 200 "detach-mp (body: $BODY)"
job=$BODY
assert_eq "$(objs get "$P" b $NOBJ)" "$NOBJ 0 0" "GET during detach"
wait_job "$job" >/dev/null
for ((i = 0; i < 50; i++)); do
	[ "$(json_eval 'd["available"] + d["waiting_dd"]' <<<"$(mplist)")" = "[\"$MP2\", \"$MP3\"]" ] && break
	sleep 0.1
done
l=$(mplist)
assert_eq "$(json_eval '[d["available"], d["waiting_dd"], d["disabled"]]' <<<"$l")" \
	"[[\"$MP2\", \"$MP3\"], [], []]" "mountpaths after detach"
assert_eq "$(find "$MP1" -path '*%ob*' -type f | wc -l)" 0 "no object left on mp1"
assert_eq "$(($(count "$MP2") + $(count "$MP3")))" $NOBJ "objects on mp2 + mp3"
assert_eq "$(objs get "$P" b $NOBJ)" "$NOBJ 0 0" "GET after detach"

# --- bad inputs -------------------------------------------------------------------
mpact PUT "$T/v1/daemon" attach-mp "relative/dir"
check_err "attach relative" 400 "absolute"
mpact PUT "$T/v1/daemon" attach-mp "$D/nope"
check_err "attach missing dir" 400
mpact PUT "$T/v1/daemon" attach-mp "$MP2"
check_err "attach twice" 409 "already attached"
mkdir -p "$MP2/sub"
mpact PUT "$T/v1/daemon" attach-mp "$MP2/sub"
check_err "attach nested" 400 "nested"
mpact DELETE "$T/v1/daemon" detach-mp "$D/nope"
check_err "detach unknown" 404 "not attached"
mpact POST "$T/v1/daemon" explode-mp "$MP2"
check_err "bad action" 400 "invalid mountpath action"
req PUT "$T/v1/daemon/mountpaths" -H 'Content-Type: application/json' -d '{"action":"attach-mp","value":7}'
check_err "value not a string" 400 "mountpath value"
req PUT "$T/v1/daemon/mountpaths"
check_err "no body" 400 "ActMsg"
req PUT "$T/v1/daemon/mountpaths" -d '{not json'
check_err "bad JSON" 400
mpact PUT "$P/v1/daemon" attach-mp "$MP1"
check_err "mountpaths on a proxy" 400 "proxy"
mpact PUT "$P/v1/reverse/daemon" attach-mp "$MP1"
check_err "reverse without Ais-Node-Id" 400 "Ais-Node-Id"
mpact PUT "$P/v1/reverse/daemon" attach-mp "$MP1" "" "Ais-Node-Id: nosuchnode"
check_err "reverse to an unknown node" 404 "nosuchnode"
mpact POST "$T/v1/daemon" disable-mp "$MP2"
assert_eq "$CODE" 200 "disable mp2"
mpact POST "$T/v1/daemon" disable-mp "$MP3"
check_err "disable the last available" 400 "last available"
mpact POST "$P/v1/reverse/daemon" enable-mp "$MP2" "" "Ais-Node-Id: $TID"
assert_eq "$CODE" 200 "enable mp2 via reverse"
[ -z "$BODY" ] || wait_job "$BODY" >/dev/null

# --- restart: the same mountpaths ---------------------------------------------------
before=$(mplist)
kill_node t1 TERM
wait_exit t1 10
restart_node t1
wait_healthy t1
after=$(mplist)
assert_eq "$after" "$before" "what=mountpaths after restart"
assert_eq "$(objs get "$P" b $NOBJ)" "$NOBJ 0 0" "GET after restart"
log "32-resilver OK (mp3 got $c3 of $NOBJ)"

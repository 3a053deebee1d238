#!/usr/bin/env bash
# 12-list-delete: list objects and multi-object delete on 1 proxy + 3
# targets. 2,500 small objects whose names span directories ("a/b/c/...",
# "a.b-...", "a/b.c/...", "a0/...") are PUT through the proxy. Listing as
# JSON with pagesize 1000 takes 3 pages with the right tokens and one uuid;
# the union is every name, globally sorted, no duplicates, sizes as strings,
# flags 64; a prefix selects exactly its names; MessagePack (Accept:
# application/msgpack) equals JSON; a missing bucket is a 404 naming
# ais://<b>. delete-listrange by objnames and by template obj-{0000..0099}
# answers a job ID as text; what=status (the SDK's {"ID":..} body) reaches
# end_time != 0; the objects are gone, the others still there; status_all,
# running_all and qryxstats answer; unknown jobs are 404; a prefix template
# deletes a subtree; evict-listrange on ais:// is a 400.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

NOBJ=2500
start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_target t1 "$P"
start_target t2 "$P"
start_target t3 "$P"
nodes=(p1 t1 t2 t3)
for n in "${nodes[@]}"; do wait_healthy "$n"; done
wait_converged 1 3 "${nodes[@]}" >/dev/null

# --- helper: listing, status polling (python3 + msgpack) -----------------------
LSO=$AIS_TMP/lso.py
cat >"$LSO" <<'EOF'
import json, re, sys, time, urllib.error, urllib.request

def call(method, url, body=None, accept="application/json"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()

def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def page(base, bck, value, mp=False):
    st, ct, raw = call("GET", "%s/v1/buckets/%s?provider=ais" % (base, bck),
                       {"action": "list", "name": "", "value": value},
                       "application/msgpack" if mp else "application/json")
    if st != 200:
        die("list %s: status %d: %s" % (value, st, raw[:300]))
    if mp:
        import msgpack
        if not ct.startswith("application/msgpack"):
            die("msgpack listing Content-Type %r" % ct)
        d = msgpack.unpackb(raw, raw=False)
        keys = list(d.keys())
        if keys != ["UUID", "ContinuationToken", "Entries", "Flags"]:
            die("msgpack keys %r" % keys)
        ents = [{"name": e["n"], "size": e.get("s", 0), "flags": e.get("f", 0)}
                for e in (d["Entries"] or [])]
        return d["UUID"], d["ContinuationToken"], ents
    if not ct.startswith("application/json"):
        die("JSON listing Content-Type %r" % ct)
    d = json.loads(raw)
    for k in ("uuid", "continuation_token", "entries", "flags"):
        if k not in d:
            die("listing without %r: %s" % (k, raw[:200]))
    return d["uuid"], d["continuation_token"], d["entries"] or []

def list_all(base, bck, pagesize, prefix="", mp=False, flags="0", props=""):
    uuid, token, names, pages = "", "", [], []
    while True:
        u, token, ents = page(base, bck, {"prefix": prefix, "pagesize": pagesize,
                              "uuid": uuid, "props": props,
                              "continuation_token": token, "flags": flags,
                              "target": ""}, mp)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{7,}[A-Za-z0-9]", u):
            die("bad listing uuid %r" % u)
        if uuid and u != uuid:
            die("uuid changed: %r -> %r" % (uuid, u))
        uuid = u
        pages.append((len(ents), token, ents))
        names += [e["name"] for e in ents]
        if token == "":
            return uuid, names, pages
        if token != ents[-1]["name"]:
            die("token %r is not the last name %r" % (token, ents[-1]["name"]))
        if len(pages) > 10000:
            die("too many pages")

cmd, base, bck = sys.argv[1], sys.argv[2], sys.argv[3]
if cmd == "paged":          # paged EXPECTED_FILE PAGESIZE NPAGES
    want = open(sys.argv[4]).read().split()
    psize, npages = int(sys.argv[5]), int(sys.argv[6])
    uuid, names, pages = list_all(base, bck, psize)
    if len(pages) != npages:
        die("%d pages, want %d: %r" % (len(pages), npages, [p[:2] for p in pages]))
    for i, (n, tok, ents) in enumerate(pages):
        full = i < npages - 1
        if full and n != psize:
            die("page %d has %d entries" % (i, n))
        for e in ents:
            if e.get("size") != "10" or e.get("flags") != 64:
                die("entry %r: size must be the string \"10\", flags 64" % e)
    if names != sorted(names, key=lambda s: s.encode()):
        die("names not globally sorted")
    if len(names) != len(set(names)):
        die("duplicate names")
    if sorted(names) != sorted(want):
        missing = sorted(set(want) - set(names))[:5]
        extra = sorted(set(names) - set(want))[:5]
        die("union differs: missing %r extra %r" % (missing, extra))
    print("OK %d names in %d pages" % (len(names), len(pages)))
elif cmd == "names":        # names PREFIX PAGESIZE json|msgpack [FLAGS] -> one per line
    _, names, _ = list_all(base, bck, int(sys.argv[5]), sys.argv[4],
                           sys.argv[6] == "msgpack",
                           sys.argv[7] if len(sys.argv) > 7 else "0")
    print("\n".join(names))
elif cmd == "msgpack":      # msgpack: one default page as msgpack equals JSON
    _, tj, ej = page(base, bck, {"pagesize": 0, "uuid": "", "props": "",
                                 "continuation_token": "", "flags": "0"})
    _, tm, em = page(base, bck, {"pagesize": 0, "uuid": "", "props": "",
                                 "continuation_token": "", "flags": "0"}, True)
    if tj != "" or tm != "":
        die("default page size did not hold the bucket: %r %r" % (tj, tm))
    jn = [(e["name"], int(e.get("size", 0)), e.get("flags", 0)) for e in ej]
    mn = [(e["name"], int(e["size"]), e["flags"]) for e in em]
    if jn != mn:
        die("msgpack listing differs from JSON (%d vs %d entries)" % (len(mn), len(jn)))
    print("OK %d entries" % len(mn))
elif cmd == "wait":         # wait JOBID SECS: poll what=status like Job.wait
    jid, secs = sys.argv[3], float(sys.argv[4])
    deadline = time.time() + secs
    while True:
        st, ct, raw = call("GET", base + "/v1/cluster?what=status",
                           {"ID": jid, "Kind": "", "DaemonID": "", "Bck": None,
                            "Buckets": None})
        if st != 200:
            die("status of %s: %d %s" % (jid, st, raw[:300]))
        d = json.loads(raw)
        for k in ("uuid", "kind", "err", "end_time", "aborted"):
            if k not in d:
                die("status without %r: %s" % (k, raw))
        if d["uuid"] != jid or d["kind"] != "delete-listrange":
            die("status names another job: %s" % raw)
        if d["end_time"] != 0:
            if d["aborted"] or d["err"]:
                die("job failed: %s" % raw)
            if d["end_time"] < 1e18:
                die("end_time is not ns since the epoch: %s" % raw)
            print("OK %s" % raw.decode())
            break
        if time.time() > deadline:
            die("job %s still running after %ss: %s" % (jid, secs, raw))
        time.sleep(0.2)
else:
    die("unknown command " + cmd)
EOF
lso() { "$PY" "$LSO" "$@"; }

# req METHOD PATH [BODY]: against the proxy; sets CODE, CT and BODY.
req() {
	local out=$AIS_TMP/req args=(-X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$("${CURL[@]}" "${args[@]}" -o "$out.b" -D "$out.h" -w '%{http_code}' "$P$2") || CODE=000
	CT=$(sed -n 's/^Content-Type: *//Ip' "$out.h" | tr -d '\r' | head -n 1)
	BODY=$(cat "$out.b")
}
expect() { # CODE WHAT [BODY-ERE]
	[ "$CODE" = "$1" ] || fail "$2: expected status $1, got $CODE (body: $BODY)"
	[ $# -lt 3 ] || assert_match "$BODY" "$3" "$2: body"
}

# --- bucket: create (the bucket CRUD lands concurrently: retry) ---------------
for ((i = 0; ; i++)); do
	req POST '/v1/buckets/lsb?provider=ais' '{"action":"create-bck","name":"","value":null}'
	[ "$CODE" = 200 ] && break
	[ "$i" -lt 50 ] || fail "create ais://lsb: status $CODE ($BODY)"
	sleep 0.2
done
req GET '/v1/buckets/nobucket?provider=ais' '{"action":"list","name":"","value":{"pagesize":0,"flags":"0"}}'
expect 404 "list a missing bucket" 'bucket \\"ais://nobucket\\" does not exist'

# An empty bucket lists as one empty page with a uuid.
req GET '/v1/buckets/lsb?provider=ais' '{"action":"list","name":"","value":{"pagesize":0,"flags":"0"}}'
expect 200 "list an empty bucket"
assert_eq "$(printf '%s' "$BODY" | json_eval '(d["entries"], d["continuation_token"], len(d["uuid"]) >= 9)')" \
    '[[], "", true]' "empty listing"

# --- 2,500 objects, names across directories ----------------------------------
NAMES=$AIS_TMP/names
{
	for ((i = 0; i < 2000; i++)); do printf 'obj-%04d\n' "$i"; done
	for ((i = 0; i < 200; i++)); do printf 'a/b/c/f%03d\n' "$i"; done
	for ((i = 0; i < 100; i++)); do printf 'a.b-%03d\n' "$i"; done
	for ((i = 0; i < 100; i++)); do printf 'a/b.c/g%03d\n' "$i"; done
	for ((i = 0; i < 100; i++)); do printf 'a0/z%03d\n' "$i"; done
} >"$NAMES"
assert_eq "$(wc -l <"$NAMES")" "$NOBJ" "names generated"
printf '0123456789' >"$AIS_TMP/obj10"
log "PUT $NOBJ objects"
t0=$SECONDS
export P AIS_TMP
# shellcheck disable=SC2016
timeout 240 xargs -P8 -n 50 bash -c '
	for n in "$@"; do
		code=$(curl -s --noproxy "*" --max-time 20 -L -T "$AIS_TMP/obj10" \
		    -o /dev/null -w "%{http_code}" "$P/v1/objects/lsb/$n?provider=ais")
		[ "$code" = 200 ] || { echo "PUT $n: $code" >&2; exit 255; }
	done' _ <"$NAMES" || fail "PUT of the objects failed"
log "PUT done in $((SECONDS - t0))s"

# --- paging: 1000 per page -> 3 pages ------------------------------------------
out=$(lso paged "$P" lsb "$NAMES" 1000 3) || fail "$out"
log "JSON paging: $out"
# a page size that divides the count: one extra empty page at the end
out=$(lso paged "$P" lsb "$NAMES" 500 6) || fail "$out"
log "JSON paging by 500: $out"

# --- prefixes ---------------------------------------------------------------------
for pfx in a/b/ a a/b obj-19 a/b.c/ a0/z09 nothing; do
	want=$(grep -c "^${pfx//./\\.}" "$NAMES" || true)
	got=$(lso names "$P" lsb "$pfx" 64 json | grep -c . || true)
	assert_eq "$got" "$want" "names with prefix '$pfx'"
done
assert_eq "$(lso names "$P" lsb a/b/ 1000 json | sed -n 1p)" a/b/c/f000 "first name under a/b/"
# "a.b-*" sorts before "a/..." (byte order of full names)
assert_eq "$(lso names "$P" lsb a 1000 json | sed -n 1p)" a.b-000 "first name with prefix a"

# --- MessagePack equals JSON ----------------------------------------------------------
out=$(lso msgpack "$P" lsb) || fail "$out"
log "msgpack: $out"
diff <(lso names "$P" lsb "" 700 msgpack) <(lso names "$P" lsb "" 1000 json) >/dev/null ||
    fail "paged msgpack listing differs from JSON"

# --- delete-listrange by objnames --------------------------------------------------
objnames=$(seq -f 'obj-%04.0f' 100 149 | "$PY" -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin] + ["no-such-object"]))')
req DELETE '/v1/buckets/lsb?provider=ais' "{\"action\":\"delete-listrange\",\"name\":\"\",\"value\":{\"objnames\":$objnames}}"
expect 200 "delete-listrange by objnames"
jid1=$BODY
assert_match "$jid1" '^[A-Za-z0-9][A-Za-z0-9_-]{7,30}[A-Za-z0-9]$' "job ID (plain text)"
assert_match "$CT" '^text/plain' "job ID Content-Type"
out=$(lso wait "$P" "$jid1" 30) || fail "$out"
log "status: $out"

# --- delete-listrange by template ---------------------------------------------------
req DELETE '/v1/buckets/lsb?provider=ais' '{"action":"delete-listrange","name":"","value":{"template":"obj-{0000..0099}"}}'
expect 200 "delete-listrange by template"
jid2=$BODY
assert_ne "$jid2" "$jid1" "second job ID"
out=$(lso wait "$P" "$jid2" 30) || fail "$out"

# gone from the listing; everything else still there
remaining=$(lso names "$P" lsb "" 1000 json)
assert_eq "$(printf '%s\n' "$remaining" | grep -c .)" $((NOBJ - 150)) "objects left after two deletes"
if printf '%s\n' "$remaining" | grep -qE '^obj-0(0[0-9][0-9]|1[0-4][0-9])$'; then
	fail "deleted objects still listed"
fi
assert_eq "$(printf '%s\n' "$remaining" | grep -c '^obj-0150$')" 1 "obj-0150 kept"
assert_eq "$(printf '%s\n' "$remaining" | sed -n 1p)" a.b-000 "first remaining name"
# and gone from the targets' disks
left=$(find "$AIS_TMP"/t?/mp? -path '*/lsb/%ob/obj-00[0-9][0-9]' | wc -l)
assert_eq "$left" 0 "deleted files left on the mountpaths"
code=$(http_code "$P/v1/objects/lsb/obj-0042?provider=ais" -L)
assert_eq "$code" 404 "GET of a deleted object"

# --- job queries ----------------------------------------------------------------------
req GET '/v1/cluster?what=status' '{"ID":"nOSuchJob1","Kind":"","DaemonID":"","Bck":null,"Buckets":null}'
expect 404 "status of an unknown job"
req GET '/v1/cluster?what=status' '{"id":"","kind":""}'
expect 400 "status without ID and kind"
req GET '/v1/cluster?what=status' '{"Kind":"delete-listrange"}'
expect 200 "status by kind"
assert_eq "$(printf '%s' "$BODY" | json_eval 'd["uuid"]')" "$jid2" "status by kind: the latest job"
req GET '/v1/cluster?what=status_all' '{"kind":"","node":"","show_active":false}'
expect 200 "status_all"
assert_eq "$(printf '%s' "$BODY" | json_eval "sorted(s['uuid'] for s in d if s['kind'] == 'delete-listrange') == sorted(['$jid1', '$jid2']) and all(s['end_time'] > 0 for s in d)")" \
    true "status_all lists both finished jobs"
req GET '/v1/cluster?what=running_all' '{"kind":"delete-listrange","node":"","show_active":true}'
expect 200 "running_all"
assert_eq "$BODY" "[]" "no running jobs"
req GET '/v1/cluster?what=qryxstats' "{\"ID\":\"$jid2\",\"Kind\":\"delete-listrange\"}"
expect 200 "qryxstats"
assert_eq "$(printf '%s' "$BODY" | json_eval "(len(d), sum(int(s['stats']['loc-objs']) for v in d.values() for s in v), all(s['id'] == '$jid2' and s['end-time'] != '0001-01-01T00:00:00Z' for v in d.values() for s in v))")" \
    '[3, 100, true]' "qryxstats: 3 targets, 100 objects deleted in all"
req GET '/v1/cluster?what=qryxstats' '{"ID":"nOSuchJob1"}'
expect 404 "qryxstats of an unknown job"

# --- prefix template: a whole subtree ------------------------------------------------
req DELETE '/v1/buckets/lsb?provider=ais' '{"action":"delete-listrange","name":"","value":{"template":"a/b/"}}'
expect 200 "delete-listrange by prefix"
out=$(lso wait "$P" "$BODY" 30) || fail "$out"
assert_eq "$(lso names "$P" lsb a/b/ 1000 json | grep -c . || true)" 0 "nothing left under a/b/"
assert_eq "$(lso names "$P" lsb a/b.c/ 1000 json | grep -c .)" 100 "a/b.c/ untouched"

# --- refusals ---------------------------------------------------------------------------
req DELETE '/v1/buckets/lsb?provider=ais' '{"action":"evict-listrange","name":"","value":{"objnames":["a0/z000"]}}'
expect 400 "evict-listrange on ais://"
req DELETE '/v1/buckets/lsb?provider=ais' '{"action":"delete-listrange","name":"","value":{"template":"x{5..1}"}}'
expect 400 "delete-listrange with a bad template" 'template'
req DELETE '/v1/buckets/lsb?provider=ais' '{"action":"delete-listrange","name":"","value":{"objnames":["../x"]}}'
expect 400 "delete-listrange with a bad name"
req DELETE '/v1/buckets/nobucket?provider=ais' '{"action":"delete-listrange","name":"","value":{"objnames":["x"]}}'
expect 404 "delete-listrange in a missing bucket" 'ais://nobucket'
log "12-list-delete OK"

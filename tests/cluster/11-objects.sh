#!/usr/bin/env bash
# 11-objects: the object data path on 1 proxy + 3 targets, then 2 proxies.
# Proxies redirect (GET 301, the rest 307, Location = owner target by HRW +
# the original path and query + pid/utm); targets stream PUTs to a work file
# and rename it into <mp>/@ais/<b>/%ob/<name>, serve GET/HEAD from the file
# (ranges, checksum/version/atime/custom headers). Covered: curl -L and
# python-requests round trips (byte-exact, with and without
# Expect: 100-continue), ranges (206/416), HEAD v1 and v2 headers, 404s for
# missing objects and buckets (messages the SDKs classify), bad names, end-
# to-end checksum mismatch (nothing stored), version bumps, custom metadata,
# the open on-disk format, direct target access (GET ok, PUT/DELETE need the
# marker), DELETE, unsupported actions, an upload cut short (work file
# removed), 64 concurrent PUT/GET, a 100 MiB object, and read-after-write
# through every proxy.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CLIENT=("$PY" "$AIS_CLUSTER_DIR/objects_client.py")
LONG=(curl -s --noproxy '*' --max-time 120)
TMPD=$AIS_TMP/data
mkdir -p "$TMPD"

# hdr HEADERS NAME: the value of header NAME in the LAST response of a
# (possibly redirected) header dump; case-insensitive, CR stripped.
hdr() {
	printf '%s\n' "$1" | tr -d '\r' | awk -v n="$2" '
		/^HTTP\// { delete v; next }
		{ i = index($0, ":"); if (i == 0) next
		  k = tolower(substr($0, 1, i - 1)); s = substr($0, i + 1); sub(/^[ \t]+/, "", s)
		  if (!(k in v)) v[k] = s }
		END { if (tolower(n) in v) print v[tolower(n)] }'
}
# hdr_all HEADERS NAME: every value of NAME in the last response, one a line.
hdr_all() {
	printf '%s\n' "$1" | tr -d '\r' | awk -v n="$2" '
		/^HTTP\// { c = 0; delete v; next }
		{ i = index($0, ":"); if (i == 0) next
		  if (tolower(substr($0, 1, i - 1)) == tolower(n)) { s = substr($0, i + 1); sub(/^[ \t]+/, "", s); v[c++] = s } }
		END { for (j = 0; j < c; j++) print v[j] }'
}
# status HEADERS: the status code of the last response.
status() { printf '%s\n' "$1" | tr -d '\r' | awk '/^HTTP\// { s = $2 } END { print s }'; }
xxh() { "$PY" -c 'import sys, xxhash; print(xxhash.xxh64(open(sys.argv[1], "rb").read(), seed=0).hexdigest())' "$1"; }
# bmd_has NAME BUCKET: the node's BMD lists ais://BUCKET.
bmd_has() {
	get_json "$1" '/v1/daemon?what=bmd' |
	    json_eval "'$2' in ((d.get('providers') or {}).get('ais') or {}).get('@#', {})"
}
wait_bucket() { # BUCKET NODE...
	local b=$1 n i
	shift
	for n in "$@"; do
		for ((i = 0; i < 100; i++)); do
			[ "$(bmd_has "$n" "$b")" = true ] && break
			sleep 0.1
		done
		[ "$(bmd_has "$n" "$b")" = true ] || fail "$n: bucket $b not in its BMD after 10s"
	done
}
# wk_empty: no work files left on any target.
wk_empty() {
	local left i
	for ((i = 0; i < 40; i++)); do
		left=$(find "$AIS_TMP"/t*/mp* -path '*/%wk/*' -type f 2>/dev/null | head -n 5)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "work files left behind: $left"
}
# name_of_port PORT: the node name (p1, t2, ...) listening on PORT.
name_of_port() {
	local d
	for d in "$AIS_TMP"/*/; do
		[ -f "$d/port" ] && [ "$(cat "$d/port")" = "$1" ] && { basename "$d"; return; }
	done
	fail "no node on port $1"
}

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null

# --- no bucket yet ----------------------------------------------------------
out=$("${CURL[@]}" -L -D - "$P/v1/objects/nob/o")
assert_eq "$(status "$out")" 404 "GET from a missing bucket"
assert_match "$out" 'bucket \\?"ais://nob\\?" does not exist' "missing bucket message"
out=$("${CURL[@]}" -L -D - -T /dev/null "$P/v1/objects/nob/o")
assert_eq "$(status "$out")" 404 "PUT into a missing bucket"
out=$("${CURL[@]}" -I -L "$P/v1/objects/nob/o")
assert_eq "$(status "$out")" 404 "HEAD in a missing bucket"
assert_match "$(hdr "$out" Hdr-Error)" 'ais://nob' "HEAD missing bucket: Hdr-Error"

code=$(http_code "$P/v1/buckets/b" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}')
assert_eq "$code" 200 "create-bck ais://b"
wait_bucket b p1 t1 t2 t3

# --- PUT/GET with curl -L ---------------------------------------------------
head -c 100000 /dev/urandom >"$TMPD/f1"
out=$("${CURL[@]}" -L -D - -o /dev/null -T "$TMPD/f1" "$P/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 200 "PUT dir/f1 via proxy"
assert_match "$out" '^HTTP/1.1 307' "proxy answers PUT with 307"
assert_eq "$(hdr "$out" Ais-Checksum-Type)" xxhash2 "PUT Ais-Checksum-Type"
assert_eq "$(hdr "$out" Ais-Checksum-Value)" "$(xxh "$TMPD/f1")" "PUT Ais-Checksum-Value"
assert_eq "$(hdr "$out" Ais-Version)" 1 "PUT Ais-Version of a new object"
assert_match "$(hdr "$out" Ais-Atime)" '^[0-9]{18,}$' "PUT Ais-Atime"

# The redirect itself: 301 for GET, Location = owner + path + query + marker.
out=$("${CURL[@]}" -D - -o /dev/null "$P/v1/objects/b/dir/f1?provider=ais")
assert_eq "$(status "$out")" 301 "proxy answers GET with 301"
loc=$(hdr "$out" Location)
assert_match "$loc" '^http://127\.0\.0\.1:[0-9]+/v1/objects/b/dir/f1\?provider=ais&pid=[A-Za-z0-9]+&utm=[0-9]{18,}$' "Location"
owner=$(name_of_port "$(sed -E 's|^http://[^:]+:([0-9]+)/.*|\1|' <<<"$loc")")
assert_eq "$(node_id "$owner")" "$("${CLIENT[@]}" owner "$P" b dir/f1)" "redirect goes to the HRW owner"
out=$("${CURL[@]}" -D - -o /dev/null -X DELETE "$P/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 307 "proxy answers DELETE with 307"
assert_match "$(hdr "$out" Location)" '/v1/objects/b/dir/f1\?pid=' "Location without original query"

out=$("${CURL[@]}" -L -D - -o "$TMPD/g1" "$P/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 200 "GET dir/f1"
cmp -s "$TMPD/f1" "$TMPD/g1" || fail "GET dir/f1: bytes differ"
assert_eq "$(hdr "$out" Content-Length)" 100000 "GET Content-Length"
assert_eq "$(hdr "$out" Content-Type)" application/octet-stream "GET Content-Type"
assert_eq "$(hdr "$out" Accept-Ranges)" bytes "GET Accept-Ranges"
assert_eq "$(hdr "$out" Ais-Checksum-Value)" "$(xxh "$TMPD/f1")" "GET Ais-Checksum-Value"
assert_eq "$(hdr "$out" Ais-Version)" 1 "GET Ais-Version"

# The open format: the object is a plain file at its documented path.
ohead=$("${CURL[@]}" -I -L "$P/v1/objects/b/dir/f1")
mp=$(hdr "$ohead" Ais-Location | sed -nE 's/^t\[[^]]+\]:mp\[(.*)\]$/\1/p')
assert_match "$(hdr "$ohead" Ais-Location)" "^t\[$(node_id "$owner")\]:mp\[" "Ais-Location names the owner"
[[ $mp == "$AIS_TMP/$owner/"mp[12] ]] || fail "Ais-Location mountpath '$mp' is not one of $owner's"
cmp -s "$TMPD/f1" "$mp/@ais/b/%ob/dir/f1" || fail "cat <mp>/@ais/b/%ob/dir/f1 differs from the data"

# Direct access: GET/HEAD without the marker work, PUT/DELETE do not.
T=$(url_of "$owner")
"${CURL[@]}" -o "$TMPD/g2" "$T/v1/objects/b/dir/f1" || fail "direct GET"
cmp -s "$TMPD/f1" "$TMPD/g2" || fail "direct GET: bytes differ"
out=$("${CURL[@]}" -D - -T "$TMPD/f1" "$T/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 400 "direct PUT without the marker"
assert_match "$out" 'is expected to be redirected' "direct PUT message"
out=$("${CURL[@]}" -D - -X DELETE "$T/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 400 "direct DELETE without the marker"

# --- ranges -----------------------------------------------------------------
range() { # RANGE -> headers; body in $TMPD/r
	"${CURL[@]}" -L -D - -o "$TMPD/r" -H "Range: $1" "$P/v1/objects/b/dir/f1"
}
out=$(range bytes=10-99)
assert_eq "$(status "$out")" 206 "Range 10-99 status"
assert_eq "$(hdr "$out" Content-Range)" "bytes 10-99/100000" "Range 10-99 Content-Range"
assert_eq "$(hdr "$out" Content-Length)" 90 "Range 10-99 Content-Length"
cmp -s "$TMPD/r" <(tail -c +11 "$TMPD/f1" | head -c 90) || fail "Range 10-99: bytes differ"
out=$(range bytes=-100)
assert_eq "$(hdr "$out" Content-Range)" "bytes 99900-99999/100000" "suffix range"
cmp -s "$TMPD/r" <(tail -c 100 "$TMPD/f1") || fail "suffix range: bytes differ"
out=$(range bytes=99990-)
assert_eq "$(hdr "$out" Content-Range)" "bytes 99990-99999/100000" "open range"
out=$(range bytes=99990-200000)
assert_eq "$(hdr "$out" Content-Length)" 10 "range clamped to the end"
out=$(range bytes=100000-)
assert_eq "$(status "$out")" 416 "unsatisfiable range"
assert_eq "$(hdr "$out" Content-Range)" "bytes */100000" "416 Content-Range"
out=$(range bytes=0-1,5-6)
assert_eq "$(status "$out")" 416 "multi-range"

# --- HEAD ---------------------------------------------------------------------
assert_eq "$(status "$ohead")" 200 "HEAD status"
assert_eq "$(hdr "$ohead" Content-Length)" 100000 "HEAD Content-Length = object size"
assert_eq "$(hdr "$ohead" Ais-Size)" 100000 "HEAD Ais-Size"
assert_eq "$(hdr "$ohead" Ais-Name)" dir/f1 "HEAD Ais-Name"
assert_eq "$(hdr "$ohead" Ais-Bucket-Name)" b "HEAD Ais-Bucket-Name"
assert_eq "$(hdr "$ohead" Ais-Bucket-Provider)" ais "HEAD Ais-Bucket-Provider"
assert_eq "$(hdr "$ohead" Ais-Present)" true "HEAD Ais-Present"
assert_eq "$(hdr "$ohead" Ais-Mirror-Copies)" 1 "HEAD Ais-Mirror-Copies"
assert_eq "$(hdr "$ohead" Ais-Checksum-Type)" xxhash2 "HEAD Ais-Checksum-Type"
assert_eq "$(hdr "$ohead" Ais-Checksum-Value)" "$(xxh "$TMPD/f1")" "HEAD Ais-Checksum-Value"
assert_eq "$(hdr "$ohead" Ais-Version)" 1 "HEAD Ais-Version"
assert_match "$(hdr "$ohead" Ais-Atime)" '^[0-9]{18,}$' "HEAD Ais-Atime"
assert_nonempty "$(hdr "$ohead" Last-Modified)" "HEAD Last-Modified"
out=$("${CURL[@]}" -I -L "$P/v1/objects/b/dir/f1?props=checksum,version")
assert_eq "$(hdr "$out" Content-Length)" 100000 "HEAD v2 Content-Length"
assert_eq "$(hdr "$out" Ais-Checksum-Type)" xxhash2 "HEAD v2 checksum"
assert_eq "$(hdr "$out" Ais-Version)" 1 "HEAD v2 version"
assert_eq "$(hdr "$out" Ais-Atime)" "" "HEAD v2: atime not asked for"
assert_eq "$(hdr "$out" Ais-Name)" "" "HEAD v2: no v1 property headers"
out=$("${CURL[@]}" -I -L "$P/v1/objects/b/dir/f1?props=checksum,cached")
assert_eq "$(status "$out")" 400 "HEAD v2 invalid property"
assert_match "$(hdr "$out" Hdr-Error)" 'invalid property' "HEAD v2 invalid property message"
out=$("${CURL[@]}" -I -L "$P/v1/objects/b/dir/f1?presence=1")
assert_eq "$(status "$out")" 200 "HEAD presence=1"
out=$("${CURL[@]}" -I -L "$P/v1/objects/b/nope")
assert_eq "$(status "$out")" 404 "HEAD of a missing object"
assert_match "$(hdr "$out" Hdr-Error)" '"status":404' "HEAD 404 Hdr-Error JSON"
assert_match "$(hdr "$out" Hdr-Error)" 'ais://b/nope does not exist' "HEAD 404 Hdr-Error message"
assert_eq "$(hdr "$out" Content-Length)" 0 "HEAD 404 has no body"

# --- errors ---------------------------------------------------------------------
out=$("${CURL[@]}" -L -D - "$P/v1/objects/b/nope")
assert_eq "$(status "$out")" 404 "GET of a missing object"
assert_match "$out" '"message":"t\[[^]]+\]: ais://b/nope does not exist"' "GET 404 message"
out=$("${CURL[@]}" --path-as-is -L -D - "$P/v1/objects/b/a/../b")
assert_eq "$(status "$out")" 400 "GET a/../b"
assert_match "$out" 'invalid object name' "a/../b message"
out=$("${CURL[@]}" -L -D - -T "$TMPD/f1" "$P/v1/objects/b/a%2F..%2Fb")
assert_eq "$(status "$out")" 400 "PUT a%2F..%2Fb"
out=$("${CURL[@]}" -L -D - -T "$TMPD/f1" "$P/v1/objects/b/x?provider=nosuch")
assert_eq "$(status "$out")" 400 "unknown provider"
out=$("${CURL[@]}" -L -D - -X PATCH -H 'Content-Type: application/json' \
    -d '{"action":"","value":{"k":"v"}}' "$P/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 400 "PATCH (not yet)"
assert_match "$out" 'unsupported action' "PATCH message"
out=$("${CURL[@]}" -L -D - -X POST -H 'Content-Type: application/json' \
    -d '{"action":"rename-obj","name":"x"}' "$P/v1/objects/b/dir/f1")
assert_eq "$(status "$out")" 400 "POST rename-obj (not yet)"
assert_match "$out" 'unsupported action \\"rename-obj\\"' "POST message names the action"

# End-to-end checksum: a mismatch stores nothing, a match is accepted.
out=$("${CURL[@]}" -L -D - -T "$TMPD/f1" -H 'Ais-Checksum-Type: xxhash2' \
    -H 'Ais-Checksum-Value: 0123456789abcdef' "$P/v1/objects/b/ck")
assert_eq "$(status "$out")" 400 "PUT with a wrong checksum"
assert_match "$out" 'BAD DATA CHECKSUM' "checksum mismatch message"
assert_eq "$(http_code "$P/v1/objects/b/ck" -L)" 404 "nothing stored after a checksum mismatch"
wk_empty
out=$("${CURL[@]}" -L -D - -o /dev/null -T "$TMPD/f1" -H 'Ais-Checksum-Type: xxhash' \
    -H "Ais-Checksum-Value: $(xxh "$TMPD/f1")" "$P/v1/objects/b/ck")
assert_eq "$(status "$out")" 200 "PUT with the right checksum"
out=$("${CURL[@]}" -L -D - -o /dev/null -T "$TMPD/f1" -H 'Ais-Checksum-Type: md5' \
    -H "Ais-Checksum-Value: $(md5sum <"$TMPD/f1" | cut -d' ' -f1)" "$P/v1/objects/b/ck")
assert_eq "$(status "$out")" 200 "PUT with an md5 the bucket does not store"
assert_eq "$(hdr "$out" Ais-Checksum-Type)" xxhash2 "the bucket's checksum type is stored"

# Overwrite bumps the version; the new bytes are served; custom metadata.
head -c 5000 /dev/urandom >"$TMPD/f2"
out=$("${CURL[@]}" -L -D - -o /dev/null -T "$TMPD/f2" -H 'Ais-Custom-Md: k1=v1' \
    -H 'Ais-Custom-Md: k2=a=b' "$P/v1/objects/b/dir/f1")
assert_eq "$(hdr "$out" Ais-Version)" 2 "overwrite: Ais-Version"
out=$("${CURL[@]}" -L -D - -o "$TMPD/g1" "$P/v1/objects/b/dir/f1")
cmp -s "$TMPD/f2" "$TMPD/g1" || fail "overwrite: GET returns old bytes"
assert_eq "$(hdr "$out" Ais-Version)" 2 "GET after overwrite: Ais-Version"
assert_eq "$(hdr_all "$out" Ais-Custom-Md | sort | tr '\n' ' ')" "k1=v1 k2=a=b " "Ais-Custom-Md, one header per key"
cmp -s "$TMPD/f2" "$mp/@ais/b/%ob/dir/f1" || fail "on-disk file after overwrite"

# DELETE via the proxy; again -> 404.
assert_eq "$(http_code "$P/v1/objects/b/ck" -L -X DELETE)" 200 "DELETE"
assert_eq "$(http_code "$P/v1/objects/b/ck" -L)" 404 "GET after DELETE"
assert_eq "$(http_code "$P/v1/objects/b/ck" -L -X DELETE)" 404 "DELETE of a missing object"

# An upload cut short: nothing stored, no work file left.
wk_empty
"${CLIENT[@]}" abort "$(url_of t1)" b cut 4000000 "$AIS_TMP/t1/mp*/@ais/b/%wk/*" >/dev/null ||
    fail "cut-short upload to t1"
"${CLIENT[@]}" abort "$(url_of t2)" b cut 4000000 "$AIS_TMP/t2/mp*/@ais/b/%wk/*" >/dev/null ||
    fail "cut-short upload to t2"
wk_empty
assert_eq "$(http_code "$(url_of t1)/v1/objects/b/cut")" 404 "cut-short upload not stored (t1)"
assert_eq "$(http_code "$(url_of t2)/v1/objects/b/cut")" 404 "cut-short upload not stored (t2)"

# A chunked upload (no Content-Length), straight to a target with a marker.
head -c 300000 /dev/urandom >"$TMPD/f3"
out=$("${CURL[@]}" -D - -o /dev/null -T - "$(url_of t3)/v1/objects/b/chunked?pid=ptest&utm=1" <"$TMPD/f3")
assert_eq "$(status "$out")" 200 "chunked PUT"
"${CURL[@]}" -o "$TMPD/g3" "$(url_of t3)/v1/objects/b/chunked" || fail "GET chunked"
cmp -s "$TMPD/f3" "$TMPD/g3" || fail "chunked PUT: bytes differ"

# --- python-requests, as the SDK uses it --------------------------------------
"${CLIENT[@]}" roundtrip "$P" b small 1000 >/dev/null || fail "python roundtrip small"
"${CLIENT[@]}" roundtrip "$P" b empty 0 >/dev/null || fail "python roundtrip empty"
"${CLIENT[@]}" roundtrip "$P" b "dir with space/ünïcode+plus%.txt" 7000 >/dev/null ||
    fail "python roundtrip odd name"
"${CLIENT[@]}" roundtrip "$P" b mid 3000000 >/dev/null || fail "python roundtrip 3 MB"
log "$("${CLIENT[@]}" concurrent "$P" b 64 65536)"

# --- 100 MiB ------------------------------------------------------------------
head -c $((100 << 20)) /dev/urandom >"$TMPD/big"
t0=$(date +%s%N)
out=$("${LONG[@]}" -L -D - -o /dev/null -T "$TMPD/big" "$P/v1/objects/b/big")
t1=$(date +%s%N)
assert_eq "$(status "$out")" 200 "PUT 100 MiB (curl, Expect: 100-continue)"
"${LONG[@]}" -L -o "$TMPD/big.get" "$P/v1/objects/b/big" || fail "GET 100 MiB"
t2=$(date +%s%N)
cmp -s "$TMPD/big" "$TMPD/big.get" || fail "GET 100 MiB: bytes differ"
log "100 MiB: PUT $(((t1 - t0) / 1000000)) ms, GET $(((t2 - t1) / 1000000)) ms"
log "$("${CLIENT[@]}" bigput "$P" b big2 "$TMPD/big")"
"${LONG[@]}" -L -o "$TMPD/big.get" "$P/v1/objects/b/big2" || fail "GET big2"
cmp -s "$TMPD/big" "$TMPD/big.get" || fail "GET big2 (python-requests PUT through the proxy): bytes differ"
rm -f "$TMPD/big" "$TMPD/big.get"

# --- a second proxy: read-after-write through every proxy ---------------------
start_proxy p2 "$P"
wait_healthy p2
wait_converged 2 3 p1 p2 t1 t2 t3 >/dev/null
wait_bucket b p2
for w in p1 p2; do
	head -c 20000 /dev/urandom >"$TMPD/w-$w"
	assert_eq "$(http_code "$(url_of "$w")/v1/objects/b/raw-$w" -L -T "$TMPD/w-$w")" 200 "PUT via $w"
	for r in p1 p2; do
		"${CURL[@]}" -L -o "$TMPD/r" "$(url_of "$r")/v1/objects/b/raw-$w" || fail "GET raw-$w via $r"
		cmp -s "$TMPD/w-$w" "$TMPD/r" || fail "written via $w, read via $r: bytes differ"
	done
done
"${CLIENT[@]}" roundtrip "$(url_of p2)" b via-p2 4096 >/dev/null || fail "python roundtrip via p2"
wk_empty
log "11-objects OK"

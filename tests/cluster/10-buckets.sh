#!/usr/bin/env bash
# 10-buckets: ais:// bucket CRUD end to end on 2 proxies + 2 targets.
# Create through the non-primary proxy (forwarded to the primary) and see the
# bucket at once through the same proxy, then in the BMD of every node and in
# list-buckets through the other proxy; duplicate create -> 409 naming
# ais://<b>; HEAD -> Ais-Bucket-Props (JSON, checksum xxhash2, versioning);
# set-bprops / reset-bprops; bad names, props, providers, namespaces and JSON
# -> 400; missing bucket -> 404 (+ Hdr-Error on HEAD); local namespaces;
# targets refuse changes but answer HEAD; destroy -> gone everywhere, and the
# bucket's directories leave the targets' mountpaths; destroy again -> 404;
# buckets survive a full-cluster restart.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_proxy p2 "$P"
start_target t1 "$P"
start_target t2 "$P"
nodes=(p1 p2 t1 t2)
for n in "${nodes[@]}"; do wait_healthy "$n"; done
wait_converged 2 2 "${nodes[@]}" >/dev/null

# req METHOD NODE PATH [BODY]: sets CODE, HDRS (header text) and BODY.
req() {
	local m=$1 url out=$AIS_TMP/req args=()
	url="$(url_of "$2")$3"
	if [ "$m" = HEAD ]; then
		args=(-I)
	else
		args=(-X "$m")
	fi
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	CODE=$("${CURL[@]}" "${args[@]}" -D "$out.h" -o "$out.b" -w '%{http_code}' "$url") || CODE=000
	HDRS=$(tr -d '\r' <"$out.h")
	BODY=$(cat "$out.b")
}
# expect CODE WHAT [BODY-ERE]: the last req answered CODE (and the body
# matches the ERE).
expect() {
	[ "$CODE" = "$1" ] || fail "$2: expected status $1, got $CODE (body: $BODY)"
	[ $# -lt 3 ] || assert_match "$BODY" "$3" "$2: body"
}
# err_json STATUS WHAT ERE: BODY is the AIS error JSON with that status and a
# message matching ERE.
err_json() {
	local ok
	ok=$(printf '%s' "$BODY" | json_eval "int(d.get('status', 0)) == $1 and isinstance(d.get('message'), str)" 2>/dev/null) ||
	    ok="not JSON"
	assert_eq "$ok" true "$2: body is an error JSON with status $1 (body: $BODY)"
	assert_match "$(printf '%s' "$BODY" | json_eval 'd["message"]')" "$3" "$2: error message"
}
hdr() { # NAME: the value of header NAME in HDRS
	printf '%s\n' "$HDRS" | sed -n "s/^$1: *//Ip" | head -n 1
}
# bmd_has NODE BUCKET [NS]: "true"/"false", from the node's BMD.
bmd_has() {
	get_json "$1" '/v1/daemon?what=bmd' |
	    json_eval "'$2' in ((d.get('providers') or {}).get('ais') or {}).get('${3:-@#}', {})"
}
# wait_bmd NODE BUCKET true|false [NS]
wait_bmd() {
	local i got=
	for ((i = 0; i < 100; i++)); do
		got=$(bmd_has "$1" "$2" "${4:-@#}")
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: bucket $2 in BMD is '$got', expected $3 after 10s"
}
# listed NODE BUCKET: "true"/"false" from GET /v1/buckets?provider=ais
listed() {
	req GET "$1" '/v1/buckets?provider=ais' '{"action":"list","name":"","value":null}'
	expect 200 "list buckets via $1"
	printf '%s' "$BODY" | json_eval "any(b['name'] == '$2' and b['provider'] == 'ais' for b in d)"
}
CREATE='{"action":"create-bck","name":"","value":null}'
DESTROY='{"action":"destroy-bck","name":"","value":null}'

# --- empty cluster: [] rather than null --------------------------------------
req GET p1 '/v1/buckets?provider=ais' '{"action":"list","name":"","value":null}'
expect 200 "list buckets (none)"
assert_eq "$BODY" "[]" "list of no buckets"
req GET p2 '/v1/buckets/'
expect 200 "GET /v1/buckets/ without body"
assert_eq "$BODY" "[]" "list of no buckets (trailing slash, no body)"

# --- create via the non-primary proxy ----------------------------------------
req POST p2 '/v1/buckets/b1?provider=ais' "$CREATE"
expect 200 "create ais://b1 via p2"
assert_eq "$BODY" "" "create reply body"
# read-after-create through the same proxy, no waiting
assert_eq "$(bmd_has p2 b1)" true "b1 in p2's BMD right after create"
req HEAD p2 '/v1/buckets/b1?provider=ais'
expect 200 "HEAD ais://b1 via p2 right after create"
for n in "${nodes[@]}"; do wait_bmd "$n" b1 true; done
assert_eq "$(listed p1 b1)" true "b1 listed via p1"
assert_eq "$(listed p2 b1)" true "b1 listed via p2"
req GET p2 '/v1/buckets?provider=ais' '{"action":"list","name":"","value":null}'
assert_eq "$(printf '%s' "$BODY" | json_eval '[b for b in d if b["name"] == "b1"][0]["namespace"]')" \
    '{"uuid": "", "name": ""}' "b1 namespace in list"
# provider filter: aliases; another provider lists nothing; all = no filter
req GET p1 '/v1/buckets?provider=s3' '{"action":"list","name":"","value":null}'
expect 200 "list s3 buckets"
assert_eq "$BODY" "[]" "no s3 buckets"
req GET p1 '/v1/buckets' '{"action":"list","name":"","value":null}'
expect 200 "list all buckets"
assert_eq "$(printf '%s' "$BODY" | json_eval 'len(d)')" 1 "all providers: one bucket"
req GET p1 '/v1/buckets?provider=nope' '{"action":"list","name":"","value":null}'
expect 400 "list with a bad provider"
err_json 400 "list with a bad provider" 'invalid backend provider "nope"'

# --- duplicate create: 409 naming ais://b1, through either proxy -------------
for n in p1 p2; do
	req POST "$n" '/v1/buckets/b1?provider=ais' "$CREATE"
	expect 409 "duplicate create via $n"
	err_json 409 "duplicate create via $n" 'bucket "ais://b1" already exists'
done

# --- HEAD: props header -------------------------------------------------------
req HEAD p1 '/v1/buckets/b1?provider=ais'
expect 200 "HEAD ais://b1 via p1"
props=$(hdr Ais-Bucket-Props)
assert_nonempty "$props" "Ais-Bucket-Props header"
assert_eq "$(json_eval 'd["checksum"]["type"]' <<<"$props")" xxhash2 "checksum.type"
assert_eq "$(json_eval 'd["versioning"]["enabled"]' <<<"$props")" true "versioning.enabled"
assert_eq "$(json_eval 'd["provider"]' <<<"$props")" ais "provider"
assert_eq "$(json_eval 'd["lru"]["enabled"]' <<<"$props")" false "lru.enabled"
assert_eq "$(json_eval 'd["access"]' <<<"$props")" 18446744073709551615 "access"
assert_eq "$(json_eval 'all(isinstance(d[k], str) for k in ("bid", "created", "access", "features"))' <<<"$props")" \
    true "bid/created/access/features are strings"
assert_eq "$(json_eval 'all(k in d for k in ("backend_bck","write_policy","checksum","extra","rate_limit","ec","chunks","mirror","lru","versioning"))' <<<"$props")" \
    true "every props section present"
bid=$(json_eval 'd["bid"]' <<<"$props")
# targets answer HEAD from their BMD
req HEAD t1 '/v1/buckets/b1?provider=ais'
expect 200 "HEAD ais://b1 on t1"
assert_eq "$(hdr Ais-Bucket-Props | json_eval 'd["bid"]')" "$bid" "bid on t1"

# --- set-bprops / reset-bprops -------------------------------------------------
req PATCH p2 '/v1/buckets/b1?provider=ais' \
    '{"action":"set-bprops","name":"","value":{"checksum":{"type":"md5"},"versioning":{"enabled":false}}}'
expect 200 "set-bprops via p2"
req HEAD p2 '/v1/buckets/b1?provider=ais'
expect 200 "HEAD after set-bprops"
props=$(hdr Ais-Bucket-Props)
assert_eq "$(json_eval 'd["checksum"]["type"]' <<<"$props")" md5 "checksum.type after set"
assert_eq "$(json_eval 'd["versioning"]["enabled"]' <<<"$props")" false "versioning.enabled after set"
assert_eq "$(json_eval 'd["checksum"]["validate_cold_get"]' <<<"$props")" true "untouched leaf after set"
assert_eq "$(json_eval 'd["bid"]' <<<"$props")" "$bid" "bid after set"
req PATCH p1 '/v1/buckets/b1?provider=ais' '{"action":"set-bprops","value":{"checksum":{"type":"crc64"}}}'
expect 400 "set-bprops with a bad checksum"
err_json 400 "set-bprops with a bad checksum" 'checksum\.type'
req PATCH p1 '/v1/buckets/b1?provider=ais' '{"action":"set-bprops","value":{"bid":"1"}}'
expect 400 "set-bprops of a read-only field"
req PATCH p1 '/v1/buckets/nope?provider=ais' '{"action":"set-bprops","value":{"versioning":{"enabled":false}}}'
expect 404 "set-bprops of a missing bucket"
err_json 404 "set-bprops of a missing bucket" 'bucket "ais://nope" does not exist'
req PATCH p1 '/v1/buckets/b1?provider=ais' '{"action":"reset-bprops","name":"","value":null}'
expect 200 "reset-bprops via p1"
req HEAD p1 '/v1/buckets/b1?provider=ais'
props=$(hdr Ais-Bucket-Props)
assert_eq "$(json_eval 'd["checksum"]["type"]' <<<"$props")" xxhash2 "checksum.type after reset"
assert_eq "$(json_eval 'd["versioning"]["enabled"]' <<<"$props")" true "versioning.enabled after reset"
assert_eq "$(json_eval 'd["bid"]' <<<"$props")" "$bid" "bid after reset"
req PATCH p1 '/v1/buckets/nope?provider=ais' '{"action":"reset-bprops"}'
expect 404 "reset-bprops of a missing bucket"

# --- bad requests ---------------------------------------------------------------
req POST p1 '/v1/buckets/bad*name?provider=ais' "$CREATE"
expect 400 "create with a bad name"
err_json 400 "create with a bad name" 'bad\*name'
req POST p2 '/v1/buckets/.hidden?provider=ais' "$CREATE"
expect 400 "create with a leading dot"
req POST p1 '/v1/buckets/b9?provider=ais' '{"action":"create-bck","value":{"mirror":{"copies":99}}}'
expect 400 "create with bad props"
err_json 400 "create with bad props" 'mirror\.copies'
req POST p1 '/v1/buckets/b9?provider=aws' "$CREATE"
expect 400 "create an s3 bucket"
err_json 400 "create an s3 bucket" 'not supported yet'
req POST p1 '/v1/buckets/b9?provider=xyz' "$CREATE"
expect 400 "create with an unknown provider"
err_json 400 "create with an unknown provider" 'invalid backend provider "xyz"'
req POST p1 '/v1/buckets/b9?provider=ais&namespace=%40uuid1%23ns' "$CREATE"
expect 400 "create in a remote AIS namespace"
req POST p1 '/v1/buckets/b9?provider=ais' '{"action":"create-bck",'
expect 400 "malformed JSON body"
err_json 400 "malformed JSON body" 'JSON'
req POST p1 '/v1/buckets/b9?provider=ais' '{"action":"copy-bck"}'
expect 400 "unsupported POST action"
err_json 400 "unsupported POST action" 'copy-bck'
req GET p1 '/v1/buckets/b1?provider=ais' '{"action":"summary-bck","value":{}}'
expect 400 "summary-bck (later)"
err_json 400 "summary-bck (later)" 'summary-bck'
req DELETE p1 '/v1/buckets/b1?provider=ais' '{"action":"evict-remote-bck"}'
expect 400 "evict-remote-bck of an ais bucket"
for n in p1 p2; do
	assert_eq "$(bmd_has "$n" b9)" false "no b9 after refused creates ($n)"
done
# targets do not take bucket changes
req POST t1 '/v1/buckets/b9?provider=ais' "$CREATE"
expect 400 "create via a target"
err_json 400 "create via a target" 'proxy'

# --- missing bucket --------------------------------------------------------------
req HEAD p1 '/v1/buckets/nope?provider=ais'
expect 404 "HEAD of a missing bucket"
assert_eq "$(hdr Content-Length)" 0 "HEAD 404 Content-Length"
assert_match "$(hdr Hdr-Error)" 'ais://nope' "Hdr-Error of a missing bucket"
req HEAD t2 '/v1/buckets/nope?provider=ais'
expect 404 "HEAD of a missing bucket on a target"
req GET p1 '/v1/buckets/nope?provider=ais' '{"action":"list","name":"","value":null}'
expect 404 "list-buckets of one missing bucket"

# --- namespaces ---------------------------------------------------------------------
req POST p1 '/v1/buckets/b1?provider=ais&namespace=%40%23ns1' "$CREATE"
expect 200 "create ais://#ns1/b1"
req HEAD p2 '/v1/buckets/b1?provider=ais&namespace=%40%23ns1'
expect 200 "HEAD ais://#ns1/b1"
req POST p2 '/v1/buckets/b1?provider=ais&namespace=%40%23ns1' "$CREATE"
expect 409 "duplicate create in a namespace"
err_json 409 "duplicate create in a namespace" 'ais://#ns1/b1'
assert_eq "$(bmd_has p2 b1 '@#ns1')" true "ais://#ns1/b1 in BMD"
req GET p2 '/v1/buckets?provider=ais' '{"action":"list","name":"","value":null}'
assert_eq "$(printf '%s' "$BODY" | json_eval 'sorted(b["namespace"]["name"] for b in d if b["name"] == "b1")')" \
    '["", "ns1"]' "namespaces in list"
req DELETE p2 '/v1/buckets/b1?provider=ais&namespace=%40%23ns1' "$DESTROY"
expect 200 "destroy ais://#ns1/b1"
assert_eq "$(bmd_has p2 b1)" true "ais://b1 kept after destroying ais://#ns1/b1"

# --- destroy removes the data on every target --------------------------------------
req POST p1 '/v1/buckets/b2?provider=ais' "$CREATE"
expect 200 "create ais://b2"
for n in t1 t2; do wait_bmd "$n" b2 true; done
for t in t1 t2; do
	for mp in mp1 mp2; do
		d=$(node_dir "$t")/$mp/@ais/b2/%ob
		mkdir -p "$d/dir"
		echo hello >"$d/x"
		echo hello >"$d/dir/y"
	done
done
req DELETE p2 '/v1/buckets/b2?provider=ais' "$DESTROY"
expect 200 "destroy ais://b2 via p2"
assert_eq "$(bmd_has p2 b2)" false "b2 gone from p2 right after destroy"
for n in "${nodes[@]}"; do wait_bmd "$n" b2 false; done
for t in t1 t2; do
	for mp in mp1 mp2; do
		d=$(node_dir "$t")/$mp/@ais/b2
		for ((i = 0; i < 50; i++)); do
			[ -e "$d" ] || break
			sleep 0.1
		done
		[ ! -e "$d" ] || fail "$d still exists after destroy"
		tr=$(node_dir "$t")/$mp/.ais.trash
		for ((i = 0; i < 50; i++)); do
			[ -z "$(ls -A "$tr" 2>/dev/null)" ] && break
			sleep 0.1
		done
		[ -z "$(ls -A "$tr" 2>/dev/null)" ] || fail "$tr not emptied: $(ls -A "$tr")"
	done
done

# --- destroy b1 ------------------------------------------------------------------------
req DELETE p1 '/v1/buckets/b1?provider=ais' "$DESTROY"
expect 200 "destroy ais://b1"
for n in "${nodes[@]}"; do wait_bmd "$n" b1 false; done
assert_eq "$(listed p1 b1)" false "b1 not listed via p1"
assert_eq "$(listed p2 b1)" false "b1 not listed via p2"
for n in p1 p2; do
	req DELETE "$n" '/v1/buckets/b1?provider=ais' "$DESTROY"
	expect 404 "destroy again via $n"
	err_json 404 "destroy again via $n" 'bucket "ais://b1" does not exist'
done
req HEAD p1 '/v1/buckets/b1?provider=ais'
expect 404 "HEAD after destroy"

# --- buckets survive a full-cluster restart -------------------------------------------
req POST p2 '/v1/buckets/keep?provider=ais' '{"action":"create-bck","value":{"checksum":{"type":"sha256"}}}'
expect 200 "create ais://keep"
for n in "${nodes[@]}"; do wait_bmd "$n" keep true; done
for n in t2 t1 p2 p1; do
	kill_node "$n" TERM
	wait_exit "$n" 10
	assert_eq "$NODE_RC" 0 "$n exit code on SIGTERM"
done
restart_node p1
wait_healthy p1
for n in p2 t1 t2; do restart_node "$n"; done
for n in "${nodes[@]}"; do wait_healthy "$n"; done
wait_converged 2 2 "${nodes[@]}" >/dev/null
for n in "${nodes[@]}"; do wait_bmd "$n" keep true; done
assert_eq "$(listed p2 keep)" true "keep listed via p2 after restart"
req HEAD t1 '/v1/buckets/keep?provider=ais'
expect 200 "HEAD ais://keep on t1 after restart"
assert_eq "$(hdr Ais-Bucket-Props | json_eval 'd["checksum"]["type"]')" sha256 "keep's props after restart"
# and changes still work after the restart
req DELETE p2 '/v1/buckets/keep?provider=ais' "$DESTROY"
expect 200 "destroy ais://keep after restart"
for n in "${nodes[@]}"; do wait_bmd "$n" keep false; done
log "10-buckets OK"

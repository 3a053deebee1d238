#!/usr/bin/env bash
# 06-http-errors: unknown path -> 404 JSON, wrong method -> 405 with Allow,
# bad what= -> 400 JSON, HEAD errors -> status + Hdr-Error header, no body;
# on a proxy and on a target.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy p1
wait_healthy p1
start_target t1 "$(url_of p1)"
wait_healthy t1
wait_converged 1 1 p1 t1 >/dev/null

# req METHOD URL: sets CODE, HDRS (header text), BODY.
req() {
	local m=$1 url=$2 out=$AIS_TMP/req
	local extra=()
	[ "$m" = POST ] && extra=(--data-binary '')
	CODE=$("${CURL[@]}" -X "$m" "${extra[@]}" -D "$out.h" -o "$out.b" -w '%{http_code}' "$url") || CODE=000
	HDRS=$(tr -d '\r' <"$out.h")
	BODY=$(cat "$out.b")
}
# is_err_json STATUS: BODY is an AIS error object with that status and a message.
check_err_json() {
	local what=$1 status=$2 ok
	ok=$(printf '%s' "$BODY" | json_eval "isinstance(d, dict) and int(d.get('status', 0)) == $status and bool(d.get('message'))" 2>/dev/null) ||
	    ok="not JSON"
	assert_eq "$ok" true "$what: body is {status:$status, message:...} (body: $BODY)"
	assert_match "$HDRS" '^Content-Type: *application/json' "$what: Content-Type"
}
# raw_head URL PATH: HEAD over a raw socket; prints status line, headers, and
# "BODYLEN <n>" for whatever bytes follow the header block.
raw_head() {
	"$PY" - "$1" "$2" <<'PYEOF'
import socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(("HEAD %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" % (sys.argv[2], host, port)).encode())
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
head, _, rest = data.partition(b"\r\n\r\n")
print(head.decode("latin-1").replace("\r", ""))
print("BODYLEN %d" % len(rest))
PYEOF
}

for n in p1 t1; do
	U=$(url_of "$n")
	req GET "$U/v1/nosuch"
	assert_eq "$CODE" 404 "$n GET /v1/nosuch"
	check_err_json "$n GET /v1/nosuch" 404

	req POST "$U/v1/health"
	assert_eq "$CODE" 405 "$n POST /v1/health"
	assert_match "$HDRS" '^Allow: *[A-Z]' "$n POST /v1/health: Allow header"
	printf '%s' "$BODY" | json_eval 'isinstance(d, dict)' >/dev/null 2>&1 ||
	    fail "$n POST /v1/health: body is not JSON: $BODY"

	req GET "$U/v1/daemon?what=bogus"
	assert_eq "$CODE" 400 "$n GET /v1/daemon?what=bogus"
	check_err_json "$n GET /v1/daemon?what=bogus" 400

	h=$(raw_head "$U" /v1/nosuch)
	assert_match "$h" '^HTTP/1\.[01] 404' "$n HEAD /v1/nosuch status"
	assert_match "$h" '^Hdr-Error: *\{.*"status" *: *404' "$n HEAD /v1/nosuch: Hdr-Error header"
	assert_match "$h" '^BODYLEN 0$' "$n HEAD /v1/nosuch: no body"
done
log "06-http-errors OK"

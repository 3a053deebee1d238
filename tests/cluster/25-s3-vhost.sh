#!/usr/bin/env bash
# 25-s3-vhost: virtual-hosted-style S3 and S3 at the root via the feature
# bit, on 1 proxy + 2 targets with {"s3": {"domain": "s3.local",
# "auth_required": true, ...}, "features": "8"} (bit 3 S3-API-via-Root).
# Covered: SigV4-signed (botocore) requests with Host "<bucket>.s3.local:port"
# -- create bucket at "/", PUT/GET/HEAD of a nested key through the proxy's
# reverse proxy, ListObjectsV2 at "/", DELETE object and bucket; unsigned
# vhost requests refused (403); a signature over another Host refused;
# S3 at the root (GET / lists buckets, PUT /b/k, GET /b/k) signed over the
# path as sent; /v1 and /s3 paths unaffected.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BOTO_PY=
for py in "$PY" /usr/bin/python3 python3; do
	if "$py" -c 'import botocore' 2>/dev/null; then
		BOTO_PY=$py
		break
	fi
done
[ -n "$BOTO_PY" ] || fail "no python3 with botocore (install python3-boto3: scripts/install-deps.sh)"

export AIS_CONFIG_JSON='{"s3": {"domain": "s3.local", "auth_required": true, "keys": {"AKVH": "SKVH"}}, "features": "8"}'
start_proxy p1
wait_healthy p1
P=$(url_of p1)
PORT=$(node_port p1)
for t in t1 t2; do start_target "$t" "$P"; done
for n in t1 t2; do wait_healthy "$n"; done
wait_converged 1 2 p1 t1 t2 >/dev/null

# s3req METHOD SIGNED-URL [BODY-FILE] [SIGN-HOST]: sends to 127.0.0.1:PORT
# with the Host and path of SIGNED-URL, SigV4-signed (over SIGN-HOST if
# given); prints "<status> <body>".
s3req() {
	"$BOTO_PY" - "$PORT" "$@" <<'PYEOF'
import http.client, sys, urllib.parse
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
port, method, url = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 and sys.argv[4] else b""
u = urllib.parse.urlsplit(url)
sign_url = url
if len(sys.argv) > 5:
    sign_url = url.replace(u.netloc, sys.argv[5], 1)
req = AWSRequest(method=method, url=sign_url, data=body)
S3SigV4Auth(Credentials("AKVH", "SKVH"), "s3", "us-east-1").add_auth(req)
hdrs = dict(req.headers.items())
hdrs["Host"] = u.netloc
path = u.path or "/"
if u.query:
    path += "?" + u.query
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
c.request(method, path, body=body, headers=hdrs)
r = c.getresponse()
print(r.status, r.read().decode("latin-1").replace("\n", " "))
PYEOF
}
VH=http://vb.s3.local:$PORT

out=$(s3req PUT "$VH/")
assert_match "$out" "^200" "vhost CreateBucket"
head -c 300000 /dev/urandom >"$AIS_TMP/obj"
out=$(s3req PUT "$VH/dir/sub/obj" "$AIS_TMP/obj")
assert_match "$out" "^200" "vhost PutObject"
"$BOTO_PY" - "$PORT" "$AIS_TMP/obj" <<'PYEOF' || fail "vhost GetObject bytes"
import http.client, sys
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
port = sys.argv[1]
url = "http://vb.s3.local:%s/dir/sub/obj" % port
req = AWSRequest(method="GET", url=url)
S3SigV4Auth(Credentials("AKVH", "SKVH"), "s3", "us-east-1").add_auth(req)
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
hdrs = dict(req.headers.items())
hdrs["Host"] = "vb.s3.local:%s" % port
c.request("GET", "/dir/sub/obj", headers=hdrs)
r = c.getresponse()
data = r.read()
assert r.status == 200, r.status
assert data == open(sys.argv[2], "rb").read(), "bytes differ"
PYEOF
out=$(s3req HEAD "$VH/dir/sub/obj")
assert_match "$out" "^200" "vhost HeadObject"
out=$(s3req GET "$VH/?list-type=2")
assert_match "$out" "^200 .*<Key>dir/sub/obj</Key>" "vhost ListObjectsV2"
out=$(s3req GET "$VH/dir/sub/obj" "" "127.0.0.1:$PORT")
assert_match "$out" "^403" "vhost request signed over another Host"
code=$(http_code "http://127.0.0.1:$PORT/dir/sub/obj" -H "Host: vb.s3.local:$PORT")
assert_eq "$code" 403 "unsigned vhost GET"
# the same object path-style, and the native API beside it
out=$(s3req GET "$P/s3/vb/dir/sub/obj")
assert_match "$out" "^200" "path-style GET of the vhost-written object"
code=$(http_code "$P/v1/health")
assert_eq "$code" 200 "native /v1/health"
log "virtual host ok"

# --- S3 at the root via features bit 3 -----------------------------------------------
out=$(s3req GET "$P/")
assert_match "$out" "^200 .*<Name>vb</Name>" "root ListBuckets"
out=$(s3req PUT "$P/rootb")
assert_match "$out" "^200" "root CreateBucket"
out=$(s3req PUT "$P/rootb/a/b" "$AIS_TMP/obj")
assert_match "$out" "^200" "root PutObject"
out=$(s3req HEAD "$P/rootb/a/b")
assert_match "$out" "^200" "root HeadObject"
out=$(s3req GET "$P/s3/rootb?list-type=2")
assert_match "$out" "^200 .*<Key>a/b</Key>" "ListObjectsV2 at /s3 of the root-written object"
code=$(http_code "$P/rootb/a/b")
assert_eq "$code" 403 "unsigned root GET"
out=$(s3req DELETE "$P/rootb/a/b")
assert_match "$out" "^204" "root DeleteObject"
out=$(s3req DELETE "$P/rootb")
assert_match "$out" "^204" "root DeleteBucket"
out=$(s3req DELETE "$VH/dir/sub/obj")
assert_match "$out" "^204" "vhost DeleteObject"
out=$(s3req DELETE "$VH/")
assert_match "$out" "^204" "vhost DeleteBucket"
out=$(s3req HEAD "$VH/")
assert_match "$out" "^404" "vhost HeadBucket after delete"
log "root ok"

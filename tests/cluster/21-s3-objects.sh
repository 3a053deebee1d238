#!/usr/bin/env bash
# 21-s3-objects: S3 object operations on 1 proxy + 3 targets through the
# proxy's streamed reverse proxy (no client-visible redirects), with curl,
# the real aws CLI and boto3 (path-style, endpoint <proxy>/s3, auth off),
# then on a second cluster in redirect mode ("s3.redirect": true).
# Covered: PutObject (plain, Content-MD5 good/bad, aws-chunked unsigned with a
# trailer, aws-chunked of the wrong length or malformed -> nothing stored),
# ETag = MD5 of the data (md5 and xxhash buckets), GetObject byte-exact with
# Content-Type/Last-Modified/ETag/x-amz-meta-*, ranges (206, 416
# InvalidRange), empty objects, conditionals (If-None-Match/If-Modified-Since
# -> 304, If-Match/If-Unmodified-Since -> 412), HeadObject, NoSuchKey,
# DeleteObject (204, also for a missing key), CopyObject (same and other
# target, COPY and REPLACE directives, onto itself -> 400), S3 objects read
# through the native API and native ones through S3, a multipart create +
# abort, an
# upload cut short (no work file, nothing stored), S3 straight to a target
# refused, a 100 MiB object byte-exact both ways, aws s3 cp/api get-object
# --range/head-object/copy-object/rm, boto3 Metadata/ContentType and a
# conditional GET; in redirect mode the 307 (Location + XML Endpoint) and curl
# -L round trips, aws-chunked decoded by the target.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v aws >/dev/null || fail "aws CLI not installed (scripts/install-deps.sh: awscli)"
BOTO_PY=
for py in "$PY" /usr/bin/python3 python3; do
	if "$py" -c 'import boto3' 2>/dev/null; then
		BOTO_PY=$py
		break
	fi
done
[ -n "$BOTO_PY" ] || fail "no python3 with boto3 (install python3-boto3: scripts/install-deps.sh)"

LONG=(curl -s --noproxy '*' --max-time 120)
TMPD=$AIS_TMP/data
mkdir -p "$TMPD"

# hdr HEADERS NAME: the value of header NAME in the LAST response of a
# header dump; case-insensitive, CR stripped.
hdr() {
	printf '%s\n' "$1" | tr -d '\r' | awk -v n="$2" '
		/^HTTP\// { delete v; next }
		{ i = index($0, ":"); if (i == 0) next
		  k = tolower(substr($0, 1, i - 1)); s = substr($0, i + 1); sub(/^[ \t]+/, "", s)
		  if (!(k in v)) v[k] = s }
		END { if (tolower(n) in v) print v[tolower(n)] }'
}
status() { printf '%s\n' "$1" | tr -d '\r' | awk '/^HTTP\// { s = $2 } END { print s }'; }
md5() { md5sum "$1" | cut -d' ' -f1; }
b64md5() { "$PY" -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.md5(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"; }
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
wk_empty() {
	local left i
	for ((i = 0; i < 50; i++)); do
		left=$(find "$AIS_TMP"/t*/mp* -path '*/%wk/*' -type f 2>/dev/null | head -n 5)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "work files left behind: $left"
}
create_bucket() { # PROXY_URL NAME CKSUM
	local code
	code=$(http_code "$1/v1/buckets/$2" -X POST -H 'Content-Type: application/json' \
	    -d "{\"action\":\"create-bck\",\"value\":{\"checksum\":{\"type\":\"$3\"}}}")
	assert_eq "$code" 200 "create-bck ais://$2 ($3)"
}

# A python helper: aws-chunked bodies, raw sockets, boto3.
HELPER=$AIS_TMP/s3obj.py
cat >"$HELPER" <<'EOF'
import hashlib, socket, sys, urllib.parse

def chunked(data, sizes, trailer=True):
    out, off, i = b"", 0, 0
    while off < len(data):
        n = sizes[i % len(sizes)]; i += 1
        c = data[off:off + n]; off += len(c)
        out += b"%x\r\n" % len(c) + c + b"\r\n"
    out += b"0\r\n"
    if trailer:
        out += b"x-amz-checksum-crc32:AAAAAA==\r\n"
    return out + b"\r\n"

def raw(url, method, headers, body, cut=None):
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    path = u.path + ("?" + u.query if u.query else "")
    head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, u.netloc)
    for k, v in headers.items():
        head += "%s: %s\r\n" % (k, v)
    s.sendall(head.encode() + b"\r\n")
    if cut is not None:
        s.sendall(body[:cut])
        s.close()
        print("CUT")
        return
    s.sendall(body)
    resp = b""
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        resp += d
        if b"\r\n\r\n" in resp:
            h, _, rest = resp.partition(b"\r\n\r\n")
            cl = [l for l in h.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if cl and len(rest) >= int(cl[0].split(b":")[1]):
                break
    s.close()
    print(resp.split(b"\r\n", 1)[0].decode())
    print(resp.partition(b"\r\n\r\n")[2].decode(errors="replace"))

def put_chunked(url, path, decl_delta=0, malformed=False, sizes="65536,1,7000"):
    data = open(path, "rb").read()
    body = chunked(data, [int(x) for x in sizes.split(",")])
    if malformed:
        body = body.replace(b"\r\n", b"\n", 2)
    h = {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
         "Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
         "x-amz-decoded-content-length": str(len(data) + decl_delta),
         "Content-Length": str(len(body)), "Content-Type": "text/plain"}
    raw(url, "PUT", h, body)

def client(endpoint):
    import boto3, botocore.config
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="y",
                        config=botocore.config.Config(s3={"addressing_style": "path"},
                                                      retries={"max_attempts": 1}))

def boto(endpoint, bucket, path):
    import botocore.exceptions
    s3 = client(endpoint)
    data = open(path, "rb").read()
    r = s3.put_object(Bucket=bucket, Key="boto/k1", Body=data, ContentType="image/png",
                      Metadata={"Color": "blue", "n": "42"})
    etag = r["ETag"].strip('"')
    assert etag == hashlib.md5(data).hexdigest(), (etag, "put etag")
    g = s3.get_object(Bucket=bucket, Key="boto/k1")
    assert g["Body"].read() == data, "boto get body"
    assert g["ContentType"] == "image/png", g["ContentType"]
    assert g["Metadata"] == {"color": "blue", "n": "42"}, g["Metadata"]
    assert g["ETag"].strip('"') == etag
    h = s3.head_object(Bucket=bucket, Key="boto/k1")
    assert h["ContentLength"] == len(data) and h["Metadata"]["color"] == "blue"
    g = s3.get_object(Bucket=bucket, Key="boto/k1", Range="bytes=10-19")
    assert g["Body"].read() == data[10:20] and g["ContentRange"] == "bytes 10-19/%d" % len(data)
    try:
        s3.get_object(Bucket=bucket, Key="boto/k1", IfNoneMatch='"%s"' % etag)
        raise AssertionError("If-None-Match: no 304")
    except botocore.exceptions.ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 304, e.response
    try:
        s3.get_object(Bucket=bucket, Key="boto/missing")
        raise AssertionError("no 404")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchKey", e.response
    c = s3.copy_object(Bucket=bucket, Key="boto/k2", CopySource={"Bucket": bucket, "Key": "boto/k1"})
    assert c["CopyObjectResult"]["ETag"].strip('"') == etag, c
    g = s3.get_object(Bucket=bucket, Key="boto/k2")
    assert g["Body"].read() == data and g["Metadata"]["color"] == "blue"
    s3.delete_object(Bucket=bucket, Key="boto/k2")
    s3.delete_object(Bucket=bucket, Key="boto/k2")  # missing: 204 as well
    print("BOTO OK")

cmd = sys.argv[1]
if cmd == "put_chunked":
    put_chunked(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0,
                len(sys.argv) > 5 and sys.argv[5] == "malformed")
elif cmd == "cut":
    n = int(sys.argv[3])
    raw(sys.argv[2], "PUT", {"Content-Length": str(n)}, b"x" * n, cut=n // 4)
elif cmd == "boto":
    boto(sys.argv[2], sys.argv[3], sys.argv[4])
EOF
helper() { "$BOTO_PY" "$HELPER" "$@"; }

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
S3=$P/s3
create_bucket "$P" b md5
create_bucket "$P" x xxhash2
wait_bucket b p1 t1 t2 t3
wait_bucket x p1 t1 t2 t3

# --- curl: PUT, GET, HEAD ---------------------------------------------------
head -c 300000 /dev/urandom >"$TMPD/f1"
out=$("${CURL[@]}" -D - -o /dev/null -T "$TMPD/f1" -H 'Content-Type: text/x-test' \
    -H 'x-amz-meta-Owner: Alice' -H "Content-MD5: $(b64md5 "$TMPD/f1")" "$S3/b/dir/f1")
assert_eq "$(status "$out")" 200 "PUT dir/f1 (no redirect)"
assert_eq "$(hdr "$out" ETag)" "\"$(md5 "$TMPD/f1")\"" "PUT ETag = MD5"
"${CURL[@]}" -D "$TMPD/h" -o "$TMPD/f1.got" "$S3/b/dir/f1"
out=$(cat "$TMPD/h")
assert_eq "$(status "$out")" 200 "GET dir/f1"
cmp -s "$TMPD/f1" "$TMPD/f1.got" || fail "GET dir/f1: bytes differ"
assert_eq "$(hdr "$out" ETag)" "\"$(md5 "$TMPD/f1")\"" "GET ETag"
assert_eq "$(hdr "$out" Content-Type)" text/x-test "GET Content-Type"
assert_eq "$(hdr "$out" x-amz-meta-owner)" Alice "GET x-amz-meta-owner"
assert_eq "$(hdr "$out" Accept-Ranges)" bytes "GET Accept-Ranges"
assert_eq "$(hdr "$out" Content-Length)" 300000 "GET Content-Length"
assert_match "$(hdr "$out" Last-Modified)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$' "GET Last-Modified"
LM=$(hdr "$out" Last-Modified)
ETAG=$(hdr "$out" ETag)
out=$("${CURL[@]}" -I "$S3/b/dir/f1")
assert_eq "$(status "$out")" 200 "HEAD dir/f1"
assert_eq "$(hdr "$out" Content-Length)" 300000 "HEAD Content-Length"
assert_eq "$(hdr "$out" ETag)" "$ETAG" "HEAD ETag"
assert_eq "$(hdr "$out" Content-Type)" text/x-test "HEAD Content-Type"

# --- ranges and conditionals --------------------------------------------------
out=$("${CURL[@]}" -D - -o "$TMPD/r" -H 'Range: bytes=1000-1999' "$S3/b/dir/f1")
assert_eq "$(status "$out")" 206 "ranged GET"
assert_eq "$(hdr "$out" Content-Range)" "bytes 1000-1999/300000" "Content-Range"
cmp -s "$TMPD/r" <(tail -c +1001 "$TMPD/f1" | head -c 1000) || fail "ranged GET: bytes differ"
out=$("${CURL[@]}" -D - -H 'Range: bytes=400000-' "$S3/b/dir/f1")
assert_eq "$(status "$out")" 416 "unsatisfiable range"
assert_match "$out" '<Code>InvalidRange</Code>' "416 InvalidRange"
assert_eq "$(hdr "$out" Content-Range)" "bytes */300000" "416 Content-Range"
assert_eq "$(http_code "$S3/b/dir/f1" -H "If-None-Match: $ETAG")" 304 "If-None-Match match"
assert_eq "$(http_code "$S3/b/dir/f1" -I -H "If-None-Match: $ETAG")" 304 "HEAD If-None-Match"
assert_eq "$(http_code "$S3/b/dir/f1" -H 'If-None-Match: "other"')" 200 "If-None-Match no match"
assert_eq "$(http_code "$S3/b/dir/f1" -H "If-Match: $ETAG")" 200 "If-Match match"
out=$("${CURL[@]}" -D - "$S3/b/dir/f1" -H 'If-Match: "nope"')
assert_eq "$(status "$out")" 412 "If-Match no match"
assert_match "$out" '<Code>PreconditionFailed</Code>' "412 code"
assert_eq "$(http_code "$S3/b/dir/f1" -H "If-Modified-Since: $LM")" 304 "If-Modified-Since = mtime"
assert_eq "$(http_code "$S3/b/dir/f1" -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT')" 200 "If-Modified-Since old"
assert_eq "$(http_code "$S3/b/dir/f1" -H 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT')" 412 "If-Unmodified-Since old"
assert_eq "$(http_code "$S3/b/dir/f1" -H "If-Match: $ETAG" -H 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT')" 200 "If-Match wins over If-Unmodified-Since"

# --- errors -------------------------------------------------------------------
out=$("${CURL[@]}" -D - "$S3/b/missing")
assert_eq "$(status "$out")" 404 "GET missing"
assert_match "$out" '<Code>NoSuchKey</Code>' "NoSuchKey"
assert_eq "$(http_code "$S3/b/missing" -I)" 404 "HEAD missing"
assert_eq "$(http_code "$S3/nob/k")" 404 "GET in a missing bucket"
out=$("${CURL[@]}" -D - -T "$TMPD/f1" -H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==' "$S3/b/badmd5")
assert_eq "$(status "$out")" 400 "PUT with a wrong Content-MD5"
assert_match "$out" '<Code>BadDigest</Code>' "BadDigest"
assert_eq "$(http_code "$S3/b/badmd5")" 404 "nothing stored after BadDigest"
out=$("${CURL[@]}" -D - -T "$TMPD/f1" -H 'Content-MD5: notbase64' "$S3/b/badmd5")
assert_match "$out" '<Code>InvalidDigest</Code>' "InvalidDigest"
out=$("${CURL[@]}" -D - -X POST "$S3/b/mpu?uploads")
assert_eq "$(status "$out")" 200 "CreateMultipartUpload (23-s3-multipart has the rest)"
upid=$(printf '%s' "$out" | sed -n 's/.*<UploadId>\([^<]*\)<.*/\1/p')
assert_nonempty "$upid" "UploadId"
assert_eq "$(http_code "$S3/b/mpu?uploadId=$upid" -X DELETE)" 204 "AbortMultipartUpload"
T1=$(url_of t1)
code=$(http_code "$T1/s3/b/dir/f1")
[ "$code" = 400 ] || [ "$code" = 403 ] || fail "S3 straight to a target: $code"
wk_empty

# --- aws-chunked through the proxy ------------------------------------------------
head -c 150000 /dev/urandom >"$TMPD/c1"
out=$(helper put_chunked "$S3/b/chunked/c1" "$TMPD/c1")
assert_match "$out" '^HTTP/1.1 200' "aws-chunked PUT"
"${CURL[@]}" -o "$TMPD/c1.got" "$S3/b/chunked/c1"
cmp -s "$TMPD/c1" "$TMPD/c1.got" || fail "aws-chunked object differs"
assert_eq "$(hdr "$("${CURL[@]}" -I "$S3/b/chunked/c1")" ETag)" "\"$(md5 "$TMPD/c1")\"" "aws-chunked ETag"
out=$(helper put_chunked "$S3/b/chunked/short" "$TMPD/c1" 1)
assert_match "$out" '^HTTP/1.1 400' "decoded length too big"
assert_match "$out" 'IncompleteBody' "IncompleteBody (short)"
out=$(helper put_chunked "$S3/b/chunked/long" "$TMPD/c1" -1)
assert_match "$out" '^HTTP/1.1 400' "decoded length too small"
out=$(helper put_chunked "$S3/b/chunked/bad" "$TMPD/c1" 0 malformed)
assert_match "$out" '^HTTP/1.1 400' "malformed aws-chunked"
for k in short long bad; do
	assert_eq "$(http_code "$S3/b/chunked/$k")" 404 "nothing stored for chunked/$k"
done
wk_empty

: >"$TMPD/empty"
out=$("${CURL[@]}" -D - -o /dev/null -X PUT --data-binary @"$TMPD/empty" "$S3/b/empty")
assert_eq "$(hdr "$out" ETag)" '"d41d8cd98f00b204e9800998ecf8427e"' "empty object: ETag"
out=$("${CURL[@]}" -D - -o "$TMPD/empty.got" "$S3/b/empty")
assert_eq "$(status "$out")" 200 "GET empty object"
assert_eq "$(hdr "$out" Content-Length)" 0 "GET empty object: Content-Length"
assert_eq "$(hdr "$("${CURL[@]}" -I "$S3/b/empty")" Content-Length)" 0 "HEAD empty object"
out=$(helper put_chunked "$S3/b/chunked/empty" "$TMPD/empty")
assert_match "$out" '^HTTP/1.1 200' "empty aws-chunked PUT"
assert_eq "$(hdr "$("${CURL[@]}" -I "$S3/b/chunked/empty")" ETag)" '"d41d8cd98f00b204e9800998ecf8427e"' "empty aws-chunked ETag"

# --- an upload cut short ------------------------------------------------------------
helper cut "$S3/b/cut" 5000000 >/dev/null
sleep 0.5
wk_empty
assert_eq "$(http_code "$S3/b/cut")" 404 "nothing stored for a cut upload"

# --- S3 <-> native ---------------------------------------------------------------
"${CURL[@]}" -L -o "$TMPD/f1.nat" "$P/v1/objects/b/dir/f1"
cmp -s "$TMPD/f1" "$TMPD/f1.nat" || fail "S3 object read natively: bytes differ"
out=$("${CURL[@]}" -L -I "$P/v1/objects/b/dir/f1")
assert_match "$out" "Ais-Custom-Md: ETag=$(md5 "$TMPD/f1")" "native HEAD shows the ETag"
head -c 70000 /dev/urandom >"$TMPD/n1"
assert_eq "$(http_code "$P/v1/objects/x/n1" -L -T "$TMPD/n1")" 200 "native PUT into ais://x"
assert_eq "$(http_code "$P/v1/objects/b/n1" -L -T "$TMPD/n1")" 200 "native PUT into ais://b"
out=$("${CURL[@]}" -D - -o "$TMPD/n1.got" "$S3/x/n1")
cmp -s "$TMPD/n1" "$TMPD/n1.got" || fail "native object read via S3: bytes differ"
assert_match "$(hdr "$out" ETag)" '^"v1-[0-9a-f]{16}-[0-9a-z]+"$' "xxhash bucket: synthetic ETag"
assert_eq "$(hdr "$out" Content-Type)" application/octet-stream "default Content-Type"
assert_eq "$(hdr "$("${CURL[@]}" -I "$S3/b/n1")" ETag)" "\"$(md5 "$TMPD/n1")\"" "md5 bucket: ETag = checksum"
out=$("${CURL[@]}" -D - -T "$TMPD/n1" "$S3/x/s1")
assert_eq "$(hdr "$out" ETag)" "\"$(md5 "$TMPD/n1")\"" "S3 PUT into an xxhash bucket: ETag = MD5"

# --- CopyObject ----------------------------------------------------------------------
for i in 1 2 3 4 5 6; do
	out=$("${CURL[@]}" -D - -X PUT -H 'x-amz-copy-source: /b/dir/f1' "$S3/b/copy/c$i")
	assert_eq "$(status "$out")" 200 "copy to copy/c$i"
	assert_match "$out" "<ETag>(&quot;|&#34;|\")$(md5 "$TMPD/f1")" "CopyObjectResult ETag"
	assert_match "$out" '<LastModified>[0-9]{4}-[0-9]{2}-[0-9]{2}T' "CopyObjectResult LastModified"
	"${CURL[@]}" -D "$TMPD/h" -o "$TMPD/cp.got" "$S3/b/copy/c$i"
	cmp -s "$TMPD/f1" "$TMPD/cp.got" || fail "copy/c$i: bytes differ"
	assert_eq "$(hdr "$(cat "$TMPD/h")" Content-Type)" text/x-test "copy/c$i keeps Content-Type"
	assert_eq "$(hdr "$(cat "$TMPD/h")" x-amz-meta-owner)" Alice "copy/c$i keeps metadata"
done
# copies land on more than one target (some local, some remote)
n=$(find "$AIS_TMP"/t*/mp* -path '*/copy/c*' -type f | sed 's,/mp.*,,' | sort -u | wc -l)
assert_ge "$n" 2 "copies spread over targets"
out=$("${CURL[@]}" -D - -X PUT -H 'x-amz-copy-source: b/dir%2Ff1' -H 'x-amz-metadata-directive: REPLACE' \
    -H 'Content-Type: text/other' -H 'x-amz-meta-new: yes' "$S3/x/copy/r1")
assert_eq "$(status "$out")" 200 "copy with REPLACE to another bucket"
out=$("${CURL[@]}" -I "$S3/x/copy/r1")
assert_eq "$(hdr "$out" Content-Type)" text/other "REPLACE Content-Type"
assert_eq "$(hdr "$out" x-amz-meta-new)" yes "REPLACE metadata"
assert_eq "$(hdr "$out" x-amz-meta-owner)" "" "REPLACE drops the old metadata"
assert_eq "$(hdr "$out" ETag)" "\"$(md5 "$TMPD/f1")\"" "copy keeps the ETag"
assert_eq "$(http_code "$S3/b/dir/f1" -X PUT -H 'x-amz-copy-source: /b/dir/f1')" 400 "copy onto itself"
assert_eq "$(http_code "$S3/b/copy/z" -X PUT -H 'x-amz-copy-source: /b/nothere')" 404 "copy of a missing key"
assert_eq "$(http_code "$S3/b/copy/z" -X PUT -H 'x-amz-copy-source: /nob/k')" 404 "copy from a missing bucket"

# --- DeleteObject ------------------------------------------------------------------------
assert_eq "$(http_code "$S3/b/copy/c1" -X DELETE)" 204 "DELETE"
assert_eq "$(http_code "$S3/b/copy/c1")" 404 "gone after DELETE"
assert_eq "$(http_code "$S3/b/copy/c1" -X DELETE)" 204 "DELETE of a missing key"

# --- aws CLI ------------------------------------------------------------------------------
cat >"$AIS_TMP/aws.cfg" <<'EOF'
[default]
s3 =
  addressing_style = path
  multipart_threshold = 200MB
EOF
export AWS_CONFIG_FILE=$AIS_TMP/aws.cfg AWS_SHARED_CREDENTIALS_FILE=$AIS_TMP/nocreds
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1
AWS=(aws --endpoint-url "$S3" --cli-read-timeout 120)
"${AWS[@]}" s3 cp "$TMPD/f1" s3://b/cli/f1 >/dev/null || fail "aws s3 cp up"
"${AWS[@]}" s3 cp s3://b/cli/f1 "$TMPD/f1.cli" >/dev/null || fail "aws s3 cp down"
cmp -s "$TMPD/f1" "$TMPD/f1.cli" || fail "aws s3 cp: bytes differ"
head -c $((50 << 20)) /dev/urandom >"$TMPD/big50"
"${AWS[@]}" s3 cp "$TMPD/big50" s3://b/cli/big50 >/dev/null || fail "aws s3 cp 50 MiB"
out=$("${AWS[@]}" s3api put-object --bucket b --key cli/api1 --body "$TMPD/big50" \
    --content-type application/x-big --metadata k1=v1,k2=v2) || fail "s3api put-object"
assert_match "$out" "$(md5 "$TMPD/big50")" "put-object ETag"
out=$("${AWS[@]}" s3api head-object --bucket b --key cli/api1) || fail "head-object"
assert_eq "$(printf '%s' "$out" | json_eval 'd["ContentType"]')" application/x-big "head-object ContentType"
assert_eq "$(printf '%s' "$out" | json_eval 'd["Metadata"]')" '{"k1": "v1", "k2": "v2"}' "head-object Metadata"
assert_eq "$(printf '%s' "$out" | json_eval 'd["ContentLength"]')" $((50 << 20)) "head-object ContentLength"
"${AWS[@]}" s3api get-object --bucket b --key cli/api1 --range bytes=100-199 "$TMPD/r.cli" >/dev/null || fail "get-object --range"
cmp -s "$TMPD/r.cli" <(tail -c +101 "$TMPD/big50" | head -c 100) || fail "get-object --range: bytes differ"
"${AWS[@]}" s3 cp s3://b/cli/big50 "$TMPD/big50.got" >/dev/null || fail "aws s3 cp down 50 MiB"
cmp -s "$TMPD/big50" "$TMPD/big50.got" || fail "50 MiB: bytes differ"
"${AWS[@]}" s3api copy-object --bucket b --key cli/api2 --copy-source b/cli/api1 >/dev/null || fail "copy-object"
out=$("${AWS[@]}" s3api head-object --bucket b --key cli/api2)
assert_eq "$(printf '%s' "$out" | json_eval 'd["Metadata"]')" '{"k1": "v1", "k2": "v2"}' "copy-object keeps Metadata"
"${AWS[@]}" s3 rm s3://b/cli/api2 >/dev/null || fail "aws s3 rm"
assert_eq "$(http_code "$S3/b/cli/api2")" 404 "rm'd object gone"

# --- boto3 ---------------------------------------------------------------------------------
out=$(helper boto "$S3" b "$TMPD/f1" 2>&1) || fail "boto3: $out"
assert_match "$out" 'BOTO OK' "boto3 round trips"

# --- 100 MiB through the reverse proxy ---------------------------------------------------------
head -c $((100 << 20)) /dev/urandom >"$TMPD/big"
out=$("${LONG[@]}" -D - -o /dev/null -T "$TMPD/big" "$S3/b/big")
assert_eq "$(status "$out")" 200 "PUT 100 MiB"
assert_eq "$(hdr "$out" ETag)" "\"$(md5 "$TMPD/big")\"" "100 MiB ETag"
"${LONG[@]}" -o "$TMPD/big.got" "$S3/b/big"
cmp -s "$TMPD/big" "$TMPD/big.got" || fail "100 MiB: bytes differ"
rm -f "$TMPD/big.got" "$TMPD/big50.got"
wk_empty

# --- redirect mode (a second cluster) -----------------------------------------------------------
export AIS_CONFIG_JSON='{"s3": {"redirect": true}}'
start_proxy rp
wait_healthy rp
RP=$(url_of rp)
start_target t8 "$RP"
start_target t9 "$RP"
for n in t8 t9; do wait_healthy "$n"; done
wait_converged 1 2 rp t8 t9 >/dev/null
create_bucket "$RP" rb md5
wait_bucket rb rp t8 t9
RS3=$RP/s3
out=$("${CURL[@]}" -D - -X PUT --data-binary @"$TMPD/f1" "$RS3/rb/k1")
assert_eq "$(status "$out")" 307 "redirect mode: 307"
loc=$(hdr "$out" Location)
assert_match "$loc" "^http://127.0.0.1:[0-9]+/s3/rb/k1\?pid=.+&utm=[0-9]+$" "Location"
assert_match "$out" '<Code>TemporaryRedirect</Code>' "redirect XML code"
assert_match "$out" '<Endpoint>http://127.0.0.1:[0-9]+/s3/rb/k1\?pid=[^<]*&amp;utm=' "redirect XML Endpoint"
assert_match "$(hdr "$out" Content-Type)" '^text/xml' "redirect Content-Type"
out=$("${CURL[@]}" -L -D - -o /dev/null -T "$TMPD/f1" "$RS3/rb/k1")
assert_eq "$(status "$out")" 200 "redirect mode: curl -L PUT"
assert_eq "$(hdr "$out" ETag)" "\"$(md5 "$TMPD/f1")\"" "redirect mode: ETag"
"${CURL[@]}" -L -o "$TMPD/rk1" "$RS3/rb/k1"
cmp -s "$TMPD/f1" "$TMPD/rk1" || fail "redirect mode: GET bytes differ"
assert_eq "$(http_code "$RS3/rb/k1" -I -L)" 200 "redirect mode: HEAD"
# aws-chunked straight to the target (decoded there)
loc=$(hdr "$("${CURL[@]}" -D - -o /dev/null -X PUT "$RS3/rb/c1")" Location)
out=$(helper put_chunked "$loc" "$TMPD/c1")
assert_match "$out" '^HTTP/1.1 200' "redirect mode: aws-chunked PUT at the target"
"${CURL[@]}" -L -o "$TMPD/rc1" "$RS3/rb/c1"
cmp -s "$TMPD/c1" "$TMPD/rc1" || fail "redirect mode: aws-chunked bytes differ"
out=$(helper put_chunked "$loc" "$TMPD/c1" 5)
assert_match "$out" '^HTTP/1.1 400' "redirect mode: wrong decoded length"
assert_eq "$(http_code "$RS3/rb/k1" -X DELETE -L)" 204 "redirect mode: DELETE"
wk_empty
log "21-s3-objects: all checks passed"

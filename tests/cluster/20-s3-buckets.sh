#!/usr/bin/env bash
# 20-s3-buckets: the S3 API's bucket-level operations and listings on
# 1 proxy + 2 targets, with curl and with the real aws CLI (path-style,
# endpoint <proxy>/s3, auth off). ListBuckets at /s3 and /s3/; mb, ls, rb;
# CreateBucket twice -> 409 BucketAlreadyOwnedByYou; S3-created buckets
# have checksum md5 (ETags in listings are the MD5 of the content);
# head-bucket with x-amz-bucket-region; get-bucket-location (empty for
# us-east-1); get/put-bucket-versioning (native props follow); 2,500
# objects PUT through the native API, then list-objects-v2 with real
# pagination (1000-key pages via curl and NextContinuationToken, aws CLI
# --page-size/--max-items), delimiter CommonPrefixes (also with tiny
# pages), prefix, start-after, encoding-type=url, list-objects (V1,
# marker/NextMarker), list-object-versions; delete-objects (missing keys
# count as deleted, Quiet, MalformedXML); rb on a non-empty bucket ->
# BucketNotEmpty; NoSuchBucket errors; unknown subresource -> 501;
# invalid bucket name -> 400; S3 straight to a target -> 400.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v aws >/dev/null || fail "aws CLI not installed (scripts/install-deps.sh: awscli)"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_target t1 "$P"
start_target t2 "$P"
nodes=(p1 t1 t2)
for n in "${nodes[@]}"; do wait_healthy "$n"; done
wait_converged 1 2 "${nodes[@]}" >/dev/null
S3=$P/s3

# --- aws CLI: path-style, dummy keys, no proxies --------------------------------
cat >"$AIS_TMP/aws.cfg" <<'EOF'
[default]
s3 =
  addressing_style = path
EOF
export AWS_CONFIG_FILE=$AIS_TMP/aws.cfg AWS_SHARED_CREDENTIALS_FILE=$AIS_TMP/nocreds
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" NO_PROXY='*' no_proxy='*'
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy
awsc() { timeout 120 aws --endpoint-url "$S3" --output json "$@"; }
# awsfail CODE WHAT ARGS...: the aws command must fail mentioning CODE.
awsfail() {
	local code=$1 what=$2 out
	shift 2
	if out=$(awsc "$@" 2>&1); then
		fail "$what: expected $code, aws succeeded: $out"
	fi
	assert_match "$out" "$code" "$what"
}

# --- curl: status in $CODE, body in $BODY, headers in $HDRS ---------------------
CODE= BODY= HDRS=
s3req() { # METHOD PATH [CURL ARGS...]
	local m=$1 path=$2 out
	shift 2
	out=$(curl -s --noproxy '*' --max-time 60 -X "$m" -D "$AIS_TMP/hdrs" \
	    -w '\n%{http_code}' "$@" "$S3$path") || fail "$m $path: no answer"
	CODE=${out##*$'\n'}
	BODY=${out%$'\n'*}
	HDRS=$(tr -d '\r' <"$AIS_TMP/hdrs")
}
expect() { # STATUS WHAT [BODY ERE]
	[ "$CODE" = "$1" ] || fail "$2: expected $1, got $CODE: $BODY"
	[ -z "${3:-}" ] || assert_match "$BODY" "$3" "$2 (body)"
}

# xq EXPR: a python expression over the XML on stdin: `t(tag)` = text of
# the first element, `a(tag)` = texts of all, `n(tag)` = how many
# (namespaces stripped).
XQ=$AIS_TMP/xq.py
cat >"$XQ" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
for e in root.iter():
    e.tag = e.tag.split("}", 1)[-1]
def a(tag):
    return [e.text or "" for e in root.iter(tag)]
def t(tag):
    v = a(tag)
    return v[0] if v else "<none>"
def n(tag):
    return len(a(tag))
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
EOF
xq() { "$PY" "$XQ" "$1"; }

# --- ListBuckets, CreateBucket ---------------------------------------------------
s3req GET ""
expect 200 "ListBuckets (GET /s3)" '<ListAllMyBucketsResult'
assert_eq "$(xq 'n("Bucket")' <<<"$BODY")" 0 "no buckets yet"
assert_match "$HDRS" '^x-amz-request-id: [0-9A-F]{16}$' "request id header"
s3req GET "/"
expect 200 "ListBuckets (GET /s3/)" '<ListAllMyBucketsResult'
owner=$(xq 't("ID")' <<<"$BODY")
assert_match "$owner" '^[0-9a-f]{64}$' "owner ID"

awsc s3 mb s3://s3b >/dev/null || fail "aws s3 mb"
out=$(awsc s3 ls) || fail "aws s3 ls"
assert_match "$out" ' s3b$' "aws s3 ls lists s3b"
s3req GET ""
assert_eq "$(xq 'a("Name")' <<<"$BODY")" '["s3b"]' "ListBuckets names"
assert_match "$(xq 't("CreationDate")' <<<"$BODY")" \
    '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' "CreationDate"
assert_eq "$(xq 't("ID")' <<<"$BODY")" "$owner" "owner ID stable"
awsfail BucketAlreadyOwnedByYou "create an existing bucket" s3api create-bucket --bucket s3b
s3req PUT "/s3b"
expect 409 "PUT an existing bucket (curl)" '<Code>BucketAlreadyOwnedByYou</Code>'
s3req PUT "/Bad..name"
expect 400 "invalid bucket name" '<Code>InvalidBucketName</Code>'
props=$(curl -s --noproxy '*' -I "$P/v1/buckets/s3b?provider=ais" | tr -d '\r' |
    sed -n 's/^Ais-Bucket-Props: //Ip')
assert_eq "$(json_eval 'd["checksum"]["type"]' <<<"$props")" md5 "S3 bucket checksum type"

# --- HeadBucket, location, versioning ---------------------------------------------
awsc s3api head-bucket --bucket s3b >/dev/null || fail "head-bucket"
s3req HEAD "/s3b" -I
expect 200 "HEAD bucket"
assert_match "$HDRS" '^x-amz-bucket-region: us-east-1$' "bucket region header"
assert_match "$HDRS" '^Server: AIStore$' "Server header"
out=$(awsc s3api get-bucket-location --bucket s3b) || fail "get-bucket-location"
assert_eq "$(json_eval 'd.get("LocationConstraint")' <<<"$out")" null "location (us-east-1)"
s3req GET "/s3b?location"
expect 200 "GetBucketLocation" '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>'
# AIS buckets are versioned by default (bucket props versioning.enabled)
out=$(awsc s3api get-bucket-versioning --bucket s3b) || fail "get-bucket-versioning"
assert_eq "$(json_eval 'd.get("Status")' <<<"$out")" Enabled "versioning initially"
awsc s3api put-bucket-versioning --bucket s3b --versioning-configuration Status=Suspended ||
    fail "put-bucket-versioning Suspended"
out=$(awsc s3api get-bucket-versioning --bucket s3b) || fail "get-bucket-versioning"
assert_eq "$(json_eval 'd.get("Status")' <<<"$out")" Suspended "versioning suspended"
props=$(curl -s --noproxy '*' -I "$P/v1/buckets/s3b?provider=ais" | tr -d '\r' |
    sed -n 's/^Ais-Bucket-Props: //Ip')
assert_eq "$(json_eval 'd["versioning"]["enabled"]' <<<"$props")" false "native versioning.enabled"
awsc s3api put-bucket-versioning --bucket s3b --versioning-configuration Status=Enabled ||
    fail "put-bucket-versioning Enabled"
out=$(awsc s3api get-bucket-versioning --bucket s3b) || fail "get-bucket-versioning"
assert_eq "$(json_eval 'd.get("Status")' <<<"$out")" Enabled "versioning enabled again"
s3req PUT "/s3b?versioning" --data-binary '<VersioningConfiguration><Status>Maybe</Status>'
expect 400 "PutBucketVersioning with a bad body" '<Code>MalformedXML</Code>'

# --- errors --------------------------------------------------------------------------
awsfail '404|Not Found' "head-bucket of a missing bucket" s3api head-bucket --bucket nob
awsfail NoSuchBucket "ls of a missing bucket" s3 ls s3://nob
awsfail NoSuchBucket "rb of a missing bucket" s3 rb s3://nob
s3req GET "/nob"
expect 404 "list a missing bucket" '<Code>NoSuchBucket</Code>.*<Resource>/s3/nob</Resource><RequestId>[0-9A-F]{16}</RequestId>'
s3req GET "/s3b?acl"
expect 501 "GET ?acl" '<Code>NotImplemented</Code>'
s3req PUT "/s3b?cors" --data-binary '<CORSConfiguration/>'
expect 501 "PUT ?cors" '<Code>NotImplemented</Code>'
s3req GET "/nob?policy"
expect 404 "GET ?policy on a missing bucket" '<Code>NoSuchBucket</Code>'
s3req POST "/s3b"
expect 501 "POST a bucket without ?delete" '<Code>NotImplemented</Code>'
s3req GET "/s3b?max-keys=abc"
expect 400 "bad max-keys" '<Code>InvalidArgument</Code>'
code=$(curl -s --noproxy '*' -o "$AIS_TMP/tbody" -w '%{http_code}' "$(url_of t1)/s3/s3b")
assert_eq "$code" 400 "S3 request sent to a target"
assert_match "$(cat "$AIS_TMP/tbody")" '<Code>InvalidRequest</Code>' "target refusal body"

# --- 2,500 objects through the native API ------------------------------------------------
NOBJ=2500
NAMES=$AIS_TMP/names
{
	for ((i = 0; i < 2000; i++)); do printf 'obj-%04d\n' "$i"; done
	for ((i = 0; i < 200; i++)); do printf 'd1/f%03d\n' "$i"; done
	for ((i = 0; i < 100; i++)); do printf 'd2/s/g%03d\n' "$i"; done
	for ((i = 0; i < 100; i++)); do printf 'd3/h%03d\n' "$i"; done
	for ((i = 0; i < 99; i++)); do printf 'z-%03d\n' "$i"; done
	printf 'z-a+b&c\n'
} >"$NAMES"
assert_eq "$(wc -l <"$NAMES")" "$NOBJ" "names generated"
printf '0123456789' >"$AIS_TMP/obj10"
log "PUT $NOBJ objects"
t0=$SECONDS
export P AIS_TMP
# shellcheck disable=SC2016
timeout 240 xargs -P8 -n 50 bash -c '
	for n in "$@"; do
		e=${n//+/%2B}; e=${e//&/%26}
		code=$(curl -s --noproxy "*" --max-time 20 -L -T "$AIS_TMP/obj10" \
		    -o /dev/null -w "%{http_code}" "$P/v1/objects/s3b/$e?provider=ais")
		[ "$code" = 200 ] || { echo "PUT $n: $code" >&2; exit 255; }
	done' _ <"$NAMES" || fail "PUT of the objects failed"
log "PUT done in $((SECONDS - t0))s"
sort "$NAMES" >"$AIS_TMP/sorted"

# --- ListObjectsV2 with curl: 1000-key pages and tokens ------------------------------------
s3req GET "/s3b?list-type=2"
expect 200 "ListObjectsV2" '<ListBucketResult'
assert_eq "$(xq 't("KeyCount")' <<<"$BODY")" 1000 "first page KeyCount"
assert_eq "$(xq 't("MaxKeys")' <<<"$BODY")" 1000 "MaxKeys default"
assert_eq "$(xq 't("IsTruncated")' <<<"$BODY")" true "first page truncated"
assert_eq "$(xq 't("NextContinuationToken")' <<<"$BODY")" "$(sed -n 1000p "$AIS_TMP/sorted")" \
    "NextContinuationToken = last key"
assert_eq "$(xq 't("ETag")' <<<"$BODY")" '"781e5e245d69b566979b86e28d23f2c7"' "ETag = MD5"
assert_eq "$(xq 't("Size")' <<<"$BODY")" 10 "Size"
assert_eq "$(xq 't("StorageClass")' <<<"$BODY")" STANDARD "StorageClass"
assert_match "$(xq 't("LastModified")' <<<"$BODY")" \
    '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' "LastModified"
assert_eq "$(xq 'n("Owner")' <<<"$BODY")" 0 "no Owner without fetch-owner"
: >"$AIS_TMP/v2"
tok="" pages=0
while :; do
	q="list-type=2&max-keys=1000"
	[ -z "$tok" ] || q="$q&continuation-token=$("$PY" -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$tok")"
	s3req GET "/s3b?$q"
	expect 200 "ListObjectsV2 page $pages"
	xq '"\n".join(a("Key"))' <<<"$BODY" >>"$AIS_TMP/v2"
	pages=$((pages + 1))
	[ "$(xq 't("IsTruncated")' <<<"$BODY")" = true ] || break
	tok=$(xq 't("NextContinuationToken")' <<<"$BODY")
	[ "$pages" -lt 10 ] || fail "too many pages"
done
assert_eq "$pages" 3 "V2 pages of 1000"
cmp -s "$AIS_TMP/v2" "$AIS_TMP/sorted" || fail "V2 pages: names differ from what was PUT"
s3req GET "/s3b?list-type=2&max-keys=5&start-after=obj-1997&fetch-owner=true"
assert_eq "$(xq 'a("Key")' <<<"$BODY")" '["obj-1998", "obj-1999", "z-000", "z-001", "z-002"]' "start-after"
assert_eq "$(xq 't("StartAfter")' <<<"$BODY")" obj-1997 "StartAfter echoed"
assert_eq "$(xq 'n("Owner")' <<<"$BODY")" 5 "fetch-owner"
s3req GET "/s3b?list-type=2&prefix=z-a&encoding-type=url"
assert_eq "$(xq 'a("Key")' <<<"$BODY")" '["z-a%2Bb%26c"]' "encoding-type=url"
assert_eq "$(xq 't("EncodingType")' <<<"$BODY")" url "EncodingType echoed"
s3req GET "/s3b?list-type=2&max-keys=0"
assert_eq "$(xq 't("KeyCount")' <<<"$BODY")" 0 "max-keys=0"

# --- delimiter ------------------------------------------------------------------------------------
s3req GET "/s3b?list-type=2&delimiter=/&max-keys=2"
assert_eq "$(xq 'a("Prefix")[1:]' <<<"$BODY")" '["d1/", "d2/"]' "CommonPrefixes page 1"
assert_eq "$(xq 't("KeyCount")' <<<"$BODY")" 2 "KeyCount counts prefixes"
assert_eq "$(xq 't("IsTruncated")' <<<"$BODY")" true "delimiter page truncated"
tok=$(xq 't("NextContinuationToken")' <<<"$BODY")
assert_eq "$tok" d2/ "token after a common prefix"
s3req GET "/s3b?list-type=2&delimiter=/&max-keys=2&continuation-token=d2%2F"
assert_eq "$(xq 'a("Prefix")[1:]' <<<"$BODY")" '["d3/"]' "CommonPrefixes page 2"
assert_eq "$(xq 'a("Key")' <<<"$BODY")" '["obj-0000"]' "keys after the prefixes"
s3req GET "/s3b?list-type=2&delimiter=/&prefix=d2/"
assert_eq "$(xq 'a("Prefix")' <<<"$BODY")" '["d2/", "d2/s/"]' "nested prefix"
assert_eq "$(xq 'n("Contents")' <<<"$BODY")" 0 "no keys directly under d2/"
for ps in 1000 7; do
	out=$(awsc s3api list-objects-v2 --bucket s3b --delimiter / --page-size "$ps") ||
	    fail "list-objects-v2 --delimiter / --page-size $ps"
	assert_eq "$(json_eval '[p["Prefix"] for p in d.get("CommonPrefixes", [])]' <<<"$out")" \
	    '["d1/", "d2/", "d3/"]' "aws CommonPrefixes (page size $ps)"
	assert_eq "$(json_eval 'len(d.get("Contents", []))' <<<"$out")" 2100 \
	    "aws keys next to the prefixes (page size $ps)"
done

# --- aws CLI pagination ---------------------------------------------------------------------------
out=$(awsc s3api list-objects-v2 --bucket s3b --page-size 1000) || fail "list-objects-v2"
json_eval '"\n".join(c["Key"] for c in d["Contents"])' <<<"$out" >"$AIS_TMP/awsv2"
cmp -s "$AIS_TMP/awsv2" "$AIS_TMP/sorted" || fail "aws list-objects-v2: names differ"
out=$(awsc s3api list-objects-v2 --bucket s3b --page-size 700 --max-items 1500) ||
    fail "list-objects-v2 --max-items"
assert_eq "$(json_eval 'len(d["Contents"])' <<<"$out")" 1500 "--max-items 1500"
assert_nonempty "$(json_eval 'd.get("NextToken", "")' <<<"$out")" "NextToken after --max-items"
nt=$(json_eval 'd["NextToken"]' <<<"$out")
out=$(awsc s3api list-objects-v2 --bucket s3b --page-size 700 --starting-token "$nt") ||
    fail "list-objects-v2 --starting-token"
assert_eq "$(json_eval 'len(d["Contents"])' <<<"$out")" 1000 "the rest after --starting-token"
out=$(awsc s3 ls s3://s3b/d1/) || fail "aws s3 ls s3://s3b/d1/"
assert_eq "$(grep -c ' d*f[0-9]' <<<"$out")" 200 "aws s3 ls of a prefix"
out=$(awsc s3 ls --recursive s3://s3b) || fail "aws s3 ls --recursive"
assert_eq "$(grep -c . <<<"$out")" "$NOBJ" "aws s3 ls --recursive"

# --- V1 and versions ------------------------------------------------------------------------------
out=$(awsc s3api list-objects --bucket s3b --page-size 1000) || fail "list-objects (V1)"
json_eval '"\n".join(c["Key"] for c in d["Contents"])' <<<"$out" >"$AIS_TMP/awsv1"
cmp -s "$AIS_TMP/awsv1" "$AIS_TMP/sorted" || fail "aws list-objects (V1): names differ"
s3req GET "/s3b?max-keys=3&marker=obj-0100"
assert_eq "$(xq 'a("Key")' <<<"$BODY")" '["obj-0101", "obj-0102", "obj-0103"]' "V1 marker"
assert_eq "$(xq 't("Marker")' <<<"$BODY")" obj-0100 "Marker echoed"
assert_eq "$(xq 't("NextMarker")' <<<"$BODY")" obj-0103 "NextMarker"
assert_eq "$(xq 'n("KeyCount")' <<<"$BODY")" 0 "no KeyCount in V1"
out=$(awsc s3api list-object-versions --bucket s3b --prefix d1/ --page-size 50) ||
    fail "list-object-versions"
assert_eq "$(json_eval 'len(d["Versions"])' <<<"$out")" 200 "versions under d1/"
assert_eq "$(json_eval 'sorted(set((v["VersionId"], v["IsLatest"]) for v in d["Versions"]))' <<<"$out")" \
    '[["null", true]]' "VersionId null, IsLatest"
s3req GET "/s3b?versions&max-keys=2&key-marker=d1/f005"
assert_eq "$(xq 'a("Key")' <<<"$BODY")" '["d1/f006", "d1/f007"]' "versions key-marker"
assert_eq "$(xq 't("NextKeyMarker")' <<<"$BODY")" d1/f007 "NextKeyMarker"
s3req GET "/s3b?uploads"
expect 200 "ListMultipartUploads" '<ListMultipartUploadsResult'

# --- DeleteObjects --------------------------------------------------------------------------------
out=$(awsc s3api delete-objects --bucket s3b \
    --delete '{"Objects":[{"Key":"d1/f000"},{"Key":"d1/f001"},{"Key":"no/such"},{"Key":"z-a+b&c","VersionId":"null"}]}') ||
    fail "delete-objects"
assert_eq "$(json_eval 'sorted(x["Key"] for x in d.get("Deleted", []))' <<<"$out")" \
    '["d1/f000", "d1/f001", "no/such", "z-a+b&c"]' "delete-objects: every key deleted"
assert_eq "$(json_eval 'len(d.get("Errors", []))' <<<"$out")" 0 "delete-objects: no errors"
out=$(awsc s3api delete-objects --bucket s3b \
    --delete '{"Objects":[{"Key":"d1/f002"}],"Quiet":true}') || fail "delete-objects quiet"
assert_eq "$(json_eval 'len(d.get("Deleted", []))' <<<"${out:-"{}"}")" 0 "Quiet: nothing reported"
out=$(awsc s3api list-objects-v2 --bucket s3b --prefix d1/) || fail "list after delete"
assert_eq "$(json_eval 'len(d["Contents"])' <<<"$out")" 197 "3 keys gone from d1/"
s3req GET "/s3b?list-type=2&prefix=z-a"
assert_eq "$(xq 'n("Contents")' <<<"$BODY")" 0 "special-character key deleted"
s3req POST "/s3b?delete" --data-binary '<Delete><Object><Key>x</Key>'
expect 400 "truncated Delete document" '<Code>MalformedXML</Code>'
s3req POST "/s3b?delete" --data-binary 'not xml at all'
expect 400 "garbage Delete document" '<Code>MalformedXML</Code>'

# --- DeleteBucket ---------------------------------------------------------------------------------
awsfail BucketNotEmpty "rb of a non-empty bucket" s3 rb s3://s3b
s3req DELETE "/s3b"
expect 409 "DELETE a non-empty bucket" '<Code>BucketNotEmpty</Code>'
awsc s3 mb s3://s3e >/dev/null || fail "mb s3e"
awsc s3 rb s3://s3e >/dev/null || fail "rb of an empty bucket"
out=$(awsc s3 ls) || fail "aws s3 ls"
assert_eq "$(grep -c ' s3e$' <<<"$out" || true)" 0 "s3e gone"
s3req DELETE "/s3e"
expect 404 "DELETE a deleted bucket" '<Code>NoSuchBucket</Code>'
s3req HEAD "/s3e" -I
expect 404 "HEAD a deleted bucket"
log "20-s3-buckets OK"

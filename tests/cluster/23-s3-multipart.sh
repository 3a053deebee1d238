#!/usr/bin/env bash
# 23-s3-multipart: S3 multipart uploads on 1 proxy + 3 targets through the
# proxy's reverse proxy. Covered: `aws s3 cp` of a 50 MiB file (the CLI's
# default 8 MiB threshold and chunks: 7 parts) both ways, byte-exact, ETag
# "<md5>-7"; boto3 low-level create (with Content-Type and metadata), upload
# parts (5 MiB + a small last one), re-upload of a part, ListParts (and its
# pagination), ListMultipartUploads, complete -> GET equal with the create's
# metadata and the "-2" ETag, the object through the native /v1/objects;
# refusals: EntityTooSmall, InvalidPart (wrong ETag, missing part),
# InvalidPartOrder, MalformedXML, NoSuchUpload (unknown upload, after abort,
# after complete); abort removes the parts.
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

TMPD=$AIS_TMP/data
mkdir -p "$TMPD"
LONG=(curl -s --noproxy '*' --max-time 120)

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
S3=$P/s3
code=$(http_code "$P/v1/buckets/mp" -X POST -H 'Content-Type: application/json' \
    -d '{"action":"create-bck","value":{"checksum":{"type":"xxhash2"}}}')
assert_eq "$code" 200 "create-bck ais://mp"
for i in $(seq 1 100); do
	ok=1
	for n in t1 t2 t3; do
		get_json "$n" '/v1/daemon?what=bmd' | grep -q '"mp"' || ok=0
	done
	[ $ok = 1 ] && break
	sleep 0.1
done

# --- aws CLI: 50 MiB in 7 parts ----------------------------------------------------------
cat >"$AIS_TMP/aws.cfg" <<'CFG'
[default]
s3 =
  addressing_style = path
CFG
export AWS_CONFIG_FILE=$AIS_TMP/aws.cfg AWS_SHARED_CREDENTIALS_FILE=$AIS_TMP/nocreds
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1
AWS=(aws --endpoint-url "$S3" --cli-read-timeout 120)
head -c $((50 << 20)) /dev/urandom >"$TMPD/big50"
"${AWS[@]}" s3 cp "$TMPD/big50" s3://mp/cli/big50 >/dev/null || fail "aws s3 cp up (multipart)"
out=$("${AWS[@]}" s3api head-object --bucket mp --key cli/big50) || fail "head-object"
assert_match "$out" '"ETag": "\\"[0-9a-f]{32}-7\\""' "multipart ETag with -7"
assert_eq "$(printf '%s' "$out" | json_eval 'd["ContentLength"]')" $((50 << 20)) "ContentLength"
"${AWS[@]}" s3 cp s3://mp/cli/big50 "$TMPD/big50.got" >/dev/null || fail "aws s3 cp down"
cmp -s "$TMPD/big50" "$TMPD/big50.got" || fail "50 MiB multipart: bytes differ"
"${LONG[@]}" -o "$TMPD/big50.nat" "$P/v1/objects/mp/cli/big50" -L || fail "native GET"
cmp -s "$TMPD/big50" "$TMPD/big50.nat" || fail "native GET of a multipart object: bytes differ"
left=$(find -L "$AIS_TMP"/t*/mp* -path '*/%mp/*' 2>/dev/null | head -n 3)
assert_eq "$left" "" "no upload directories left after complete"

# --- boto3 low-level ---------------------------------------------------------------------
cat >"$AIS_TMP/mpu.py" <<'PYEOF'
import hashlib, sys
import boto3, botocore.config, botocore.exceptions

ep, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1",
                  aws_access_key_id="x", aws_secret_access_key="y",
                  config=botocore.config.Config(s3={"addressing_style": "path"},
                                                retries={"max_attempts": 1}))

def code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error from %s" % fn.__name__)

p1 = bytes(range(256)) * (5 * 4096)      # 5 MiB
p2 = b"tail-of-the-object" * 1000
c = s3.create_multipart_upload(Bucket=bucket, Key="lo/obj", ContentType="text/x-mp",
                               Metadata={"color": "green"})
uid = c["UploadId"]
assert c["Key"] == "lo/obj" and len(uid) >= 9, c
e1 = s3.upload_part(Bucket=bucket, Key="lo/obj", UploadId=uid, PartNumber=1, Body=b"junk")["ETag"]
assert e1.strip('"') == hashlib.md5(b"junk").hexdigest()
e1 = s3.upload_part(Bucket=bucket, Key="lo/obj", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
assert e1.strip('"') == hashlib.md5(p1).hexdigest(), "re-uploaded part ETag"
e2 = s3.upload_part(Bucket=bucket, Key="lo/obj", UploadId=uid, PartNumber=2, Body=p2)["ETag"]
lp = s3.list_parts(Bucket=bucket, Key="lo/obj", UploadId=uid)
got = [(p["PartNumber"], p["ETag"], p["Size"]) for p in lp["Parts"]]
assert got == [(1, e1, len(p1)), (2, e2, len(p2))], got
assert all("LastModified" in p for p in lp["Parts"])
lp = s3.list_parts(Bucket=bucket, Key="lo/obj", UploadId=uid, MaxParts=1)
assert lp["IsTruncated"] and [p["PartNumber"] for p in lp["Parts"]] == [1], lp
lp = s3.list_parts(Bucket=bucket, Key="lo/obj", UploadId=uid, PartNumberMarker=1)
assert not lp["IsTruncated"] and [p["PartNumber"] for p in lp["Parts"]] == [2], lp
# a second upload of another key, aborted below
u2 = s3.create_multipart_upload(Bucket=bucket, Key="lo/other")["UploadId"]
s3.upload_part(Bucket=bucket, Key="lo/other", UploadId=u2, PartNumber=1, Body=b"x" * 100)
lu = s3.list_multipart_uploads(Bucket=bucket)
ups = sorted((u["Key"], u["UploadId"]) for u in lu.get("Uploads", []))
assert ups == [("lo/obj", uid), ("lo/other", u2)], ups
assert all("Initiated" in u for u in lu["Uploads"])
lu = s3.list_multipart_uploads(Bucket=bucket, Prefix="lo/ot")
assert [u["Key"] for u in lu.get("Uploads", [])] == ["lo/other"], lu

# refusals (the upload stays intact)
small = s3.upload_part(Bucket=bucket, Key="lo/small", UploadId=s3.create_multipart_upload(
    Bucket=bucket, Key="lo/small")["UploadId"], PartNumber=1, Body=b"s" * 1000)
assert code(s3.complete_multipart_upload, Bucket=bucket, Key="lo/obj", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2},
                                       {"PartNumber": 3, "ETag": e2}]}) == "EntityTooSmall"
assert code(s3.complete_multipart_upload, Bucket=bucket, Key="lo/obj", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2},
                                       {"PartNumber": 2, "ETag": e2}]}) == "InvalidPart"
assert code(s3.complete_multipart_upload, Bucket=bucket, Key="lo/obj", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 5, "ETag": e2}]}) == "InvalidPart"
assert code(s3.complete_multipart_upload, Bucket=bucket, Key="lo/obj", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2},
                                       {"PartNumber": 1, "ETag": e1}]}) == "InvalidPartOrder"
assert code(s3.complete_multipart_upload, Bucket=bucket, Key="lo/obj", UploadId="Nosuchupload1",
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]}) == "NoSuchUpload"
assert code(s3.upload_part, Bucket=bucket, Key="lo/obj", UploadId="Nosuchupload1",
            PartNumber=1, Body=b"x") == "NoSuchUpload"
assert code(s3.list_parts, Bucket=bucket, Key="lo/obj", UploadId="Nosuchupload1") == "NoSuchUpload"
assert code(s3.upload_part, Bucket=bucket, Key="lo/obj", UploadId=uid,
            PartNumber=10001, Body=b"x") == "InvalidArgument"

r = s3.complete_multipart_upload(Bucket=bucket, Key="lo/obj", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                            {"PartNumber": 2, "ETag": e2}]})
want = hashlib.md5(hashlib.md5(p1).digest() + hashlib.md5(p2).digest()).hexdigest() + "-2"
assert r["ETag"] == '"%s"' % want and r["Key"] == "lo/obj" and r["Bucket"] == bucket, r
g = s3.get_object(Bucket=bucket, Key="lo/obj")
assert g["Body"].read() == p1 + p2, "GET after complete"
assert g["ETag"] == '"%s"' % want, g["ETag"]
assert g["ContentType"] == "text/x-mp" and g["Metadata"] == {"color": "green"}, g
assert code(s3.list_parts, Bucket=bucket, Key="lo/obj", UploadId=uid) == "NoSuchUpload"
assert code(s3.complete_multipart_upload, Bucket=bucket, Key="lo/obj", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]}) == "NoSuchUpload"

# abort
s3.abort_multipart_upload(Bucket=bucket, Key="lo/other", UploadId=u2)
assert code(s3.list_parts, Bucket=bucket, Key="lo/other", UploadId=u2) == "NoSuchUpload"
assert code(s3.abort_multipart_upload, Bucket=bucket, Key="lo/other", UploadId=u2) == "NoSuchUpload"
assert code(s3.upload_part, Bucket=bucket, Key="lo/other", UploadId=u2, PartNumber=2,
            Body=b"x") == "NoSuchUpload"
lu = s3.list_multipart_uploads(Bucket=bucket)
assert [u["Key"] for u in lu.get("Uploads", [])] == ["lo/small"], lu
print("MPU OK %s" % want)
PYEOF
out=$("$BOTO_PY" "$AIS_TMP/mpu.py" "$S3" mp 2>&1) || fail "boto3 multipart: $out"
assert_match "$out" '^MPU OK [0-9a-f]{32}-2$' "boto3 multipart"
etag=${out#MPU OK }

# the completed object through the native API, and the parts of the aborted upload gone
out=$("${LONG[@]}" -D - -o "$TMPD/lo.nat" "$P/v1/objects/mp/lo/obj" -L)
assert_eq "$(wc -c <"$TMPD/lo.nat")" $((5 * 1048576 + 18000)) "native GET size"
left=$(find -L "$AIS_TMP"/t*/mp* -path '*/%mp/*' -name 'part-*' 2>/dev/null | wc -l)
assert_eq "$left" 1 "only the part of the pending upload is left"

# MalformedXML and the upload left as it was
upid=$("${LONG[@]}" -X POST "$S3/mp/bad?uploads" | sed -n 's/.*<UploadId>\([^<]*\)<.*/\1/p')
assert_nonempty "$upid" "create for MalformedXML"
out=$("${LONG[@]}" -D - -X POST -d '<Complete><oops' "$S3/mp/bad?uploadId=$upid")
assert_match "$out" '<Code>MalformedXML</Code>' "MalformedXML"
assert_eq "$(http_code "$S3/mp/bad?uploadId=$upid" -X DELETE)" 204 "abort after MalformedXML"
assert_eq "$(http_code "$S3/mp/bad?uploadId=$upid" -X DELETE)" 404 "abort again: NoSuchUpload"
assert_eq "$(http_code "$S3/mp/bad?partNumber=1&uploadId=$upid" -X PUT -H 'x-amz-copy-source: /mp/lo/obj')" 501 "UploadPartCopy: 501"
log "23-s3-multipart: OK (ETag $etag)"

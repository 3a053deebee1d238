#!/usr/bin/env bash
# 22-s3-auth: SigV4 verification on /s3 (s3-api.md sections 7, 8, 11) on
# 1 proxy + 2 targets whose cluster config turns "s3.auth_required" on with
# two access key pairs (two users). The secrets are censored on config GET.
# Requests signed with either user's right keys pass -- boto3, the aws CLI,
# curl --aws-sigv4 and a small independent signer below -- while a wrong
# secret -> 403 SignatureDoesNotMatch, an unknown key -> 403
# InvalidAccessKeyId, no signature -> 403 AccessDenied, a stale x-amz-date
# -> 403 RequestTimeTooSkewed, a malformed header -> 400. Presigned GETs
# made by boto3 work with plain curl until they expire (X-Amz-Expires=1,
# sleep 2 -> 403 AccessDenied "Request has expired"); a tampered one fails.
# A chunk-signed upload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) passes, and
# with one chunk signature altered it is refused.
#
# Needs python3 with boto3 and the aws CLI (scripts/install-deps.sh:
# python3-boto3, awscli).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AK1=AKIAAISTESTUSER0001
SK1='wJalrXUtnFEMI/K7MDENG+bPxRfiCYUSER0001'
AK2=AKIAAISTESTUSER0002
SK2='second/user+secret=key'
export AIS_CONFIG_JSON="{\"s3\": {\"auth_required\": true, \"keys\": {\"$AK1\": \"$SK1\", \"$AK2\": \"$SK2\"}}}"

# Tools: a python3 with boto3, and the aws CLI.
BOTO_PY=
for py in "$PY" /usr/bin/python3 python3; do
	if "$py" -c 'import boto3' 2>/dev/null; then
		BOTO_PY=$py
		break
	fi
done
[ -n "$BOTO_PY" ] || fail "no python3 with boto3 (install python3-boto3: scripts/install-deps.sh)"
AWS=$(command -v aws || true)
[ -n "$AWS" ] || fail "no aws CLI (install awscli: scripts/install-deps.sh)"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_target t1 "$P"
start_target t2 "$P"
for n in p1 t1 t2; do wait_healthy "$n"; done
wait_converged 1 2 p1 t1 t2 >/dev/null
S3=$P/s3

# --- the config: auth on, secrets censored -----------------------------------
cfg=$(get_json p1 '/v1/cluster?what=cluster_config')
assert_eq "$(printf '%s' "$cfg" | json_eval 'd["s3"]["auth_required"]')" true "s3.auth_required"
assert_eq "$(printf '%s' "$cfg" | json_eval 'sorted(d["s3"]["keys"].items())')" \
	"[[\"$AK1\", \"**********\"], [\"$AK2\", \"**********\"]]" "s3.keys censored on GET"
cfg=$(get_json p1 '/v1/daemon?what=config')
[[ $cfg != *"$SK1"* && $cfg != *"$SK2"* ]] || fail "a secret key leaked in GET what=config"

# --- helpers -------------------------------------------------------------------
HELPER=$AIS_TMP/s3auth.py
cat >"$HELPER" <<'EOF'
# s3auth.py MODE ...: prints "<status> <S3 error code or ->" or "OK ...".
#   raw METHOD URL AK SK [SKEW_SECS]       request signed by hand (below)
#   chunked URL AK SK SIZE [tamper]        aws-chunked PUT, chunk-signed
#   boto ENDPOINT AK SK OP [ARGS...]       boto3: ls | mb B | put B K FILE |
#                                          get B K | presign B K SECS | rb B
import datetime, hashlib, hmac, http.client, re, sys, urllib.parse

def sha(b):
    return hashlib.sha256(b).hexdigest()

def hm(k, m):
    return hmac.new(k, m.encode(), hashlib.sha256).digest()

def skey(sk, d):
    k = hm(("AWS4" + sk).encode(), d)
    for part in ("us-east-1", "s3", "aws4_request"):
        k = hm(k, part)
    return k

def q(s, safe):
    return urllib.parse.quote(s, safe=safe)

def sign(method, url, ak, sk, hdrs, payload, skew=0):
    """An independent SigV4 signer (the AWS documentation's recipe)."""
    u = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=skew)
    amz = now.strftime("%Y%m%dT%H%M%SZ")
    h = {k.lower(): str(v) for k, v in hdrs.items()}
    h["host"] = u.netloc
    h["x-amz-date"] = amz
    h["x-amz-content-sha256"] = payload
    names = sorted(h)
    cq = "&".join(sorted("%s=%s" % (q(k, "-_.~"), q(v, "-_.~"))
                         for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True)))
    creq = "\n".join([method, q(urllib.parse.unquote(u.path), "/-_.~"), cq,
                      "".join("%s:%s\n" % (k, " ".join(h[k].split())) for k in names),
                      ";".join(names), payload])
    scope = amz[:8] + "/us-east-1/s3/aws4_request"
    key = skey(sk, amz[:8])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, sha(creq.encode())])
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                          % (ak, scope, ";".join(names), sig))
    return h, key, amz, scope, sig

def send(method, url, h, body=b""):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    path = u.path + ("?" + u.query if u.query else "")
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    m = re.search(rb"<Code>(.*?)</Code>", data)
    print(r.status, m.group(1).decode() if m else "-")

def raw(method, url, ak, sk, skew="0"):
    h, *_ = sign(method, url, ak, sk, {}, "UNSIGNED-PAYLOAD", int(skew))
    send(method, url, h)

def chunked(url, ak, sk, size, tamper=""):
    data = bytes((i * 7) % 251 for i in range(int(size)))
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)] + [b""]
    # Content-Length is signed: compute the encoded length first (the
    # signatures are 64 hex digits whatever they are).
    enc_len = sum(len("%x;chunk-signature=%s\r\n" % (len(c), "0" * 64)) + len(c) + 2
                  for c in chunks)
    hdrs = {"Content-Encoding": "aws-chunked", "Content-Length": str(enc_len),
            "x-amz-decoded-content-length": str(len(data))}
    h, key, amz, scope, prev = sign("PUT", url, ak, sk, hdrs,
                                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = b""
    for i, c in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz, scope, prev, sha(b""), sha(c)])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if tamper and i == 1:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        body += b"%x;chunk-signature=%s\r\n" % (len(c), sig.encode()) + c + b"\r\n"
    assert len(body) == enc_len
    send("PUT", url, h, body)
    sys.stdout.flush()
    print("SHA", sha(data))

def boto(endpoint, ak, sk, op, *args):
    import boto3, botocore.config, botocore.exceptions
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=ak, aws_secret_access_key=sk,
                      config=botocore.config.Config(signature_version="s3v4",
                                                    s3={"addressing_style": "path"},
                                                    retries={"max_attempts": 1}))
    try:
        if op == "ls":
            r = s3.list_buckets()
            print("OK", " ".join(sorted(b["Name"] for b in r["Buckets"])))
        elif op == "mb":
            s3.create_bucket(Bucket=args[0])
            print("OK")
        elif op == "rb":
            s3.delete_bucket(Bucket=args[0])
            print("OK")
        elif op == "put":
            with open(args[2], "rb") as f:
                s3.put_object(Bucket=args[0], Key=args[1], Body=f.read())
            print("OK")
        elif op == "get":
            r = s3.get_object(Bucket=args[0], Key=args[1])
            print("OK", sha(r["Body"].read()))
        elif op == "presign":
            print(s3.generate_presigned_url("get_object",
                                            Params={"Bucket": args[0], "Key": args[1]},
                                            ExpiresIn=int(args[2])))
        else:
            raise SystemExit("unknown op " + op)
    except botocore.exceptions.ClientError as e:
        print("ERR", e.response["ResponseMetadata"]["HTTPStatusCode"],
              e.response["Error"].get("Code", "-"))

mode, rest = sys.argv[1], sys.argv[2:]
{"raw": raw, "chunked": chunked, "boto": boto}[mode](*rest)
EOF

boto() { "$BOTO_PY" "$HELPER" boto "$S3" "$@"; }
raw() { "$BOTO_PY" "$HELPER" raw "$@"; }
# s3_err URL [CURL ARGS...]: "<status> <S3 error code or ->" of a curl request.
s3_err() {
	local url=$1 out=$AIS_TMP/s3err code
	shift
	code=$("${CURL[@]}" -o "$out" -w '%{http_code}' "$@" "$url") || code=000
	printf '%s %s\n' "$code" "$(sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$out" | head -1)"
}

# --- no signature, malformed, other schemes -----------------------------------
assert_eq "$(s3_err "$S3")" "403 AccessDenied" "ListBuckets without a signature"
assert_eq "$(s3_err "$S3/nosuchbucket")" "403 AccessDenied" "bucket GET without a signature"
assert_eq "$(s3_err "$S3" -X PUT)" "403 AccessDenied" "PUT without a signature"
assert_eq "$(http_code "$S3/nosuchbucket" -I)" 403 "HEAD without a signature"
assert_eq "$(s3_err "$S3" -H "Authorization: AWS4-HMAC-SHA256 Credential=$AK1/x")" \
	"400 AuthorizationHeaderMalformed" "malformed Authorization"
assert_eq "$(s3_err "$S3" -H "Authorization: AWS $AK1:c2lnbmF0dXJl")" \
	"400 InvalidRequest" "SigV2 Authorization"
assert_eq "$(s3_err "$S3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00")" \
	"400 AuthorizationQueryParametersError" "incomplete presigned query"

# --- signed by hand: both users, wrong secret, unknown key, stale date ----------
assert_eq "$(raw GET "$S3" "$AK1" "$SK1")" "200 -" "ListBuckets, user 1"
assert_eq "$(raw GET "$S3/" "$AK2" "$SK2")" "200 -" "ListBuckets (GET /s3/), user 2"
assert_eq "$(raw GET "$S3" "$AK1" "$SK2")" "403 SignatureDoesNotMatch" "user 1 with user 2's secret"
assert_eq "$(raw GET "$S3" "AKIANOSUCHKEY" "$SK1")" "403 InvalidAccessKeyId" "unknown access key"
assert_eq "$(raw GET "$S3" "$AK1" "$SK1" -1200)" "403 RequestTimeTooSkewed" "x-amz-date 20 min old"
assert_eq "$(raw GET "$S3" "$AK1" "$SK1" 1200)" "403 RequestTimeTooSkewed" "x-amz-date 20 min ahead"
assert_eq "$(raw GET "$S3" "$AK1" "$SK1" -600)" "200 -" "x-amz-date 10 min old"

# --- boto3: bucket operations -------------------------------------------------------
B=s3auth-$RANDOM
assert_eq "$(boto "$AK1" "$SK1" mb "$B")" OK "CreateBucket, user 1"
assert_match "$(boto "$AK1" "$SK1" ls)" "(^| )$B( |$)" "ListBuckets shows $B"
assert_match "$(boto "$AK2" "$SK2" ls)" "(^| )$B( |$)" "ListBuckets, user 2"
assert_eq "$(boto "$AK1" "wrong-secret" ls)" "ERR 403 SignatureDoesNotMatch" "boto3 wrong secret"
assert_eq "$(boto "AKIANOSUCHKEY" "$SK1" ls)" "ERR 403 InvalidAccessKeyId" "boto3 unknown key"
assert_eq "$(boto "$AK2" "wrong-secret" mb "$B-x")" "ERR 403 SignatureDoesNotMatch" "CreateBucket, wrong secret"
assert_eq "$(raw GET "$S3/$B?list-type=2&prefix=a%2Fb&max-keys=5" "$AK2" "$SK2")" "200 -" \
	"ListObjectsV2 with a query, user 2"

# curl's own SigV4 signer (a third implementation).
assert_eq "$(s3_err "$S3/$B" --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK1:$SK1")" "200 " \
	"curl --aws-sigv4, right keys"
assert_eq "$(s3_err "$S3/$B" --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK1:nope")" \
	"403 SignatureDoesNotMatch" "curl --aws-sigv4, wrong secret"

# --- objects: put/get with boto3, presigned URLs --------------------------------
F=$AIS_TMP/small.txt
printf 'hello, signed world %s\n' "$RANDOM" >"$F"
FSHA=$(sha256sum "$F" | cut -d' ' -f1)
assert_eq "$(boto "$AK1" "$SK1" put "$B" dir/hello.txt "$F")" OK "PutObject, user 1"
assert_eq "$(boto "$AK2" "$SK2" get "$B" dir/hello.txt)" "OK $FSHA" "GetObject, user 2"
assert_eq "$(boto "$AK2" "bad" get "$B" dir/hello.txt)" "ERR 403 SignatureDoesNotMatch" "GetObject, wrong secret"
assert_eq "$(boto "$AK2" "bad" put "$B" dir/x.txt "$F")" "ERR 403 SignatureDoesNotMatch" "PutObject, wrong secret"

url=$(boto "$AK1" "$SK1" presign "$B" dir/hello.txt 600)
assert_match "$url" 'X-Amz-Signature=[0-9a-f]{64}' "presigned URL"
got=$("${CURL[@]}" -f "$url" | sha256sum | cut -d' ' -f1) || fail "presigned GET with curl failed: $(s3_err "$url")"
assert_eq "$got" "$FSHA" "presigned GET content"
assert_eq "$(s3_err "${url/X-Amz-Signature=/X-Amz-Signature=0}")" \
	"400 AuthorizationQueryParametersError" "presigned GET, signature too long"
sig=${url##*X-Amz-Signature=}
sig=${sig%%&*}
if [ "${sig:0:1}" = 0 ]; then tsig=1${sig:1}; else tsig=0${sig:1}; fi
tampered=${url/$sig/$tsig}
assert_eq "$(s3_err "$tampered")" "403 SignatureDoesNotMatch" "presigned GET, tampered signature"
assert_eq "$(s3_err "${url/hello.txt/other.txt}")" "403 SignatureDoesNotMatch" "presigned URL for another key"
bad=$(boto "$AK1" "not-the-secret" presign "$B" dir/hello.txt 600)
assert_eq "$(s3_err "$bad")" "403 SignatureDoesNotMatch" "presigned with a wrong secret"
url=$(boto "$AK2" "$SK2" presign "$B" dir/hello.txt 1)
sleep 2
assert_eq "$(s3_err "$url")" "403 AccessDenied" "expired presigned URL"
grep -q 'Request has expired' "$AIS_TMP/s3err" || fail "expired presigned URL: $(cat "$AIS_TMP/s3err")"

# --- chunk-signed upload ---------------------------------------------------------------
out=$("$BOTO_PY" "$HELPER" chunked "$S3/$B/chunked.bin" "$AK1" "$SK1" 150000)
assert_eq "${out%%$'\n'*}" "200 -" "chunk-signed PUT"
assert_eq "$(boto "$AK1" "$SK1" get "$B" chunked.bin)" "OK ${out##*SHA }" "chunk-signed PUT content"
out=$("$BOTO_PY" "$HELPER" chunked "$S3/$B/tampered.bin" "$AK1" "$SK1" 150000 tamper)
assert_eq "${out%%$'\n'*}" "403 SignatureDoesNotMatch" "chunk-signed PUT, altered chunk signature"
assert_eq "$(boto "$AK1" "$SK1" get "$B" tampered.bin)" "ERR 404 NoSuchKey" "no object from the refused upload"

# --- the aws CLI --------------------------------------------------------------------------
export AWS_CONFIG_FILE=$AIS_TMP/aws_config AWS_SHARED_CREDENTIALS_FILE=$AIS_TMP/aws_credentials
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
awsc() { # AK SK ARGS...
	AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 "$AWS" --endpoint-url "$S3" "${@:3}"
}
out=$(awsc "$AK2" "$SK2" s3 ls 2>&1) || fail "aws s3 ls: $out"
assert_match "$out" " $B\$" "aws s3 ls"
out=$(awsc "$AK1" "$SK1" s3 cp "$F" "s3://$B/cli/small.txt" 2>&1) || fail "aws s3 cp up: $out"
out=$(awsc "$AK2" "$SK2" s3 cp "s3://$B/cli/small.txt" "$AIS_TMP/back.txt" 2>&1) || fail "aws s3 cp down: $out"
cmp -s "$F" "$AIS_TMP/back.txt" || fail "aws s3 cp: content differs"
out=$(awsc "$AK1" "$SK1" s3 ls "s3://$B/cli/" 2>&1) || fail "aws s3 ls bucket: $out"
assert_match "$out" 'small\.txt' "aws s3 ls s3://$B/cli/"
if out=$(awsc "$AK1" "wrong" s3 ls 2>&1); then
	fail "aws s3 ls with a wrong secret succeeded: $out"
fi
assert_match "$out" 'SignatureDoesNotMatch' "aws s3 ls, wrong secret"
if out=$(awsc "AKIANOSUCHKEY" "$SK1" s3 cp "$F" "s3://$B/cli/no.txt" 2>&1); then
	fail "aws s3 cp with an unknown key succeeded: $out"
fi
assert_match "$out" 'InvalidAccessKeyId' "aws s3 cp, unknown key"

log "22-s3-auth: OK"

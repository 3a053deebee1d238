#!/usr/bin/env bash
# 24-s3-clients: real S3 clients against 1 proxy + 3 targets started with
# S3 at the root ({"s3": {"root": true}}; s3cmd signs a prefixed endpoint
# wrongly, upstream bug #1366). Covered: s3cmd (path style at the root) mb,
# put of a small and a 20 MiB (multipart, 15 MiB chunks) file, ls, get
# byte-exact, del, rb; rclone at /s3 -- mkdir, copy of 200 small files, lsf
# count, check (MD5), sync after modifying 3 and deleting 2, purge -- and at
# the root (copy, lsf, purge); aws CLI `s3 sync` of 200 files and
# `s3 rm --recursive`; the native /v1 API still answers beside S3-at-root.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v s3cmd >/dev/null || fail "s3cmd not installed (scripts/install-deps.sh: s3cmd)"
command -v rclone >/dev/null || fail "rclone not installed (scripts/install-deps.sh: rclone)"
command -v aws >/dev/null || fail "aws CLI not installed (scripts/install-deps.sh: awscli)"

export AIS_CONFIG_JSON='{"s3": {"root": true}}'
TMPD=$AIS_TMP/data
mkdir -p "$TMPD"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
PORT=$(node_port p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
code=$(http_code "$P/v1/health")
assert_eq "$code" 200 "native /v1/health beside S3 at the root"

# --- s3cmd at the root -------------------------------------------------------------------
cat >"$AIS_TMP/s3cfg" <<CFG
[default]
access_key = x
secret_key = y
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
use_https = False
signature_v2 = False
check_ssl_certificate = False
bucket_location = us-east-1
CFG
S3CMD=(timeout 60 s3cmd -c "$AIS_TMP/s3cfg" --no-progress)
head -c 1000 /dev/urandom >"$TMPD/small"
head -c $((20 << 20)) /dev/urandom >"$TMPD/big20"
"${S3CMD[@]}" mb s3://scb >/dev/null || fail "s3cmd mb"
"${S3CMD[@]}" put "$TMPD/small" s3://scb/dir/small >/dev/null || fail "s3cmd put small"
"${S3CMD[@]}" put "$TMPD/big20" s3://scb/big20 >/dev/null || fail "s3cmd put 20 MiB (multipart)"
out=$("${S3CMD[@]}" ls -r s3://scb) || fail "s3cmd ls"
assert_match "$out" "s3://scb/big20" "s3cmd ls shows big20"
assert_match "$out" "s3://scb/dir/small" "s3cmd ls shows dir/small"
out=$("${S3CMD[@]}" ls s3://) || fail "s3cmd ls buckets"
assert_match "$out" "s3://scb" "s3cmd ls s3:// shows the bucket"
"${S3CMD[@]}" get s3://scb/big20 "$TMPD/big20.back" >/dev/null || fail "s3cmd get big20"
"${S3CMD[@]}" get s3://scb/dir/small "$TMPD/small.back" >/dev/null || fail "s3cmd get small"
cmp -s "$TMPD/big20" "$TMPD/big20.back" || fail "s3cmd get big20: bytes differ"
cmp -s "$TMPD/small" "$TMPD/small.back" || fail "s3cmd get small: bytes differ"
"${S3CMD[@]}" del s3://scb/big20 s3://scb/dir/small >/dev/null || fail "s3cmd del"
out=$("${S3CMD[@]}" ls -r s3://scb) || fail "s3cmd ls after del"
assert_eq "$out" "" "s3cmd ls after del"
"${S3CMD[@]}" rb s3://scb >/dev/null || fail "s3cmd rb"
code=$(http_code "$P/scb" -I)
assert_eq "$code" 404 "HEAD /scb at the root after rb"
log "s3cmd ok"

# --- rclone at /s3 and at the root -------------------------------------------------------
SRC=$TMPD/src
mkdir -p "$SRC"
for i in $(seq 1 200); do
	printf 'file %d %s\n' "$i" "$RANDOM$RANDOM" >"$SRC/f$i.txt"
done
export RCLONE_CONFIG_AIS_TYPE=s3 RCLONE_CONFIG_AIS_PROVIDER=Other
export RCLONE_CONFIG_AIS_ENDPOINT=$P/s3 RCLONE_CONFIG_AIS_ACCESS_KEY_ID=x
export RCLONE_CONFIG_AIS_SECRET_ACCESS_KEY=y RCLONE_CONFIG_AIS_FORCE_PATH_STYLE=true
export RCLONE_CONFIG_AISR_TYPE=s3 RCLONE_CONFIG_AISR_PROVIDER=Other
export RCLONE_CONFIG_AISR_ENDPOINT=$P RCLONE_CONFIG_AISR_ACCESS_KEY_ID=x
export RCLONE_CONFIG_AISR_SECRET_ACCESS_KEY=y RCLONE_CONFIG_AISR_FORCE_PATH_STYLE=true
export RCLONE_CONFIG=$AIS_TMP/rclone.conf
: >"$RCLONE_CONFIG"
# AWS_CA_BUNDLE (if the environment sets one) breaks rclone's SDK on plain http.
RCLONE=(env -u AWS_CA_BUNDLE timeout 60 rclone --retries 1 --low-level-retries 2)
"${RCLONE[@]}" mkdir ais:rcb || fail "rclone mkdir"
"${RCLONE[@]}" copy "$SRC" ais:rcb/d || fail "rclone copy 200 files"
n=$("${RCLONE[@]}" lsf ais:rcb/d | wc -l) || fail "rclone lsf"
assert_eq "$n" 200 "rclone lsf count"
"${RCLONE[@]}" check "$SRC" ais:rcb/d 2>"$AIS_TMP/rcheck.log" \
    || fail "rclone check: $(tail -5 "$AIS_TMP/rcheck.log")"
for i in 1 2 3; do printf 'changed %d\n' "$i" >>"$SRC/f$i.txt"; done
rm "$SRC/f10.txt" "$SRC/f11.txt"
"${RCLONE[@]}" sync "$SRC" ais:rcb/d || fail "rclone sync"
n=$("${RCLONE[@]}" lsf ais:rcb/d | wc -l) || fail "rclone lsf after sync"
assert_eq "$n" 198 "rclone lsf count after sync"
"${RCLONE[@]}" check "$SRC" ais:rcb/d 2>"$AIS_TMP/rcheck.log" \
    || fail "rclone check after sync: $(tail -5 "$AIS_TMP/rcheck.log")"
"${RCLONE[@]}" cat ais:rcb/d/f2.txt | grep -q "changed 2" || fail "rclone cat f2.txt"
"${RCLONE[@]}" purge ais:rcb || fail "rclone purge"
code=$(http_code "$P/s3/rcb" -I)
assert_eq "$code" 404 "HEAD /s3/rcb after purge"
# the same tool at the root endpoint
"${RCLONE[@]}" mkdir aisr:rrb || fail "rclone (root) mkdir"
"${RCLONE[@]}" copy "$SRC" aisr:rrb/d || fail "rclone (root) copy"
n=$("${RCLONE[@]}" lsf aisr:rrb/d | wc -l) || fail "rclone (root) lsf"
assert_eq "$n" 198 "rclone (root) lsf count"
"${RCLONE[@]}" check "$SRC" aisr:rrb/d 2>"$AIS_TMP/rcheck.log" \
    || fail "rclone (root) check: $(tail -5 "$AIS_TMP/rcheck.log")"
"${RCLONE[@]}" purge aisr:rrb || fail "rclone (root) purge"
log "rclone ok"

# --- aws CLI: sync and recursive rm ------------------------------------------------------
cat >"$AIS_TMP/aws.cfg" <<'CFG'
[default]
s3 =
  addressing_style = path
CFG
export AWS_CONFIG_FILE=$AIS_TMP/aws.cfg AWS_SHARED_CREDENTIALS_FILE=$AIS_TMP/nocreds
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1
AWS=(timeout 90 aws --endpoint-url "$P/s3" --cli-read-timeout 60)
"${AWS[@]}" s3 mb s3://abk >/dev/null || fail "aws s3 mb"
"${AWS[@]}" s3 sync "$SRC" s3://abk/dir >/dev/null || fail "aws s3 sync"
n=$("${AWS[@]}" s3 ls s3://abk/dir/ | wc -l) || fail "aws s3 ls"
assert_eq "$n" 198 "aws s3 ls count after sync"
"${AWS[@]}" s3 rm --recursive s3://abk/dir >/dev/null || fail "aws s3 rm --recursive"
out=$("${AWS[@]}" s3 ls s3://abk/dir/ || true)
assert_eq "$out" "" "aws s3 ls after rm --recursive"
"${AWS[@]}" s3 rb s3://abk >/dev/null || fail "aws s3 rb"
log "aws ok"

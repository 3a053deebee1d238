#!/usr/bin/env bash
# 40-dsort: dSort jobs (/v1/sort) on 1 proxy + 3 targets.
#
# 200 input tar shards x 50 records (sampleNNNNNN.jpg of 1..64 KiB +
# .cls with an integer class, records spread over the shards in a seeded
# random order; dsort_client.py) are resharded into ~1 MiB output shards by
# every algorithm: alphanumeric ascending and descending, shuffle with one
# seed twice (identical output), content (int keys from .cls), none. Each
# output is downloaded and checked: every input record exactly once,
# byte-identical, never split, in the algorithm's order across the shard
# sequence, shards within the size limit (+ one record), readable by GNU
# tar. Then tgz and zip inputs (smaller sets), a tiny memory limit with tgz
# input (spills, still completes), bad requests (bad template -> 400,
# missing input bucket -> 404, target asked directly -> 400), a corrupt
# input shard (job fails naming it; skipped with missing_shards "warn"),
# abort mid-job (no output shards left; a running job cannot be removed),
# list, regex, only_active and remove; a target put in maintenance mid-job
# (the job fails naming it, no output left).
#
# DSORT_SHARDS / DSORT_RECS override the main set's size (default 200 x 50).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

NS=${DSORT_SHARDS:-200}
NR=${DSORT_RECS:-50}
NTOT=$((NS * NR))
LIMIT=$((1 << 20))
DC=("$PY" "$AIS_CLUSTER_DIR/dsort_client.py")
WAIT_SECS=60

start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in p1 t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null

mkbck() {
	local code
	code=$(http_code "$P/v1/buckets/$1" -X POST -H 'Content-Type: application/json' -d '{"action":"create-bck"}')
	assert_eq "$code" 200 "create-bck ais://$1"
}

# spec IN TEMPLATE INEXT OUT OUTEXT ALGJSON [EXTRA JSON members]
spec() {
	printf '{"input_bck":{"name":"%s","provider":"ais"},"input_format":{"template":"%s"},"input_extension":"%s","output_bck":{"name":"%s","provider":"ais"},"output_format":"out-{00000..99999}","output_extension":"%s","output_shard_size":"1MiB","algorithm":%s,"description":"40-dsort %s"%s}' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$4" "${7:+,$7}"
}

# assert_no_output BUCKET WHAT: no out-* shards in BUCKET within 10 s
# (a failed job's cleanup runs in the background)
assert_no_output() {
	local i left=
	for ((i = 0; i < 40; i++)); do
		left=$("${DC[@]}" count "$P" "$1" out-) || fail "count: $left"
		[ "$left" = "OK 0" ] && break
		sleep 0.25
	done
	assert_eq "$left" "OK 0" "$2"
}

# start SPEC: prints the job ID.
start() {
	local out
	out=$("${DC[@]}" start "$P" "$1") || fail "start: $out"
	printf '%s\n' "${out#OK }"
}

# run SPEC: starts the job and waits until it finished everywhere.
run() {
	local id out t0=$SECONDS
	id=$(start "$1")
	out=$("${DC[@]}" wait "$P" "$id" "$WAIT_SECS") || fail "wait $id: $out"
	[[ $out == OK* ]] || fail "job $id: $out"
	log "job $id: $out ($((SECONDS - t0))s)"
	printf '%s\n' "$id"
}

# check BUCKET EXT NTOTAL ALG: verifies the output; prints its digest.
check() {
	local out
	out=$("${DC[@]}" verify "$P" "$1" out- "$2" "$3" "$4" "$LIMIT") ||
	    fail "verify ais://$1 ($4): $out"
	log "ais://$1 ($4): $out"
	awk '{print $3}' <<<"$out"
}

# --- input ---------------------------------------------------------------
mkbck in
t0=$SECONDS
out=$("${DC[@]}" gen "$P" in in- "$NS" "$NR" .tar) || fail "gen: $out"
log "input: $out ($((SECONDS - t0))s)"
TPL="in-{0000..$(printf '%04d' $((NS - 1)))}"

# --- bad requests --------------------------------------------------------
code=$(http_code "$P/v1/sort" -X POST -d "$(spec in 'in-{0000..x}' .tar o-bad .tar '{"kind":"alphanumeric"}')")
assert_eq "$code" 400 "bad template"
body=$("${CURL[@]}" -X POST "$P/v1/sort" -d "$(spec in "$TPL" .tar o-bad .tar '{"kind":"sideways"}')")
assert_match "$body" 'algorithm|kind' "bad algorithm message"
code=$(http_code "$P/v1/sort" -X POST -d "$(spec nosuch "$TPL" .tar o-bad .tar '{"kind":"alphanumeric"}')")
assert_eq "$code" 404 "missing input bucket"
body=$("${CURL[@]}" -X POST "$P/v1/sort" -d "$(spec nosuch "$TPL" .tar o-bad .tar '{"kind":"alphanumeric"}')")
assert_match "$body" 'nosuch.*does not exist' "missing input bucket message"
code=$(http_code "$P/v1/sort" -X POST -d 'not json')
assert_eq "$code" 400 "spec not JSON"
code=$(http_code "$(url_of t1)/v1/sort" -X POST -d "$(spec in "$TPL" .tar o-bad .tar '{"kind":"alphanumeric"}')")
assert_eq "$code" 400 "POST /v1/sort to a target"
code=$(http_code "$P/v1/sort?uuid=nosuchjob")
assert_eq "$code" 404 "status of an unknown job"
code=$(http_code "$P/v1/sort/abort?uuid=nosuchjob" -X DELETE)
assert_eq "$code" 404 "abort of an unknown job"
code=$(http_code "$P/v1/sort/abort" -X DELETE)
assert_eq "$code" 400 "abort without uuid"

# --- every algorithm -----------------------------------------------------
id_asc=$(run "$(spec in "$TPL" .tar o-asc .tar '{"kind":"alphanumeric"}')")
check o-asc .tar "$NTOT" asc >/dev/null
# the per-target status: JobInfo with Metrics, and the flat Metrics keys
st=$("${CURL[@]}" "$P/v1/sort?uuid=$id_asc")
n=$(json_eval 'len([v for v in d.values() if v["Metrics"]["shard_creation"]["finished"] and v["shard_creation"]["finished"] and v["id"] == "'"$id_asc"'"])' <<<"$st")
assert_eq "$n" 3 "targets reporting $id_asc finished (JobInfo + flat Metrics)"
created=$(json_eval 'sum(int(v["Metrics"]["shard_creation"]["created_count"]) for v in d.values())' <<<"$st")
assert_ge "$created" 1 "output shards created"

run "$(spec in "$TPL" .tar o-desc .tar '{"kind":"alphanumeric","decreasing":true}')" >/dev/null
check o-desc .tar "$NTOT" desc >/dev/null

run "$(spec in "$TPL" .tar o-shuf1 .tar '{"kind":"shuffle","seed":"1234"}')" >/dev/null
d1=$(check o-shuf1 .tar "$NTOT" shuffle)
run "$(spec in "$TPL" .tar o-shuf2 .tar '{"kind":"shuffle","seed":"1234"}')" >/dev/null
d2=$(check o-shuf2 .tar "$NTOT" shuffle)
assert_eq "$d2" "$d1" "same shuffle seed, same record sequence"

run "$(spec in "$TPL" .tar o-cont .tar '{"kind":"content","extension":".cls","content_key_type":"int"}')" >/dev/null
check o-cont .tar "$NTOT" content >/dev/null

run "$(spec in "$TPL" .tar o-none .tar '{"kind":"none"}')" >/dev/null
check o-none .tar "$NTOT" none >/dev/null

# --- list, filters, remove -----------------------------------------------
lst=$("${CURL[@]}" "$P/v1/sort")
n=$(json_eval 'len(d)' <<<"$lst")
assert_ge "$n" 6 "jobs listed"
n=$(json_eval 'len([j for j in d if j["id"] == "'"$id_asc"'"])' <<<"$lst")
assert_eq "$n" 1 "$id_asc listed once (merged over targets)"
lst=$("${CURL[@]}" "$P/v1/sort?regex=o-desc")
assert_eq "$(json_eval 'len(d)' <<<"$lst")" 1 "regex on the description"
lst=$("${CURL[@]}" "$P/v1/sort?only_active=true")
assert_eq "$(json_eval 'len(d)' <<<"$lst")" 0 "only_active with all jobs finished"
code=$(http_code "$P/v1/sort?regex=(" )
assert_eq "$code" 400 "bad regex"
code=$(http_code "$P/v1/sort?uuid=$id_asc" -X DELETE)
assert_eq "$code" 200 "remove $id_asc"
code=$(http_code "$P/v1/sort?uuid=$id_asc")
assert_eq "$code" 404 "status after remove"

# --- tgz and zip inputs, a tiny memory limit -----------------------------
mkbck intgz
out=$("${DC[@]}" gen "$P" intgz z- 40 25 .tgz) || fail "gen tgz: $out"
run "$(spec intgz 'z-{0000..0039}' .tgz o-tgz .tgz '{"kind":"alphanumeric"}')" >/dev/null
check o-tgz .tgz 1000 asc >/dev/null
id=$(run "$(spec intgz 'z-{0000..0039}' .tgz o-spill .tar '{"kind":"alphanumeric"}' '"max_mem_usage":"1MiB"')")
check o-spill .tar 1000 asc >/dev/null
st=$("${CURL[@]}" "$P/v1/sort?uuid=$id")
n=$(json_eval 'sum(int(v["Metrics"]["local_extraction"]["extracted_to_disk_count"]) for v in d.values())' <<<"$st")
assert_ge "$n" 1 "input shards spilled to disk under max_mem_usage 1MiB"
mkbck inzip
out=$("${DC[@]}" gen "$P" inzip zp- 20 25 .zip) || fail "gen zip: $out"
run "$(spec inzip 'zp-{0000..0019}' .zip o-zip .zip '{"kind":"alphanumeric","decreasing":true}')" >/dev/null
check o-zip .zip 500 desc >/dev/null

# --- a corrupt input shard -----------------------------------------------
mkbck inbad
out=$("${DC[@]}" gen "$P" inbad bad- 10 20 .tar) || fail "gen bad: $out"
out=$("${DC[@]}" corrupt "$P" inbad bad-0003.tar) || fail "corrupt: $out"
id=$(start "$(spec inbad 'bad-{0000..0009}' .tar o-bad .tar '{"kind":"alphanumeric"}')")
out=$("${DC[@]}" wait "$P" "$id" "$WAIT_SECS") || fail "wait $id: $out"
assert_match "$out" '^ABORTED .*bad-0003\.tar' "corrupt shard fails the job, named"
log "corrupt input: $out"
id=$(start "$(spec inbad 'bad-{0000..0009}' .tar o-skip .tar '{"kind":"alphanumeric"}' '"Config":{"missing_shards":"warn"}')")
out=$("${DC[@]}" wait "$P" "$id" "$WAIT_SECS") || fail "wait $id: $out"
assert_match "$out" '^OK finished' "corrupt shard skipped with missing_shards=warn"
st=$("${CURL[@]}" "$P/v1/sort?uuid=$id")
w=$(json_eval '" ".join(w for v in d.values() for w in (v["Metrics"]["warnings"] or []))' <<<"$st")
assert_match "$w" 'bad-0003' "warning names the skipped shard"

# --- abort mid-job -------------------------------------------------------
id=$(start "$(spec in "$TPL" .tar o-abort .tar '{"kind":"shuffle","seed":"7"}')")
body=$("${CURL[@]}" -w ' %{http_code}' -X DELETE "$P/v1/sort?uuid=$id")
assert_match "$body" 'still running.* 400$' "remove of a running job"
lst=$("${CURL[@]}" "$P/v1/sort?only_active=true")
assert_eq "$(json_eval '[j["id"] for j in d]' <<<"$lst")" "[\"$id\"]" "only_active lists the running job"
code=$(http_code "$P/v1/sort/abort?uuid=$id" -X DELETE)
assert_eq "$code" 200 "abort $id"
out=$("${DC[@]}" wait "$P" "$id" "$WAIT_SECS") || fail "wait $id: $out"
assert_match "$out" '^ABORTED' "aborted job reports aborted"
assert_no_output o-abort "output shards left after abort"
code=$(http_code "$P/v1/sort?uuid=$id" -X DELETE)
assert_eq "$code" 200 "remove aborted $id"

# --- a target leaves mid-job --------------------------------------------
# Maintenance takes t3 out of the data targets (its objects move away): a
# job running on it fails everywhere, naming it, and leaves no output.
# (Last: t3 stays in maintenance.)
T3=$(node_id t3)
id=$(start "$(spec in "$TPL" .tar o-lost .tar '{"kind":"shuffle","seed":"9"}' '"max_mem_usage":"1MiB"')")
body=$("${CURL[@]}" -w ' %{http_code}' -X PUT -H 'Content-Type: application/json' \
    -d "{\"action\":\"start-maintenance\",\"value\":{\"sid\":\"$T3\"}}" "$P/v1/cluster")
assert_match "$body" ' 200$' "start-maintenance of t3 during the job"
out=$("${DC[@]}" wait "$P" "$id" "$WAIT_SECS") || fail "wait $id: $out"
assert_match "$out" '^ABORTED' "a job whose target left fails"
# Peers may hit the moved data before the new Smap reaches them: each
# target names the cause once it has the Smap (within a tick).
for ((i = 0; i < 20; i++)); do
	[[ $out =~ target\ $T3\ left\ the\ cluster ]] && break
	sleep 0.25
	out=$("${DC[@]}" wait "$P" "$id" 5) || fail "wait $id: $out"
done
assert_match "$out" "^ABORTED .*target $T3 left the cluster" "the error names the target that left"
log "target left: $out"
assert_no_output o-lost "output shards left after the job failed"

log "40-dsort: PASS"

#!/usr/bin/env bash
# 04-bad-config: bad flags or local config -> exit 2 within 5 s with exactly
# one non-empty line on stderr that names the problem.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

D=$AIS_TMP/bad
mkdir -p "$D"
node_init tgood target
node_init pgood proxy
TJSON=$(node_dir tgood)/local.json
PJSON=$(node_dir pgood)/local.json
printf '{"confdir": "%s/conf", "log_dir": ' "$D" >"$D/malformed.json"
# A target whose local config has no mountpaths.
"$PY" -c '
import json, sys
c = json.load(open(sys.argv[1])); c["fspaths"] = {}
json.dump(c, open(sys.argv[2], "w"))' "$TJSON" "$D/nompath.json"

n=0
# expect_exit2 WHAT ERE ARGS...: aisnode ARGS exits 2 within 5 s, stderr is one
# line matching ERE.
expect_exit2() {
	local what=$1 re=$2 rc=0 err lines
	shift 2
	n=$((n + 1))
	err=$D/stderr.$n
	log "case $n: $what: aisnode $*"
	timeout -k 2 5 "$AISNODE" "$@" </dev/null >"$D/stdout.$n" 2>"$err" || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "$what: still running after 5 s"
	fi
	assert_eq "$rc" 2 "$what: exit code (stderr: $(head -c 300 "$err"))"
	lines=$(grep -c . "$err" || true)
	assert_eq "$lines" 1 "$what: non-empty lines on stderr ($(head -c 300 "$err"))"
	assert_eq "$(wc -l <"$err")" 1 "$what: lines on stderr"
	assert_match "$(cat "$err")" "$re" "$what: stderr message"
}

expect_exit2 "no -role" 'role' -local_config="$PJSON"
expect_exit2 "-role=bogus" 'role|bogus' -role=bogus -local_config="$PJSON"
expect_exit2 "nonexistent -local_config" 'nosuch\.json' -role=proxy -local_config="$D/nosuch.json"
expect_exit2 "malformed local config" 'malformed\.json|json' -role=proxy -local_config="$D/malformed.json"
expect_exit2 "target without mountpaths" 'mountpath|fspath' -role=target -local_config="$D/nompath.json" \
    -primary_url=http://127.0.0.1:1
expect_exit2 "non-numeric -port" 'port' -role=proxy -local_config="$PJSON" -port=abc
expect_exit2 "out-of-range -port" 'port' -role=proxy -local_config="$PJSON" -port=70000
log "04-bad-config OK ($n cases)"

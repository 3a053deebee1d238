#!/usr/bin/env bash
# 07-stale-metasync: a metasync push carrying an OLDER Smap version (with
# different content) reaches a live target over NNG: the target keeps its
# newer Smap (in memory and on disk), logs the refusal, and a later real
# change from the primary still applies. A push with a foreign cluster UUID
# is refused the same way.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

TOOL=$AIS_BIN/ais_msync_push
[ -x "$TOOL" ] || fail "missing $TOOL"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_target t1 "$P"
start_target t2 "$P"
wait_healthy t1
wait_healthy t2
v=$(wait_converged 1 2 p1 t1 t2)
ctrl=$(get_json t1 '/v1/daemon?what=snode' | json_eval 'd["intra_control_net"]["direct_url"]')

# An older version of the map with t2 removed.
stale=$AIS_TMP/stale-smap.json
smap_of t1 | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
d["version"] = str(int(d["version"]) - 1)
tid = sorted(d["tmap"])[-1]
del d["tmap"][tid]
json.dump(d, sys.stdout)' >"$stale"
out=$("$TOOL" "$ctrl" "$stale")
log "stale push: $out"
assert_match "$out" "^status=OK smap=$v " "ack of a stale push reports the node's newer version"
assert_eq "$(smap_version t1)" "$v" "t1 Smap version after a stale push"
assert_eq "$(smap_counts t1)" "1 2" "t1 Smap content after a stale push"
grep -q 'AIS-META-STALE' "$(node_dir t1)/log/aisnode.log" ||
	fail "t1 did not log the ignored stale Smap"
# What is on disk is still the newer version.
grep -q "\"version\":\"$v\"" "$(confdir_of t1)/.ais.smap" ||
	fail "t1 persisted Smap is not v$v"

# A newer map of another cluster is refused as well.
foreign=$AIS_TMP/foreign-smap.json
smap_of t1 | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
d["version"] = str(int(d["version"]) + 10)
d["uuid"] = "someOtherCluster"
json.dump(d, sys.stdout)' >"$foreign"
out=$("$TOOL" "$ctrl" "$foreign")
log "foreign push: $out"
assert_match "$out" "^status=ECONFLICT smap=$v " "foreign cluster map refused"
assert_eq "$(smap_version t1)" "$v" "t1 Smap version after a foreign push"

# A real change from the primary still goes through.
start_target t3 "$P"
wait_healthy t3
v2=$(wait_converged 1 3 p1 t1 t2 t3)
assert_ge "$v2" "$((v + 1))" "Smap version after t3 joined"
log "07-stale-metasync OK"

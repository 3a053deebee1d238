#!/usr/bin/env bash
# 01-bringup: 2 proxies + 3 targets form one cluster. Every node serves the
# same Smap (version, uuid, 2+3 nodes); snodes are AIS-shaped (id_digest =
# XXH64(daemon_id, seed 1103515245), daemon_port a string); proxy_si is the
# primary; bmd/snode/config queries and health (incl. prr) work everywhere.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

start_proxy p1
wait_healthy p1
P=$(url_of p1)
start_proxy p2 "$P"
start_target t1 "$P"
start_target t2 "$P"
start_target t3 "$P"
nodes=(p1 p2 t1 t2 t3)
for n in "${nodes[@]}"; do wait_healthy "$n"; done

ver=$(wait_converged 2 3 "${nodes[@]}")
assert_ge "$ver" 1 "Smap version"

# One cluster uuid everywhere.
uuid=$(smap_of p1 | json_eval 'd["uuid"]')
assert_nonempty "$uuid" "Smap uuid on p1"
for n in "${nodes[@]}"; do
	assert_eq "$(smap_of "$n" | json_eval 'd["uuid"]')" "$uuid" "Smap uuid on $n"
done

smap=$(smap_of p1)
# proxy_si is the primary p1, which is also in pmap.
pid1=$(node_id p1)
assert_eq "$(json_eval 'd["proxy_si"]["daemon_id"]' <<<"$smap")" "$pid1" "proxy_si.daemon_id"
assert_eq "$(json_eval 'd["proxy_si"]["daemon_id"] in d["pmap"]' <<<"$smap")" true "primary in pmap"
assert_eq "$(json_eval 'isinstance(d["version"], str)' <<<"$smap")" true "Smap version is a JSON string"

# Every node's own ID is in the right map, with its own public port.
for n in "${nodes[@]}"; do
	id=$(node_id "$n")
	m=pmap
	[[ $n == t* ]] && m=tmap
	assert_eq "$(json_eval "d['$m'].get('$id', {}).get('public_net', {}).get('daemon_port')" <<<"$smap")" \
	    "$(node_port "$n")" "${m}[$id].public_net.daemon_port ($n)"
	assert_eq "$(json_eval "d['$m']['$id']['daemon_type']" <<<"$smap")" \
	    "$([[ $n == t* ]] && echo target || echo proxy)" "${m}[$id].daemon_type"
done

# Snode shape: ports are strings, id_digest = XXH64(daemon_id, 1103515245).
# (The digest is compared as text: it exceeds 2^63 and must not be rounded.)
mapfile -t snodes < <(json_eval '"\n".join(sorted(list(d["pmap"]) + list(d["tmap"])))' <<<"$smap")
assert_eq "${#snodes[@]}" 5 "snodes in Smap"
for id in "${snodes[@]}"; do
	assert_eq "$(json_eval "all(isinstance(s[k]['daemon_port'], str) for s in [dict(d['pmap'], **d['tmap'])['$id']] for k in ('public_net', 'intra_control_net', 'intra_data_net'))" <<<"$smap")" \
	    true "daemon_port of $id is a string in all three nets"
	assert_eq "$(json_eval "dict(d['pmap'], **d['tmap'])['$id']['public_net']['direct_url']" <<<"$smap")" \
	    "http://127.0.0.1:$(json_eval "dict(d['pmap'], **d['tmap'])['$id']['public_net']['daemon_port']" <<<"$smap")" \
	    "direct_url of $id"
	digest=$(printf '%s' "$smap" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
s = dict(d["pmap"], **d["tmap"])[sys.argv[1]]
v = s["id_digest"]
print(v if isinstance(v, int) else "not-an-integer:%r" % (v,))' "$id")
	assert_eq "$digest" "$(xxh64_id "$id")" "id_digest of $id"
done

# Per-node queries.
for n in "${nodes[@]}"; do
	get_json "$n" '/v1/cluster?what=bmd' | json_eval '"version" in d' | grep -qx true ||
	    fail "$n: /v1/cluster?what=bmd has no version"
	get_json "$n" '/v1/cluster?what=smap' | json_eval 'd["uuid"]' | grep -qxF "$uuid" ||
	    fail "$n: /v1/cluster?what=smap uuid differs"
	sn=$(get_json "$n" '/v1/daemon?what=snode')
	assert_eq "$(json_eval 'd["daemon_type"]' <<<"$sn")" "$([[ $n == t* ]] && echo target || echo proxy)" "$n snode daemon_type"
	assert_eq "$(json_eval 'd["public_net"]["daemon_port"]' <<<"$sn")" "$(node_port "$n")" "$n snode daemon_port"
	get_json "$n" '/v1/daemon?what=config' | json_eval 'isinstance(d, dict) and len(d) > 0' | grep -qx true ||
	    fail "$n: /v1/daemon?what=config is not a JSON object"
	hdrs=$("${CURL[@]}" -o /dev/null -D - "$(url_of "$n")/v1/health")
	assert_match "$hdrs" '^HTTP/[0-9.]+ 200' "$n GET /v1/health status"
	assert_match "$hdrs" '^Ais-Node-Uptime: *[0-9]+' "$n /v1/health Ais-Node-Uptime header"
done

# Readiness of the primary, asked directly and through the other proxy.
assert_eq "$(http_code "$(url_of p1)/v1/health?prr=true")" 200 "prr via primary p1"
assert_eq "$(http_code "$(url_of p2)/v1/health?prr=true")" 200 "prr via non-primary p2"
log "01-bringup OK (Smap v$ver, uuid $uuid)"

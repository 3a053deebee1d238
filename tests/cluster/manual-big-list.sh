#!/usr/bin/env bash
# manual-big-list: NOT run by ctest (no NN- prefix). Lists NTOT (default
# 1,000,000) zero-byte objects created directly on the mountpaths of 1
# proxy + 3 targets (80% in 800 directories, 20% flat in the bucket root),
# page by page (10,000, MessagePack), checking order and count; prints the
# time and each node's peak RSS; then deletes everything with a match-all
# delete-listrange and checks the mountpaths are empty. Run:
#   AIS_BIN=build/bin AIS_SCENARIO_TIMEOUT=3000 NTOT=1000000 \
#       bash tests/cluster/run.sh tests/cluster/manual-big-list.sh
# (A RelWithDebInfo build measures memory; ASan adds ~250 MB per node.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NTOT=${NTOT:-1000000}
start_proxy p1
wait_healthy p1
P=$(url_of p1)
for t in t1 t2 t3; do start_target "$t" "$P"; done
for n in p1 t1 t2 t3; do wait_healthy "$n"; done
wait_converged 1 3 p1 t1 t2 t3 >/dev/null
curl -s --noproxy '*' -X POST "$P/v1/buckets/big?provider=ais" -d '{"action":"create-bck"}' -o /dev/null -w '%{http_code}\n'
sleep 1
t0=$SECONDS
"$PY" - "$AIS_TMP" "$NTOT" <<'PY'
import os, sys
tmp, n = sys.argv[1], int(sys.argv[2])
roots = ["%s/%s/%s/@ais/big/%%ob" % (tmp, t, mp) for t in ("t1","t2","t3") for mp in ("mp1","mp2")]
nflat = n // 5
made = set()
for i in range(n):
    r = roots[i % 6]
    if i < nflat:
        name = "flat-%07d" % i
    else:
        name = "d%03d/f%07d" % ((i - nflat) % 800, i)
    d = os.path.dirname(os.path.join(r, name))
    if d not in made:
        os.makedirs(d, exist_ok=True); made.add(d)
    os.close(os.open(os.path.join(r, name), os.O_CREAT | os.O_WRONLY, 0o644))
PY
log "created $NTOT files in $((SECONDS - t0))s"
t0=$SECONDS
"$PY" - "$P" "$NTOT" <<'PY'
import json, sys, time, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
uuid, token, total, pages, prev = "", "", 0, 0, b""
t = time.time(); worst = 0
while True:
    body = json.dumps({"action":"list","name":"","value":{"pagesize":10000,"uuid":uuid,"continuation_token":token,"flags":"0","props":""}}).encode()
    req = urllib.request.Request(base + "/v1/buckets/big?provider=ais", data=body, method="GET", headers={"Content-Type":"application/json","Accept":"application/msgpack"})
    s = time.time()
    import msgpack
    d = msgpack.unpackb(urllib.request.urlopen(req, timeout=300).read(), raw=False)
    worst = max(worst, time.time() - s)
    uuid, token = d["UUID"], d["ContinuationToken"]
    ents = d["Entries"] or []
    if ents:
        assert ents[0]["n"].encode() > prev, (ents[0]["n"], prev)
        prev = ents[-1]["n"].encode()
    total += len(ents); pages += 1
    if not token: break
print("listed %d in %d pages, %.1fs, slowest page %.2fs" % (total, pages, time.time() - t, worst))
assert total == n, total
PY
log "listing took $((SECONDS - t0))s"
for n in p1 t1 t2 t3; do
	log "$n: $(grep -E 'VmHWM|VmRSS' "/proc/$(node_pid "$n")/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
done
t0=$SECONDS
jid=$(curl -s --noproxy '*' -X DELETE "$P/v1/buckets/big?provider=ais" -H 'Content-Type: application/json' -d '{"action":"delete-listrange","name":"","value":{"template":""}}')
log "delete-all job $jid"
for ((i = 0; i < 6000; i++)); do
	st=$(curl -s --noproxy '*' -X GET "$P/v1/cluster?what=status" -H 'Content-Type: application/json' -d "{\"ID\":\"$jid\"}")
	case $st in *'"end_time":0,'*) sleep 0.1 ;; *) break ;; esac
done
log "delete-all: $st in $((SECONDS - t0))s"
curl -s --noproxy '*' -X GET "$P/v1/cluster?what=qryxstats" -H 'Content-Type: application/json' -d "{\"ID\":\"$jid\"}" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print({k:[s["stats"]["loc-objs"] for s in v] for k,v in d.items()})'
left=$(find "$AIS_TMP"/t?/mp? -type f -path '*%ob*' | wc -l)
log "files left: $left"
[ "$left" = 0 ]

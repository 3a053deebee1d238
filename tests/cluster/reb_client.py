#!/usr/bin/env python3
"""Object client for tests/cluster/30-rebalance.sh and bench/rebalance.sh.

Object i of a set is named "o/<i>" with content derived from its name only
(random.Random(name)), so any process can check any object byte for byte.

Subcommands (print "OK ..." and exit 0, or print why and exit 1):
  put BASE BUCKET N [MINKIB MAXKIB]  PUT objects 0..N-1 through the proxy
                             (16 threads). Without sizes: mostly 1-32 KiB,
                             every 10th 0.2-1 MiB, every 100th 2-5 MiB.
  verify BASE BUCKET N [MINKIB MAXKIB]
                             GET every object through the proxy: 200 and
                             the exact bytes
  getloop BASE BUCKET N SECS STOPFILE
                             random GETs (8 threads) until SECS pass or
                             STOPFILE exists; any non-200 or wrong byte
                             fails
  placement BASE BUCKET DIR=ID...
                             every object file under DIR/mp*/@ais/BUCKET/%ob
                             must be on its HRW owner ID (Smap from BASE);
                             prints "OK <files> <per-ID counts as ID:n,...>"
"""
import concurrent.futures
import os
import random
import sys
import threading
import time
import urllib.parse

import requests
import xxhash

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from objects_client import SEED, mix  # noqa: E402

HDRS = {"User-Agent": "ais/python/reb-test"}


def die(msg):
    print("FAIL:", msg, flush=True)
    os._exit(1)


def size_of(i, lo=None, hi=None):
    r = random.Random("size/%d" % i)
    if lo is not None:
        return r.randint(lo * 1024, hi * 1024)
    if i % 100 == 0:
        return r.randint(2 << 20, 5 << 20)
    if i % 10 == 0:
        return r.randint(200 << 10, 1 << 20)
    return r.randint(1 << 10, 32 << 10)


def content(i, lo=None, hi=None):
    return random.Random("o/%d" % i).randbytes(size_of(i, lo, hi))


def url(base, bucket, i):
    return "%s/v1/objects/%s/%s?provider=ais" % (
        base, bucket, urllib.parse.quote("o/%d" % i))


_tls = threading.local()


def sess():
    if not hasattr(_tls, "s"):
        _tls.s = requests.Session()
    return _tls.s


def put_one(base, bucket, i, lo, hi):
    data = content(i, lo, hi)
    r = sess().put(url(base, bucket, i), data=data, headers=HDRS, timeout=120)
    if r.status_code != 200:
        die("PUT o/%d: %d %s" % (i, r.status_code, r.text[:200]))
    return len(data)


def get_one(base, bucket, i, lo, hi):
    r = sess().get(url(base, bucket, i), headers=HDRS, timeout=120)
    if r.status_code != 200:
        die("GET o/%d: %d %s" % (i, r.status_code, r.text[:300]))
    data = content(i, lo, hi)
    if r.content != data:
        die("GET o/%d: %d bytes, not the %d put" % (
            i, len(r.content), len(data)))
    return len(data)


def sizes(argv):
    if len(argv) >= 2:
        return int(argv[0]), int(argv[1])
    return None, None


def cmd_put(base, bucket, n, *rest):
    lo, hi = sizes(rest)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        total = sum(ex.map(lambda i: put_one(base, bucket, i, lo, hi),
                           range(int(n))))
    print("OK put %s objects, %d bytes" % (n, total))


def cmd_verify(base, bucket, n, *rest):
    lo, hi = sizes(rest)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        total = sum(ex.map(lambda i: get_one(base, bucket, i, lo, hi),
                           range(int(n))))
    print("OK verified %s objects, %d bytes" % (n, total))


def cmd_getloop(base, bucket, n, secs, stopfile):
    n, deadline = int(n), time.time() + float(secs)
    count = [0]
    lock = threading.Lock()

    def worker(seed):
        r = random.Random(seed)
        while time.time() < deadline and not os.path.exists(stopfile):
            get_one(base, bucket, r.randrange(n), None, None)
            with lock:
                count[0] += 1

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(worker, range(8)))
    print("OK %d GETs" % count[0])


def cmd_placement(base, bucket, *dirs):
    smap = requests.get(base + "/v1/daemon?what=smap", timeout=10).json()
    tmap = {tid: t for tid, t in smap["tmap"].items()
            if not int(t.get("flags", 0)) & (4 | 8)}
    files, counts = 0, {}
    for spec in dirs:
        d, tid = spec.split("=", 1)
        counts[tid] = 0
        for mp in sorted(os.listdir(d)):
            root = os.path.join(d, mp, "@ais", bucket, "%ob")
            if not mp.startswith("mp") or not os.path.isdir(root):
                continue
            for dp, _, names in os.walk(root):
                for nm in names:
                    name = os.path.relpath(os.path.join(dp, nm), root)
                    dig = xxhash.xxh64_intdigest(
                        ("ais/@#/%s/%s" % (bucket, name)).encode(),
                        seed=SEED)
                    owner = max(tmap, key=lambda t: mix(
                        int(tmap[t]["id_digest"]) ^ dig))
                    if owner != tid:
                        die("%s on t[%s], owner is t[%s]" % (
                            name, tid, owner))
                    files += 1
                    counts[tid] += 1
    print("OK %d %s" % (files, ",".join(
        "%s:%d" % kv for kv in sorted(counts.items()))))


def main():
    cmds = {"put": cmd_put, "verify": cmd_verify, "getloop": cmd_getloop,
            "placement": cmd_placement}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        die("usage: %s {%s} ARGS..." % (sys.argv[0], "|".join(cmds)))
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()

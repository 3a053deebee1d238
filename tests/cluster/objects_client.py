#!/usr/bin/env python3
"""Object data-path client for tests/cluster/11-objects.sh, using
python-requests the way the AIS Python SDK does (it follows the proxy's
301/307 itself, re-sending PUT bodies; Content-Type: application/json on
every request, even object PUTs).

Subcommands (each prints "OK ..." and exits 0, or prints why and exits 1):
  roundtrip URL BUCKET NAME SIZE      PUT then GET through URL, byte-exact,
                                      checksum headers verified
  concurrent URL BUCKET N SIZE        N threads PUT distinct objects, then N
                                      threads GET them back and verify
  bigput URL BUCKET NAME FILE         PUT FILE (streamed from disk) via URL
  abort TARGET_URL BUCKET NAME SIZE [WKGLOB]
                                      direct PUT (with a redirect marker)
                                      that sends half its Content-Length
                                      and disconnects; with WKGLOB, first
                                      checks that a work file exists
  owner SMAP_URL BUCKET NAME          prints the HRW owner target's id,
                                      computed here from the Smap (spec
                                      smap-bmd.md section 4)
"""
import concurrent.futures
import glob
import os
import socket
import sys
import time
import urllib.parse

import requests

try:
    import xxhash
except ImportError:  # checksum values are then compared by length only
    xxhash = None

HDRS = {"Content-Type": "application/json", "User-Agent": "ais/python/test"}
SEED = 1103515245
M64 = (1 << 64) - 1


def die(msg):
    print("FAIL:", msg)
    sys.exit(1)


def obj_url(base, bucket, name):
    return "%s/v1/objects/%s/%s?provider=ais" % (
        base, bucket, urllib.parse.quote(name))


def xxh(data):
    return xxhash.xxh64(data, seed=0).hexdigest() if xxhash else None


def check_cksum(resp, data, what):
    ctype = resp.headers.get("ais-checksum-type")
    cval = resp.headers.get("ais-checksum-value")
    if ctype != "xxhash2" or not cval or len(cval) != 16:
        die("%s: checksum headers %r %r" % (what, ctype, cval))
    if xxhash and cval != xxh(data):
        die("%s: checksum %s, data hashes to %s" % (what, cval, xxh(data)))


def put(sess, base, bucket, name, data):
    r = sess.put(obj_url(base, bucket, name), data=data, headers=HDRS,
                 timeout=60)
    if r.status_code != 200:
        die("PUT %s: %d %s" % (name, r.status_code, r.text))
    check_cksum(r, data, "PUT %s" % name)
    if not r.headers.get("ais-version") or not r.headers.get("ais-atime"):
        die("PUT %s: no version/atime headers: %r" % (name, r.headers))
    return r


def get(sess, base, bucket, name, data):
    r = sess.get(obj_url(base, bucket, name) + "&archpath=", headers=HDRS,
                 timeout=60)
    if r.status_code != 200:
        die("GET %s: %d %s" % (name, r.status_code, r.text))
    if r.content != data:
        die("GET %s: %d bytes differ from the %d put" % (
            name, len(r.content), len(data)))
    if int(r.headers.get("content-length", -1)) != len(data):
        die("GET %s: Content-Length %r" % (name,
                                            r.headers.get("content-length")))
    check_cksum(r, data, "GET %s" % name)
    # a redirect was followed: the proxy answered 301
    if not r.history or r.history[0].status_code != 301:
        die("GET %s: expected one 301 from the proxy, history %r" % (
            name, [h.status_code for h in r.history]))
    return r


def cmd_roundtrip(base, bucket, name, size):
    data = os.urandom(int(size))
    with requests.Session() as s:
        r = put(s, base, bucket, name, data)
        if not r.history or r.history[0].status_code != 307:
            die("PUT: expected a 307 from the proxy, history %r" % (
                [h.status_code for h in r.history]))
        # the same keep-alive session again: the proxy must have consumed
        # (or closed) the first body
        put(s, base, bucket, name, data)
        get(s, base, bucket, name, data)
    print("OK roundtrip %s %d bytes" % (name, len(data)))


def cmd_concurrent(base, bucket, n, size):
    n, size = int(n), int(size)
    blobs = {"conc/obj-%03d" % i: os.urandom(size + i) for i in range(n)}
    local = __import__("threading").local()

    def sess():
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        list(ex.map(lambda kv: put(sess(), base, bucket, kv[0], kv[1]),
                    blobs.items()))
    t1 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        list(ex.map(lambda kv: get(sess(), base, bucket, kv[0], kv[1]),
                    blobs.items()))
    t2 = time.time()
    total = sum(len(v) for v in blobs.values())
    print("OK concurrent %d objects, %d bytes: put %.2fs get %.2fs" % (
        n, total, t1 - t0, t2 - t1))


def cmd_bigput(base, bucket, name, path):
    size = os.path.getsize(path)
    t0 = time.time()
    with open(path, "rb") as f, requests.Session() as s:
        # a file object: requests streams it and rewinds it for the 307
        r = s.put(obj_url(base, bucket, name), data=f, headers=HDRS,
                  timeout=120)
    if r.status_code != 200:
        die("PUT %s: %d %s" % (name, r.status_code, r.text))
    print("OK bigput %d bytes in %.2fs" % (size, time.time() - t0))


def cmd_abort(target, bucket, name, size, wkglob=None):
    size = int(size)
    u = urllib.parse.urlsplit(target)
    path = "/v1/objects/%s/%s?provider=ais&pid=ptest&utm=%d" % (
        bucket, urllib.parse.quote(name), time.time_ns())
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    s.sendall(("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n" %
               (path, u.netloc, size)).encode())
    s.sendall(os.urandom(size // 2))
    if wkglob:
        # the target streams to a work file: it exists mid-upload
        for _ in range(50):
            if glob.glob(wkglob):
                break
            time.sleep(0.1)
        else:
            die("no work file matches %s mid-upload" % wkglob)
    else:
        time.sleep(0.3)
    s.close()
    print("OK abort after %d of %d bytes" % (size // 2, size))


def mix(x):
    z = (x + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    z = ((z ^ (z >> 31)) + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    z = ((z ^ (z >> 31)) * 5) & M64
    z = ((z << 7) | (z >> 57)) & M64
    return (z * 9) & M64


def cmd_owner(base, bucket, name):
    if not xxhash:
        die("python3-xxhash is needed to compute HRW")
    smap = requests.get(base + "/v1/daemon?what=smap", timeout=10).json()
    digest = xxhash.xxh64_intdigest(
        ("ais/@#/%s/%s" % (bucket, name)).encode(), seed=SEED)
    best, best_w = None, -1
    for tid, t in smap["tmap"].items():
        if int(t.get("flags", 0)) & (4 | 8):
            continue
        w = mix(int(t["id_digest"]) ^ digest)
        if w > best_w:
            best, best_w = tid, w
    print(best)


def main():
    cmds = {"roundtrip": cmd_roundtrip, "concurrent": cmd_concurrent,
            "bigput": cmd_bigput, "abort": cmd_abort, "owner": cmd_owner}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        die("usage: %s {%s} ARGS..." % (sys.argv[0], "|".join(cmds)))
    try:
        cmds[sys.argv[1]](*sys.argv[2:])
    except requests.RequestException as e:
        die("%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main()

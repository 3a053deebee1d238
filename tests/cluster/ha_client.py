#!/usr/bin/env python3
"""Bulk object client for the HA scenarios (tests/cluster/31-ha.sh).

Object i of a bucket is named "obj-<i>" and its bytes are a pure function
of the name (sizes 1..96 KiB, a few of 1..3 MiB), so every check knows the
expected content without keeping it. Requests follow the proxy's 301/307 as
the AIS SDK does, over keep-alive sessions, from a few threads.

Subcommands (print "OK ..." and exit 0, or say why and exit 1):
  put URL BUCKET FIRST COUNT        PUT objects FIRST..FIRST+COUNT-1
  verify URL BUCKET FIRST COUNT     GET them back, byte-exact, all 200
  getloop URL BUCKET COUNT SECS     GET random objects of 0..COUNT-1 for up
                                    to SECS seconds (or until the file
                                    $STOPFILE exists); any non-200 or wrong
                                    byte fails
"""
import concurrent.futures
import hashlib
import os
import random
import sys
import time

import requests

HDRS = {"User-Agent": "ais/python/test"}
THREADS = 8


def die(msg):
    print("FAIL " + msg)
    sys.exit(1)


def content(name):
    h = hashlib.sha256(name.encode()).digest()
    n = int.from_bytes(h[:4], "little")
    size = (n % (96 * 1024)) + 1
    if n % 97 == 0:
        size = (1 << 20) + n % (2 << 20)
    block = hashlib.sha512(h).digest()
    reps = size // len(block) + 1
    return (block * reps)[:size]


def url(base, bucket, name):
    return "%s/v1/objects/%s/%s" % (base, bucket, name)


def put_one(sess, base, bucket, i):
    name = "obj-%d" % i
    data = content(name)
    for attempt in range(20):
        try:
            r = sess.put(url(base, bucket, name), data=data, headers=HDRS,
                         allow_redirects=False, timeout=30)
            if r.status_code in (301, 307):
                r = sess.put(r.headers["Location"], data=data, headers=HDRS,
                             timeout=30)
            if r.status_code == 200:
                return None
            err = "PUT %s: %d %s" % (name, r.status_code, r.text[:200])
        except requests.RequestException as e:
            err = "PUT %s: %s" % (name, e)
        time.sleep(0.2)
    return err


def get_one(sess, base, bucket, i):
    name = "obj-%d" % i
    try:
        r = sess.get(url(base, bucket, name), headers=HDRS, timeout=30)
    except requests.RequestException as e:
        return "GET %s: %s" % (name, e)
    if r.status_code != 200:
        return "GET %s: %d %s" % (name, r.status_code, r.text[:200])
    if r.content != content(name):
        return "GET %s: wrong bytes (%d, expected %d)" % (
            name, len(r.content), len(content(name)))
    return None


def run(fn, base, bucket, idx):
    sessions = [requests.Session() for _ in range(THREADS)]
    errs = []
    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        futs = [ex.submit(fn, sessions[k % THREADS], base, bucket, i)
                for k, i in enumerate(idx)]
        for f in futs:
            e = f.result()
            if e:
                errs.append(e)
    return errs


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("put", "verify"):
        base, bucket, first, count = args[0], args[1], int(args[2]), int(args[3])
        idx = range(first, first + count)
        errs = run(put_one if cmd == "put" else get_one, base, bucket, idx)
        if errs:
            die("%d of %d failed; first: %s" % (len(errs), count, errs[:3]))
        print("OK %s %d objects" % (cmd, count))
    elif cmd == "getloop":
        base, bucket, count, secs = args[0], args[1], int(args[2]), float(args[3])
        stop = os.environ.get("STOPFILE", "")
        sess = requests.Session()
        rnd = random.Random(7)
        n = 0
        deadline = time.time() + secs
        while time.time() < deadline and n < 1000000:
            if stop and os.path.exists(stop):
                break
            e = get_one(sess, base, bucket, rnd.randrange(count))
            if e:
                die("after %d GETs: %s" % (n, e))
            n += 1
        print("OK getloop %d GETs" % n)
    else:
        die("unknown subcommand " + cmd)


if __name__ == "__main__":
    main()

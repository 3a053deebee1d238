#!/usr/bin/env python3
"""dSort client for tests/cluster/40-dsort.sh and bench/dsort.sh.

Input records are named "sample%06d" (global index i) and have two files:
"sample%06d.jpg" (bytes derived from i only, sized by `size_of`) and
"sample%06d.cls" (a decimal class, derived from i). Records are spread over
the input shards in a seeded random order, so that sorting has work to do;
any process can regenerate any record's bytes to check them.

Record sizes: DSORT_KIB="LO,HI" (default "1,64") KiB for the .jpg files,
the same for gen and verify.

Subcommands (print "OK ..." and exit 0, or "FAIL: why" and exit 1):
  gen BASE BUCKET PREFIX NSHARDS NRECS EXT
        build NSHARDS shards "<PREFIX>%04d<EXT>" of NRECS records each
        (EXT .tar | .tgz | .tar.gz | .zip) and PUT them (8 threads)
  corrupt BASE BUCKET NAME   overwrite shard NAME with a truncated copy
  start BASE SPEC_JSON       POST /v1/sort; prints "OK <id>"
  wait BASE ID SECS          poll GET /v1/sort?uuid= until every target
        finished (prints "OK finished <ntargets>") or the job aborted
        (prints "ABORTED <errors as JSON>", exit 0); FAIL on timeout
  verify BASE BUCKET PREFIX EXT NTOTAL ALG [MAXSHARD]
        download every output shard PREFIX* of BUCKET (name order = shard
        sequence) and check: each record of 0..NTOTAL-1 exactly once, both
        files byte-identical, never split across shards, the order ALG
        (asc | desc | content | shuffle | none), shard payload <= MAXSHARD
        plus one record, tar shards listed by GNU `tar -tf`. Prints
        "OK <nshards> <digest of the record sequence>".
  count BASE BUCKET [PREFIX] number of objects (prints "OK <n>")
  run BASE SPEC_JSON SECS    start + wait in one process (bench/dsort.sh):
        prints "OK <id> <seconds>", the time from just before the POST to
        the latest shard_creation end_time the targets recorded (same
        host clock), so neither interpreter start-up nor the poll interval
        is counted
"""
import concurrent.futures
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import zipfile

import requests

HDRS = {"User-Agent": "ais/python/dsort-test"}
CLS_MAX = 1000
LO, HI = (int(x) for x in os.environ.get("DSORT_KIB", "1,64").split(","))


def die(msg):
    print("FAIL:", msg, flush=True)
    os._exit(1)


def size_of(i, lo=LO, hi=HI):
    """lo..hi KiB, skewed small (mean ~lo + (hi - lo) / 5) so a
    10,000-record set stays ~140 MiB and the scenario fast."""
    if lo == hi:
        return lo * 1024
    u = random.Random("size/%d" % i).random()
    return int(lo * 1024 + (hi - lo) * 1024 * u ** 4)


def jpg(i, lo=LO, hi=HI):
    r = random.Random("jpg/%d" % i)
    n = size_of(i, lo, hi)
    # a cheap pattern keyed by i: randbytes of 64 KiB per record is slow
    head = r.randbytes(64)
    return (head * (n // 64 + 1))[:n]


def cls(i):
    return b"%d\n" % random.Random("cls/%d" % i).randrange(CLS_MAX)


def rec_name(i):
    return "sample%06d" % i


def obj_url(base, bucket, name):
    return "%s/v1/objects/%s/%s?provider=ais" % (
        base, bucket, urllib.parse.quote(name))


def build_shard(ext, recs, lo, hi):
    buf = io.BytesIO()
    if ext == ".zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i in recs:
                z.writestr(rec_name(i) + ".cls", cls(i))
                z.writestr(rec_name(i) + ".jpg", jpg(i, lo, hi))
        return buf.getvalue()
    mode = "w:gz" if ext in (".tgz", ".tar.gz") else "w"
    with tarfile.open(fileobj=buf, mode=mode,
                      format=tarfile.GNU_FORMAT) as t:
        for i in recs:
            for suf, data in ((".cls", cls(i)), (".jpg", jpg(i, lo, hi))):
                ti = tarfile.TarInfo(rec_name(i) + suf)
                ti.size = len(data)
                ti.mtime = 1700000000
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def cmd_gen(base, bucket, prefix, nshards, nrecs, ext):
    nshards, nrecs, lo, hi = int(nshards), int(nrecs), LO, HI
    order = list(range(nshards * nrecs))
    random.Random("order/%s" % prefix).shuffle(order)
    total = [0]

    def one(s):
        data = build_shard(ext, order[s * nrecs:(s + 1) * nrecs], lo, hi)
        name = "%s%04d%s" % (prefix, s, ext)
        r = requests.put(obj_url(base, bucket, name), data=data,
                         headers=HDRS, timeout=120)
        if r.status_code != 200:
            die("PUT %s: %d %s" % (name, r.status_code, r.text[:200]))
        return len(data)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        for n in ex.map(one, range(nshards)):
            total[0] += n
    print("OK %d shards %d records %d bytes" % (
        nshards, nshards * nrecs, total[0]))


def cmd_corrupt(base, bucket, name):
    r = requests.get(obj_url(base, bucket, name), headers=HDRS, timeout=60)
    if r.status_code != 200:
        die("GET %s: %d" % (name, r.status_code))
    data = bytearray(r.content[:len(r.content) // 2])
    # garbage over a header in the middle, then the cut
    for k in range(512, min(len(data), 1024)):
        data[k] = 0x5A
    r = requests.put(obj_url(base, bucket, name), data=bytes(data),
                     headers=HDRS, timeout=60)
    if r.status_code != 200:
        die("PUT %s: %d" % (name, r.status_code))
    print("OK corrupted %s (%d bytes)" % (name, len(data)))


def start(base, spec):
    r = requests.post(base + "/v1/sort", data=spec, headers=HDRS,
                      timeout=60)
    if r.status_code != 200:
        die("start: %d %s" % (r.status_code, r.text[:300]))
    return r.text.strip()


def cmd_start(base, spec):
    print("OK", start(base, spec))


def status(base, jid):
    r = requests.get(base + "/v1/sort", params={"uuid": jid}, headers=HDRS,
                     timeout=30)
    if r.status_code != 200:
        return None, "%d %s" % (r.status_code, r.text[:200])
    return r.json(), None


def wait(base, jid, secs):
    """Polls until the job ends: returns (True, metrics) when every target
    finished creating shards, (False, errors) when it aborted."""
    # DSORT_POLL: seconds between status polls
    poll = float(os.environ.get("DSORT_POLL", "0.3"))
    deadline = time.time() + float(secs)
    last = None
    while time.time() < deadline:
        d, err = status(base, jid)
        if d is None:
            last = err
            time.sleep(poll)
            continue
        last = d
        mets = [v.get("Metrics", v) for v in d.values()]
        if any(m.get("aborted") for m in mets):
            return False, [e for m in mets for e in (m.get("errors") or [])]
        if all(m["shard_creation"]["finished"] for m in mets):
            if os.environ.get("DSORT_DUMP"):
                sys.stderr.write(json.dumps(d, indent=1) + "\n")
            return True, mets
        time.sleep(poll)
    die("job %s not finished after %ss: %s" % (
        jid, secs, json.dumps(last)[:1500]))


def cmd_wait(base, jid, secs):
    ok, res = wait(base, jid, secs)
    if not ok:
        print("ABORTED", json.dumps(res))
        return
    print("OK finished %d" % len(res))


def rfc3339_ns(s):
    """'2026-11-22T14:01:24.380941723Z' -> seconds since the epoch (UTC),
    keeping the nanoseconds datetime would drop."""
    import calendar
    day, _, rest = s.rstrip("Z").partition("T")
    hms, _, frac = rest.partition(".")
    t = calendar.timegm(time.strptime(day + "T" + hms, "%Y-%m-%dT%H:%M:%S"))
    return t + (float("0." + frac) if frac else 0.0)


def cmd_run(base, spec, secs):
    t0 = time.time()
    jid = start(base, spec)
    ok, res = wait(base, jid, secs)
    if not ok:
        die("job %s aborted: %s" % (jid, json.dumps(res)))
    t1 = max(rfc3339_ns(m["shard_creation"]["end_time"]) for m in res)
    print("OK %s %.3f" % (jid, t1 - t0))


def list_names(base, bucket, prefix=""):
    names, token = [], ""
    while True:
        r = requests.get("%s/v1/buckets/%s?provider=ais" % (base, bucket),
                         json={"action": "list", "name": "",
                               "value": {"prefix": prefix, "pagesize": 1000,
                                         "continuation_token": token,
                                         "flags": "0", "props": "name"}},
                         headers=dict(HDRS, Accept="application/json"),
                         timeout=60)
        if r.status_code != 200:
            die("list %s: %d %s" % (bucket, r.status_code, r.text[:200]))
        d = r.json()
        names += [e["name"] for e in (d.get("entries") or [])]
        token = d.get("continuation_token") or ""
        if not token:
            return names


def cmd_count(base, bucket, prefix=""):
    print("OK %d" % len(list_names(base, bucket, prefix)))


def shard_members(ext, data, name):
    """[(member name, bytes)] in archive order."""
    out = []
    if ext == ".zip":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for zi in z.infolist():
                out.append((zi.filename, z.read(zi)))
        return out
    mode = "r:gz" if ext in (".tgz", ".tar.gz") else "r:"
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as t:
            for ti in t:
                if not ti.isfile():
                    die("%s: non-file member %s" % (name, ti.name))
                out.append((ti.name, t.extractfile(ti).read()))
    except tarfile.TarError as e:
        die("%s: unreadable: %s" % (name, e))
    return out


def gnu_tar_list(ext, data, name):
    if ext == ".zip":
        return
    with tempfile.NamedTemporaryFile(suffix=ext) as f:
        f.write(data)
        f.flush()
        p = subprocess.run(["tar", "-tf", f.name], capture_output=True)
        if p.returncode != 0:
            die("%s: GNU tar -tf: %s" % (name, p.stderr.decode()[:200]))


def cmd_verify(base, bucket, prefix, ext, ntotal, alg, maxshard=0):
    ntotal, maxshard = int(ntotal), int(maxshard)
    names = sorted(n for n in list_names(base, bucket, prefix))
    if not names:
        die("no output shards %s* in %s" % (prefix, bucket))

    def fetch(n):
        r = requests.get(obj_url(base, bucket, n), headers=HDRS, timeout=120)
        if r.status_code != 200:
            die("GET %s: %d" % (n, r.status_code))
        return r.content

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        datas = list(ex.map(fetch, names))
    seq, seen = [], {}
    maxrec = 0
    for si, (n, data) in enumerate(zip(names, datas)):
        if not n.endswith(ext):
            die("%s: expected extension %s" % (n, ext))
        gnu_tar_list(ext, data, n)
        payload = 0
        recs_here = []
        for mname, b in shard_members(ext, data, n):
            base_, dot, suf = mname.partition(".")
            if not base_.startswith("sample") or suf not in ("jpg", "cls"):
                die("%s: unexpected member %r" % (n, mname))
            i = int(base_[6:])
            if i >= ntotal:
                die("%s: record %s out of range" % (n, base_))
            want = jpg(i) if suf == "jpg" else cls(i)
            if b != want:
                die("%s: %s: %d bytes differ from the input (%d)" % (
                    n, mname, len(b), len(want)))
            files = seen.setdefault(i, {})
            if suf in files:
                die("%s: %s appears twice (also in %s)" % (
                    n, mname, names[files[suf]]))
            files[suf] = si
            if not recs_here or recs_here[-1] != i:
                if i in recs_here:
                    die("%s: files of %s not adjacent" % (n, base_))
                recs_here.append(i)
            payload += len(b)
        for i in recs_here:
            f = seen[i]
            if len(f) != 2 or f["jpg"] != f["cls"]:
                die("record %s split or incomplete: %r" % (rec_name(i), f))
            maxrec = max(maxrec, len(jpg(i)) + len(cls(i)))
        if maxshard and payload > maxshard + maxrec:
            die("%s: %d bytes of records > limit %d + one record" % (
                n, payload, maxshard))
        seq += recs_here
    if len(seen) != ntotal:
        missing = [rec_name(i) for i in range(ntotal) if i not in seen][:5]
        die("%d of %d records in the output; missing e.g. %s" % (
            len(seen), ntotal, missing))
    if alg == "asc" and seq != sorted(seq):
        die("not in ascending name order")
    if alg == "desc" and seq != sorted(seq, reverse=True):
        die("not in descending name order")
    if alg == "content":
        keys = [int(cls(i)) for i in seq]
        if keys != sorted(keys):
            bad = next(k for k in range(1, len(keys)) if keys[k] < keys[k - 1])
            die("content keys not ascending at %d: %d after %d" % (
                bad, keys[bad], keys[bad - 1]))
    if alg == "shuffle" and (seq == sorted(seq)
                             or seq == sorted(seq, reverse=True)):
        die("shuffle output is sorted")
    digest = hashlib.sha1(",".join(map(str, seq)).encode()).hexdigest()[:16]
    print("OK %d %s" % (len(names), digest))


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"gen": cmd_gen, "corrupt": cmd_corrupt, "start": cmd_start,
          "wait": cmd_wait, "verify": cmd_verify,
          "count": cmd_count, "run": cmd_run}.get(cmd)
    if fn is None:
        die("unknown command %r" % cmd)
    try:
        fn(*args)
    except TypeError as e:
        die("%s: %s" % (cmd, e))


if __name__ == "__main__":
    main()

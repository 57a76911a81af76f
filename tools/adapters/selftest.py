#!/usr/bin/env python3
"""Quick self-test of the gate adapters in this directory.

    python3 tools/adapters/selftest.py            # every adapter, every mode
    python3 tools/adapters/selftest.py -v         # also print every request/answer
    python3 tools/adapters/selftest.py --only cpython-debug
    python3 tools/adapters/selftest.py --bench 20000   # malloc/free requests per second

Each adapter runs as a subprocess speaking gate protocol v1.  Checks are grouped
in named categories; a conforming adapter must pass them all, and each
nonconforming bug must fail exactly the category that exposes it (and nothing
else), which is how "the bug is visible" is asserted.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
VERBOSE = False

SIZE_MAX = 2**64 - 1
SSIZE_MAX = 2**63 - 1


def env_with(**kw):
    env = dict(os.environ)
    env.pop("PYTHONMALLOC", None)
    env.pop("PYTHONDEVMODE", None)
    env.update({k: v for k, v in kw.items() if v is not None})
    return env


def jnum(v):
    """protocol integer -> int."""
    return int(v) if isinstance(v, str) else v


def pint(v):
    """int -> protocol integer."""
    return v if abs(v) <= 2**53 - 1 else str(v)


def ptr(a):
    return None if a is None else int(a, 16)


# answers printed even without -v (memory ops are summarised per family instead)
SHOW_OPS = {"new_type", "object_new", "object_new_var", "object_init", "object_init_var",
            "object_header", "type_refcnt", "object_del", "bye"}


class AdapterDied(Exception):
    pass


class Client:
    def __init__(self, argv, env):
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, env=env)
        self.next_id = 0

    def raw(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        ans = self.p.stdout.readline()
        if not ans:
            raise AdapterDied()
        return json.loads(ans)

    def call(self, op, **kw):
        rid = self.next_id
        self.next_id += 1
        req = {"id": rid, "op": op, **kw}
        line = json.dumps(req, separators=(",", ":"))
        try:
            ans = self.raw(line)
        except (AdapterDied, BrokenPipeError):
            if VERBOSE:
                print("   ->", line, "\n   <- (adapter died)")
            raise AdapterDied() from None
        if VERBOSE or op in SHOW_OPS:
            print("   ->", line, "\n   <-", json.dumps(ans, separators=(",", ":")))
        assert ans.get("id") == rid, f"answer id mismatch: {ans}"
        return ans

    def finish(self, timeout=10):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.p.wait(timeout)
        self.err.seek(0)
        return rc, self.err.read().decode(errors="replace")


class Checks:
    def __init__(self, label):
        self.label = label
        self.failed = {}   # category -> [details]
        self.passed = 0

    def __call__(self, category, ok, detail):
        if ok:
            self.passed += 1
        else:
            self.failed.setdefault(category, []).append(detail)
            print(f"   FAIL [{category}] {detail}")
        return ok


# ----------------------------------------------------------------------------
# suites

def suite_family(c, chk, fam, debug, glibc):
    """malloc/calloc/realloc/free/write/read in one family."""
    blocks = []
    # malloc of various sizes, write/read round trip, alignment
    for n in (0, 1, 8, 16, 17, 100, 488, 512, 513, 1000, 100000):
        a = c.call("malloc", api=fam, size=n)
        p = ptr(a["ptr"])
        chk("malloc0_nonnull" if n == 0 else "malloc", p is not None, f"{fam} malloc({n}) -> {a}")
        if p is None:
            continue
        chk("align16", p % 16 == 0, f"{fam} malloc({n}) -> {hex(p)} not 16-aligned")
        blocks.append(p)
        if n:
            pat = bytes((i * 7 + n) & 0xFF for i in range(min(n, 64)))
            c.call("write", ptr=hex(p), offset=0, bytes=pat.hex())
            back = bytes.fromhex(c.call("read", ptr=hex(p), offset=0, length=len(pat))["bytes"])
            chk("write_read", back == pat, f"{fam} write/read {n}: {back.hex()} != {pat.hex()}")
        if debug:
            head = bytes.fromhex(c.call("read", ptr=hex(p), offset=-16, length=16)["bytes"])
            tail = bytes.fromhex(c.call("read", ptr=hex(p), offset=n, length=8)["bytes"])
            want = n.to_bytes(8, "big") + fam.encode() + b"\xfd" * 7
            chk("debug_layout", head == want and tail == b"\xfd" * 8,
                f"{fam} malloc({n}) header {head.hex()} trailer {tail.hex()}")
    print(f"   {fam}: malloc -> " + " ".join(hex(b) for b in blocks))
    a0 = ptr(c.call("malloc", api=fam, size=0)["ptr"])
    b0 = ptr(c.call("malloc", api=fam, size=0)["ptr"])
    chk("malloc0_nonnull", a0 is not None and b0 is not None and a0 != b0,
        f"{fam} two malloc(0) -> {a0} {b0}")
    blocks += [x for x in (a0, b0) if x]

    # calloc
    a = ptr(c.call("calloc", api=fam, nelem=3, elsize=7)["ptr"])
    if chk("calloc", a is not None, f"{fam} calloc(3,7) null"):
        z = c.call("read", ptr=hex(a), offset=0, length=21)["bytes"]
        chk("calloc", z == "00" * 21, f"{fam} calloc(3,7) not zeroed: {z}")
        chk("align16", a % 16 == 0, f"{fam} calloc(3,7) -> {hex(a)}")
        blocks.append(a)
    for ne, es in ((0, 0), (0, 5), (5, 0)):
        a = ptr(c.call("calloc", api=fam, nelem=ne, elsize=es)["ptr"])
        chk("malloc0_nonnull", a is not None, f"{fam} calloc({ne},{es}) -> NULL")
        if a:
            blocks.append(a)

    # realloc: grow and shrink keep min(old,new) bytes
    for old, new in ((10, 100), (100, 5), (40, 48), (600, 2000), (2000, 300), (64, 64)):
        p = ptr(c.call("malloc", api=fam, size=old)["ptr"])
        pat = bytes(range(1, old + 1)) if old <= 255 else bytes((i % 251) + 1 for i in range(old))
        c.call("write", ptr=hex(p), offset=0, bytes=pat.hex())
        q = ptr(c.call("realloc", api=fam, ptr=hex(p), size=new)["ptr"])
        if not chk("realloc", q is not None, f"{fam} realloc({old}->{new}) null"):
            continue
        keep = min(old, new)
        back = bytes.fromhex(c.call("read", ptr=hex(q), offset=0, length=keep)["bytes"])
        chk("realloc_preserves", back == pat[:keep],
            f"{fam} realloc {old}->{new}: last preserved bytes {back[-4:].hex()} "
            f"!= {pat[keep-4:keep].hex()}")
        chk("align16", q % 16 == 0, f"{fam} realloc -> {hex(q)}")
        if debug and new > old:
            grow = c.call("read", ptr=hex(q), offset=old, length=new - old)["bytes"]
            chk("debug_layout", grow == "cd" * (new - old), f"{fam} realloc growth not 0xCD")
        blocks.append(q)
    q = ptr(c.call("realloc", api=fam, ptr=None, size=24)["ptr"])
    chk("realloc", q is not None, f"{fam} realloc(NULL,24) null")
    if q:
        blocks.append(q)
    p = ptr(c.call("malloc", api=fam, size=32)["ptr"])
    q = ptr(c.call("realloc", api=fam, ptr=hex(p), size=0)["ptr"])
    if glibc:
        chk("glibc_realloc0", q is None, f"glibc realloc(p,0) -> {q} (expected NULL, p freed)")
    else:
        chk("malloc0_nonnull", q is not None, f"{fam} realloc(p,0) -> NULL")
        blocks.append(q or p)

    # huge sizes: refused with NULL, never a crash; a failed realloc keeps the block
    for n in (SIZE_MAX, 2**63, SSIZE_MAX, SSIZE_MAX - 10, 2**62):
        a = c.call("malloc", api=fam, size=pint(n))
        chk("huge", a.get("ptr", "x") is None, f"{fam} malloc({n}) -> {a}")
    for ne, es in ((2**32, 2**32), (SIZE_MAX, 2), (2, SIZE_MAX), (2**62, 4), (SIZE_MAX, SIZE_MAX)):
        a = c.call("calloc", api=fam, nelem=pint(ne), elsize=pint(es))
        chk("huge", a.get("ptr", "x") is None, f"{fam} calloc({ne},{es}) -> {a}")
    p = ptr(c.call("malloc", api=fam, size=16)["ptr"])
    c.call("write", ptr=hex(p), offset=0, bytes="aa" * 16)
    for n in (SIZE_MAX, 2**63, SSIZE_MAX):
        a = c.call("realloc", api=fam, ptr=hex(p), size=pint(n))
        chk("huge", a.get("ptr", "x") is None, f"{fam} realloc(p,{n}) -> {a}")
    back = c.call("read", ptr=hex(p), offset=0, length=16)["bytes"]
    chk("huge", back == "aa" * 16, f"{fam} block changed by a failed realloc: {back}")
    blocks.append(p)

    print(f"   {fam}: huge malloc/calloc/realloc -> all null; realloc(p,0) -> {q and hex(q)}; "
          f"freeing {len(blocks)} blocks")
    for p in blocks:
        a = c.call("free", api=fam, ptr=hex(p))
        chk("free", a == {"id": a["id"]}, f"{fam} free -> {a}")
    a = c.call("free", api=fam, ptr=None)
    chk("free", "error" not in a, f"{fam} free(NULL) -> {a}")


def suite_objects(c, chk, debug):
    def refcnt(t):
        return jnum(c.call("type_refcnt", type=t)["refcnt"])

    T = {}
    for name, bs, its, heap in (("H", 16, 0, True), ("S", 16, 0, False),
                                ("HV", 33, 1, True), ("SV", 24, 8, False),
                                ("H32", 32, 0, True)):
        req = {"basicsize": bs, "itemsize": its}
        if not heap:
            req["heap"] = False
        a = c.call("new_type", **req)
        chk("new_type", a.get("type") is not None, f"new_type {req} -> {a}")
        T[name] = (a["type"], bs, its, heap)
    objs = []

    def expect_header(p, t, its, n=None, what=""):
        h = c.call("object_header", ptr=hex(p))
        ok = jnum(h["refcnt"]) == 1 and h["type"] == t
        if its > 0:
            ok = ok and "size" in h and jnum(h["size"]) == n
        else:
            ok = ok and "size" not in h
        chk("object_header", ok, f"{what}: header {h}, expected refcnt 1 type {t} size {n}")

    def delta_cat(heap):
        return "heap_incref" if heap else "static_noincref"

    for name in ("H", "S", "H32"):
        t, bs, its, heap = T[name]
        r0 = refcnt(t)
        a = c.call("object_new", type=t)
        p = ptr(a["ptr"])
        chk("object_new", p is not None and "exception" not in a, f"object_new {name} -> {a}")
        r1 = refcnt(t)
        chk(delta_cat(heap), r1 - r0 == (1 if heap else 0),
            f"object_new on {'heap' if heap else 'static'} type {name}: refcnt {r0} -> {r1}")
        chk("align16", p % 16 == 0, f"object_new {name} -> {hex(p)}")
        expect_header(p, t, its, what=f"object_new {name}")
        objs.append(p)

    for name, n in (("HV", 5), ("SV", 3), ("HV", 0), ("SV", 100)):
        t, bs, its, heap = T[name]
        r0 = refcnt(t)
        a = c.call("object_new_var", type=t, nitems=n)
        p = ptr(a["ptr"])
        chk("object_new_var", p is not None, f"object_new_var {name},{n} -> {a}")
        r1 = refcnt(t)
        chk(delta_cat(heap), r1 - r0 == (1 if heap else 0),
            f"object_new_var {name}: refcnt {r0} -> {r1}")
        chk("align16", p % 16 == 0, f"object_new_var -> {hex(p)}")
        expect_header(p, t, its, n, f"object_new_var {name},{n}")
        objs.append(p)

    # PyObject_Init / InitVar on a block from PyObject_Malloc
    for name in ("H", "S"):
        t, bs, its, heap = T[name]
        m = ptr(c.call("malloc", api="o", size=bs)["ptr"])
        c.call("write", ptr=hex(m), offset=0, bytes="ee" * bs)
        r0 = refcnt(t)
        a = c.call("object_init", ptr=hex(m), type=t)
        chk("object_init", ptr(a["ptr"]) == m, f"object_init {name} -> {a} (block {hex(m)})")
        chk(delta_cat(heap), refcnt(t) - r0 == (1 if heap else 0), f"object_init {name} refcnt delta")
        expect_header(m, t, its, what=f"object_init {name}")
        objs.append(m)
    for name, n in (("HV", 7), ("SV", -3)):
        t, bs, its, heap = T[name]
        m = ptr(c.call("malloc", api="o", size=64)["ptr"])
        r0 = refcnt(t)
        a = c.call("object_init_var", ptr=hex(m), type=t, nitems=n)
        chk("object_init_var", ptr(a["ptr"]) == m, f"object_init_var {name} -> {a}")
        chk(delta_cat(heap), refcnt(t) - r0 == (1 if heap else 0), f"object_init_var {name} delta")
        expect_header(m, t, its, n, f"object_init_var {name},{n}")
        objs.append(m)

    # NULL -> MemoryError, refcount unchanged
    for name in ("H", "S"):
        t = T[name][0]
        r0 = refcnt(t)
        a = c.call("object_init", ptr=None, type=t)
        chk("memoryerror", a.get("ptr", "x") is None and a.get("exception") == "MemoryError",
            f"object_init(NULL) -> {a}")
        a = c.call("object_init_var", ptr=None, type=T["HV"][0], nitems=3)
        chk("memoryerror", a.get("exception") == "MemoryError", f"object_init_var(NULL) -> {a}")
        chk("memoryerror", refcnt(t) == r0, "refcount changed by a failed init")
    # huge nitems: the wrapped size is above PY_SSIZE_T_MAX -> MemoryError
    for name, n in (("HV", SSIZE_MAX), ("HV", SSIZE_MAX - 40), ("SV", 2**60), ("SV", 2**59 + 1)):
        t = T[name][0]
        r0 = refcnt(t)
        a = c.call("object_new_var", type=t, nitems=pint(n))
        chk("memoryerror", a == {"id": a["id"], "ptr": None, "exception": "MemoryError"},
            f"object_new_var({name}, {n}) -> {a}")
        chk("memoryerror", refcnt(t) == r0, "refcount changed by a failed new_var")

    # negative nitems (no debug): basicsize 33, itemsize 1, n=-1 -> 32-byte block, ob_size -1
    if not debug:
        t = T["HV"][0]
        a = c.call("object_new_var", type=t, nitems=-1)
        p = ptr(a["ptr"])
        if chk("object_new_var", p is not None, f"object_new_var(HV,-1) -> {a}"):
            expect_header(p, t, 1, -1, "object_new_var(HV,-1)")
            objs.append(p)

    for p in objs:
        a = c.call("object_del", ptr=hex(p))
        chk("object_del", "error" not in a, f"object_del -> {a}")
    a = c.call("object_del", ptr=None)
    chk("object_del", "error" not in a, f"object_del(NULL) -> {a}")


def suite_protocol(c, chk):
    a = c.raw("this is not json")
    chk("protocol", a.get("id", 0) is None and "error" in a, f"bad line -> {a}")
    a = c.call("no_such_op")
    chk("protocol", a.get("error") == "unsupported", f"unknown op -> {a}")


def run_cpython_like(argv, env, label, debug_expected, expect_fail=()):
    print(f"== {label}: {' '.join(argv)}"
          + (f"  (PYTHONMALLOC={env.get('PYTHONMALLOC')})" if env.get("PYTHONMALLOC") else ""))
    chk = Checks(label)
    c = Client(argv, env)
    h = c.call("hello", protocol=1)
    print("   hello:", json.dumps(h))
    debug = "debug" in h.get("features", [])
    chk("hello", h.get("protocol") == 1 and h.get("version") == "CPython " + sys.version.split()[0]
        and h.get("pointer_bits") == 64, f"hello -> {h}")
    chk("hello", debug == debug_expected, f"debug feature {debug}, expected {debug_expected}")
    suite_protocol(c, chk)
    for fam in "rmo":
        suite_family(c, chk, fam, debug, glibc=False)
    suite_objects(c, chk, debug)
    a = c.call("bye")
    rc, err = c.finish()
    chk("bye", a == {"id": a["id"]} and rc == 0, f"bye -> {a}, exit status {rc}")
    if err.strip():
        print("   stderr:", err.strip()[:400])
    if debug:
        misuse_checks(argv, env, chk)
    return report(chk, expect_fail)


def misuse_checks(argv, env, chk):
    """Wrong-family free, and a write past the end then free: SIGABRT + CPython's report."""
    cases = [
        ("m", "r", None, "Fatal Python error: _PyMem_DebugRawFree: bad ID: "
                         "Allocated using API 'm', verified using API 'r'"),
        ("o", "m", None, "Fatal Python error: _PyMem_DebugRawFree: bad ID: "
                         "Allocated using API 'o', verified using API 'm'"),
        ("r", "r", 1, "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte"),
    ]
    for alloc_api, free_api, overrun, fatal in cases:
        c = Client(argv, env)
        c.call("hello", protocol=1)
        p = c.call("malloc", api=alloc_api, size=24)["ptr"]
        if overrun:
            c.call("write", ptr=p, offset=24, bytes="00")
        died = False
        try:
            c.call("free", api=free_api, ptr=p)
            c.call("hello", protocol=1)
        except AdapterDied:
            died = True
        if not died:
            c.call("bye")
        rc, err = c.finish()
        what = (f"malloc api {alloc_api} + " + ("write past end + " if overrun else "")
                + f"free api {free_api}")
        ok = died and rc == -signal.SIGABRT and f"Debug memory block at address p={p}:" in err \
            and fatal in err
        print(f"   misuse: {what}: exit {rc} ({'SIGABRT' if rc == -signal.SIGABRT else 'no abort'})")
        if err:
            first = err.split("Current thread")[0].rstrip()
            print("      " + first.replace("\n", "\n      "))
        chk("misuse_aborts", ok, f"{what}: died={died} rc={rc}")


def run_glibc(expect_fail=()):
    argv = [PY, os.path.join(HERE, "glibc_raw.py")]
    label = "glibc_raw"
    print(f"== {label}: {' '.join(argv)}")
    chk = Checks(label)
    c = Client(argv, env_with())
    h = c.call("hello", protocol=1)
    print("   hello:", json.dumps(h))
    chk("hello", h.get("protocol") == 1 and h.get("features") == ["raw"], f"hello -> {h}")
    suite_protocol(c, chk)
    suite_family(c, chk, "r", False, glibc=True)
    for op, kw in (("malloc", {"api": "m", "size": 8}), ("calloc", {"api": "o", "nelem": 1, "elsize": 1}),
                   ("new_type", {"basicsize": 16, "itemsize": 0}), ("object_del", {"ptr": None})):
        a = c.call(op, **kw)
        chk("unsupported", a.get("error") == "unsupported", f"{op} {kw} -> {a}")
    a = c.call("bye")
    rc, err = c.finish()
    chk("bye", a == {"id": a["id"]} and rc == 0, f"bye -> {a}, exit {rc}")
    return report(chk, expect_fail)


def report(chk, expect_fail):
    failed = set(chk.failed)
    if expect_fail:
        ok = failed == set(expect_fail)
        verdict = (f"bug VISIBLE: failed exactly {sorted(failed)}" if ok else
                   f"UNEXPECTED: failed {sorted(failed)}, expected exactly {sorted(expect_fail)}")
    else:
        ok = not failed
        verdict = "all checks passed" if ok else f"FAILED categories {sorted(failed)}"
    print(f"   -> {chk.label}: {chk.passed} checks passed; {verdict}\n")
    return ok


def bench(n, env_mode=None):
    env = env_with(PYTHONMALLOC=env_mode)
    c = Client([PY, os.path.join(HERE, "cpython_ctypes.py")], env)
    c.call("hello", protocol=1)
    for fam in "rmo":
        t0 = time.perf_counter()
        for i in range(n // 2):
            p = c.call("malloc", api=fam, size=64)["ptr"]
            c.call("free", api=fam, ptr=p)
        dt = time.perf_counter() - t0
        print(f"cpython_ctypes.py (PYTHONMALLOC={env_mode or 'unset'}) api {fam}: "
              f"{n // 2 * 2} requests in {dt:.2f}s = {n // 2 * 2 / dt:,.0f} req/s (lockstep)")
    # pipelined: 1000 mallocs written at once, answers read, then 1000 frees
    for fam in "rmo":
        t0 = time.perf_counter()
        done = 0
        rid = 10**9
        while done < n:
            reqs = []
            for i in range(500):
                rid += 1
                reqs.append('{"id":%d,"op":"malloc","api":"%s","size":64}' % (rid, fam))
            c.p.stdin.write(("\n".join(reqs) + "\n").encode())
            c.p.stdin.flush()
            ptrs = [json.loads(c.p.stdout.readline())["ptr"] for _ in reqs]
            reqs = []
            for p in ptrs:
                rid += 1
                reqs.append('{"id":%d,"op":"free","api":"%s","ptr":"%s"}' % (rid, fam, p))
            c.p.stdin.write(("\n".join(reqs) + "\n").encode())
            c.p.stdin.flush()
            for _ in reqs:
                c.p.stdout.readline()
            done += 1000
        dt = time.perf_counter() - t0
        print(f"cpython_ctypes.py (PYTHONMALLOC={env_mode or 'unset'}) api {fam}: "
              f"{done} requests in {dt:.2f}s = {done / dt:,.0f} req/s (pipelined, 500 in flight)")
    c.call("bye")
    c.finish()


NC_BUGS = {
    "no-heap-incref": ["heap_incref"],
    "malloc0-null": ["malloc0_nonnull"],
    "align8": ["align16"],
    "realloc-lose-last-byte": ["realloc_preserves"],
    "debug-accepts-wrong-family": ["misuse_aborts"],
}


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--only", help="cpython, cpython-debug, cpython-malloc-debug, glibc, "
                                   "or a nonconforming bug name")
    ap.add_argument("--bench", type=int, metavar="N")
    args = ap.parse_args()
    VERBOSE = args.verbose
    if args.bench:
        bench(args.bench)
        bench(args.bench, "debug")
        return 0
    cp = [PY, os.path.join(HERE, "cpython_ctypes.py")]
    runs = {
        "cpython": lambda: run_cpython_like(cp, env_with(), "cpython_ctypes", False),
        "cpython-debug": lambda: run_cpython_like(cp, env_with(PYTHONMALLOC="debug"),
                                                  "cpython_ctypes debug", True),
        "cpython-malloc-debug": lambda: run_cpython_like(
            cp, env_with(PYTHONMALLOC="malloc_debug"), "cpython_ctypes malloc_debug", True),
        "glibc": run_glibc,
    }
    for bug, fails in NC_BUGS.items():
        runs[bug] = (lambda bug=bug, fails=fails: run_cpython_like(
            [PY, os.path.join(HERE, "nonconforming.py"), "--bug", bug], env_with(),
            f"nonconforming --bug {bug}", bug == "debug-accepts-wrong-family", fails))
    names = [args.only] if args.only else list(runs)
    results = {name: runs[name]() for name in names}
    print("summary:")
    for name, ok in results.items():
        print(f"   {'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

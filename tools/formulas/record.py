#!/usr/bin/env python3
"""Record what the REAL CPython 3.11 does for the objimpl.h size formulas.

    python3 tools/formulas/record.py            # re-record fixtures/formulas.json
    python3 tools/formulas/record.py --check    # re-record, compare, write nothing

The parent process (this script, any PYTHONMALLOC) starts a child,
``python3 -B record.py --child``, with ``PYTHONMALLOC=pymalloc_debug``.  The
child calls ``_PyObject_New``, ``_PyObject_NewVar``, ``PyObject_Init``,
``PyObject_InitVar``, ``_PyObject_GC_New`` and ``_PyObject_GC_NewVar`` through
``ctypes.pythonapi`` (GIL held; a pending exception is raised by ctypes itself)
on types built with ``PyType_FromSpec``, and reads the evidence from memory:

* the size ``PyObject_Malloc`` received, from the debug-hook header: the 8
  bytes at ``block - 16`` hold it big-endian and ``block - 8`` is the API id
  (``'o'``).  ``block`` is the object for non-GC ops and ``object - 16`` (the
  PyGC_Head) for the GC ops;
* ``ob_refcnt``, ``ob_type``, ``ob_size`` and the type's refcount before/after.

Nothing here computes the formulas to produce a recorded value.  The formulas
of the fact sheet (section 1) are used only (a) to decide which cases are
safe to run (a multi-GB successful allocation is skipped; a wrapped size
smaller than the header is run behind a guard block, see ``guarded``), and
(b) in the parent, to cross-check the recording and print disagreements.

Types: non-GC types come from ``Adapter.op_new_type`` of
tools/adapters/cpython_ctypes.py (heap, or emulated static: HEAPTYPE cleared
at tp_flags offset 168, untracked, leaked reference).  GC types are built here
the same way with ``Py_TPFLAGS_HAVE_GC`` and a no-op ``tp_traverse`` slot.

Every successfully created object is leaked (never freed): several of them
are deliberately too small for their own header, and nothing is learnt from
freeing the rest.  The child leaves through ``os._exit`` so finalisation never
walks the emulated static types.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ADAPTERS = os.path.join(ROOT, "tools", "adapters")
FIXTURE = os.path.join(ROOT, "fixtures", "formulas.json")

MAX = 2**63 - 1          # PY_SSIZE_T_MAX
MIN = -(2**63)
MOD = 2**64
BIG = 2**30              # successful allocations at or above this are skipped
HAVE_GC = 1 << 14
GC_PRESIZE = 16          # sizeof(PyGC_Head); our GC types have no managed dict
DEBUG_EXTRA = 24         # PYMEM_DEBUG_EXTRA_BYTES
ALIGNMENT = 16           # pymalloc

RECORDED_WITH = ("python3 tools/formulas/record.py (child: PYTHONMALLOC=pymalloc_debug "
                 "python3 -B record.py --child); ctypes.pythonapi; types from "
                 "PyType_FromSpec via tools/adapters/cpython_ctypes.py; requested_size "
                 "read big-endian from the debug header at block-16")


# --------------------------------------------------------------------------
# Fact-sheet formulas (section 1.2 / 1.4 / 1.5): planning and cross-check only
# --------------------------------------------------------------------------

def var_size(basicsize, itemsize, n):
    """_PyObject_VAR_SIZE with -fwrapv: wrap mod 2**64, +7, clear the low 3 bits."""
    return (((basicsize + n * itemsize) % MOD) + 7) % MOD & ~7


def predict(op, b, i, n):
    """-> (outcome, size PyObject_Malloc receives or None, message or None)."""
    if op == "new":
        return ("ok", b, None) if b <= MAX else ("MemoryError", None, None)
    if op == "new_var":
        s = var_size(b, i, n)
        return ("ok", s, None) if s <= MAX else ("MemoryError", None, None)
    if op == "gc_new":
        if b > MAX - GC_PRESIZE:
            return ("MemoryError", None, None)
        return ("ok", b + GC_PRESIZE, None)
    if op == "gc_new_var":
        if n < 0:
            return ("SystemError", None, None)
        s = var_size(b, i, n)
        if s > MAX - GC_PRESIZE:
            return ("MemoryError", None, None)
        return ("ok", s + GC_PRESIZE, None)
    raise ValueError(op)


# --------------------------------------------------------------------------
# The case plan (deterministic)
# --------------------------------------------------------------------------

NEW_BASICSIZES = [16, 24, 32, 33, 40, 48, 56, 72, 100, 120, 200, 488, 496, 504, 512, 600, 1000]
VAR_BASICSIZES = [24, 32, 33, 40, 48]
ITEMSIZES = [1, 2, 3, 4, 7, 8, 12, 16, 24, 100]
ORDINARY = list(range(21)) + [31, 32, 33, 100, 1000, 5000]
DENSE_TYPES = [(33, 1), (24, 8)]                      # bytes-like, tuple-like
SPARSE = [0, 5, -1, 2**61, MIN]                       # for every (basicsize, itemsize)
EDGE_TYPES = [(33, 1), (24, 8), (24, 16), (40, 3), (32, 12), (48, 100)]
STATIC_VAR = [((33, 1), [0, 5, -1, -40, 2**60]), ((24, 8), [0, 5, -3, 2**61, 2**60])]
GC_NEW_BASICSIZES = [16, 24, 33, 48, 488, 496, 497, 512, 1000]
GC_VAR_TYPES = [(24, 8), (33, 1), (32, 12)]


def edges(b, i):
    """Edge values of n for a (basicsize, itemsize) type."""
    e = [-1, -2, -3, -8, -40, -(b // i), -(b // i) - 1,
         2**60, 2**61, 2**61 - 1, 2**61 - 3, 2**62 - 1, MAX, MIN,
         MAX - 40, MAX // i, MAX // i + 1]
    out = []
    for n in e:
        if MIN <= n <= MAX and n not in out:
            out.append(n)
    return out


def plan():
    cases = []   # (op, basicsize, itemsize, heap, n)
    seen = set()

    def add(op, b, i, heap, n=None):
        key = (op, b, i, heap, n)
        if key not in seen:
            seen.add(key)
            cases.append(key)

    for heap in (True, False):
        for b in NEW_BASICSIZES:
            add("new", b, 0, heap)
    for b, i in DENSE_TYPES:
        for n in ORDINARY:
            add("new_var", b, i, True, n)
    for b, i in EDGE_TYPES:
        for n in edges(b, i):
            add("new_var", b, i, True, n)
    for b in VAR_BASICSIZES:
        for i in ITEMSIZES:
            for n in SPARSE:
                add("new_var", b, i, True, n)
    for (b, i), ns in STATIC_VAR:
        for n in ns:
            add("new_var", b, i, False, n)
    for heap in (True, False):
        add("init_null", 32, 0, heap)
        add("init_var_null", 32, 8, heap, 5)
        add("init", 32, 0, heap)
        add("init_var", 32, 8, heap, 5)
    add("init", 16, 0, True)
    for n in (0, -1, MAX, MIN):   # PyObject_InitVar checks nothing: ob_size is stored as is
        add("init_var", 32, 8, True, n)
    for b in GC_NEW_BASICSIZES:
        add("gc_new", b, 0, True)
    for b in (24, 33):
        add("gc_new", b, 0, False)
    for b, i in GC_VAR_TYPES:
        for n in [0, 1, 5, 8, 100, 1000, -1, -2, MIN, 2**60, 2**61, 2**61 - 1, 2**61 - 3,
                  MAX, MAX // i]:
            add("gc_new_var", b, i, True, n)
    for n in (5, -1):
        add("gc_new_var", 24, 8, False, n)
    return cases


# --------------------------------------------------------------------------
# Child: runs under PYTHONMALLOC=pymalloc_debug and talks to the C API
# --------------------------------------------------------------------------

def child():
    import ctypes
    import gc

    sys.dont_write_bytecode = True
    sys.path.insert(0, ADAPTERS)
    import cpython_ctypes as cc

    if not cc.debug_hooks_present():
        sys.exit("record.py --child: the debug hooks are not installed "
                 "(run under PYTHONMALLOC=pymalloc_debug)")
    try:
        f = cc._bind("_PyMem_GetCurrentAllocatorName", ctypes.c_char_p)
        allocator = (f() or b"?").decode()
    except AttributeError:
        allocator = "?"
    if allocator != "pymalloc_debug":
        sys.exit(f"record.py --child: allocator is {allocator!r}, expected 'pymalloc_debug'")
    # Automatic collections are irrelevant to the values and only add noise.
    gc.disable()

    c_void_p, c_ssize_t = ctypes.c_void_p, ctypes.c_ssize_t
    obj_malloc, _, _, obj_free = cc.FAMILIES["o"]
    gc_new = cc._bind("_PyObject_GC_New", c_void_p, c_void_p)
    gc_new_var = cc._bind("_PyObject_GC_NewVar", c_void_p, c_void_p, c_ssize_t)

    adapter = cc.Adapter()
    types = {}
    keep = []   # ctypes buffers/callbacks of the GC types

    class PyType_Slot(ctypes.Structure):
        _fields_ = [("slot", ctypes.c_int), ("pfunc", c_void_p)]

    Py_tp_traverse = 71
    traverse = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p, c_void_p, c_void_p)(
        lambda o, visit, arg: 0)   # never called: GC_New objects are not tracked
    keep.append(traverse)

    def gc_type(b, i, heap):
        name = ctypes.create_string_buffer(
            b"objimpl_formulas.GC%s%d" % (b"Heap" if heap else b"Static", len(keep)))
        slots = (PyType_Slot * 2)((Py_tp_traverse, ctypes.cast(traverse, c_void_p)), (0, None))
        spec = cc.PyType_Spec(ctypes.cast(name, ctypes.c_char_p), b, i,
                              cc.Py_TPFLAGS_DEFAULT | HAVE_GC, ctypes.addressof(slots))
        t = cc.PyType_FromSpec(ctypes.byref(spec))
        keep.append((name, slots, spec, t))
        tp = id(t)
        if not heap:   # the same static emulation as Adapter.op_new_type
            flags = ctypes.c_ulong.from_address(tp + cc.OFF_TP_FLAGS)
            flags.value = (flags.value & ~cc.Py_TPFLAGS_HEAPTYPE) | cc.Py_TPFLAGS_IMMUTABLETYPE
            cc.PyObject_GC_UnTrack(tp)
            cc.Py_IncRef(tp)
        return tp

    def get_type(b, i, heap, is_gc):
        key = (b, i, heap, is_gc)
        if key not in types:
            if is_gc:
                tp = gc_type(b, i, heap)
            else:
                tp = int(adapter.op_new_type({"basicsize": b, "itemsize": i,
                                              "heap": heap})["type"], 16)
            flags = ctypes.c_ulong.from_address(tp + cc.OFF_TP_FLAGS).value
            assert bool(flags & cc.Py_TPFLAGS_HEAPTYPE) == heap
            assert bool(flags & HAVE_GC) == is_gc
            assert cc.read_ssize(tp + cc.OFF_TP_BASICSIZE) == b
            assert cc.read_ssize(tp + cc.OFF_TP_ITEMSIZE) == i
            types[key] = tp
        return types[key]

    def invoke(fn, *args):
        """-> (ptr or None, exception name or None, message or None)."""
        try:
            p = fn(*args)
        except (MemoryError, SystemError) as e:
            res = (None, type(e).__name__, str(e) if e.args else None)
        else:
            res = (p or None, None, None)
        if cc.PyErr_Occurred():
            raise RuntimeError("an exception is still pending")
        return res

    def guarded(m, extent, call):
        """Run call() when its block (a PyObject_Malloc(m) block) is smaller
        than the `extent` bytes the constructor writes into it.

        Under the hooks that block is the pymalloc block of size class
        round_up(m+24, 16) with the data at +16, so for m in {0, 8} the
        header write runs 8 bytes into the NEXT pool block (whose first word
        is its debug size field, or a free-list link).  So: allocate blocks of
        the same class until the last two are adjacent, free the lower one
        (it becomes the head of its pool's free list, and that pool is at the
        front of usedpools), make the call, and check that the call got
        exactly that block.  The upper block absorbs the overflow and is
        leaked; the lower (the object) is leaked too."""
        if m is None or m >= extent:
            return call()
        cls = (m + DEBUG_EXTRA + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        blocks = []
        for _ in range(100000):
            blocks.append(obj_malloc(m))
            if len(blocks) >= 2 and blocks[-1] == blocks[-2] + cls:
                break
        else:
            raise RuntimeError("guard: no two adjacent blocks")
        lower = blocks[-2]
        obj_free(lower)
        res = call()
        p = res[0]
        if p is not None:
            block = p - (GC_PRESIZE if extent > 24 else 0)
            if block != lower:
                raise RuntimeError(f"guard: the constructor got another block "
                                   f"(m={m}); memory may be corrupted, rerun")
        for b_ in blocks[:-2]:
            obj_free(b_)
        return res

    def describe(p, tp, var, is_gc):
        block = p - GC_PRESIZE if is_gc else p
        rec = {
            "requested_size": str(int.from_bytes(ctypes.string_at(block - 16, 8), "big")),
            "api": chr(ctypes.string_at(block - 8, 1)[0]),
            "refcnt": cc.read_ssize(p + cc.OFF_OB_REFCNT),
            "ob_type_is_type": cc.read_ptr(p + cc.OFF_OB_TYPE) == tp,
        }
        if var:
            rec["ob_size"] = str(cc.read_ssize(p + cc.OFF_OB_SIZE))
        if is_gc:
            rec["gc_head_zero"] = ctypes.string_at(p - GC_PRESIZE, GC_PRESIZE) == bytes(16)
        return rec

    out, skipped = [], []
    for op, b, i, heap, n in plan():
        is_gc = op.startswith("gc_")
        var = op in ("new_var", "init_var", "init_var_null", "gc_new_var")
        rec_op = {"init_null": "init", "init_var_null": "init_var"}.get(op, op)
        case = {"op": rec_op, "basicsize": b, "itemsize": i, "heap": heap}
        if var:
            case["nitems"] = str(n)

        # What PyObject_Malloc will be asked for (planning only).
        m, extent = None, 24 if var else 16
        if op in ("new", "new_var", "gc_new", "gc_new_var"):
            _, m, _ = predict(op, b, i, n)
            if is_gc:
                extent += GC_PRESIZE
            if m is not None and BIG <= m <= MAX:
                skipped.append(dict(case, reason=f"PyObject_Malloc({m}) would succeed "
                                                 "or fail depending on the machine"))
                continue

        tp = get_type(b, i, heap, is_gc)
        before = cc.read_ssize(tp + cc.OFF_OB_REFCNT)
        if op == "new":
            res = invoke(cc.PyObject_New, tp)
        elif op == "new_var":
            res = guarded(m, extent, lambda: invoke(cc.PyObject_NewVar, tp, n))
        elif op == "gc_new":
            res = invoke(gc_new, tp)
        elif op == "gc_new_var":
            res = guarded(m, extent, lambda: invoke(gc_new_var, tp, n))
        elif op == "init_null":
            res = invoke(cc.PyObject_Init, None, tp)
        elif op == "init_var_null":
            res = invoke(cc.PyObject_InitVar, None, tp, n)
        elif op == "init":
            blk = obj_malloc(b)
            res = invoke(cc.PyObject_Init, blk, tp)
            assert res[0] in (None, blk)
        elif op == "init_var":
            blk = obj_malloc(var_size(b, i, 5))
            res = invoke(cc.PyObject_InitVar, blk, tp, n)
            assert res[0] in (None, blk)
        else:
            raise ValueError(op)
        after = cc.read_ssize(tp + cc.OFF_OB_REFCNT)

        p, exc, msg = res
        if p is None:
            case["outcome"] = exc or "NULL-without-exception"
            if msg is not None:
                case["message"] = msg
        else:
            case["outcome"] = "ok"
            case.update(describe(p, tp, var, is_gc))
        case["type_refcnt_delta"] = after - before
        out.append(case)

    doc = {"python": sys.version, "recorded_with": RECORDED_WITH,
           "allocator": allocator, "cases": out, "skipped": skipped}
    sys.stdout.write(json.dumps(doc))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# --------------------------------------------------------------------------
# Parent: run the child, cross-check against the fact sheet, write the fixture
# --------------------------------------------------------------------------

def cross_check(doc):
    """Compare every case with the fact-sheet formulas; return a list of messages."""
    bad = []
    for c in doc["cases"]:
        op, b, i, heap = c["op"], c["basicsize"], c["itemsize"], c["heap"]
        n = int(c["nitems"]) if "nitems" in c else None
        tag = f"{op} b={b} i={i} heap={heap} n={n}"
        got = c["outcome"]
        if op in ("init", "init_var"):
            if "requested_size" not in c and got != "MemoryError":
                bad.append(f"{tag}: {got}")
            exp_out = got
        else:
            exp_out, exp_size, _ = predict(op, b, i, n)
            if got != exp_out:
                bad.append(f"{tag}: outcome {got}, fact sheet says {exp_out}")
            elif got == "ok" and int(c["requested_size"]) != exp_size:
                bad.append(f"{tag}: size {c['requested_size']}, fact sheet says {exp_size}")
        if got == "ok":
            if c["refcnt"] != 1 or not c["ob_type_is_type"] or c["api"] != "o":
                bad.append(f"{tag}: header refcnt={c['refcnt']} type={c['ob_type_is_type']} "
                           f"api={c['api']}")
            if "nitems" in c and c["ob_size"] != c["nitems"]:
                bad.append(f"{tag}: ob_size {c['ob_size']}")
            if c.get("gc_head_zero") is False:
                bad.append(f"{tag}: PyGC_Head not zero")
            if c["type_refcnt_delta"] != (1 if heap else 0):
                bad.append(f"{tag}: type refcount delta {c['type_refcnt_delta']}")
        else:
            if c["type_refcnt_delta"] != 0:
                bad.append(f"{tag}: type refcount delta {c['type_refcnt_delta']} on failure")
            if got == "MemoryError" and "message" in c:
                bad.append(f"{tag}: MemoryError with a message {c['message']!r}")
            if got == "SystemError" and not c.get("message", "").endswith(
                    ": bad argument to internal function"):
                bad.append(f"{tag}: SystemError message {c.get('message')!r}")
    return bad


def render(doc):
    """One case per line: readable diffs, deterministic bytes."""
    head = {k: v for k, v in doc.items() if k not in ("cases", "skipped")}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f" {json.dumps(k)}: {json.dumps(v)},")
    for key in ("cases", "skipped"):
        lines.append(f' "{key}": [')
        items = [" " + json.dumps(c, separators=(", ", ": ")) for c in doc[key]]
        lines.append(",\n".join(items))
        lines.append(" ]," if key == "cases" else " ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter to record (default: this one)")
    ap.add_argument("--out", default=FIXTURE, help="fixture path (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="re-record and compare with --out; write nothing")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child()
        return 0

    env = dict(os.environ, PYTHONMALLOC="pymalloc_debug")
    for var in ("PYTHONTRACEMALLOC", "PYTHONDEVMODE"):
        env.pop(var, None)
    proc = subprocess.run([args.python, "-B", os.path.abspath(__file__), "--child"],
                          env=env, capture_output=True, text=True, timeout=120)
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"record.py: child exited with status {proc.returncode}", file=sys.stderr)
        return 1
    doc = json.loads(proc.stdout)
    text = render(doc)

    counts = {}
    for c in doc["cases"]:
        counts[(c["op"], c["outcome"])] = counts.get((c["op"], c["outcome"]), 0) + 1
    print(f"{len(doc['cases'])} cases, {len(doc['skipped'])} skipped; "
          f"allocator {doc['allocator']}; Python {doc['python'].split()[0]}")
    for (op, outcome), k in sorted(counts.items()):
        print(f"  {op:11} {outcome:12} {k}")
    bad = cross_check(doc)
    for msg in bad:
        print("DISAGREES WITH THE FACT SHEET:", msg)
    if not bad:
        print("every case agrees with the fact-sheet formulas")

    if args.check:
        try:
            with open(args.out) as f:
                old = f.read()
        except FileNotFoundError:
            old = None
        same = old == text
        print(f"{args.out}: {'unchanged' if same else 'DIFFERS'}")
        return 0 if same and not bad else 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""A deliberately NON-conforming gate adapter: the real CPython adapter
(cpython_ctypes.py, imported, not copied) with exactly ONE deviation.

Start:   python3 tools/adapters/nonconforming.py --bug NAME

The deviations are modelled on real bugs of allocator and object-API users:

no-heap-incref
    PyObject_Init / PyObject_InitVar / PyObject_New / PyObject_NewVar do not
    take a reference to a heap type: the real call is made (it increfs the type,
    since 3.8) and the adapter immediately Py_DecRef's the type again, so the
    type's refcount delta is 0 instead of 1.  This is the pre-3.8 behaviour of
    bpo-35810 (python/cpython #79991) and of PyPy cpyext (pypy/pypy #3843).
    The adapter keeps its own reference on every type, so the type never dies.
malloc0-null
    A 0-byte request returns NULL in every family: malloc(0), calloc with a
    zero product, realloc(NULL, 0), and realloc(p, 0), which returns NULL and
    leaves p allocated and untouched (frees nothing).  No real allocation is
    made for these requests.  Violates the documented "distinct non-NULL
    pointer for 0 bytes" contract (test_pymem_alloc0).
align8
    Pointers are 8 but not 16 aligned (pre-3.8 pymalloc on 64-bit, bpo-27987 /
    python/cpython #80799): every block is over-allocated by 8 bytes in the
    requested family and the adapter returns real+8, remembering real in a map
    so that free/realloc pass the real pointer.  Objects are built the same
    way (PyObject_Malloc through the shifted allocator + PyObject_Init/InitVar).
realloc-lose-last-byte
    After a realloc that changes the size (growing or shrinking), the last
    byte of the preserved range min(old, new) is zeroed.  The adapter records
    the size of every block it hands out to know `old`; realloc(NULL, n) and
    realloc to the same size are left alone.
debug-accepts-wrong-family
    Declares "debug" (re-executing itself with PYTHONMALLOC=debug when the
    hooks are not on, so that every other debug behaviour stays real), but a
    free or realloc through the wrong family succeeds silently: the API id
    byte at p[-8] of the debug header names the family that allocated the
    block, and the call is routed to that family instead of aborting with
    "bad ID: Allocated using API ...".  Models real-bugs.md 3a (e.g. #1, #2,
    #3), where a release build hides the mix.
"""

import argparse
import ctypes
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the adapters
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpython_ctypes as base  # noqa: E402
from gateproto import PY_SSIZE_T_MAX, serve  # noqa: E402


def var_size(basicsize, itemsize, n):
    """_PyObject_VAR_SIZE with -fwrapv arithmetic (facts 1.2)."""
    s = (basicsize + n * itemsize) % 2**64
    return ((s + 7) % 2**64) & ~7


class NoHeapIncref(base.Adapter):
    implementation = "nonconforming:no-heap-incref"

    def _drop(self, tp, p):
        if p is not None and tp and self.is_heap(tp):
            base.Py_DecRef(tp)  # undo the incref done by _PyObject_Init
        return p

    def obj_new(self, tp):
        return self._drop(tp, super().obj_new(tp))

    def obj_new_var(self, tp, n):
        return self._drop(tp, super().obj_new_var(tp, n))

    def obj_init(self, p, tp):
        return self._drop(tp, super().obj_init(p, tp))

    def obj_init_var(self, p, tp, n):
        return self._drop(tp, super().obj_init_var(p, tp, n))


class Malloc0Null(base.Adapter):
    implementation = "nonconforming:malloc0-null"

    def mem_malloc(self, a, n):
        return None if n == 0 else super().mem_malloc(a, n)

    def mem_calloc(self, a, ne, es):
        return None if ne * es == 0 else super().mem_calloc(a, ne, es)

    def mem_realloc(self, a, p, n):
        return None if n == 0 else super().mem_realloc(a, p, n)


class Align8(base.Adapter):
    implementation = "nonconforming:align8"
    SHIFT = 8

    def __init__(self):
        super().__init__()
        self.real = {}  # returned pointer -> real pointer

    def _shifted(self, r):
        if not r:
            return None
        q = r + self.SHIFT
        self.real[q] = r
        return q

    def mem_malloc(self, a, n):
        if n > PY_SSIZE_T_MAX - self.SHIFT:
            return None
        return self._shifted(super().mem_malloc(a, n + self.SHIFT))

    def mem_calloc(self, a, ne, es):
        if es and ne > PY_SSIZE_T_MAX // es:
            return None
        n = ne * es
        if n > PY_SSIZE_T_MAX - self.SHIFT:
            return None
        return self._shifted(super().mem_calloc(a, 1, n + self.SHIFT))

    def mem_realloc(self, a, p, n):
        if p is None:
            return self.mem_malloc(a, n)
        if n > PY_SSIZE_T_MAX - self.SHIFT:
            return None
        r = super().mem_realloc(a, self.real.get(p, p), n + self.SHIFT)
        if r is None:
            return None
        self.real.pop(p, None)
        return self._shifted(r)

    def mem_free(self, a, p):
        super().mem_free(a, self.real.pop(p, p) if p else p)

    def obj_new(self, tp):
        p = self.mem_malloc("o", base.read_ssize(tp + base.OFF_TP_BASICSIZE))
        return base.call_alloc(base.PyObject_Init, p, tp)

    def obj_new_var(self, tp, n):
        size = var_size(base.read_ssize(tp + base.OFF_TP_BASICSIZE),
                        base.read_ssize(tp + base.OFF_TP_ITEMSIZE), n)
        p = self.mem_malloc("o", size) if size <= PY_SSIZE_T_MAX else None
        return base.call_alloc(base.PyObject_InitVar, p, tp, n)

    def obj_del(self, p):
        self.mem_free("o", p)


class ReallocLoseLastByte(base.Adapter):
    implementation = "nonconforming:realloc-lose-last-byte"

    def __init__(self):
        super().__init__()
        self.sizes = {}  # pointer -> requested size

    def _note(self, p, n):
        if p is not None:
            self.sizes[p] = n
        return p

    def mem_malloc(self, a, n):
        return self._note(super().mem_malloc(a, n), n)

    def mem_calloc(self, a, ne, es):
        return self._note(super().mem_calloc(a, ne, es), ne * es)

    def mem_realloc(self, a, p, n):
        old = self.sizes.get(p) if p else None
        q = super().mem_realloc(a, p, n)
        if q is None:
            return None
        self.sizes.pop(p, None)
        keep = min(old, n) if old is not None else 0
        if old != n and keep > 0:
            ctypes.memset(q + keep - 1, 0, 1)  # the deviation
        return self._note(q, n)

    def mem_free(self, a, p):
        self.sizes.pop(p, None)
        super().mem_free(a, p)

    def obj_new(self, tp):
        return self._note(super().obj_new(tp), base.read_ssize(tp + base.OFF_TP_BASICSIZE))

    def obj_new_var(self, tp, n):
        size = var_size(base.read_ssize(tp + base.OFF_TP_BASICSIZE),
                        base.read_ssize(tp + base.OFF_TP_ITEMSIZE), n)
        return self._note(super().obj_new_var(tp, n), size)

    def obj_del(self, p):
        self.sizes.pop(p, None)
        super().obj_del(p)


class DebugAcceptsWrongFamily(base.Adapter):
    implementation = "nonconforming:debug-accepts-wrong-family"

    def __init__(self):
        super().__init__()
        if not self.debug:
            print("nonconforming.py: warning: debug hooks are not active; declaring "
                  "'debug' anyway", file=sys.stderr)

    def features(self):
        f = ["raw", "mem", "obj", "objects"]
        return f + ["debug"]

    def _family(self, a, p):
        if p and self.debug:
            fam = chr(ctypes.string_at(p - 8, 1)[0])
            if fam in base.FAMILIES:
                return fam  # the deviation: silently use the allocating family
        return a

    def mem_realloc(self, a, p, n):
        return super().mem_realloc(self._family(a, p), p, n)

    def mem_free(self, a, p):
        super().mem_free(self._family(a, p), p)

    def obj_del(self, p):
        self.mem_free("o", p)


BUGS = {
    "no-heap-incref": NoHeapIncref,
    "malloc0-null": Malloc0Null,
    "align8": Align8,
    "realloc-lose-last-byte": ReallocLoseLastByte,
    "debug-accepts-wrong-family": DebugAcceptsWrongFamily,
}


def ensure_debug_hooks():
    """PYTHONMALLOC is read at interpreter start-up only: re-exec once with it."""
    if base.debug_hooks_present() or os.environ.get("OBJIMPL_NONCONF_REEXEC"):
        return
    env = dict(os.environ, PYTHONMALLOC="debug", OBJIMPL_NONCONF_REEXEC="1")
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable] + sys.argv)
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bug", required=True, choices=sorted(BUGS))
    args = ap.parse_args()
    if args.bug == "debug-accepts-wrong-family":
        ensure_debug_hooks()
    serve(BUGS[args.bug]())


if __name__ == "__main__":
    main()

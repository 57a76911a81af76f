#!/usr/bin/env python3
"""Record the alignment CPython gives each family and size, in each PYTHONMALLOC mode.

    python3 tools/conformance/record_alignment.py > fixtures/conformance/alignment.json

For every mode (default, pymalloc, malloc, debug, pymalloc_debug, malloc_debug) a child
interpreter calls PyMem_RawMalloc / PyMem_Malloc / PyObject_Malloc (and the Calloc of
each, as calloc(1, n)) 64 times for each size below, keeping every block live, and
writes the residues of the addresses modulo 16 it saw.  This is the evidence behind
the cpython-level rule alignment-16 (spec/rules.ts): on glibc every residue is 0.
Run it with LD_PRELOAD=... to see another allocator's residues (not committed).
"""
import ctypes
import json
import os
import platform
import subprocess
import sys

MODES = ("default", "pymalloc", "malloc", "debug", "pymalloc_debug", "malloc_debug")
SIZES = (0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 48, 100, 256, 511, 512, 513, 1000, 4096)
COUNT = 64


def child():
    api = ctypes.pythonapi
    out = {}
    for prefix in ("PyMem_Raw", "PyMem_", "PyObject_"):
        m = getattr(api, prefix + "Malloc")
        m.restype, m.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
        c = getattr(api, prefix + "Calloc")
        c.restype, c.argtypes = ctypes.c_void_p, [ctypes.c_size_t, ctypes.c_size_t]
        for fn, call in (("Malloc", lambda n: m(n)), ("Calloc", lambda n: c(1, n))):
            res = {}
            for n in SIZES:
                seen = sorted({call(n) % 16 for _ in range(COUNT)})  # blocks stay live
                res[str(n)] = seen
            out[prefix + fn] = res
    json.dump(out, sys.stdout)


def main():
    if sys.argv[1:] == ["--child"]:
        child()
        return
    modes = {}
    for mode in MODES:
        env = dict(os.environ)
        env.pop("PYTHONMALLOC", None)
        if mode != "default":
            env["PYTHONMALLOC"] = mode
        text = subprocess.run([sys.executable, "-B", __file__, "--child"], env=env, check=True,
                              capture_output=True, text=True).stdout
        modes[mode] = json.loads(text)
    json.dump({
        "python": sys.version,
        "libc": " ".join(platform.libc_ver()),
        "ld_preload": os.environ.get("LD_PRELOAD", ""),
        "recorded_with": "python3 tools/conformance/record_alignment.py",
        "count_per_size": COUNT,
        "residues_mod_16": modes,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

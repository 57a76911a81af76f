#!/usr/bin/env python3
"""Gate protocol v1 adapter for the C library allocator, RAW family only.

Start:   python3 tools/adapters/glibc_raw.py

malloc/calloc/realloc/free with api "r" call libc's malloc, calloc, realloc and
free directly (``ctypes.CDLL(None)``, i.e. the symbols already linked into the
process), so this measures glibc itself, not CPython's wrappers:

* malloc(0) / calloc(0, x) return a unique non-NULL pointer (glibc's choice);
* calloc(nelem, elsize) whose product overflows returns NULL;
* sizes above PTRDIFF_MAX return NULL (ENOMEM) - there is no PY_SSIZE_T_MAX
  check in front, glibc refuses them itself;
* unlike PyMem_RawRealloc (which asks for ``n ? n : 1``), glibc's
  realloc(p, 0) FREES p and returns NULL.

features: ["raw"].  write/read work on any address.  The "m" and "o" families
and every object op answer {"id":N,"error":"unsupported"}.
"""

import ctypes
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the adapters
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateproto import (  # noqa: E402
    BaseAdapter, ProtocolError, Unsupported, addr, get_addr, get_size, serve,
)

libc = ctypes.CDLL(None)
c_void_p, c_size_t = ctypes.c_void_p, ctypes.c_size_t


def _bind(name, restype, *argtypes):
    f = getattr(libc, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


malloc = _bind("malloc", c_void_p, c_size_t)
calloc = _bind("calloc", c_void_p, c_size_t, c_size_t)
realloc = _bind("realloc", c_void_p, c_void_p, c_size_t)
free = _bind("free", None, c_void_p)


def libc_version():
    try:
        f = _bind("gnu_get_libc_version", ctypes.c_char_p)
        return "glibc " + f().decode()
    except AttributeError:
        return "libc"


class GlibcRaw(BaseAdapter):
    def _raw(self, req):
        a = req.get("api")
        if a == "r":
            return
        if a in ("m", "o"):
            raise Unsupported()
        raise ProtocolError(f"api: expected 'r', 'm' or 'o', got {a!r}")

    def op_hello(self, req):
        return {"protocol": 1, "implementation": "glibc-raw", "version": libc_version(),
                "pointer_bits": 64, "features": ["raw"]}

    def op_malloc(self, req):
        self._raw(req)
        return {"ptr": addr(malloc(get_size(req, "size")))}

    def op_calloc(self, req):
        self._raw(req)
        return {"ptr": addr(calloc(get_size(req, "nelem"), get_size(req, "elsize")))}

    def op_realloc(self, req):
        self._raw(req)
        return {"ptr": addr(realloc(get_addr(req, "ptr"), get_size(req, "size")))}

    def op_free(self, req):
        self._raw(req)
        free(get_addr(req, "ptr"))
        return {}

if __name__ == "__main__":
    serve(GlibcRaw())

#!/usr/bin/env python3
"""Gate protocol v1 adapter backed by the REAL CPython 3.11 allocators.

Start:   python3 tools/adapters/cpython_ctypes.py
         PYTHONMALLOC=debug python3 tools/adapters/cpython_ctypes.py   (declares "debug")

Every call goes through ``ctypes.pythonapi`` (a ``PyDLL``): the GIL stays held
during the call, which the MEM and OBJ domains require (under debug hooks a
call without the GIL is a fatal error).  Pointers cross the boundary as
``c_void_p`` and sizes as ``c_size_t`` / ``c_ssize_t``, so a request like
``malloc(2**64-1)`` reaches the C API unchanged (which refuses it: NULL).

MemoryError detection
---------------------
``_PyObject_New``, ``_PyObject_NewVar``, ``PyObject_Init`` and
``PyObject_InitVar`` report failure by returning NULL with MemoryError set
(``PyErr_NoMemory()``).  A ``pythonapi`` function has the FUNCFLAG_PYTHONAPI
flag, and with it ctypes itself calls ``PyErr_Occurred()`` right after the C
call and, when an exception is pending, raises it instead of converting the
result.  (ctypes cannot hold the GIL without also doing that check, and
calling ``PyErr_Occurred`` from a GIL-releasing ``CDLL`` call would crash, so
this *is* the PyErr_Occurred/fetch path.)  ``call_alloc`` therefore catches the
exception, checks that it is exactly ``MemoryError`` with no message (CPython
uses ``_PyErr_SetNone``), lets the ``except`` clause clear it, and then checks
with ``PyErr_Occurred()`` (through ctypes) that nothing is left pending.  Any
other exception becomes an ``error`` answer.  The PyMem/PyObject_Malloc family
never sets an exception; NULL there is just ``"ptr":null``.

Static types
------------
``PyType_FromSpec`` always builds a heap type.  For ``heap: false`` the adapter
turns it into something that behaves like a static type for ``PyObject_Init``:

* it clears ``Py_TPFLAGS_HEAPTYPE`` (1<<9) in ``tp_flags``, an ``unsigned long``
  at byte offset 168 of ``PyTypeObject`` in 3.11 on x86-64 (``PyObject_VAR_HEAD``
  is 24 bytes, then 18 pointer-sized fields: tp_name 24, tp_basicsize 32,
  tp_itemsize 40, tp_dealloc 48, tp_vectorcall_offset 56, tp_getattr 64,
  tp_setattr 72, tp_as_async 80, tp_repr 88, tp_as_number 96,
  tp_as_sequence 104, tp_as_mapping 112, tp_hash 120, tp_call 128, tp_str 136,
  tp_getattro 144, tp_setattro 152, tp_as_buffer 160, tp_flags 168).  The
  offset is checked at start-up against ``int.__flags__``;
* it sets ``Py_TPFLAGS_IMMUTABLETYPE`` (1<<8), as ``PyType_Ready`` does for real
  static types;
* it UNTRACKS the type object from the cyclic GC (``PyObject_GC_UnTrack``).  This
  is required: the type is still in a GC generation list, and 3.11's
  ``type_traverse`` aborts the process ("type_traverse() called on non-heap
  type") as soon as a collection visits a type without HEAPTYPE (observed);
* it takes an extra strong reference (``Py_IncRef``) that is never released and
  keeps the Python object in ``self.types``, so the type is never deallocated
  (``type_dealloc`` assumes a heap type).  ``bye`` leaves through ``os._exit``,
  so finalisation never sees it either.
"""

import ctypes
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the adapters
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateproto import (  # noqa: E402
    BaseAdapter, ProtocolError, addr, get_addr, get_api, get_size, get_ssize,
    jint, serve,
)

api = ctypes.pythonapi
c_void_p, c_size_t, c_ssize_t = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_ssize_t

Py_TPFLAGS_IMMUTABLETYPE = 1 << 8
Py_TPFLAGS_HEAPTYPE = 1 << 9
Py_TPFLAGS_DEFAULT = 1 << 18  # Py_TPFLAGS_HAVE_VERSION_TAG

OFF_OB_REFCNT, OFF_OB_TYPE, OFF_OB_SIZE = 0, 8, 16
OFF_TP_BASICSIZE, OFF_TP_ITEMSIZE, OFF_TP_FLAGS = 32, 40, 168

assert ctypes.sizeof(c_void_p) == 8, "64-bit only"
assert ctypes.c_ulong.from_address(id(int) + OFF_TP_FLAGS).value == int.__flags__
assert c_ssize_t.from_address(id(int) + OFF_TP_BASICSIZE).value == int.__basicsize__
assert c_ssize_t.from_address(id(int) + OFF_TP_ITEMSIZE).value == int.__itemsize__


def _bind(name, restype, *argtypes):
    f = getattr(api, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


FAMILIES = {}
for _api, _prefix in (("r", "PyMem_Raw"), ("m", "PyMem_"), ("o", "PyObject_")):
    FAMILIES[_api] = (
        _bind(_prefix + "Malloc", c_void_p, c_size_t),
        _bind(_prefix + "Calloc", c_void_p, c_size_t, c_size_t),
        _bind(_prefix + "Realloc", c_void_p, c_void_p, c_size_t),
        _bind(_prefix + "Free", None, c_void_p),
    )

PyObject_New = _bind("_PyObject_New", c_void_p, c_void_p)
PyObject_NewVar = _bind("_PyObject_NewVar", c_void_p, c_void_p, c_ssize_t)
PyObject_Init = _bind("PyObject_Init", c_void_p, c_void_p, c_void_p)
PyObject_InitVar = _bind("PyObject_InitVar", c_void_p, c_void_p, c_void_p, c_ssize_t)
PyObject_Free = FAMILIES["o"][3]


class PyType_Spec(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("basicsize", ctypes.c_int),
                ("itemsize", ctypes.c_int), ("flags", ctypes.c_uint),
                ("slots", c_void_p)]


PyType_FromSpec = _bind("PyType_FromSpec", ctypes.py_object, ctypes.POINTER(PyType_Spec))
PyObject_GC_UnTrack = _bind("PyObject_GC_UnTrack", None, c_void_p)
Py_IncRef = _bind("Py_IncRef", None, c_void_p)
Py_DecRef = _bind("Py_DecRef", None, c_void_p)
PyErr_Occurred = _bind("PyErr_Occurred", c_void_p)
PyExc_MemoryError = c_void_p.in_dll(api, "PyExc_MemoryError").value

DEBUG_MODES = ("debug", "pymalloc_debug", "malloc_debug")


def debug_selected_by_config():
    """Does the interpreter's configuration install the debug hooks?

    PYTHONMALLOC in (debug, pymalloc_debug, malloc_debug); dev mode (-X dev /
    PYTHONDEVMODE) without PYTHONMALLOC also selects "debug"; -E/-I ignore the
    environment variable.
    """
    name = "" if sys.flags.ignore_environment else os.environ.get("PYTHONMALLOC", "")
    if name in DEBUG_MODES:
        return True
    return name in ("", "default") and bool(sys.flags.dev_mode)


def debug_hooks_present():
    """Probe: a debug-hooked PyMem_RawMalloc(1) block has the header
    <size 1, big-endian> 'r' FD*7 in the 16 bytes before the data."""
    malloc, _, _, free = FAMILIES["r"]
    p = malloc(1)
    head = ctypes.string_at(p - 16, 16)
    free(p)
    return head == (1).to_bytes(8, "big") + b"r" + b"\xfd" * 7


def read_ssize(a):
    return c_ssize_t.from_address(a).value


def read_ptr(a):
    return c_void_p.from_address(a).value or 0


def call_alloc(fn, *args):
    """Call an object constructor/initialiser; return its pointer, or None when
    it returned NULL with MemoryError set (which is then cleared)."""
    try:
        return fn(*args) or None
    except MemoryError as e:
        if type(e) is not MemoryError or e.args:
            raise ProtocolError(f"unexpected exception {e!r}") from None
    # Out of the except clause: the exception is cleared; nothing may be pending.
    if PyErr_Occurred():
        raise ProtocolError("an exception is still pending after MemoryError")
    return None


class Adapter(BaseAdapter):
    implementation = "cpython-ctypes"

    def __init__(self):
        self.types = {}      # type address -> [type object, basicsize, itemsize, heap]
        self._names = []     # keep the spec name buffers alive
        self.debug = debug_selected_by_config()
        probed = debug_hooks_present()
        if probed != self.debug:
            print(f"{sys.argv[0]}: warning: configuration says debug={self.debug} but "
                  f"the allocator probe says {probed}; using the probe", file=sys.stderr)
            self.debug = probed

    # ---- primitives (overridden by nonconforming.py) ----------------------
    def mem_malloc(self, a, n):
        return FAMILIES[a][0](n) or None

    def mem_calloc(self, a, ne, es):
        return FAMILIES[a][1](ne, es) or None

    def mem_realloc(self, a, p, n):
        return FAMILIES[a][2](p, n) or None

    def mem_free(self, a, p):
        FAMILIES[a][3](p)

    def obj_new(self, tp):
        return call_alloc(PyObject_New, tp)

    def obj_new_var(self, tp, n):
        return call_alloc(PyObject_NewVar, tp, n)

    def obj_init(self, p, tp):
        return call_alloc(PyObject_Init, p, tp)

    def obj_init_var(self, p, tp, n):
        return call_alloc(PyObject_InitVar, p, tp, n)

    def obj_del(self, p):
        PyObject_Free(p)

    def features(self):
        f = ["raw", "mem", "obj", "objects"]
        return f + ["debug"] if self.debug else f

    def itemsize_of(self, tp):
        if tp in self.types:
            return self.types[tp][2]
        return read_ssize(tp + OFF_TP_ITEMSIZE) if tp else 0

    def is_heap(self, tp):
        return bool(ctypes.c_ulong.from_address(tp + OFF_TP_FLAGS).value & Py_TPFLAGS_HEAPTYPE)

    # ---- protocol ops -------------------------------------------------------
    def op_hello(self, req):
        return {"protocol": 1, "implementation": self.implementation,
                "version": "CPython " + sys.version.split()[0],
                "pointer_bits": 64, "features": self.features()}

    def op_malloc(self, req):
        return {"ptr": addr(self.mem_malloc(get_api(req), get_size(req, "size")))}

    def op_calloc(self, req):
        return {"ptr": addr(self.mem_calloc(get_api(req), get_size(req, "nelem"),
                                            get_size(req, "elsize")))}

    def op_realloc(self, req):
        return {"ptr": addr(self.mem_realloc(get_api(req), get_addr(req, "ptr"),
                                             get_size(req, "size")))}

    def op_free(self, req):
        self.mem_free(get_api(req), get_addr(req, "ptr"))
        return {}

    def op_new_type(self, req):
        basicsize, itemsize = get_size(req, "basicsize"), get_size(req, "itemsize")
        heap = req.get("heap", True)
        if not isinstance(heap, bool):
            raise ProtocolError("heap: expected a boolean")
        if basicsize >= 2**31 or itemsize >= 2**31:
            raise ProtocolError("basicsize and itemsize must fit a C int")
        name = ctypes.create_string_buffer(
            b"objimpl_gate.%s%d" % (b"Heap" if heap else b"Static", len(self._names)))
        slots = (c_void_p * 2)()  # one PyType_Slot {0, NULL}: the terminator
        spec = PyType_Spec(ctypes.cast(name, ctypes.c_char_p), basicsize, itemsize,
                           Py_TPFLAGS_DEFAULT, ctypes.addressof(slots))
        self._names.append((name, slots, spec))
        t = PyType_FromSpec(ctypes.byref(spec))  # raises on failure
        tp = id(t)
        if not heap:
            flags = ctypes.c_ulong.from_address(tp + OFF_TP_FLAGS)
            flags.value = (flags.value & ~Py_TPFLAGS_HEAPTYPE) | Py_TPFLAGS_IMMUTABLETYPE
            PyObject_GC_UnTrack(tp)
            Py_IncRef(tp)  # never released
        self.types[tp] = [t, basicsize, itemsize, heap]
        return {"type": addr(tp)}

    def _type(self, req):
        tp = get_addr(req, "type")
        if tp is None:
            raise ProtocolError("type is null")
        return tp

    def op_type_refcnt(self, req):
        return {"refcnt": jint(read_ssize(self._type(req) + OFF_OB_REFCNT))}

    @staticmethod
    def _obj_answer(p):
        if p is None:
            return {"ptr": None, "exception": "MemoryError"}
        return {"ptr": addr(p)}

    def op_object_new(self, req):
        return self._obj_answer(self.obj_new(self._type(req)))

    def op_object_new_var(self, req):
        return self._obj_answer(self.obj_new_var(self._type(req), get_ssize(req, "nitems")))

    def op_object_init(self, req):
        return self._obj_answer(self.obj_init(get_addr(req, "ptr"), self._type(req)))

    def op_object_init_var(self, req):
        return self._obj_answer(self.obj_init_var(get_addr(req, "ptr"), self._type(req),
                                                  get_ssize(req, "nitems")))

    def op_object_header(self, req):
        p = get_addr(req, "ptr")
        if p is None:
            raise ProtocolError("ptr is null")
        tp = read_ptr(p + OFF_OB_TYPE)
        ans = {"refcnt": jint(read_ssize(p + OFF_OB_REFCNT)), "type": addr(tp)}
        if self.itemsize_of(tp) > 0:
            ans["size"] = jint(read_ssize(p + OFF_OB_SIZE))
        return ans

    def op_object_del(self, req):
        self.obj_del(get_addr(req, "ptr"))
        return {}


def main():
    serve(Adapter())


if __name__ == "__main__":
    main()

"""Scenario driver: runs ONE scenario-v1 file inside the current interpreter.

Started by record.py as `python3 driver.py SCENARIO.json` in a fresh process whose
environment selects the allocator (PYTHONMALLOC). It executes the steps through
ctypes.pythonapi (a PyDLL: every call holds the GIL, as the MEM/OBJ debug hooks
require). It writes nothing itself except the `print` steps' text on stdout;
everything on stderr comes from CPython's C code.
"""
import ctypes
import json
import sys

_api = ctypes.pythonapi
_V = ctypes.c_void_p
_S = ctypes.c_size_t
_PREFIX = {"r": "PyMem_Raw", "m": "PyMem_", "o": "PyObject_"}


def _fn(name, restype, argtypes):
    f = getattr(_api, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_FUNCS = {}
for _a, _p in _PREFIX.items():
    _FUNCS[_a] = {
        "malloc": _fn(_p + "Malloc", _V, [_S]),
        "calloc": _fn(_p + "Calloc", _V, [_S, _S]),
        "realloc": _fn(_p + "Realloc", _V, [_V, _S]),
        "free": _fn(_p + "Free", None, [_V]),
    }


def main(path):
    with open(path, "rb") as fh:
        scen = json.load(fh)
    out = sys.stdout.buffer
    names = {}

    def ptr(v):
        return None if v is None else names[v]

    for st in scen["steps"]:
        op = st["op"]
        if op == "malloc":
            names[st["as"]] = _FUNCS[st["api"]]["malloc"](st["size"])
        elif op == "calloc":
            names[st["as"]] = _FUNCS[st["api"]]["calloc"](st["nelem"], st["elsize"])
        elif op == "realloc":
            names[st["as"]] = _FUNCS[st["api"]]["realloc"](ptr(st["ptr"]), st["size"])
        elif op == "free":
            _FUNCS[st["api"]]["free"](ptr(st["ptr"]))
        elif op == "poke":
            ctypes.c_ubyte.from_address(names[st["ptr"]] + st["offset"]).value = st["value"]
        elif op == "print":
            out.write(st["text"].encode("utf-8") + b"\n")
            out.flush()
        else:  # record.py validates first; this is a safety net
            sys.stderr.write("driver: unknown op %r\n" % (op,))
            sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1])

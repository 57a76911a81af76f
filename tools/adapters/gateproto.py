"""Gate protocol v1 plumbing shared by the Python adapters.

See docs/gate-protocol-v1.md (the contract).  This module knows
nothing about any allocator: it reads one JSON request per line on stdin, calls
``adapter.op_<op>(request)`` and writes the returned dict (plus ``id``) as one
JSON line on stdout, flushing after every answer.

Conventions implemented here:
  * addresses: ``"0x..."`` lowercase hex strings, ``null`` for NULL;
  * integers: JSON numbers when |x| <= 2**53-1, decimal strings otherwise
    (both accepted on input, both produced on output by ``jint``);
  * bytes: lowercase hex strings;
  * unknown op: ``{"id":N,"error":"unsupported"}``; any other failure
    ``{"id":N,"error":"<message>"}``; a line that is not a JSON request
    ``{"id":null,"error":"<message>"}``;
  * ``bye``: answered, then the process exits with status 0.

Nothing but protocol answers may reach stdout: ``serve`` keeps a private handle
on file descriptor 1 and points ``sys.stdout`` at stderr.
"""

import ctypes
import json
import os
import sys

JSON_SAFE = 2**53 - 1
SIZE_MAX = 2**64 - 1
SSIZE_MIN = -(2**63)
SSIZE_MAX = 2**63 - 1
PY_SSIZE_T_MAX = SSIZE_MAX


class ProtocolError(Exception):
    """A request that cannot be served; answered as {"id":N,"error":msg}."""


class Unsupported(Exception):
    """Answered as {"id":N,"error":"unsupported"}."""


def parse_int(value, what):
    """Accept a JSON integer or a decimal string (optionally with a leading '-')."""
    if isinstance(value, bool):
        raise ProtocolError(f"{what}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ProtocolError(f"{what}: not an integer: {value!r}")
    if isinstance(value, str):
        s = value.strip()
        body = s[1:] if s.startswith("-") else s
        if body.isdigit() and body.isascii():
            return int(s)
        raise ProtocolError(f"{what}: not a decimal integer string: {value!r}")
    raise ProtocolError(f"{what}: expected an integer, got {type(value).__name__}")


def get_size(req, key):
    """size_t field: 0 <= x <= 2**64-1."""
    if key not in req:
        raise ProtocolError(f"missing field {key!r}")
    v = parse_int(req[key], key)
    if not 0 <= v <= SIZE_MAX:
        raise ProtocolError(f"{key}: {v} is not a size_t")
    return v


def get_ssize(req, key, default=None):
    """Py_ssize_t (or other signed 64-bit) field."""
    if key not in req:
        if default is not None:
            return default
        raise ProtocolError(f"missing field {key!r}")
    v = parse_int(req[key], key)
    if not SSIZE_MIN <= v <= SSIZE_MAX:
        raise ProtocolError(f"{key}: {v} does not fit a signed 64-bit integer")
    return v


def get_addr(req, key):
    """Address field: '0x...' string or null (None).  Returns an int or None."""
    if key not in req:
        raise ProtocolError(f"missing field {key!r}")
    v = req[key]
    if v is None:
        return None
    if isinstance(v, str) and v[:2] in ("0x", "0X"):
        try:
            a = int(v[2:], 16)
        except ValueError:
            raise ProtocolError(f"{key}: bad address {v!r}") from None
        if not 0 <= a <= SIZE_MAX:
            raise ProtocolError(f"{key}: address out of range: {v!r}")
        return a or None
    raise ProtocolError(f"{key}: expected a '0x...' address string or null, got {v!r}")


def addr(p):
    """int/None -> protocol address."""
    return None if not p else "0x%x" % p


def jint(v):
    """int -> JSON number or decimal string (beyond 2**53-1)."""
    return v if -JSON_SAFE <= v <= JSON_SAFE else str(v)


def get_api(req):
    api = req.get("api")
    if api not in ("r", "m", "o"):
        raise ProtocolError(f"api: expected 'r', 'm' or 'o', got {api!r}")
    return api


class BaseAdapter:
    """Subclasses define op_<name>(self, req) -> dict (without the id)."""

    def op_bye(self, req):
        return {}

    # write/read are the same for every adapter: plain memory access at ptr+offset
    # (offset may be negative, e.g. to read a debug-hook header).
    def _where(self, req):
        p = get_addr(req, "ptr")
        if p is None:
            raise ProtocolError("ptr is null")
        return (p + get_ssize(req, "offset", 0)) % 2**64

    def op_write(self, req):
        where = self._where(req)
        data = req.get("bytes")
        if not isinstance(data, str):
            raise ProtocolError("bytes: expected a hex string")
        try:
            buf = bytes.fromhex(data)
        except ValueError:
            raise ProtocolError("bytes: not a hex string") from None
        if buf:
            ctypes.memmove(where, buf, len(buf))
        return {}

    def op_read(self, req):
        where = self._where(req)
        n = get_size(req, "length")
        if n > 1 << 30:
            raise ProtocolError(f"length {n} too large to read")
        return {"bytes": ctypes.string_at(where, n).hex() if n else ""}


def serve(adapter, stdin=None):
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    # Anything printed by accident goes to stderr, never into the protocol stream.
    sys.stdout = sys.stderr
    inp = stdin if stdin is not None else sys.stdin.buffer
    while True:
        line = inp.readline()
        if not line:
            break  # EOF: the gate went away
        if not line.strip():
            continue
        rid = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("request is not a JSON object")
            if "id" not in req or not isinstance(req["id"], int) or isinstance(req["id"], bool):
                raise ValueError("request has no integer id")
            if not isinstance(req.get("op"), str):
                raise ValueError("request has no op")
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            ans = {"id": None, "error": f"bad request line: {e}"}
        else:
            rid = req["id"]
            handler = getattr(adapter, "op_" + req["op"], None)
            try:
                if handler is None:
                    raise Unsupported()
                body = handler(req)
                ans = {"id": rid}
                ans.update(body)
            except Unsupported:
                ans = {"id": rid, "error": "unsupported"}
            except ProtocolError as e:
                ans = {"id": rid, "error": str(e)}
            except Exception as e:  # never die on a bad request
                ans = {"id": rid, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(ans, separators=(",", ":")).encode() + b"\n")
        if rid is not None and req["op"] == "bye" and "error" not in ans:
            try:
                sys.stderr.flush()
            finally:
                # os._exit: skip interpreter finalisation, which would otherwise walk
                # (and possibly deallocate) the fake static types and the blocks the
                # gate left behind.
                os._exit(0)
    sys.stderr.flush()
    os._exit(0)

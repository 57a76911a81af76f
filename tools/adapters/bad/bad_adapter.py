#!/usr/bin/env python3
"""Deliberately BROKEN gate adapters: the gate must survive each of them, never hang,
and name the request that went wrong.  Not conformance bugs but protocol failures.

Start:   python3 tools/adapters/bad/bad_adapter.py --mode MODE

A tiny fake allocator (bump pointer, 16-aligned, contents in a dict) serves every
request correctly except where MODE breaks it:

  crash         killed by SIGSEGV on a malloc of 0 bytes
  abort         killed by SIGABRT (no report) on a malloc of 0 bytes
  hang          never answers a realloc (and ignores SIGTERM): the gate must kill it
  hang-hello    never answers hello
  garbage       answers a free with a line that is not JSON
  wrong-id      answers a read with the wrong id
  protocol2     says protocol 2 in hello
  stdout-noise  prints a banner on stdout before anything else
  exit-early    exits with status 0 on the first calloc, without answering
  bye-no-exit   answers bye but does not exit
  error         answers every object_new with {"error": ...}
"""

import argparse
import json
import os
import signal
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--mode", required=True)
MODE = ap.parse_args().mode

out = sys.stdout


def send(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()


class Fake:
    def __init__(self):
        self.next = 0x10000
        self.mem = {}

    def alloc(self, n):
        p = self.next
        self.next += ((max(n, 1) + 15) // 16) * 16 + 16
        return p


fake = Fake()
if MODE == "stdout-noise":
    print("bad_adapter starting up", flush=True)

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op = req["id"], req["op"]
    if op == "hello":
        if MODE == "hang-hello":
            while True:
                time.sleep(60)
        send({"id": rid, "protocol": 2 if MODE == "protocol2" else 1, "implementation": "bad-" + MODE,
              "version": "0", "pointer_bits": 64, "features": ["raw", "mem", "obj"]})
    elif op == "malloc":
        n = int(req["size"])
        if n == 0 and MODE == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if n == 0 and MODE == "abort":
            os.kill(os.getpid(), signal.SIGABRT)
        send({"id": rid, "ptr": None if n > 2**63 - 1 else "0x%x" % fake.alloc(n)})
    elif op == "calloc":
        if MODE == "exit-early":
            sys.exit(0)
        ne, es = int(req["nelem"]), int(req["elsize"])
        send({"id": rid, "ptr": None if ne * es > 2**63 - 1 else "0x%x" % fake.alloc(ne * es)})
    elif op == "realloc":
        if MODE == "hang":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                time.sleep(60)
        n = int(req["size"])
        p = int(req["ptr"], 16) if req["ptr"] else 0
        if n > 2**63 - 1:
            send({"id": rid, "ptr": None})
            continue
        q = fake.alloc(n)
        for i in range(n):
            if (p + i) in fake.mem:
                fake.mem[q + i] = fake.mem[p + i]
        send({"id": rid, "ptr": "0x%x" % q})
    elif op == "free":
        if MODE == "garbage":
            out.write("free? sure, done!\n")
            out.flush()
            continue
        send({"id": rid})
    elif op == "write":
        p = int(req["ptr"], 16) + int(req["offset"])
        for i, b in enumerate(bytes.fromhex(req["bytes"])):
            fake.mem[p + i] = b
        send({"id": rid})
    elif op == "read":
        p = int(req["ptr"], 16) + int(req["offset"])
        data = bytes(fake.mem.get(p + i, 0) for i in range(int(req["length"])))
        send({"id": rid + 1 if MODE == "wrong-id" else rid, "bytes": data.hex()})
    elif op == "object_new" and MODE == "error":
        send({"id": rid, "error": "object_new exploded"})
    elif op == "bye":
        send({"id": rid})
        if MODE == "bye-no-exit":
            while True:
                time.sleep(60)
        sys.exit(0)
    else:
        send({"id": rid, "error": "unsupported"})

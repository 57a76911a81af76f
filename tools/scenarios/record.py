#!/usr/bin/env python3
"""Record what real CPython does for scenario-v1 files.

    python3 tools/scenarios/record.py                 # every fixtures/scenarios/*.json
    python3 tools/scenarios/record.py FILE.json ...   # only these
    python3 tools/scenarios/record.py --check         # re-run, compare with the stored
                                                      # fixtures, write nothing

Each scenario runs in a fresh `python3 driver.py SCENARIO` subprocess whose environment
is exactly PATH, HOME and (unless the mode is "default") PYTHONMALLOC=<mode>. No -I/-E:
those would make the interpreter ignore PYTHONMALLOC. The result is written next to the
scenario as <name>.expected.json; see tools/scenarios/README.md for the fields and the
address-masking scheme.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "driver.py")
DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "fixtures", "scenarios"))

MODES = ("default", "pymalloc", "malloc", "debug", "pymalloc_debug", "malloc_debug")
# What _testcapi.pymem_getallocatorsname() must report in each mode (fact sheet 2.5).
EXPECTED_ALLOCATOR = {
    "default": "pymalloc", "pymalloc": "pymalloc", "malloc": "malloc",
    "debug": "pymalloc_debug", "pymalloc_debug": "pymalloc_debug",
    "malloc_debug": "malloc_debug",
}
APIS = ("r", "m", "o")
SIZE_MAX = 2**64 - 1
TIMEOUT = 60

# An address as glibc's %p prints it: 0x + lowercase hex. Byte values in the dump are
# printed with "0x%02x" (exactly two digits) and are NOT addresses, so an address is
# "0x" followed by 3 or more hex digits (real ones have 12).
ADDR_RE = re.compile(r"0x[0-9a-f]{3,}")
DUMP_P_RE = re.compile(r"^Debug memory block at address p=(0x[0-9a-f]+):", re.M)
DUMP_TAIL_RE = re.compile(r"^    The 8 pad bytes at tail=(0x[0-9a-f]+) are ", re.M)
STATE_RE = re.compile(r"^Python runtime state: [^\n]*\n(\n)?", re.M)


class ScenarioError(Exception):
    pass


# ---- validation (light: the corpus is generated, but hand-written files happen) ------
def validate(scen, where):
    def bad(msg):
        raise ScenarioError("%s: %s" % (where, msg))

    if not isinstance(scen, dict) or scen.get("mode") not in MODES:
        bad("mode must be one of %s" % ", ".join(MODES))
    steps = scen.get("steps")
    if not isinstance(steps, list):
        bad("steps must be a list")
    bound = set()

    def is_int(v, lo, hi):
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    def need_name(i, st, key, nullable):
        v = st.get(key)
        if v is None and nullable and key in st:
            return
        if not isinstance(v, str) or v not in bound:
            bad("step %d (%s): %r is not a bound name" % (i + 1, st.get("op"), v))

    for i, st in enumerate(steps):
        op = st.get("op") if isinstance(st, dict) else None
        if op in ("malloc", "calloc", "realloc", "free") and st.get("api") not in APIS:
            bad("step %d (%s): api must be r, m or o" % (i + 1, op))
        if op == "malloc":
            if not is_int(st.get("size"), 0, SIZE_MAX):
                bad("step %d (malloc): bad size" % (i + 1))
        elif op == "calloc":
            if not (is_int(st.get("nelem"), 0, SIZE_MAX) and is_int(st.get("elsize"), 0, SIZE_MAX)):
                bad("step %d (calloc): bad nelem/elsize" % (i + 1))
        elif op == "realloc":
            need_name(i, st, "ptr", True)
            if not is_int(st.get("size"), 0, SIZE_MAX):
                bad("step %d (realloc): bad size" % (i + 1))
        elif op == "free":
            need_name(i, st, "ptr", True)
        elif op == "poke":
            need_name(i, st, "ptr", False)
            if not is_int(st.get("offset"), -2**63, 2**63 - 1) or not is_int(st.get("value"), 0, 255):
                bad("step %d (poke): bad offset/value" % (i + 1))
        elif op == "print":
            if not isinstance(st.get("text"), str):
                bad("step %d (print): text must be a string" % (i + 1))
        else:
            bad("step %d: unknown op %r" % (i + 1, op))
        if op in ("malloc", "calloc", "realloc"):
            if not isinstance(st.get("as"), str):
                bad("step %d (%s): missing 'as'" % (i + 1, op))
            bound.add(st["as"])


# ---- running -------------------------------------------------------------------------
def child_env(mode):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    if mode != "default":
        env["PYTHONMALLOC"] = mode
    return env


def probe(python, mode):
    """sys.version and the installed allocator name, in a process set up like the runs."""
    code = ("import sys, _testcapi; "
            "print(sys.version); print(_testcapi.pymem_getallocatorsname())")
    r = subprocess.run([python, "-c", code], env=child_env(mode), capture_output=True,
                       timeout=TIMEOUT, check=True, text=True)
    version, alloc = r.stdout.splitlines()
    if alloc != EXPECTED_ALLOCATOR[mode]:
        raise SystemExit("mode %s: interpreter reports allocator %r, expected %r"
                         % (mode, alloc, EXPECTED_ALLOCATOR[mode]))
    return version


def exit_status(rc):
    """As a shell reports it: death by signal N is 128 + N (SIGABRT -> 134)."""
    return 128 - rc if rc < 0 else rc


def decode(b, what, path):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError("%s: %s is not UTF-8 (%s); avoid bytes >= 0x80 in printed "
                            "positions such as the API id byte" % (path, what, e))


def truncate(stderr):
    """Keep stderr up to and including the first 'Python runtime state: ...' line and
    the empty line after it. Without such a line, keep everything."""
    m = STATE_RE.search(stderr)
    return stderr if m is None else stderr[:m.end()]


def mask(text):
    """Replace each distinct address by <ADDR#k>, k = 1, 2, ... in order of first
    appearance. Returns (masked_text, {address: token})."""
    tokens = {}

    def sub(m):
        a = m.group(0)
        if a not in tokens:
            tokens[a] = "<ADDR#%d>" % (len(tokens) + 1)
        return tokens[a]

    return ADDR_RE.sub(sub, text), tokens


def tail_offsets(text, tokens):
    """For each dump in `text`, in order: its p and tail tokens and tail - p (decimal)."""
    ps = list(DUMP_P_RE.finditer(text))
    tails = list(DUMP_TAIL_RE.finditer(text))
    out = []
    for i, pm in enumerate(ps):
        end = ps[i + 1].start() if i + 1 < len(ps) else len(text)
        tm = next((t for t in tails if pm.end() <= t.start() < end), None)
        if tm is None:
            continue
        p, tail = pm.group(1), tm.group(1)
        out.append({"p": tokens[p], "tail": tokens[tail], "diff": int(tail, 16) - int(p, 16)})
    return out


def record_one(python, path, versions):
    with open(path, "rb") as fh:
        try:
            scen = json.load(fh)
        except ValueError as e:
            raise ScenarioError("%s: not JSON: %s" % (path, e))
    validate(scen, path)
    mode = scen["mode"]
    r = subprocess.run([python, DRIVER, path], env=child_env(mode), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=TIMEOUT, cwd=HERE)
    stdout = decode(r.stdout, "stdout", path)
    stderr = decode(r.stderr, "stderr", path)
    masked, tokens = mask(truncate(stderr))
    return {
        "scenario": os.path.basename(path),
        "mode": mode,
        "python": versions[mode],
        "stdout": stdout,
        "stderr_masked": masked,
        "exit_status": exit_status(r.returncode),
        "tail_offsets": tail_offsets(truncate(stderr), tokens),
        "stderr_raw": stderr,
    }


def expected_path(path):
    return path[: -len(".json")] + ".expected.json"


def dumps(fx):
    return json.dumps(fx, indent=2, ensure_ascii=False) + "\n"


COMPARED = ("scenario", "mode", "python", "stdout", "stderr_masked", "exit_status", "tail_offsets")


def main():
    ap = argparse.ArgumentParser(description="Record real CPython output for scenario-v1 files.")
    ap.add_argument("files", nargs="*", help="scenario files (default: all in %s)" % DEFAULT_DIR)
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter to record (default: the one running this script)")
    ap.add_argument("--check", action="store_true",
                    help="re-record and compare with the stored fixtures (all fields except "
                         "stderr_raw); write nothing; exit 1 on any difference")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 4)
    args = ap.parse_args()

    files = args.files or sorted(f for f in glob.glob(os.path.join(DEFAULT_DIR, "*.json"))
                                 if not f.endswith(".expected.json"))
    if not files:
        raise SystemExit("no scenario files")
    modes = set()
    for f in files:
        with open(f, "rb") as fh:
            try:
                modes.add(json.load(fh).get("mode"))
            except ValueError:
                pass
    python = os.path.realpath(args.python)
    versions = {m: probe(python, m) for m in sorted(modes) if m in MODES}

    failures = 0
    diffs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {ex.submit(record_one, python, f, versions): f for f in files}
        results = {}
        for fut in concurrent.futures.as_completed(futs):
            f = futs[fut]
            try:
                results[f] = fut.result()
            except ScenarioError as e:
                print("error: %s" % e, file=sys.stderr)
                failures += 1
    for f in files:
        if f not in results:
            continue
        fx = results[f]
        out = expected_path(f)
        if args.check:
            try:
                with open(out, encoding="utf-8") as fh:
                    old = json.load(fh)
            except FileNotFoundError:
                diffs.append("%s: no stored fixture" % os.path.basename(out))
                continue
            bad = [k for k in COMPARED if old.get(k) != fx[k]]
            if bad:
                diffs.append("%s: differs in %s" % (os.path.basename(out), ", ".join(bad)))
        else:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(dumps(fx))

    if not args.files:
        scen = {os.path.basename(f) for f in files}
        for e in sorted(glob.glob(os.path.join(DEFAULT_DIR, "*.expected.json"))):
            if os.path.basename(e)[: -len(".expected.json")] + ".json" not in scen:
                print("warning: %s has no scenario file (stale?)" % os.path.basename(e),
                      file=sys.stderr)

    by_mode = {}
    for fx in results.values():
        by_mode.setdefault(fx["mode"], []).append(fx["exit_status"])
    for m in sorted(by_mode):
        st = by_mode[m]
        summary = ", ".join("exit %d: %d" % (s, st.count(s)) for s in sorted(set(st)))
        print("%-15s %3d scenarios (%s)" % (m, len(st), summary), file=sys.stderr)
    for d in diffs:
        print("DIFF " + d, file=sys.stderr)
    if args.check:
        print("check: %d recorded, %d differ" % (len(results), len(diffs)), file=sys.stderr)
    sys.exit(1 if failures or diffs else 0)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    main()

#!/usr/bin/env python3
"""Sanity checks for a pytrace v1 trace (optionally with its PYTRACE_STATS file).

usage: lint_trace.py TRACE[.gz] [STATS]

Checks:
  * line 1 header has every field; the last line is `# end events=N ...`, and N,
    and the `# counts` line, match the event lines;
  * every line is well formed; tags are in order (`^` then `t<N>`);
  * nested (`^`) lines are RAW or arena lines, directly precede their untagged outer
    line of the same thread, and that outer line is MEM/OBJ;
  * the first pymalloc arena comes with `r r 0 768` (the arena vector was empty,
    i.e. pymalloc was pristine when hooked) and every arena-vector growth doubles;
  * every non-NULL MEM/OBJ malloc/calloc of 1..512 bytes (and realloc of a pymalloc
    block, or of NULL, to 1..512) lies in a live nested 1 MiB arena (`A ... 1048576 ^`
    not yet freed by `X`), 16-byte aligned, inside a pool's block area;
  * requests of 0 or >512 bytes are exactly one nested RAW call of the same kind and
    size whose result is returned;
  * no pymalloc address is handed out twice while live; frees of pymalloc addresses
    are of live blocks;
  * top-level `A`/`X` lines are 16 KiB (data-stack chunks);
  * with STATS: section labels match the trace comments in order, and at each
    checkpoint the arena counters and the per-class `blocks in use` equal what the
    trace implies.
Exit status 0 when all checks pass.
"""
import gzip
import re
import sys

ARENA = 1 << 20
POOL = 1 << 14
HEADER_FIELDS = ["python", "hexversion", "allocator", "pre_hook_arenas",
                 "pre_hook_blocks", "PYTHONMALLOC", "PYTHONHASHSEED", "aslr", "ptr_bits"]


def open_text(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="ascii", newline="\n")
    return open(path, "r", encoding="ascii", newline="\n")


class Lint:
    def __init__(self):
        self.errors = []
        self.arenas = {}          # base -> True (live pymalloc arenas)
        self.arenas_total = 0
        self.arenas_hw = 0
        self.chunks = {}          # live 16 KiB top-level chunks
        self.live = {}            # pymalloc address -> size class
        self.counts = {}
        self.events = 0
        self.checkpoints = []     # (label, snapshot)
        self.nested_total = 0
        self.placement = True

    def err(self, lineno, msg):
        if len(self.errors) < 50:
            self.errors.append("line %d: %s" % (lineno, msg))
        elif len(self.errors) == 50:
            self.errors.append("... (more errors suppressed)")

    def check_pymalloc_addr(self, lineno, a, what):
        b = self.in_arena_fast(a)
        if b is None:
            self.err(lineno, "%s result %x is in no live arena" % (what, a))
            return False
        if a % 16:
            self.err(lineno, "%s result %x not 16-aligned" % (what, a))
        first_pool = -(-b // POOL) * POOL
        off = (a - (a & ~(POOL - 1)))
        if a < first_pool or off < 48:
            self.err(lineno, "%s result %x not inside a pool block area" % (what, a))
        return True

    def in_arena_fast(self, a):
        # arenas are at most 1 MiB apart from a 1 MiB-aligned slot: look up by
        # the two candidate bases in an index keyed by slot.
        s = a >> 20
        for b in self.slot.get(s, ()):
            if b <= a < b + ARENA:
                return b
        return None

    def add_arena(self, b):
        self.arenas[b] = True
        self.slot.setdefault(b >> 20, set()).add(b)
        self.slot.setdefault((b + ARENA - 1) >> 20, set()).add(b)

    def del_arena(self, b):
        del self.arenas[b]
        self.slot[b >> 20].discard(b)
        self.slot[(b + ARENA - 1) >> 20].discard(b)

    def run(self, path):
        self.slot = {}
        line_re = re.compile(
            r"^(?:(A|X) ([0-9a-f]+) (\d+)"
            r"|m ([rmo]) (\d+) ([0-9a-f]+)"
            r"|c ([rmo]) (\d+) (\d+) ([0-9a-f]+)"
            r"|r ([rmo]) ([0-9a-f]+) (\d+) ([0-9a-f]+)"
            r"|f ([rmo]) ([0-9a-f]+))"
            r"( \^)?( t[1-9]\d*)?$")
        pending = []   # nested lines of the current group
        end = None
        counts_line = None
        last_lineno = 0
        first_arena_seen = False
        with open_text(path) as f:
            header = f.readline()
            last_lineno = 1
            if not header.startswith("# pytrace v1 "):
                self.err(1, "bad header: %r" % header[:80])
            else:
                fields = dict(kv.split("=", 1) for kv in header[2:].split()[2:] if "=" in kv)
                for k in HEADER_FIELDS:
                    if k not in fields:
                        self.err(1, "header lacks %s=" % k)
                self.header = fields
                # Placement checks assume plain pymalloc (no debug hooks).
                self.placement = fields.get("allocator") == "pymalloc"
                if fields.get("pre_hook_arenas") != "0" or fields.get("pre_hook_blocks") != "0":
                    self.err(1, "pymalloc not pristine at hook time: %s" % header.strip())
            for lineno, line in enumerate(f, 2):
                last_lineno = lineno
                if not line.endswith("\n"):
                    self.err(lineno, "unterminated last line")
                line = line.rstrip("\n")
                if end is not None:
                    self.err(lineno, "line after # end")
                if line.startswith("#"):
                    if not line.startswith("# "):
                        self.err(lineno, "comment without space")
                    if pending:
                        self.err(lineno, "comment inside a nested group")
                    if line.startswith("# end "):
                        end = (lineno, line)
                    elif line.startswith("# counts "):
                        counts_line = line
                    elif line.startswith("# mark ") or line.startswith("# phase after-runmain"):
                        label = line[2:]
                        self.checkpoints.append((label, self.snapshot()))
                    continue
                m = line_re.match(line)
                if not m:
                    self.err(lineno, "malformed line %r" % line)
                    continue
                self.events += 1
                g = m.groups()
                nested = g[16] is not None
                thread = g[17]
                if g[0]:
                    ev = (g[0], None, int(g[1], 16), int(g[2]))
                elif g[3]:
                    ev = ("m", g[3], int(g[4]), int(g[5], 16))
                elif g[6]:
                    ev = ("c", g[6], int(g[7]), int(g[8]), int(g[9], 16))
                elif g[10]:
                    ev = ("r", g[10], int(g[11], 16), int(g[12]), int(g[13], 16))
                else:
                    ev = ("f", g[14], int(g[15], 16))
                key = ev[0] + (ev[1] or "")
                self.counts[key] = self.counts.get(key, 0) + 1
                if nested:
                    self.nested_total += 1
                    if ev[1] not in (None, "r"):
                        self.err(lineno, "nested MEM/OBJ line")
                    if pending and pending[0][2] != thread:
                        self.err(lineno, "nested lines of two threads interleave")
                    pending.append((lineno, ev, thread))
                    continue
                if pending:
                    if pending[0][2] != thread:
                        self.err(lineno, "outer line of another thread closes a group")
                    if ev[1] not in ("m", "o"):
                        self.err(lineno, "nested lines before a RAW/arena outer line")
                group = pending
                pending = []
                if ev[0] in "AX":
                    if ev[3] != 16384:
                        self.err(lineno, "top-level %s of %d bytes" % (ev[0], ev[3]))
                    if ev[0] == "A":
                        self.chunks[ev[2]] = ev[3]
                    elif self.chunks.pop(ev[2], None) is None:
                        self.err(lineno, "X of unknown chunk %x" % ev[2])
                    continue
                if ev[1] == "r":
                    continue
                # MEM/OBJ outer line: apply nested arena events first.
                deferred_x = []
                for (ln, nev, _t) in group:
                    if nev[0] == "A":
                        if nev[3] != ARENA:
                            self.err(ln, "nested A of %d bytes" % nev[3])
                            continue
                        if nev[2] == 0:
                            continue
                        if not first_arena_seen:
                            first_arena_seen = True
                            if not any(x[1][:3] == ("r", "r", 0) and x[1][3] == 768 for x in group):
                                self.err(ln, "first arena without r r 0 768 (not pristine?)")
                        self.add_arena(nev[2])
                        self.arenas_total += 1
                        self.arenas_hw = max(self.arenas_hw, len(self.arenas))
                    elif nev[0] == "X":
                        deferred_x.append((ln, nev))
                if self.placement:
                    self.check_outer(lineno, ev, group)
                for (ln, nev) in deferred_x:
                    if nev[3] != ARENA or nev[2] not in self.arenas:
                        self.err(ln, "X of unknown arena %x" % nev[2])
                    else:
                        self.del_arena(nev[2])
        if pending:
            self.err(last_lineno, "trace ends inside a nested group")
        if end is None:
            self.err(last_lineno, "no # end line: truncated trace")
        else:
            em = re.match(r"^# end events=(\d+) reason=(runmain|exit|init-exit|abort) exitcode=(-?\d+)$", end[1])
            if not em:
                self.err(end[0], "malformed end line %r" % end[1])
            elif int(em.group(1)) != self.events:
                self.err(end[0], "end says events=%s, counted %d" % (em.group(1), self.events))
            self.end = end[1]
        if counts_line:
            cm = dict(kv.split("=", 1) for kv in counts_line.split()[2:])
            want = {"events": self.events, "nested": self.nested_total}
            for dom in "rmo":
                for k in "mcrf":
                    want[k + dom] = self.counts.get(k + dom, 0)
            want["A"] = self.counts.get("A", 0)
            want["X"] = self.counts.get("X", 0)
            for k, v in want.items():
                if int(cm.get(k, -1)) != v:
                    self.err(0, "# counts %s=%s but counted %d" % (k, cm.get(k), v))
            if cm.get("untraced_during_stats", "0") != "0":
                self.err(0, "allocations happened during a stats dump")
            if cm.get("nested_memobj", "0") != "0":
                self.err(0, "MEM/OBJ calls nested in other calls")

    def snapshot(self):
        per_class = {}
        for c in self.live.values():
            per_class[c] = per_class.get(c, 0) + 1
        return {"arenas_current": len(self.arenas), "arenas_total": self.arenas_total,
                "arenas_hw": self.arenas_hw, "per_class": per_class}

    def pm_alloc(self, lineno, addr, n, what):
        if self.check_pymalloc_addr(lineno, addr, what):
            if addr in self.live:
                self.err(lineno, "%s returned %x, which is still live" % (what, addr))
            self.live[addr] = (n - 1) >> 4

    def check_outer(self, lineno, ev, group):
        raws = [x[1] for x in group if x[1][0] in "mcrf" and x[1][1] == "r"]
        kind = ev[0]
        if kind == "m":
            n, res = ev[2], ev[3]
            if 1 <= n <= 512:
                if res:
                    self.pm_alloc(lineno, res, n, "m %s %d" % (ev[1], n))
            else:
                if not (len(group) == 1 and group[0][1] == ("m", "r", n, res)):
                    self.err(lineno, "m %s %d not served by exactly one nested m r %d" % (ev[1], n, n))
                if res and self.in_arena_fast(res) is not None:
                    self.err(lineno, "raw result inside an arena")
        elif kind == "c":
            ne, es, res = ev[2], ev[3], ev[4]
            n = ne * es
            if 1 <= n <= 512:
                if res:
                    self.pm_alloc(lineno, res, n, "c %s %d %d" % (ev[1], ne, es))
            else:
                if not (len(group) == 1 and group[0][1] == ("c", "r", ne, es, res)):
                    self.err(lineno, "c %s %d %d not served by one nested c r" % (ev[1], ne, es))
        elif kind == "r":
            old, n, res = ev[2], ev[3], ev[4]
            if old == 0:
                if 1 <= n <= 512:
                    if res:
                        self.pm_alloc(lineno, res, n, "r %s 0 %d" % (ev[1], n))
                elif not (len(group) == 1 and group[0][1] == ("m", "r", n, res)):
                    self.err(lineno, "realloc(NULL, %d) not one nested m r" % n)
                return
            if self.in_arena_fast(old) is None:
                # RAW-served block: stays RAW.
                if not (len(group) == 1 and group[0][1][:2] == ("r", "r")
                        and group[0][1][2:] == (old, n, res)):
                    self.err(lineno, "realloc of raw block %x not one nested r r" % old)
                return
            if old not in self.live:
                self.err(lineno, "realloc of pymalloc address %x that is not live" % old)
            if res == 0:
                return        # failure: old block intact
            if res == old:
                if not (1 <= n <= 512):
                    self.err(lineno, "in-place realloc to %d" % n)
                if raws:
                    self.err(lineno, "in-place realloc with nested RAW calls")
                return
            self.live.pop(old, None)
            if 1 <= n <= 512:
                self.pm_alloc(lineno, res, n, "r %s %x %d" % (ev[1], old, n))
            else:
                if not (len(raws) == 1 and raws[0] == ("m", "r", n, res)):
                    self.err(lineno, "realloc to %d not one nested m r" % n)
        elif kind == "f":
            p = ev[2]
            if p == 0:
                if group:
                    self.err(lineno, "free(NULL) with nested lines")
                return
            if self.in_arena_fast(p) is not None:
                if p not in self.live:
                    self.err(lineno, "free of pymalloc address %x that is not live" % p)
                self.live.pop(p, None)
                if raws:
                    self.err(lineno, "free of pymalloc block with nested RAW lines")
            else:
                if not (len(group) == 1 and group[0][1] == ("f", "r", p)):
                    self.err(lineno, "free of raw block %x not one nested f r" % p)


def parse_stats(path):
    sections = []
    cur = None
    with open(path) as f:
        for line in f:
            if line.startswith("### "):
                cur = {"label": line[4:].rstrip("\n"), "classes": {}, "vals": {}}
                sections.append(cur)
                continue
            if cur is None:
                continue
            m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
            if m:
                cur["classes"][int(m.group(1))] = int(m.group(4))
                continue
            m = re.match(r"^(# [a-z ]+?)\s*=\s*([\d,]+)$", line)
            if m:
                cur["vals"][m.group(1)] = int(m.group(2).replace(",", ""))
    return sections


def check_stats(lint, path):
    sections = parse_stats(path)
    if len(sections) != len(lint.checkpoints):
        lint.err(0, "stats has %d sections, trace has %d checkpoints"
                 % (len(sections), len(lint.checkpoints)))
    for sec, (label, snap) in zip(sections, lint.checkpoints):
        if not label.startswith(sec["label"]):
            lint.err(0, "stats section %r does not match trace comment %r" % (sec["label"], label))
            continue
        if not lint.placement:
            continue   # per-block accounting only modelled for plain pymalloc
        v = sec["vals"]
        for k, want in (("# arenas allocated current", snap["arenas_current"]),
                        ("# arenas allocated total", snap["arenas_total"]),
                        ("# arenas highwater mark", snap["arenas_hw"])):
            if v.get(k) != want:
                lint.err(0, "%s: %s = %s, trace implies %d" % (sec["label"], k, v.get(k), want))
        for c in set(sec["classes"]) | set(snap["per_class"]):
            got, want = sec["classes"].get(c, 0), snap["per_class"].get(c, 0)
            if got != want:
                lint.err(0, "%s: class %d blocks in use %d, trace implies %d"
                         % (sec["label"], c, got, want))


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    lint = Lint()
    lint.run(argv[1])
    if len(argv) == 3:
        check_stats(lint, argv[2])
    summary = ("%s: %d events, %d nested, arenas total %d (hw %d), %d checkpoints; %s"
               % (argv[1], lint.events, lint.nested_total, lint.arenas_total,
                  lint.arenas_hw, len(lint.checkpoints), getattr(lint, "end", "no end")))
    if lint.errors:
        print(summary)
        for e in lint.errors:
            print("  ERROR " + e)
        return 1
    print("OK " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

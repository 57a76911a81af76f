#!/usr/bin/env python3
"""Generate the scenario corpus fixtures/scenarios/<name>.json (scenario-v1).

Deterministic: running it again rewrites the same files. It only writes
`<name>.json` files (never `*.expected.json`; those come from record.py).

Naming: `<mode>__<group>_<detail>.json`, for example
    debug__free_o_by_m            PyObject_Malloc'd block freed with PyMem_Free
    debug__realloc_r_by_o         PyMem_RawMalloc'd block resized with PyObject_Realloc
    debug__free_m_overflow_n16_tail3   poke at p+N+3, then free
    debug__free_r_underflow_n16_pm4    poke at p-4, then free ("pm4" = p minus 4)
    debug__free_o_idbyte_x        poke 'x' into the API id byte p-8, then free
    debug__free_m_sizebyte_pm9_8  poke 8 into the low size byte p-9, then free
Groups whose real CPython outcome is not a clean fatal error (e.g. a segfault) carry
`__segv` at the end of their name.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "fixtures", "scenarios"))

DEBUG_MODES = ["debug", "pymalloc_debug", "malloc_debug"]
PLAIN_MODES = ["default", "pymalloc", "malloc"]
FAMS = ["r", "m", "o"]
X = 0x78  # 'x', the byte _testcapi.pymem_buffer_overflow writes


# ---- step helpers -------------------------------------------------------------
def malloc(api, size, name="p"):
    return {"op": "malloc", "api": api, "size": size, "as": name}


def calloc(api, nelem, elsize, name="p"):
    return {"op": "calloc", "api": api, "nelem": nelem, "elsize": elsize, "as": name}


def realloc(api, ptr, size, name="p"):
    return {"op": "realloc", "api": api, "ptr": ptr, "size": size, "as": name}


def free(api, ptr="p"):
    return {"op": "free", "api": api, "ptr": ptr}


def poke(offset, value, ptr="p"):
    return {"op": "poke", "ptr": ptr, "offset": offset, "value": value}


def say(text):
    return {"op": "print", "text": text}


def fill(n, ptr="p", start=1):
    """Poke distinct values into every data byte 0..n-1 (value (start+k) & 0xff)."""
    return [poke(k, (start + k) & 0xFF, ptr) for k in range(n)]


# ---- corpus ---------------------------------------------------------------------
def debug_mode_scenarios(mode):
    sc = {}
    pymalloc_backed = mode in ("debug", "pymalloc_debug")

    # 1. every ordered pair of families, for free and for realloc (9 + 9).
    for a in FAMS:
        for b in FAMS:
            steps = [say("alloc %s" % a), malloc(a, 16), say("free by %s" % b), free(b)]
            if a == b:
                steps.append(say("done"))
            sc["free_%s_by_%s" % (a, b)] = steps
            steps = [say("alloc %s" % a), malloc(a, 16), say("realloc by %s" % b),
                     realloc(b, "p", 32)]
            if a == b:
                steps += [say("realloc ok"), free(a), say("done")]
            sc["realloc_%s_by_%s" % (a, b)] = steps

    # 2. pokes on the decorations, for free and for realloc. Each case uses one
    #    family; families rotate over the cases so every family is hit by each op.
    cases = [
        ("overflow_n16_tail0", 16, 0), ("overflow_n16_tail3", 16, 3),
        ("overflow_n16_tail7", 16, 7),
        ("underflow_n16_pm1", -1, None), ("underflow_n16_pm4", -4, None),
        ("underflow_n16_pm7", -7, None),
        ("idbyte_x", -8, None),
        ("sizebyte_pm9_8", -9, None),
        ("sizebyte_pm16_1__segv", -16, None),
    ]
    for opi, op in enumerate(["free", "realloc"]):
        for i, (label, off, extra) in enumerate(cases):
            fam = FAMS[(i + opi) % 3]
            if label.startswith("overflow"):
                off = 16 + extra
                val = X
            elif label == "sizebyte_pm9_8":
                val = 8          # size 16 -> 8: the check then reads data as "tail"
            elif label.startswith("sizebyte_pm16"):
                val = 1          # size 16 -> 2**56 + 16: the tail is unmapped
            else:
                val = X
            steps = [malloc(fam, 16), say("poke %d" % off), poke(off, val)]
            if op == "free":
                steps += [free(fam)]
            else:
                steps += [realloc(fam, "p", 64), free(fam)]
            steps.append(say("not reached"))
            sc["%s_%s_%s" % (op, fam, label)] = steps

    # id byte edge cases: a NUL id byte; an id rewritten to the API actually used.
    sc["free_m_idbyte_nul"] = [malloc("m", 16), poke(-8, 0), free("m")]
    sc["free_o_idbyte_set_m_then_free_m"] = [
        malloc("o", 16), poke(-8, ord("m")), free("m"), say("freed")]

    # 3. realloc with bad pads after the block already moved/grew, and the
    #    documented shape from section 4.7 (underflow on a 40-byte object block).
    sc["realloc_r_grown_then_overflow"] = [
        malloc("r", 200), realloc("r", "p", 300), poke(300, X), realloc("r", "p", 400)]
    sc["free_o_n40_underflow_pm3_pm2"] = (
        [malloc("o", 40)] + [poke(k, k, "p") for k in range(40)]
        + [poke(-3, 1), poke(-2, 2), free("o")])

    # 4. calloc: data stays 00; zero-element calloc; a calloc above 512.
    for fam in FAMS:
        sc["calloc_%s_4x4_overflow_tail0" % fam] = [
            calloc(fam, 4, 4), poke(16, X), free(fam)]
    sc["calloc_o_10x100_overflow_tail0"] = [calloc("o", 10, 100), poke(1000, X), free("o")]
    sc["calloc_m_0x8_overflow_tail0"] = [calloc("m", 0, 8), poke(0, X), free("m")]

    # 5. zero-size blocks: the tail is p itself, no "Data at p:" line.
    for fam in FAMS:
        sc["malloc0_%s_overflow_tail0" % fam] = [malloc(fam, 0), poke(0, X), free(fam)]

    # 6. blocks over 512 bytes in every family.
    for fam in FAMS:
        for n in (600, 1000, 4000):
            sc["big_%s_n%d_overflow_tail0" % (fam, n)] = [
                malloc(fam, n), poke(n, X), free(fam)]

    # 7. PyObject_Malloc 488..513 (under pymalloc the debug request is n + 24, so
    #    n > 488 goes to PyMem_RawMalloc and gets a second, inner 'r' header).
    for n in (488, 489, 496, 512, 513):
        sc["obj_n%d_overflow_tail0" % n] = [malloc("o", n), poke(n, X), free("o")]
    if pymalloc_backed:
        # inner trailer at p+N+8, inner pads at p-23..p-17, inner id at p-24.
        for n in (489, 512, 1000):
            sc["obj_n%d_inner_trailer_tail8" % n] = [malloc("o", n), poke(n + 8, X), free("o")]
        sc["obj_n1000_inner_leadpad_pm17"] = [malloc("o", 1000), poke(-17, X), free("o")]
        sc["obj_n1000_inner_idbyte_pm24"] = [malloc("o", 1000), poke(-24, X), free("o")]
        sc["mem_n600_inner_trailer_tail8"] = [malloc("m", 600), poke(608, X), free("m")]
        sc["obj_realloc_100_to_600_inner_trailer"] = [
            malloc("o", 100), realloc("o", "p", 600), poke(608, X), free("o")]
        sc["obj_n1000_inner_trailer_realloc"] = [
            malloc("o", 1000), poke(1008, X), realloc("o", "p", 2000)]

    # 8. "Data at p:" truncation boundaries; every data byte poked to 1..N.
    for i, n in enumerate((1, 8, 9, 15, 16, 17, 24, 100)):
        fam = FAMS[i % 3]
        sc["dataline_%s_n%d" % (fam, n)] = [malloc(fam, n)] + fill(n) + [poke(n, X), free(fam)]

    # 9. data that is not CLEANBYTE before a faulty free / realloc.
    sc["dirty_m_n32_overflow"] = [
        malloc("m", 32), poke(0, 0xDE), poke(1, 0xAD), poke(2, 0xBE), poke(3, 0xEF),
        poke(31, 0x00), poke(32, X), free("m")]
    sc["dirty_o_realloc_grow_8_to_12"] = (
        [malloc("o", 8)] + fill(8) + [realloc("o", "p", 12), poke(12, X), free("o")])
    sc["dirty_r_realloc_shrink_200_to_150"] = (
        [malloc("r", 200)] + fill(8)
        + [poke(k, 0x80 + k - 136) for k in range(136, 200)]
        + [realloc("r", "p", 150), poke(150, X), free("r")])
    sc["dirty_m_realloc_grow_200_to_204"] = (
        [malloc("m", 200)] + fill(8) + [poke(k, 0x40 + k - 192) for k in range(192, 200)]
        + [realloc("m", "p", 204), poke(204, X), free("m")])

    # 10. ok paths.
    sc.update(ok_scenarios())
    return sc


def ok_scenarios():
    sc = {}
    for fam in FAMS:
        sc["ok_%s_grow_shrink" % fam] = [
            say("start"), malloc(fam, 16), poke(0, 1), poke(15, 2), say("malloc 16"),
            realloc(fam, "p", 100), say("grown to 100"), poke(99, 3),
            realloc(fam, "p", 8), say("shrunk to 8"),
            realloc(fam, "p", 1000), say("grown to 1000"),
            realloc(fam, "p", 0), say("realloc 0"),
            free(fam), say("end")]
        sc["ok_%s_null_calloc_big" % fam] = [
            free(fam, None), say("free NULL"),
            realloc(fam, None, 24, "q"), say("realloc NULL"),
            calloc(fam, 3, 7, "c"), say("calloc 3x7"),
            malloc(fam, 0, "z"), say("malloc 0"),
            malloc(fam, 4000, "b"), poke(3999, 0x55, "b"), say("malloc 4000"),
            free(fam, "b"), free(fam, "z"), free(fam, "c"), free(fam, "q"), say("end")]
    sc["ok_mixed_interleaved"] = [
        malloc("r", 10, "a"), malloc("m", 20, "b"), malloc("o", 30, "c"),
        free("m", "b"), realloc("o", "c", 500, "c"), realloc("r", "a", 5, "a"),
        free("r", "a"), free("o", "c"), say("done")]
    return sc


def plain_mode_scenarios(mode):
    return ok_scenarios()


def build():
    out = {}
    for mode in DEBUG_MODES:
        for name, steps in debug_mode_scenarios(mode).items():
            out["%s__%s" % (mode, name)] = {"mode": mode, "steps": steps}
    for mode in PLAIN_MODES:
        for name, steps in plain_mode_scenarios(mode).items():
            out["%s__%s" % (mode, name)] = {"mode": mode, "steps": steps}
    return out


def dumps(scen):
    """scenario-v1 JSON, one step per line."""
    lines = ",\n".join("    " + json.dumps(st) for st in scen["steps"])
    return '{\n  "mode": %s,\n  "steps": [\n%s\n  ]\n}\n' % (json.dumps(scen["mode"]), lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    corpus = build()
    for name, scen in sorted(corpus.items()):
        with open(os.path.join(args.out, name + ".json"), "w") as fh:
            fh.write(dumps(scen))
    print("wrote %d scenarios to %s" % (len(corpus), args.out), file=sys.stderr)


if __name__ == "__main__":
    main()

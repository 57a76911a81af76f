/**
 * Every rule has a level and a source that exists: a contract rule quotes a document, a
 * cpython rule names a recording committed under fixtures/. docs/conformance.md lists
 * exactly these rules. The alignment rules are checked against the recording itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alignmentOf, contractAlignment, REQUIRED_ALIGNMENT } from '../../spec/alignment.ts';
import { ALL_RULES, RULES } from '../../spec/rules.ts';
import { newVarLevel, PY_SSIZE_T_MAX } from '../../spec/sizes.ts';
import { RULES_BEGIN, RULES_END, rulesMarkdown, sectionOf } from '../../tools/conformance/rules-doc.ts';
import { Conformance, PropertyFailure } from '../conformance.ts';

describe('rules', () => {
  it('each has a unique id, a level and a source of the kind its level needs', () => {
    expect(new Set(ALL_RULES.map((r) => r.id)).size).toBe(ALL_RULES.length);
    for (const r of ALL_RULES) {
      if (r.level === 'contract') expect(['doc', 'c'], r.id).toContain(r.source.kind);
      else {
        expect(r.source.kind, r.id).toBe('recording');
        expect(existsSync(r.source.where), `${r.id}: ${r.source.where}`).toBe(true);
      }
      expect(r.source.text.length, r.id).toBeGreaterThan(20);
    }
  });

  it('docs/conformance.md lists every rule as spec/rules.ts says (npm run conformance rewrites it)', () => {
    expect(sectionOf(readFileSync('docs/conformance.md', 'utf8'), RULES_BEGIN, RULES_END)).toBe(rulesMarkdown());
  });

  it('contract alignment is C23\'s: the largest power of two not above n, at most 16; 0 counts as 1', () => {
    const want = [1, 1, 2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 16, 16];
    expect(want.map((_, n) => contractAlignment(n))).toEqual(want);
    expect(contractAlignment(4096)).toBe(16);
    expect([0x1000, 0x1008, 0x1004, 0x1002, 0x1001, 0x1018].map(alignmentOf)).toEqual([16, 8, 4, 2, 1, 8]);
  });

  it('the cpython alignment rule is what the recording shows: every residue 0 mod 16, every mode, family and size', () => {
    const rec = JSON.parse(readFileSync('fixtures/conformance/alignment.json', 'utf8')) as { libc: string; residues_mod_16: Record<string, Record<string, Record<string, number[]>>> };
    expect(rec.libc).toMatch(/^glibc /);
    const modes = Object.keys(rec.residues_mod_16);
    expect(modes).toEqual(['default', 'pymalloc', 'malloc', 'debug', 'pymalloc_debug', 'malloc_debug']);
    for (const m of modes) {
      for (const [fn, sizes] of Object.entries(rec.residues_mod_16[m])) {
        for (const [n, res] of Object.entries(sizes)) expect(res, `${m} ${fn}(${n})`).toEqual([0]);
        expect(Object.keys(sizes)).toContain('0');
      }
    }
    expect(REQUIRED_ALIGNMENT).toBe(16);
  });
});

describe('Conformance: cpython rules fail or are remembered by level', () => {
  it('a contract run remembers a cpython difference once with its count, and fails on a contract rule', () => {
    const c = new Conformance('contract');
    c.broke(RULES.alignment16, 'PyMem_RawMalloc(0) 8-aligned', 'm');
    c.broke(RULES.alignment16, 'PyMem_RawMalloc(0) 8-aligned', 'm');
    c.check(true, RULES.alignment16, 'never', 'm');
    expect(c.differences()).toEqual([{ rule: 'alignment-16', text: 'PyMem_RawMalloc(0) 8-aligned', count: 2 }]);
    expect(() => c.broke(RULES.alignment, 'x', 'contract broke')).toThrow(PropertyFailure);
    expect(c.cpython).toBe(false);
  });

  it('a cpython run fails on either, carrying the rule', () => {
    const c = new Conformance('cpython');
    let e: unknown;
    try { c.broke(RULES.alignment16, 'x', 'not 16'); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(PropertyFailure);
    expect((e as PropertyFailure).rule).toBe(RULES.alignment16);
    expect((e as PropertyFailure).message).toBe('not 16');
    expect(c.differences()).toEqual([]);
    expect(c.cpython).toBe(true);
  });
});

describe('newVarLevel: which PyObject_NewVar outcomes a level may demand', () => {
  it('contract without overflow, cpython for negative or overflowing n, undefined below the header', () => {
    expect(newVarLevel(24n, 8n, 0n)).toBe('contract');
    expect(newVarLevel(24n, 8n, 5n)).toBe('contract');
    // The largest n whose sum fits Py_ssize_t, and the next one (signed overflow: -fwrapv only).
    const top = (PY_SSIZE_T_MAX - 24n) / 8n;
    expect(newVarLevel(24n, 8n, top)).toBe('contract');
    expect(newVarLevel(24n, 8n, top + 1n)).toBe('cpython');
    expect(newVarLevel(33n, 1n, PY_SSIZE_T_MAX - 33n)).toBe('contract');
    expect(newVarLevel(33n, 1n, PY_SSIZE_T_MAX - 32n)).toBe('cpython');
    expect(newVarLevel(24n, 8n, 2n ** 61n)).toBe('cpython'); // wraps to 24 bytes: the header fits
    expect(newVarLevel(32n, 8n, -1n)).toBe('cpython'); // 24 bytes
    expect(newVarLevel(24n, 8n, -1n)).toBe('undefined'); // 16 bytes
    expect(newVarLevel(24n, 8n, -3n)).toBe('undefined'); // 0 bytes: malloc(1), header past it
    expect(newVarLevel(24n, 8n, 2n ** 61n - 1n)).toBe('undefined'); // wraps to 16
    expect(newVarLevel(24n, 8n, -4n)).toBe('cpython'); // negative size: above PY_SSIZE_T_MAX, MemoryError
  });
});

/**
 * Every recorded fixture (fixtures/scenarios/*.json, real CPython 3.11.7) through our
 * runner: stdout, exit status and masked stderr byte for byte, and tail - p of every dump.
 *
 * `*__segv` fixtures are real segfaults (no output, status 139); the contract asks for a
 * deterministic fatal error with status 134 instead, so for those we check our own
 * documented report (docs/debug-hooks.md) and the stdout written before the fault.
 */
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/scenario/runner.ts';
import { parseScenario } from '../../src/scenario/scenario.ts';
import { addresses, loadFixtures, mask, tailOffsets, truncate } from './fixture-lib.ts';

const fixtures = loadFixtures();

describe('recorded CPython 3.11.7 fixtures', () => {
  test('the corpus is there', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(280);
  });

  for (const fx of fixtures) {
    test(fx.name, () => {
      const scenario = parseScenario(fx.text);
      expect(scenario.mode).toBe(fx.expected.mode);
      const r = runScenario(scenario);
      expect(r.stdout).toBe(fx.expected.stdout);

      for (const a of addresses(r.stderr)) {
        // x86-64 user-space looking: at least 6 hex digits, below 2^47
        expect(a.length - 2).toBeGreaterThanOrEqual(6);
      }

      if (fx.name.endsWith('__segv')) {
        expect(fx.expected.exit_status).toBe(139);
        expect(r.exitStatus).toBe(134);
        const { masked } = mask(truncate(r.stderr));
        expect(masked).toMatch(
          /^Fatal Python error: _PyMem_DebugRaw(Free|Realloc): bad size field: the block at p=<ADDR#1> claims 72057594037927952 bytes originally requested, so CPython would segfault accessing <ADDR#2>\nPython runtime state: initialized\n\n$/,
        );
        return;
      }

      expect(r.exitStatus).toBe(fx.expected.exit_status);
      const t = truncate(r.stderr);
      const { masked, tokens } = mask(t);
      expect(masked).toBe(fx.expected.stderr_masked);
      expect(r.stderr).toBe(t); // nothing after the contract's end
      expect(tailOffsets(t, tokens)).toEqual(fx.expected.tail_offsets);
    });
  }
});

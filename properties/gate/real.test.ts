/**
 * The gate on real implementations nobody here wrote: CPython builds and production
 * allocators (tools/conformance/implementations.ts), at both levels. Each must conform at
 * the contract level; at the cpython level glibc builds conform and the others FAIL on
 * exactly the rule their own documentation predicts (8-byte alignment of small blocks).
 * No property may crash an adapter. `.ci/run` installs every implementation, so in CI
 * (CI=true) a missing one fails instead of skipping.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractAlignment } from '../../spec/alignment.ts';
import { runGate } from '../../src/gate/runner.ts';
import { expectationHolds } from '../../tools/conformance/matrix.ts';
import { missing, REAL_IMPLEMENTATIONS } from '../../tools/conformance/implementations.ts';

const CI = process.env.CI === 'true';

describe('each expectation agrees with the alignment recorded through that build', () => {
  for (const impl of REAL_IMPLEMENTATIONS.filter((i) => i.alignment !== undefined)) {
    it(impl.name, () => {
      const { recording, mode } = impl.alignment!;
      const rec = JSON.parse(readFileSync(recording, 'utf8')) as { residues_mod_16: Record<string, Record<string, Record<string, number[]>>> };
      const sizes = Object.values(rec.residues_mod_16[mode]);
      expect(sizes.length).toBe(6);
      const off16 = sizes.some((bySize) => Object.values(bySize).some((res) => res.some((r) => r !== 0)));
      expect(off16 ? 'differs' : 'conforms').toBe(impl.cpython.verdict);
      // Never below the contract (C23): a block of n bytes is aligned to min(16, 2^floor(log2 n)) at least.
      for (const bySize of sizes) {
        for (const [n, res] of Object.entries(bySize)) for (const r of res) expect(r % contractAlignment(Number(n)), `${mode} ${n}`).toBe(0);
      }
    });
  }
});

describe.concurrent('real implementations get the right verdict at both levels', () => {
  for (const impl of REAL_IMPLEMENTATIONS) {
    const why = missing(impl);
    const skip = why !== null && !CI;
    it.skipIf(skip)(`${impl.name}: contract conforms, cpython ${impl.cpython.verdict}${skip ? ` (skipped: ${why})` : ''}`, async () => {
      expect(why).toBeNull();
      const opts = { command: impl.command, runs: 10, seed: 11, maxCommands: 40, keepGoing: true, timeoutMs: 20_000 };
      const contract = await runGate({ ...opts, level: 'contract' });
      const cpython = await runGate({ ...opts, level: 'cpython' });
      for (const g of [contract, cpython]) {
        const crashed = g.properties.filter((p) => p.failure !== undefined && p.failure.kind !== 'property');
        expect(crashed.map((p) => `${p.name}: ${p.failure!.kind}: ${p.failure!.message}`)).toEqual([]);
      }
      expect(expectationHolds({ impl, contract, cpython })).toBeNull();
      const want = impl.cpython;
      if (want.verdict === 'differs') {
        const d = contract.properties.flatMap((p) => p.differences ?? []).filter((x) => x.rule === want.rule);
        // The difference names a small request and the alignment it got.
        expect(d.some((x) => / 8-aligned$/.test(x.text))).toBe(true);
      }
    }, 240_000);
  }
});

/**
 * The scenario runner's reports of undefined behaviour in the modes without hooks
 * (src/scenario/guard.ts, docs/debug-hooks.md): the public function each report names,
 * the side table across failed, in-place and moving reallocs and across pymalloc pool
 * reuse (fact sheet 3.3, 3.4, 3.7), and the runner's own edges (which modes have hooks,
 * pokes through NULL, errors that are not fatal errors).
 */
import { describe, expect, test } from 'vitest';
import type { Allocator, AllocatorMode, Api } from '../../src/domains/allocator.ts';
import { MODES, PYMEM_DOMAIN_MEM } from '../../src/domains/allocator.ts';
import { Runtime } from '../../src/domains/runtime.ts';
import { FatalError } from '../../src/debug/fatal.ts';
import { PublicCallGuard } from '../../src/scenario/guard.ts';
import { isDebugMode, runScenario } from '../../src/scenario/runner.ts';
import { validateScenario, type Scenario } from '../../src/scenario/scenario.ts';
import type { JsonValue } from '../../src/scenario/json.ts';

/** Build a scenario through the validator (integers as bigints, as the reader gives them). */
function scenario(mode: AllocatorMode, steps: Array<Record<string, unknown>>): Scenario {
  const conv = (v: unknown): JsonValue => (typeof v === 'number' ? BigInt(v) : (v as JsonValue));
  return validateScenario({ mode, steps: steps.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, conv(v)]))) });
}

const PLAIN_MODES: AllocatorMode[] = ['default', 'pymalloc', 'malloc'];
const PYMALLOC_MODES: AllocatorMode[] = ['default', 'pymalloc'];
const DEBUG_FUNC = { free: '_PyMem_DebugRawFree', realloc: '_PyMem_DebugRawRealloc' } as const;
const FAMILY = { r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' } as const;
const ADDR = '0x[0-9a-f]{6,}';

/** The whole stderr of a fatal error, the address of the block left open. */
const fatalText = (func: string, message: string): RegExp =>
  new RegExp(`^Fatal Python error: ${func}: ${message}\\nPython runtime state: initialized\\n\\n$`);

function expectFatal(mode: AllocatorMode, steps: Array<Record<string, unknown>>, func: string, message: string): void {
  const r = runScenario(scenario(mode, steps));
  expect(r.exitStatus).toBe(134);
  expect(r.stderr).toMatch(fatalText(func, message));
}

function expectOk(mode: AllocatorMode, steps: Array<Record<string, unknown>>): void {
  const r = runScenario(scenario(mode, [...steps, { op: 'print', text: 'end' }]));
  expect(r.stderr).toBe('');
  expect(r.exitStatus).toBe(0);
  expect(r.stdout).toBe('end\n');
}

describe('the guard, called directly', () => {
  test('a pointer it never saw handed out: "never returned", naming the public function', () => {
    const g = new PublicCallGuard(new Runtime({ mode: 'default' }));
    const call = (api: Api, op: 'free' | 'realloc', p: number): FatalError => {
      try {
        g.beforeRelease(api, op, p);
      } catch (e) {
        if (e instanceof FatalError) return e;
        throw e;
      }
      throw new Error('expected a fatal error');
    };
    const e = call('m', 'free', 0x7f0012345670);
    expect(e.func).toBe('PyMem_Free');
    expect(e.message).toBe('free of a pointer that was never returned by the allocator: p=0x7f0012345670');
    const f = call('o', 'realloc', 0x55d0c8a3e010);
    expect(f.func).toBe('PyObject_Realloc');
    expect(f.message).toBe('realloc of a pointer that was never returned by the allocator: p=0x55d0c8a3e010');
    g.beforeRelease('r', 'free', 0); // NULL is never checked
  });
});

describe('reports without hooks name the public function', () => {
  test('realloc of a freed block: <Realloc>', () => {
    for (const mode of PLAIN_MODES) {
      for (const api of ['r', 'm', 'o'] as const) {
        expectFatal(mode, [{ op: 'malloc', api, size: 16, as: 'p' }, { op: 'free', api, ptr: 'p' }, { op: 'realloc', api, ptr: 'p', size: 8, as: 'q' }],
          `${FAMILY[api]}Realloc`, `use after free: realloc of the block at p=${ADDR}, which was already freed by ${FAMILY[api]}Free`);
      }
    }
  });

  test('memory written after free, handed out again by malloc, calloc or realloc(NULL): <Malloc>, <Calloc>, <Realloc>', () => {
    // PyMem_Raw* is the C library in these modes; the model's reuses a freed chunk of the same size first
    for (const mode of PLAIN_MODES) {
      const steps = [{ op: 'malloc', api: 'r', size: 16, as: 'p' }, { op: 'free', api: 'r', ptr: 'p' }, { op: 'poke', ptr: 'p', offset: 3, value: 1 }];
      const message = `use after free: the block at p=${ADDR} was written at p\\+3 after it was freed by PyMem_RawFree, and its memory is now being reused`;
      expectFatal(mode, [...steps, { op: 'malloc', api: 'r', size: 16, as: 'q' }], 'PyMem_RawMalloc', message);
      expectFatal(mode, [...steps, { op: 'calloc', api: 'r', nelem: 4, elsize: 4, as: 'q' }], 'PyMem_RawCalloc', message);
      expectFatal(mode, [...steps, { op: 'realloc', api: 'r', ptr: null, size: 16, as: 'q' }], 'PyMem_RawRealloc', message);
    }
  });

  test('a moving realloc into memory written after free: <Realloc>', () => {
    for (const mode of PYMALLOC_MODES) {
      // 16-byte class: keep = pool+48, a = pool+64. b (48-byte class) shrunk to 16 bytes
      // moves (4*16 <= 3*48, fact sheet 3.7) into the head of the 16-byte free list: a.
      expectFatal(mode, [
        { op: 'malloc', api: 'o', size: 16, as: 'keep' },
        { op: 'malloc', api: 'o', size: 16, as: 'a' },
        { op: 'free', api: 'o', ptr: 'a' },
        { op: 'poke', ptr: 'a', offset: 3, value: 1 },
        { op: 'malloc', api: 'o', size: 40, as: 'b' },
        { op: 'realloc', api: 'o', ptr: 'b', size: 16, as: 'b' },
      ], 'PyObject_Realloc', `use after free: the block at p=${ADDR} was written at p\\+3 after it was freed by PyObject_Free, and its memory is now being reused`);
    }
  });

  test('an emptied pool taken by another size class: the new block starts below the written one and covers it', () => {
    for (const mode of PYMALLOC_MODES) {
      // a = pool+48, b = pool+64 (16-byte class); both freed, the pool is free (3.4); the
      // 112-byte class takes it and hands out pool+48 for [a, a+100), which covers b
      expectFatal(mode, [
        { op: 'malloc', api: 'o', size: 16, as: 'a' },
        { op: 'malloc', api: 'o', size: 16, as: 'b' },
        { op: 'free', api: 'o', ptr: 'a' },
        { op: 'free', api: 'o', ptr: 'b' },
        { op: 'poke', ptr: 'b', offset: 3, value: 1 },
        { op: 'malloc', api: 'o', size: 100, as: 'c' },
      ], 'PyObject_Malloc', `use after free: the block at p=${ADDR} was written at p\\+3 after it was freed by PyObject_Free, and its memory is now being reused`);
    }
  });
});

describe('the side table across NULL results and reallocs, every mode', () => {
  const funcOf = (mode: AllocatorMode, op: 'free' | 'realloc', api: Api): string =>
    (isDebugMode(mode) ? DEBUG_FUNC[op] : `${FAMILY[api]}${op === 'free' ? 'Free' : 'Realloc'}`);

  test('a failed realloc leaves the block live: freeing it afterwards is fine', () => {
    for (const mode of MODES) {
      expectOk(mode, [
        { op: 'malloc', api: 'm', size: 16, as: 'p' },
        { op: 'realloc', api: 'm', ptr: 'p', size: 2 ** 62, as: 'q' },
        { op: 'free', api: 'm', ptr: 'p' },
        { op: 'free', api: 'm', ptr: 'q' },
      ]);
    }
  });

  test('a failed malloc takes no memory: a write into a block freed before it is still reported', () => {
    for (const mode of MODES) {
      expectFatal(mode, [
        { op: 'malloc', api: 'm', size: 16, as: 'p' },
        { op: 'free', api: 'm', ptr: 'p' },
        { op: 'malloc', api: 'r', size: 2 ** 62, as: 'big' },
        { op: 'poke', ptr: 'p', offset: 3, value: 1 },
        { op: 'free', api: 'm', ptr: 'p' },
      ], funcOf(mode, 'free', 'm'), `use after free: the block at p=${ADDR} was written at p\\+3 after it was freed by PyMem_Free, then freed again`);
    }
  });

  test('a block resized in place, freed, written, freed again: the write is reported', () => {
    for (const mode of MODES) {
      // pymalloc: 40 -> 37 stays in the 48-byte class (4*37 > 3*48); with hooks 64 -> 61 (4*61 > 3*64)
      expectFatal(mode, [
        { op: 'malloc', api: 'o', size: 40, as: 'p' },
        { op: 'realloc', api: 'o', ptr: 'p', size: 37, as: 'p' },
        { op: 'free', api: 'o', ptr: 'p' },
        { op: 'poke', ptr: 'p', offset: 3, value: 1 },
        { op: 'free', api: 'o', ptr: 'p' },
      ], funcOf(mode, 'free', 'o'), `use after free: the block at p=${ADDR} was written at p\\+3 after it was freed by PyObject_Free, then freed again`);
    }
  });

  test('an in-place realloc hands back the block PyMem_Malloc allocated: PyMem_RawFree of it names API \'m\'', () => {
    for (const mode of PYMALLOC_MODES) {
      expectFatal(mode, [
        { op: 'malloc', api: 'm', size: 40, as: 'p' },
        { op: 'realloc', api: 'o', ptr: 'p', size: 37, as: 'p' },
        { op: 'free', api: 'r', ptr: 'p' },
      ], 'PyMem_RawFree', `wrong allocator: the block at p=${ADDR} was allocated using API 'm' from a pymalloc arena, and PyMem_RawFree would pass it to the C library, which does not own it`);
    }
  });
});

describe('the runner', () => {
  test('the debug modes are debug, pymalloc_debug and malloc_debug; there the hooks report, naming _PyMem_Debug* functions', () => {
    expect(MODES.filter(isDebugMode)).toEqual(['debug', 'pymalloc_debug', 'malloc_debug']);
    for (const mode of MODES) {
      expectFatal(mode, [{ op: 'malloc', api: 'm', size: 16, as: 'p' }, { op: 'free', api: 'm', ptr: 'p' }, { op: 'free', api: 'm', ptr: 'p' }],
        isDebugMode(mode) ? '_PyMem_DebugRawFree' : 'PyMem_Free', `double free: the block at p=${ADDR} was already freed by PyMem_Free`);
    }
  });

  test('a poke through a name bound to NULL: the offset is signed, +0 included; NULL prints as (nil)', () => {
    for (const mode of MODES) {
      const base = [{ op: 'malloc', api: 'r', size: 2 ** 62, as: 'p' }, { op: 'print', text: 'x' }];
      for (const [offset, text] of [
        [-8, 'poke at p-8 writes to 0xfffffffffffffff8, outside mapped memory (p is NULL)'],
        [0, 'poke at p+0 writes to (nil), outside mapped memory (p is NULL)'],
      ] as const) {
        const r = runScenario(scenario(mode, [...base, { op: 'poke', ptr: 'p', offset, value: 1 }]));
        expect(r.stdout).toBe('x\n');
        expect(r.exitStatus).toBe(134);
        expect(r.stderr).toBe(`Fatal Python error: Segmentation fault: ${text}\nPython runtime state: initialized\n\n`);
      }
    }
  });

  test('an error that is not a fatal error (a bug of the model) is not turned into an abort', () => {
    const rt = new Runtime({ mode: 'default' });
    const broken: Allocator = {
      malloc: () => { throw new Error('broken allocator'); },
      calloc: () => 0,
      realloc: () => 0,
      free: () => {},
    };
    rt.setAllocator(PYMEM_DOMAIN_MEM, broken);
    expect(() => runScenario(scenario('default', [{ op: 'malloc', api: 'm', size: 16, as: 'p' }]), rt)).toThrow('broken allocator');
  });
});

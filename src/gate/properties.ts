/**
 * The gate's plain properties: short, targeted checks of one CPython 3.11 rule each,
 * run before the model-based suite because their counterexamples are a handful of calls.
 * Each is a fast-check property over a small input; `run` talks to the implementation
 * through the `Implementation` seam and throws a `PropertyFailure` (expected vs observed).
 * docs/gate.md explains each one with the CPython source it comes from.
 *
 * This module holds the API-contract properties, per-family allocation first, then
 * objects and the size formulas, and PLAIN_PROPERTIES, the order the runner runs them
 * in. What a property is and the checks they share are in plain-property.ts; the
 * debug-hook misuse property is in misuse-property.ts. Both are re-exported from here.
 */
import fc from 'fast-check';
import type { Family } from '../../spec/families.ts';
import type { Addr } from '../../spec/implementation.ts';
import { RULES } from '../../spec/rules.ts';
import { newVarLevel, newVarOutcome, PY_SSIZE_T_MAX, varSize } from '../../spec/sizes.ts';
import { misuse } from './misuse-property.ts';
import {
  aligned, call, checkHeader, expect, expectBytes, expectMemoryError, familyArb, hex, needsObjects, newType, nonNull, pattern,
  type PlainProperty, refDelta,
} from './plain-property.ts';

export { expectedReport, maskAddresses, misuse, type MisuseInput, reportSpan } from './misuse-property.ts';
export { FAMILY_FEATURE, familiesOf, hex, type PlainContext, type PlainProperty } from './plain-property.ts';

// ---- allocation in each family --------------------------------------------

type ZeroKind = 'malloc' | 'calloc(0, n)' | 'calloc(n, 0)' | 'realloc(NULL, 0)' | 'realloc(p, 0)';

/** Each 0-byte request as CPython spells it, without addresses (the text of a difference). */
const ZERO_CALL: Record<ZeroKind, (api: Family, n: number) => string> = {
  'malloc': (api) => call(api, 'Malloc', 0),
  'calloc(0, n)': (api, n) => call(api, 'Calloc', 0, n),
  'calloc(n, 0)': (api, n) => call(api, 'Calloc', n, 0),
  'realloc(NULL, 0)': (api) => call(api, 'Realloc', 'NULL', 0),
  'realloc(p, 0)': (api) => call(api, 'Realloc', 'p', 0),
};

export const zeroSize: PlainProperty<{ api: Family; kind: ZeroKind; n: number }> = {
  name: 'zero-size',
  title: 'a 0-byte request gives a distinct non-NULL pointer in every family (contract); 16-byte aligned (cpython)',
  skip: () => null,
  arbitrary: (f) => fc.record({
    api: familyArb(f),
    kind: fc.constantFrom<ZeroKind>('malloc', 'calloc(0, n)', 'calloc(n, 0)', 'realloc(NULL, 0)', 'realloc(p, 0)'),
    n: fc.integer({ min: 1, max: 64 }),
  }),
  async run(ctx, { api, kind, n }) {
    const short = ZERO_CALL[kind](api, n);
    const one = async (): Promise<[Addr, string]> => {
      switch (kind) {
        case 'malloc': return [await ctx.impl.malloc(api, 0n), short];
        case 'calloc(0, n)': return [await ctx.impl.calloc(api, 0n, BigInt(n)), short];
        case 'calloc(n, 0)': return [await ctx.impl.calloc(api, BigInt(n), 0n), short];
        case 'realloc(NULL, 0)': return [await ctx.impl.realloc(api, 0, 0n), short];
        case 'realloc(p, 0)': {
          const p = await ctx.impl.malloc(api, BigInt(n));
          nonNull(p, call(api, 'Malloc', n), 'a block');
          await ctx.impl.write(p, 0, pattern(n, n));
          return [await ctx.impl.realloc(api, p, 0n), call(api, 'Realloc', hex(p), 0)];
        }
      }
    };
    const [a, what] = await one();
    nonNull(a, what, 'a unique non-NULL pointer (CPython asks for 1 byte instead of 0)');
    aligned(ctx, a, 0, what, short);
    const [b, what2] = await one();
    nonNull(b, what2, 'a unique non-NULL pointer');
    expect(a !== b, `${what2} returned ${hex(b)} again while the first 0-byte block is still live; expected a distinct pointer`);
    await ctx.impl.free(api, a);
    await ctx.impl.free(api, b);
  },
};

export const nullHandling: PlainProperty<{ api: Family; n: number; obj: 'none' | 'init' | 'init_var'; heap: boolean }> = {
  name: 'null-handling',
  title: 'free(NULL) does nothing; realloc(NULL, n) is malloc(n) (contract); PyObject_Init(NULL, tp) is NULL + MemoryError (cpython level only)',
  skip: () => null,
  arbitrary: (f) => fc.record({
    api: familyArb(f),
    n: fc.integer({ min: 0, max: 700 }),
    obj: f.has('objects') ? fc.constantFrom<'none' | 'init' | 'init_var'>('none', 'init', 'init_var') : fc.constant<'none'>('none'),
    heap: fc.boolean(),
  }),
  async run(ctx, { api, n, obj, heap }) {
    await ctx.impl.free(api, 0);
    const what = call(api, 'Realloc', 'NULL', n);
    const q = await ctx.impl.realloc(api, 0, BigInt(n));
    nonNull(q, what, `a block of ${n} bytes, as ${call(api, 'Malloc', n)} gives`);
    aligned(ctx, q, n, what, call(api, 'Realloc', 'NULL', n));
    const data = pattern(n, 3);
    await ctx.impl.write(q, 0, data);
    await expectBytes(ctx, q, data, `${what} then write`);
    await ctx.impl.free(api, q);
    // PyObject_Init(NULL, tp) is defined by CPython's code, not by its documentation.
    if (obj === 'none' || !ctx.conf.cpython) return;
    const itemsize = obj === 'init' ? 0 : 8;
    const { t, r0 } = await newType(ctx, itemsize ? 32 : 24, itemsize, heap);
    const r = obj === 'init' ? await ctx.impl.objectInit(0, t) : await ctx.impl.objectInitVar(0, t, 3n);
    const w = obj === 'init' ? `PyObject_Init(NULL, type ${hex(t)})` : `PyObject_InitVar(NULL, type ${hex(t)}, 3)`;
    expectMemoryError(r, w, RULES.initNull);
    const d = await refDelta(ctx, t, r0);
    expect(d === 0n, `${w}: the type's refcount changed by ${d}, expected 0 (nothing was initialised)`, RULES.initNull);
  },
};

/** Sizes around pymalloc's size classes and its 512-byte threshold. */
const sizeArb = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  fc.constantFrom(1, 8, 15, 16, 17, 24, 31, 32, 33, 48, 511, 512, 513, 1024, 4096),
);

export const alignment: PlainProperty<{ api: Family; op: 'malloc' | 'calloc' | 'realloc' | 'object'; sizes: number[]; basicsize: number }> = {
  name: 'alignment',
  title: 'a block of n bytes is aligned for any object that fits (contract, C23); every block 16-byte aligned (cpython)',
  skip: () => null,
  arbitrary: (f) => fc.record({
    api: familyArb(f),
    op: f.has('objects') ? fc.constantFrom<'malloc' | 'calloc' | 'realloc' | 'object'>('malloc', 'calloc', 'realloc', 'object') : fc.constantFrom<'malloc' | 'calloc' | 'realloc'>('malloc', 'calloc', 'realloc'),
    sizes: fc.array(sizeArb, { minLength: 1, maxLength: 6 }),
    basicsize: fc.integer({ min: 16, max: 300 }),
  }),
  async run(ctx, { api, op, sizes, basicsize }) {
    const live: Addr[] = [];
    if (op === 'object') {
      const { t } = await newType(ctx, basicsize, 0, true);
      for (let k = 0; k < sizes.length; k++) {
        const r = await ctx.impl.objectNew(t);
        nonNull(r.ptr, `PyObject_New(type ${hex(t)})`, 'an object');
        aligned(ctx, r.ptr, basicsize, `PyObject_New(type ${hex(t)}) (basicsize ${basicsize})`, `PyObject_New (basicsize ${basicsize})`);
        live.push(r.ptr);
      }
      for (const p of live) await ctx.impl.objectDel(p);
      return;
    }
    for (const n of sizes) {
      let p: Addr;
      let what: string;
      let short: string;
      if (op === 'malloc') [p, what, short] = [await ctx.impl.malloc(api, BigInt(n)), call(api, 'Malloc', n), call(api, 'Malloc', n)];
      else if (op === 'calloc') [p, what, short] = [await ctx.impl.calloc(api, 1n, BigInt(n)), call(api, 'Calloc', 1, n), call(api, 'Calloc', 1, n)];
      else {
        const q = await ctx.impl.malloc(api, 8n);
        nonNull(q, call(api, 'Malloc', 8), 'a block');
        aligned(ctx, q, 8, call(api, 'Malloc', 8));
        [p, what, short] = [await ctx.impl.realloc(api, q, BigInt(n)), call(api, 'Realloc', hex(q), n), call(api, 'Realloc', 'p', n)];
      }
      nonNull(p, what, 'a block');
      aligned(ctx, p, n, what, short);
      live.push(p);
    }
    for (const p of live) await ctx.impl.free(api, p);
  },
};

export const reallocContents: PlainProperty<{ api: Family; calloc: boolean; n0: number; steps: number[]; seed: number }> = {
  name: 'realloc-contents',
  title: 'realloc keeps the first min(old, new) bytes; calloc gives zeros',
  skip: () => null,
  arbitrary: (f) => fc.record({
    api: familyArb(f),
    calloc: fc.boolean(),
    // 0 bytes is the zero-size property's business; here every block holds data.
    n0: fc.integer({ min: 1, max: 1200 }),
    steps: fc.array(fc.integer({ min: 1, max: 1200 }), { minLength: 1, maxLength: 4 }),
    seed: fc.integer({ min: 0, max: 250 }),
  }),
  async run(ctx, { api, calloc, n0, steps, seed }) {
    let p = calloc ? await ctx.impl.calloc(api, BigInt(n0), 1n) : await ctx.impl.malloc(api, BigInt(n0));
    const first = calloc ? call(api, 'Calloc', n0, 1) : call(api, 'Malloc', n0);
    nonNull(p, first, 'a block');
    let want: Uint8Array;
    if (calloc) {
      want = new Uint8Array(n0);
      await expectBytes(ctx, p, want, `${first}: calloc'd memory must be zero`);
    } else {
      want = pattern(n0, seed);
      await ctx.impl.write(p, 0, want);
    }
    let k = 0;
    for (const n of steps) {
      const what = call(api, 'Realloc', hex(p), n);
      const q = await ctx.impl.realloc(api, p, BigInt(n));
      nonNull(q, what, `a block of ${n} bytes`);
      const keep = want.subarray(0, Math.min(want.length, n));
      await expectBytes(ctx, q, keep, `${what} (from ${want.length} bytes): contents kept`);
      // Define the rest so that every later comparison covers the whole block.
      const next = new Uint8Array(n);
      next.set(keep);
      next.set(pattern(n, seed + ++k).subarray(keep.length), keep.length);
      if (n > keep.length) await ctx.impl.write(q, keep.length, next.subarray(keep.length));
      want = next;
      p = q;
    }
    await ctx.impl.free(api, p);
  },
};

// ---- objects and the size formulas ----------------------------------------

export const objectInit: PlainProperty<{ basicsize: number; itemsize: number; heap: boolean; how: 'new' | 'init'; nitems: number }> = {
  name: 'object-init',
  title: 'after PyObject_New/NewVar/Init/InitVar: ob_refcnt 1, ob_type the type, ob_size n; a heap type gains one reference, a static type none; PyObject_Del gives none back',
  skip: needsObjects,
  arbitrary: (f) => fc.record({
    basicsize: fc.integer({ min: 24, max: 200 }),
    itemsize: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 })),
    heap: fc.boolean(),
    how: f.has('obj') ? fc.constantFrom<'new' | 'init'>('new', 'init') : fc.constant<'new'>('new'),
    nitems: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: -3, max: -1 })),
  }),
  async run(ctx, { basicsize, itemsize, heap, how, nitems }) {
    const n = BigInt(how === 'new' ? Math.abs(nitems) : nitems);
    const { t, r0 } = await newType(ctx, basicsize, itemsize, heap);
    const kind = `${heap ? 'heap' : 'static'} type ${hex(t)} (basicsize ${basicsize}, itemsize ${itemsize})`;
    let p: Addr;
    let what: string;
    if (how === 'new') {
      const r = itemsize > 0 ? await ctx.impl.objectNewVar(t, n) : await ctx.impl.objectNew(t);
      what = itemsize > 0 ? `PyObject_NewVar(${kind}, ${n})` : `PyObject_New(${kind})`;
      nonNull(r.ptr, what, 'an object');
      p = r.ptr;
    } else {
      const size = itemsize > 0 ? Number(varSize(BigInt(basicsize), BigInt(itemsize), n >= 0n ? n : 0n)) : basicsize;
      const b = await ctx.impl.malloc('o', BigInt(size));
      nonNull(b, call('o', 'Malloc', size), 'a block');
      const r = itemsize > 0 ? await ctx.impl.objectInitVar(b, t, n) : await ctx.impl.objectInit(b, t);
      what = itemsize > 0 ? `PyObject_InitVar(${hex(b)}, ${kind}, ${n})` : `PyObject_Init(${hex(b)}, ${kind})`;
      expect(r.ptr === b, `${what} returned ${hex(r.ptr)}, expected the block itself`);
      p = b;
    }
    await checkHeader(ctx, p, t, itemsize, n, what);
    const d = await refDelta(ctx, t, r0);
    if (heap) expect(d === 1n, `${what}: the type's refcount changed by ${d}, expected +1 (a heap type is increfed since 3.8, bpo-35810)`, RULES.heapTypeIncref);
    else ctx.conf.check(d === 0n, RULES.staticTypeRefcount, `a static type's refcount changes by ${d} in PyObject_${how === 'new' ? 'New' : 'Init'}`, `${what}: the type's refcount changed by ${d}, expected 0 (a static type is never increfed)`);
    await ctx.impl.objectDel(p);
    const d2 = await refDelta(ctx, t, r0);
    expect(d2 === d, `PyObject_Del(${hex(p)}): the type's refcount changed by ${d2 - d}, expected 0 (PyObject_Del runs no destructor)`, RULES.delNoDestructor);
  },
};

export const heapTypeRefcount: PlainProperty<{ k: number; itemsize: number; reinit: boolean }> = {
  name: 'heap-type-refcount',
  title: 'k objects of a heap type add k references to it, of a static type none; each re-init adds one more',
  skip: needsObjects,
  arbitrary: () => fc.record({ k: fc.integer({ min: 1, max: 6 }), itemsize: fc.constantFrom(0, 8), reinit: fc.boolean() }),
  async run(ctx, { k, itemsize, reinit }) {
    const heap = await newType(ctx, 32, itemsize, true);
    const stat = await newType(ctx, 32, itemsize, false);
    const objs: Addr[] = [];
    const make = async (t: Addr): Promise<Addr> => {
      const r = itemsize > 0 ? await ctx.impl.objectNewVar(t, 2n) : await ctx.impl.objectNew(t);
      nonNull(r.ptr, `PyObject_New(type ${hex(t)})`, 'an object');
      objs.push(r.ptr);
      return r.ptr;
    };
    let first = 0;
    for (let i = 1; i <= k; i++) {
      const p = await make(heap.t);
      if (i === 1) first = p;
      await make(stat.t);
      const dh = await refDelta(ctx, heap.t, heap.r0);
      const ds = await refDelta(ctx, stat.t, stat.r0);
      expect(dh === BigInt(i), `after ${i} PyObject_New of heap type ${hex(heap.t)}: its refcount changed by ${dh}, expected +${i}`);
      ctx.conf.check(ds === 0n, RULES.staticTypeRefcount, `a static type's refcount changes by ${ds} in PyObject_New`, `after ${i} PyObject_New of static type ${hex(stat.t)}: its refcount changed by ${ds}, expected 0`);
    }
    let expected = BigInt(k);
    if (reinit) {
      const r = itemsize > 0 ? await ctx.impl.objectInitVar(first, heap.t, 2n) : await ctx.impl.objectInit(first, heap.t);
      expect(r.ptr === first, `PyObject_Init(${hex(first)}) again returned ${hex(r.ptr)}`);
      expected += 1n;
      const dh = await refDelta(ctx, heap.t, heap.r0);
      expect(dh === expected, `PyObject_Init on an object already initialised: the heap type's refcount changed by ${dh} in all, expected +${expected} (Init increfs every time; numpy #23318)`);
    }
    for (const p of objs) await ctx.impl.objectDel(p);
    const dh = await refDelta(ctx, heap.t, heap.r0);
    expect(dh === expected, `after PyObject_Del of every object: the heap type's refcount changed by ${dh} in all, expected +${expected} (no destructor runs)`);
  },
};

/**
 * nitems values at the edges of _PyObject_VAR_SIZE for one type: around the wrap at
 * 2^64, around PY_SSIZE_T_MAX, around 0 from below, and the extremes.
 */
export function edgeNitems(basicsize: number, itemsize: number): bigint[] {
  const b = BigInt(basicsize);
  const i = BigInt(itemsize);
  const out = new Set<bigint>();
  for (const base of [((1n << 64n) - b) / i, (PY_SSIZE_T_MAX - b) / i, (1n << 63n) / i, -(b / i), ((1n << 64n) - b - 7n) / i]) {
    for (const d of [-2n, -1n, 0n, 1n, 2n]) out.add(base + d);
  }
  for (const n of [-1n, -(1n << 63n), PY_SSIZE_T_MAX, 1n << 60n, 1n << 61n, (1n << 62n) - 1n]) out.add(n);
  return [...out].filter((n) => n >= -(1n << 63n) && n <= PY_SSIZE_T_MAX);
}

export type EdgeClass = 'memory-error' | 'allocates' | 'may-fail' | 'unsafe';

/**
 * What PyObject_NewVar must do: MemoryError, allocate, either (a huge size the machine
 * may or may not give), or nothing the gate can check ('unsafe': the size wrapped below
 * the header, 0 included, so CPython itself writes the header past the block: into a
 * neighbouring pymalloc block, or past malloc(1), which only glibc's 24-byte minimum
 * chunk survives).
 */
export function edgeClass(basicsize: number, itemsize: number, n: bigint): EdgeClass {
  const o = newVarOutcome(BigInt(basicsize), BigInt(itemsize), n);
  if (o.kind === 'memory-error') return 'memory-error';
  if (!o.headerFits) return 'unsafe';
  return o.size <= 1n << 24n ? 'allocates' : 'may-fail';
}

export const sizeFormulas: PlainProperty<{ basicsize: number; itemsize: number; heap: boolean; pick: number }> = {
  name: 'size-formulas',
  title: 'PyObject_NewVar at the edges of _PyObject_VAR_SIZE: an object or MemoryError (contract); negative and overflowing n wrap modulo 2^64 as in CPython (cpython level only)',
  skip: needsObjects,
  arbitrary: () => fc.record({
    basicsize: fc.integer({ min: 24, max: 128 }),
    itemsize: fc.oneof(fc.constantFrom(1, 2, 3, 8, 16, 24), fc.integer({ min: 1, max: 64 })),
    heap: fc.boolean(),
    pick: fc.nat(),
  }),
  async run(ctx, { basicsize, itemsize, heap, pick }) {
    const levels = ctx.conf.cpython ? ['contract', 'cpython'] : ['contract'];
    // Under debug hooks a huge block that might be granted would be filled byte by byte.
    const debug = ctx.features.has('debug');
    const all = edgeNitems(basicsize, itemsize).filter((n) => levels.includes(newVarLevel(BigInt(basicsize), BigInt(itemsize), n))
      && !(debug && edgeClass(basicsize, itemsize, n) === 'may-fail'));
    if (all.length === 0) return; // this type has no edge the level and the hooks allow
    const n = all[pick % all.length];
    const rule = newVarLevel(BigInt(basicsize), BigInt(itemsize), n) === 'contract' ? RULES.newVarSize : RULES.newVarWrap;
    const cls = edgeClass(basicsize, itemsize, n);
    const { t, r0 } = await newType(ctx, basicsize, itemsize, heap);
    const o = newVarOutcome(BigInt(basicsize), BigInt(itemsize), n);
    const size = o.kind === 'allocates' ? `${o.size}` : 'above PY_SSIZE_T_MAX';
    const what = `PyObject_NewVar(type ${hex(t)} (basicsize ${basicsize}, itemsize ${itemsize}), ${n}) [_PyObject_VAR_SIZE = ${size}]`;
    const r = await ctx.impl.objectNewVar(t, n);
    if (cls === 'memory-error') {
      expectMemoryError(r, what, rule);
      const d = await refDelta(ctx, t, r0);
      expect(d === 0n, `${what}: failed, but the type's refcount changed by ${d}`, rule);
      return;
    }
    if (cls === 'may-fail' && r.ptr === 0) {
      expect(r.exception === 'MemoryError', `${what} returned NULL with exception ${r.exception ?? '(none)'}, expected MemoryError`, rule);
      return;
    }
    nonNull(r.ptr, what, rule === RULES.newVarWrap ? `an object: the size wraps to ${size} bytes and CPython 3.11 has no overflow check` : `an object of ${size} bytes`, rule);
    await checkHeader(ctx, r.ptr, t, itemsize, n, what);
    const d = await refDelta(ctx, t, r0);
    if (heap) expect(d === 1n, `${what}: the type's refcount changed by ${d}, expected 1`, RULES.heapTypeIncref);
    else ctx.conf.check(d === 0n, RULES.staticTypeRefcount, `a static type's refcount changes by ${d} in PyObject_NewVar`, `${what}: the type's refcount changed by ${d}, expected 0`);
    await ctx.impl.objectDel(r.ptr);
  },
};

export const PLAIN_PROPERTIES: Array<PlainProperty<any>> = [
  zeroSize, nullHandling, alignment, reallocContents, objectInit, heapTypeRefcount, sizeFormulas, misuse,
];

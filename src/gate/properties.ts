/**
 * The gate's plain properties: short, targeted checks of one CPython 3.11 rule each,
 * run before the model-based suite because their counterexamples are a handful of calls.
 * Each is a fast-check property over a small input; `run` talks to the implementation
 * through the `Implementation` seam and throws a `PropertyFailure` (expected vs observed).
 * docs/gate.md explains each one with the CPython source it comes from.
 */
import fc from 'fast-check';
import { isAligned } from '../../spec/alignment.ts';
import type { Family } from '../../spec/families.ts';
import { ImplementationAborted, type Addr, type Feature, type ObjResult } from '../../spec/implementation.ts';
import { newVarOutcome, PY_SSIZE_T_MAX, varSize } from '../../spec/sizes.ts';
import { PropertyFailure } from '../../properties/world.ts';
import { ModelImplementation } from '../implementation.ts';
import { encodeAddr, encodeBytes, encodeInt, type Request } from './protocol.ts';
import { describeExit, isAbort, type RemoteImplementation } from './remote.ts';

export const FAMILY_FEATURE: Record<Family, Feature> = { r: 'raw', m: 'mem', o: 'obj' };
const NAMES: Record<Family, string> = { r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' };

export function familiesOf(features: ReadonlySet<Feature>): Family[] {
  return (['r', 'm', 'o'] as const).filter((f) => features.has(FAMILY_FEATURE[f]));
}

export interface PlainContext {
  impl: RemoteImplementation;
  features: ReadonlySet<Feature>;
}

export interface PlainProperty<T> {
  name: string;
  /** One line: what must hold. */
  title: string;
  /** Why a property does not apply to these features, or null when it does. */
  skip(features: ReadonlySet<Feature>): string | null;
  arbitrary(features: ReadonlySet<Feature>): fc.Arbitrary<T>;
  /** Every run in a fresh process (the run ends the process). */
  freshProcess?: boolean;
  /** Do not pass the implementation's stderr through (it is expected and read). */
  quietStderr?: boolean;
  run(ctx: PlainContext, input: T): Promise<void>;
}

// ---- helpers --------------------------------------------------------------

export const hex = (a: Addr): string => (a === 0 ? 'NULL' : `0x${a.toString(16)}`);

function fail(msg: string): never {
  throw new PropertyFailure(msg);
}

function expect(cond: boolean, msg: string): void {
  if (!cond) fail(msg);
}

const call = (api: Family, fn: string, ...args: Array<string | number | bigint>): string => `${NAMES[api]}${fn}(${args.join(', ')})`;

/** Bytes that are never 0 and differ from their neighbours. */
function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 1 + ((seed + i * 7) % 251);
  return b;
}

function firstDiff(got: Uint8Array, want: Uint8Array): number {
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

async function expectBytes(ctx: PlainContext, p: Addr, want: Uint8Array, what: string): Promise<void> {
  if (want.length === 0) return;
  const got = await ctx.impl.read(p, 0, want.length);
  const i = firstDiff(got, want);
  expect(i < 0, `${what}: byte ${i} of ${hex(p)} is 0x${got[i]?.toString(16).padStart(2, '0')}, expected 0x${want[i]?.toString(16).padStart(2, '0')}`);
}

function aligned(p: Addr, what: string): void {
  expect(isAligned(p), `${what} returned ${hex(p)}, which is not 16-byte aligned (CPython 3.11 on x86-64 aligns every block to 16)`);
}

function nonNull(p: Addr, what: string, rule: string): void {
  expect(p !== 0, `${what} returned NULL; expected ${rule}`);
}

function familyArb(features: ReadonlySet<Feature>): fc.Arbitrary<Family> {
  return fc.constantFrom(...familiesOf(features));
}

const needsObjects = (f: ReadonlySet<Feature>): string | null => (f.has('objects') ? null : 'the implementation does not declare "objects"');

async function newType(ctx: PlainContext, basicsize: number, itemsize: number, heap: boolean): Promise<{ t: Addr; r0: bigint }> {
  const t = await ctx.impl.newType(basicsize, itemsize, heap);
  return { t, r0: await ctx.impl.typeRefcnt(t) };
}

async function refDelta(ctx: PlainContext, t: Addr, r0: bigint): Promise<bigint> {
  return (await ctx.impl.typeRefcnt(t)) - r0;
}

async function checkHeader(ctx: PlainContext, p: Addr, t: Addr, itemsize: number, nitems: bigint, what: string): Promise<void> {
  const h = await ctx.impl.objectHeader(p);
  expect(h.refcnt === 1n, `${what}: ob_refcnt is ${h.refcnt}, expected 1`);
  expect(h.type === t, `${what}: ob_type is ${hex(h.type)}, expected the type ${hex(t)}`);
  if (itemsize > 0) {
    expect(h.size !== undefined, `${what}: object_header has no "size" for a type with itemsize ${itemsize}`);
    expect(h.size === nitems, `${what}: ob_size is ${h.size}, expected ${nitems}`);
  }
}

function expectMemoryError(r: ObjResult, what: string): void {
  expect(r.ptr === 0, `${what} returned ${hex(r.ptr)}, expected NULL with MemoryError`);
  expect(r.exception === 'MemoryError', `${what} returned NULL with exception ${r.exception ?? '(none)'}, expected MemoryError`);
}

// ---- the properties -------------------------------------------------------

type ZeroKind = 'malloc' | 'calloc(0, n)' | 'calloc(n, 0)' | 'realloc(NULL, 0)' | 'realloc(p, 0)';

export const zeroSize: PlainProperty<{ api: Family; kind: ZeroKind; n: number }> = {
  name: 'zero-size',
  title: 'a 0-byte request gives a distinct, aligned, non-NULL pointer in every family',
  skip: () => null,
  arbitrary: (f) => fc.record({
    api: familyArb(f),
    kind: fc.constantFrom<ZeroKind>('malloc', 'calloc(0, n)', 'calloc(n, 0)', 'realloc(NULL, 0)', 'realloc(p, 0)'),
    n: fc.integer({ min: 1, max: 64 }),
  }),
  async run(ctx, { api, kind, n }) {
    const one = async (): Promise<[Addr, string]> => {
      switch (kind) {
        case 'malloc': return [await ctx.impl.malloc(api, 0n), call(api, 'Malloc', 0)];
        case 'calloc(0, n)': return [await ctx.impl.calloc(api, 0n, BigInt(n)), call(api, 'Calloc', 0, n)];
        case 'calloc(n, 0)': return [await ctx.impl.calloc(api, BigInt(n), 0n), call(api, 'Calloc', n, 0)];
        case 'realloc(NULL, 0)': return [await ctx.impl.realloc(api, 0, 0n), call(api, 'Realloc', 'NULL', 0)];
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
    aligned(a, what);
    const [b, what2] = await one();
    nonNull(b, what2, 'a unique non-NULL pointer');
    expect(a !== b, `${what2} returned ${hex(b)} again while the first 0-byte block is still live; expected a distinct pointer`);
    await ctx.impl.free(api, a);
    await ctx.impl.free(api, b);
  },
};

export const nullHandling: PlainProperty<{ api: Family; n: number; obj: 'none' | 'init' | 'init_var'; heap: boolean }> = {
  name: 'null-handling',
  title: 'free(NULL) does nothing; realloc(NULL, n) is malloc(n); PyObject_Init(NULL, tp) is NULL + MemoryError',
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
    aligned(q, what);
    const data = pattern(n, 3);
    await ctx.impl.write(q, 0, data);
    await expectBytes(ctx, q, data, `${what} then write`);
    await ctx.impl.free(api, q);
    if (obj === 'none') return;
    const itemsize = obj === 'init' ? 0 : 8;
    const { t, r0 } = await newType(ctx, itemsize ? 32 : 24, itemsize, heap);
    const r = obj === 'init' ? await ctx.impl.objectInit(0, t) : await ctx.impl.objectInitVar(0, t, 3n);
    const w = obj === 'init' ? `PyObject_Init(NULL, type ${hex(t)})` : `PyObject_InitVar(NULL, type ${hex(t)}, 3)`;
    expectMemoryError(r, w);
    const d = await refDelta(ctx, t, r0);
    expect(d === 0n, `${w}: the type's refcount changed by ${d}, expected 0 (nothing was initialised)`);
  },
};

/** Sizes around pymalloc's size classes and its 512-byte threshold. */
const sizeArb = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  fc.constantFrom(1, 8, 15, 16, 17, 24, 31, 32, 33, 48, 511, 512, 513, 1024, 4096),
);

export const alignment: PlainProperty<{ api: Family; op: 'malloc' | 'calloc' | 'realloc' | 'object'; sizes: number[]; basicsize: number }> = {
  name: 'alignment',
  title: 'every non-NULL pointer is 16-byte aligned (malloc, calloc, realloc, PyObject_New)',
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
        aligned(r.ptr, `PyObject_New(type ${hex(t)}) (basicsize ${basicsize})`);
        live.push(r.ptr);
      }
      for (const p of live) await ctx.impl.objectDel(p);
      return;
    }
    for (const n of sizes) {
      let p: Addr;
      let what: string;
      if (op === 'malloc') [p, what] = [await ctx.impl.malloc(api, BigInt(n)), call(api, 'Malloc', n)];
      else if (op === 'calloc') [p, what] = [await ctx.impl.calloc(api, 1n, BigInt(n)), call(api, 'Calloc', 1, n)];
      else {
        const q = await ctx.impl.malloc(api, 8n);
        nonNull(q, call(api, 'Malloc', 8), 'a block');
        aligned(q, call(api, 'Malloc', 8));
        [p, what] = [await ctx.impl.realloc(api, q, BigInt(n)), call(api, 'Realloc', hex(q), n)];
      }
      nonNull(p, what, 'a block');
      aligned(p, what);
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
    expect(d === (heap ? 1n : 0n), `${what}: the type's refcount changed by ${d}, expected ${heap ? '+1 (a heap type is increfed since 3.8, bpo-35810)' : '0 (a static type is never increfed)'}`);
    await ctx.impl.objectDel(p);
    const d2 = await refDelta(ctx, t, r0);
    expect(d2 === d, `PyObject_Del(${hex(p)}): the type's refcount changed by ${d2 - d}, expected 0 (PyObject_Del runs no destructor)`);
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
      expect(ds === 0n, `after ${i} PyObject_New of static type ${hex(stat.t)}: its refcount changed by ${ds}, expected 0`);
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
 * the header and is not 0, so CPython itself writes the header into a neighbouring
 * pymalloc block and may corrupt its free list).
 */
export function edgeClass(basicsize: number, itemsize: number, n: bigint): EdgeClass {
  const o = newVarOutcome(BigInt(basicsize), BigInt(itemsize), n);
  if (o.kind === 'memory-error') return 'memory-error';
  if (!o.headerFits && o.size !== 0n) return 'unsafe';
  return o.size <= 1n << 24n ? 'allocates' : 'may-fail';
}

export const sizeFormulas: PlainProperty<{ basicsize: number; itemsize: number; heap: boolean; pick: number }> = {
  name: 'size-formulas',
  title: 'PyObject_NewVar sizes: _Py_SIZE_ROUND_UP(basicsize + n*itemsize, 8) in wrapping size_t arithmetic; above PY_SSIZE_T_MAX is MemoryError',
  skip: (f) => needsObjects(f) ?? (f.has('debug') ? 'not sent under debug hooks (a wrapped size writes past the block in CPython itself)' : null),
  arbitrary: () => fc.record({
    basicsize: fc.integer({ min: 24, max: 128 }),
    itemsize: fc.oneof(fc.constantFrom(1, 2, 3, 8, 16, 24), fc.integer({ min: 1, max: 64 })),
    heap: fc.boolean(),
    pick: fc.nat(),
  }),
  async run(ctx, { basicsize, itemsize, heap, pick }) {
    const all = edgeNitems(basicsize, itemsize).filter((n) => edgeClass(basicsize, itemsize, n) !== 'unsafe');
    const n = all[pick % all.length];
    const cls = edgeClass(basicsize, itemsize, n);
    const { t, r0 } = await newType(ctx, basicsize, itemsize, heap);
    const o = newVarOutcome(BigInt(basicsize), BigInt(itemsize), n);
    const size = o.kind === 'allocates' ? `${o.size}` : 'above PY_SSIZE_T_MAX';
    const what = `PyObject_NewVar(type ${hex(t)} (basicsize ${basicsize}, itemsize ${itemsize}), ${n}) [_PyObject_VAR_SIZE = ${size}]`;
    const r = await ctx.impl.objectNewVar(t, n);
    if (cls === 'memory-error') {
      expectMemoryError(r, what);
      const d = await refDelta(ctx, t, r0);
      expect(d === 0n, `${what}: failed, but the type's refcount changed by ${d}`);
      return;
    }
    if (cls === 'may-fail' && r.ptr === 0) {
      expect(r.exception === 'MemoryError', `${what} returned NULL with exception ${r.exception ?? '(none)'}, expected MemoryError`);
      return;
    }
    nonNull(r.ptr, what, `an object: the size wraps to ${size} bytes and CPython 3.11 has no overflow check`);
    await checkHeader(ctx, r.ptr, t, itemsize, n, what);
    const d = await refDelta(ctx, t, r0);
    expect(d === (heap ? 1n : 0n), `${what}: the type's refcount changed by ${d}, expected ${heap ? 1 : 0}`);
    await ctx.impl.objectDel(r.ptr);
  },
};

type MisuseKind = 'wrong-family-free' | 'wrong-family-realloc' | 'overrun' | 'underrun';

/** The report span the protocol compares: "Debug memory block at address" .. the Fatal line. */
export function reportSpan(stderr: string): string | null {
  const start = stderr.indexOf('Debug memory block at address');
  if (start < 0) return null;
  const fatal = stderr.indexOf('Fatal Python error:', start);
  if (fatal < 0) return null;
  const nl = stderr.indexOf('\n', fatal);
  return stderr.slice(start, nl < 0 ? undefined : nl);
}

/** Addresses (5+ hex digits after 0x) masked; byte values such as 0xfd stay. */
export function maskAddresses(text: string): string {
  return text.replace(/0x[0-9a-f]{5,}/g, '0x…');
}

export interface MisuseInput { kind: MisuseKind; api: Family; via: Family; size: number; at: number; value: number }

/** The misuse as requests, after `malloc(api, size)` returned p. */
function misuseSteps(m: MisuseInput, p: Addr): { pre: Request[]; fatal: Request } {
  const ptr = encodeAddr(p);
  switch (m.kind) {
    case 'wrong-family-free': return { pre: [], fatal: { op: 'free', api: m.via, ptr } };
    case 'wrong-family-realloc': return { pre: [], fatal: { op: 'realloc', api: m.via, ptr, size: encodeInt(m.size + 8) } };
    case 'overrun':
    case 'underrun': {
      const offset = m.kind === 'overrun' ? m.size + m.at : -m.at;
      return { pre: [{ op: 'write', ptr, offset: encodeInt(offset), bytes: encodeBytes(Uint8Array.of(m.value)) }], fatal: { op: 'free', api: m.api, ptr } };
    }
  }
}

/** CPython's report for the misuse, from our debug-hook model (src/debug). */
export async function expectedReport(m: MisuseInput): Promise<string> {
  const model = new ModelImplementation({ mode: 'debug' });
  const p = await model.malloc(m.api, BigInt(m.size));
  const { pre, fatal } = misuseSteps(m, p);
  for (const r of pre) if (r.op === 'write') await model.write(p, Number(r.offset), Uint8Array.of(m.value));
  try {
    if (fatal.op === 'free') await model.free(fatal.api, p);
    else if (fatal.op === 'realloc') await model.realloc(fatal.api, p, BigInt(m.size + 8));
  } catch (e) {
    if (e instanceof ImplementationAborted) return e.stderr;
    throw e;
  }
  throw new Error(`the debug model did not stop on ${m.kind}`);
}

function describeMisuse(m: MisuseInput): string {
  switch (m.kind) {
    case 'wrong-family-free': return `a block from ${call(m.api, 'Malloc', m.size)} released with ${NAMES[m.via]}Free`;
    case 'wrong-family-realloc': return `a block from ${call(m.api, 'Malloc', m.size)} resized with ${NAMES[m.via]}Realloc`;
    case 'overrun': return `byte 0x${m.value.toString(16)} written at p+${m.size + m.at} (past the end of ${m.size} bytes), then released`;
    case 'underrun': return `byte 0x${m.value.toString(16)} written at p-${m.at} (before the block), then released`;
  }
}

export const misuse: PlainProperty<MisuseInput> = {
  name: 'misuse',
  title: "under debug hooks, a release through the wrong family or after a write past either end stops the process with CPython's report",
  skip: (f) => (f.has('debug') ? null : 'only for implementations that declare "debug"'),
  freshProcess: true,
  quietStderr: true,
  arbitrary: (f) => {
    const fams = familiesOf(f);
    const base = fc.record({
      kind: fc.constantFrom<MisuseKind>(...(fams.length > 1 ? ['wrong-family-free', 'wrong-family-realloc'] as const : []), 'overrun', 'underrun'),
      api: fc.constantFrom(...fams),
      via: fc.constantFrom(...fams),
      size: fc.integer({ min: 1, max: 64 }),
      at: fc.integer({ min: 0, max: 8 }),
      value: fc.integer({ min: 0, max: 255 }),
    });
    // Keep only real misuse: another family; a byte that is not FORBIDDENBYTE (nor, at
    // the API id byte p-8, the family's own letter).
    return base.map((m) => {
      const via = m.via !== m.api ? m.via : fams[(fams.indexOf(m.api) + 1) % fams.length];
      const at = m.kind === 'underrun' ? Math.max(1, m.at) : Math.min(7, m.at);
      let value = m.value === 0xfd ? 0 : m.value;
      if (m.kind === 'underrun' && at === 8 && value === m.api.charCodeAt(0)) value = 0;
      return { ...m, via, at, value };
    });
  },
  async run(ctx, m) {
    const p = await ctx.impl.malloc(m.api, BigInt(m.size));
    nonNull(p, call(m.api, 'Malloc', m.size), 'a block');
    const { pre, fatal } = misuseSteps(m, p);
    for (const r of pre) await ctx.impl.request(r);
    const what = describeMisuse(m);
    const out = await ctx.impl.expectAbort(fatal);
    if (out.answered !== null) fail(`${what}: the implementation went on (answered ${JSON.stringify(out.answered)}); expected the debug hooks to abort the process with a fatal error`);
    expect(isAbort(out.exit), `${what}: the process ended with ${out.exit === null ? 'no exit' : describeExit(out.exit)}, expected SIGABRT (status 134)`);
    const want = reportSpan(await expectedReport(m))!;
    const got = reportSpan(out.stderr);
    if (got === null) fail(`${what}: stderr has no "Debug memory block at address … Fatal Python error:" report; expected:\n${maskAddresses(want)}\n  got (stderr tail):\n${out.stderr.split('\n').slice(-8).join('\n')}`);
    const [g, w] = [maskAddresses(got), maskAddresses(want)];
    if (g !== w) {
      const gl = g.split('\n');
      const wl = w.split('\n');
      const i = wl.findIndex((l, k) => l !== gl[k]);
      fail(`${what}: the report differs from CPython's at line ${i + 1}:\n    expected: ${JSON.stringify(wl[i])}\n    observed: ${JSON.stringify(gl[i] ?? '(missing)')}`);
    }
  },
};

export const PLAIN_PROPERTIES: Array<PlainProperty<any>> = [
  zeroSize, nullHandling, alignment, reallocContents, objectInit, heapTypeRefcount, sizeFormulas, misuse,
];

/**
 * What a plain gate property is (PlainProperty, run against a remote implementation through
 * PlainContext), which families an implementation offers, and the small vocabulary of
 * checks the properties share: failing with an expected-vs-observed message, naming a
 * call as CPython spells it, filling and comparing block contents, alignment, making a
 * type and watching its reference count, and the object-header checks.
 */
import fc from 'fast-check';
import type { Family } from '../../spec/families.ts';
import type { Addr, Feature, ObjResult } from '../../spec/implementation.ts';
import type { Rule } from '../../spec/rules.ts';
import { checkAlignment, type Conformance, PropertyFailure } from '../../properties/conformance.ts';
import type { RemoteImplementation } from './remote.ts';

export const FAMILY_FEATURE: Record<Family, Feature> = { r: 'raw', m: 'mem', o: 'obj' };
export const NAMES: Record<Family, string> = { r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' };

export function familiesOf(features: ReadonlySet<Feature>): Family[] {
  return (['r', 'm', 'o'] as const).filter((f) => features.has(FAMILY_FEATURE[f]));
}

export interface PlainContext {
  impl: RemoteImplementation;
  features: ReadonlySet<Feature>;
  /** The level of this gate run: cpython-level rules fail or are remembered as differences. */
  conf: Conformance;
}

export interface PlainProperty<T> {
  name: string;
  /** One line: what must hold. */
  title: string;
  /** Why a property does not apply to these features (verdict `unsupported`), or null when it does. */
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

/** A broken rule; without `rule`, a contract rule the message names. */
export function fail(msg: string, rule: Rule | null = null): never {
  throw new PropertyFailure(msg, rule);
}

export function expect(cond: boolean, msg: string, rule: Rule | null = null): void {
  if (!cond) fail(msg, rule);
}

export const call = (api: Family, fn: string, ...args: Array<string | number | bigint>): string => `${NAMES[api]}${fn}(${args.join(', ')})`;

/** Bytes that are never 0 and differ from their neighbours. */
export function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 1 + ((seed + i * 7) % 251);
  return b;
}

function firstDiff(got: Uint8Array, want: Uint8Array): number {
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

export async function expectBytes(ctx: PlainContext, p: Addr, want: Uint8Array, what: string): Promise<void> {
  if (want.length === 0) return;
  const got = await ctx.impl.read(p, 0, want.length);
  const i = firstDiff(got, want);
  expect(i < 0, `${what}: byte ${i} of ${hex(p)} is 0x${got[i]?.toString(16).padStart(2, '0')}, expected 0x${want[i]?.toString(16).padStart(2, '0')}`);
}

/** A block of `size` bytes from `what`; `short` names the call without addresses, for a difference. */
export function aligned(ctx: PlainContext, p: Addr, size: number, what: string, short = what): void {
  checkAlignment(ctx.conf, p, size, what, short);
}

export function nonNull(p: Addr, what: string, expected: string, rule: Rule | null = null): void {
  expect(p !== 0, `${what} returned NULL; expected ${expected}`, rule);
}

export function familyArb(features: ReadonlySet<Feature>): fc.Arbitrary<Family> {
  return fc.constantFrom(...familiesOf(features));
}

export const needsObjects = (f: ReadonlySet<Feature>): string | null => (f.has('objects') ? null : 'the implementation does not declare "objects"');

export async function newType(ctx: PlainContext, basicsize: number, itemsize: number, heap: boolean): Promise<{ t: Addr; r0: bigint }> {
  const t = await ctx.impl.newType(basicsize, itemsize, heap);
  return { t, r0: await ctx.impl.typeRefcnt(t) };
}

export async function refDelta(ctx: PlainContext, t: Addr, r0: bigint): Promise<bigint> {
  return (await ctx.impl.typeRefcnt(t)) - r0;
}

export async function checkHeader(ctx: PlainContext, p: Addr, t: Addr, itemsize: number, nitems: bigint, what: string): Promise<void> {
  const h = await ctx.impl.objectHeader(p);
  expect(h.refcnt === 1n, `${what}: ob_refcnt is ${h.refcnt}, expected 1`);
  expect(h.type === t, `${what}: ob_type is ${hex(h.type)}, expected the type ${hex(t)}`);
  if (itemsize > 0) {
    expect(h.size !== undefined, `${what}: object_header has no "size" for a type with itemsize ${itemsize}`);
    expect(h.size === nitems, `${what}: ob_size is ${h.size}, expected ${nitems}`);
  }
}

export function expectMemoryError(r: ObjResult, what: string, rule: Rule | null = null): void {
  expect(r.ptr === 0, `${what} returned ${hex(r.ptr)}, expected NULL with MemoryError`, rule);
  expect(r.exception === 'MemoryError', `${what} returned NULL with exception ${r.exception ?? '(none)'}, expected MemoryError`, rule);
}

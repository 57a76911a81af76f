/**
 * Gate protocol v1 (../shared/reference/gate-protocol-v1.md): the value codec and the
 * shapes of requests and answers. Pure functions, no I/O.
 *
 *  - addresses: `"0x…"` (lowercase hex) or `null` for NULL; in TypeScript a number, 0 = NULL;
 *  - integers: a JSON number when |x| <= 2^53-1, otherwise a decimal string;
 *  - bytes: lowercase hex strings.
 */
import type { Family } from '../../spec/families.ts';
import type { Feature } from '../../spec/implementation.ts';

export const PROTOCOL_VERSION = 1;
export const FEATURES: readonly Feature[] = ['raw', 'mem', 'obj', 'objects', 'debug'];
export const JSON_SAFE = 2n ** 53n - 1n;

/** A value that does not follow the protocol's encoding. */
export class CodecError extends Error {}

export type JsonInt = number | string;

/** bigint/number -> JSON number, or a decimal string beyond 2^53-1. */
export function encodeInt(v: bigint | number): JsonInt {
  const b = BigInt(v);
  return b >= -JSON_SAFE && b <= JSON_SAFE ? Number(b) : b.toString(10);
}

/** JSON number or decimal string -> bigint. */
export function decodeInt(v: unknown, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new CodecError(`${what}: ${JSON.stringify(v)} is not an exact integer (use a decimal string beyond 2^53-1)`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt(v);
  throw new CodecError(`${what}: expected an integer or a decimal string, got ${short(v)}`);
}

/** number (0 = NULL) -> "0x…" or null. */
export function encodeAddr(a: number): string | null {
  if (!Number.isSafeInteger(a) || a < 0) throw new CodecError(`address ${a} is not a non-negative integer`);
  return a === 0 ? null : `0x${a.toString(16)}`;
}

/** "0x…" or null -> number (0 = NULL). Addresses beyond 2^53 cannot be represented. */
export function decodeAddr(v: unknown, what: string): number {
  if (v === null) return 0;
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) {
    throw new CodecError(`${what}: expected an address "0x…" or null, got ${short(v)}`);
  }
  const b = BigInt(v);
  if (b > JSON_SAFE) throw new CodecError(`${what}: address ${v} is beyond 2^53, which the gate cannot represent`);
  return Number(b);
}

export function encodeBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function decodeBytes(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) {
    throw new CodecError(`${what}: expected a hex string, got ${short(v)}`);
  }
  return new Uint8Array(Buffer.from(v, 'hex'));
}

export function short(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'nothing' : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

// ---- requests -------------------------------------------------------------

export type Request =
  | { op: 'hello'; protocol: number }
  | { op: 'malloc'; api: Family; size: JsonInt }
  | { op: 'calloc'; api: Family; nelem: JsonInt; elsize: JsonInt }
  | { op: 'realloc'; api: Family; ptr: string | null; size: JsonInt }
  | { op: 'free'; api: Family; ptr: string | null }
  | { op: 'write'; ptr: string | null; offset: JsonInt; bytes: string }
  | { op: 'read'; ptr: string | null; offset: JsonInt; length: JsonInt }
  | { op: 'new_type'; basicsize: JsonInt; itemsize: JsonInt; heap: boolean }
  | { op: 'type_refcnt'; type: string | null }
  | { op: 'object_new'; type: string | null }
  | { op: 'object_new_var'; type: string | null; nitems: JsonInt }
  | { op: 'object_init'; ptr: string | null; type: string | null }
  | { op: 'object_init_var'; ptr: string | null; type: string | null; nitems: JsonInt }
  | { op: 'object_header'; ptr: string | null }
  | { op: 'object_del'; ptr: string | null }
  | { op: 'bye' };

export type Op = Request['op'];
export type Answer = Record<string, unknown> & { id: unknown };

/** One request line (without the newline). */
export function encodeRequest(id: number, req: Request): string {
  return JSON.stringify({ id, ...req });
}

/** A request as a C-like call, for counterexamples: `PyMem_Malloc(0)`, `object_header(0x…)`. */
export function describeRequest(req: Request): string {
  const fam = (api: Family, fn: string): string => `${{ r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' }[api]}${fn}`;
  const p = (a: string | null): string => a ?? 'NULL';
  switch (req.op) {
    case 'hello': return `hello(protocol ${req.protocol})`;
    case 'malloc': return `${fam(req.api, 'Malloc')}(${req.size})`;
    case 'calloc': return `${fam(req.api, 'Calloc')}(${req.nelem}, ${req.elsize})`;
    case 'realloc': return `${fam(req.api, 'Realloc')}(${p(req.ptr)}, ${req.size})`;
    case 'free': return `${fam(req.api, 'Free')}(${p(req.ptr)})`;
    case 'write': return `write(${p(req.ptr)}${offsetText(req.offset)}, ${req.bytes.length > 32 ? `${req.bytes.slice(0, 32)}…(${req.bytes.length / 2} bytes)` : req.bytes})`;
    case 'read': return `read(${p(req.ptr)}${offsetText(req.offset)}, ${req.length})`;
    case 'new_type': return `new_type(basicsize ${req.basicsize}, itemsize ${req.itemsize}, ${req.heap ? 'heap' : 'static'})`;
    case 'type_refcnt': return `Py_REFCNT(type ${p(req.type)})`;
    case 'object_new': return `PyObject_New(type ${p(req.type)})`;
    case 'object_new_var': return `PyObject_NewVar(type ${p(req.type)}, ${req.nitems})`;
    case 'object_init': return `PyObject_Init(${p(req.ptr)}, type ${p(req.type)})`;
    case 'object_init_var': return `PyObject_InitVar(${p(req.ptr)}, type ${p(req.type)}, ${req.nitems})`;
    case 'object_header': return `object_header(${p(req.ptr)})`;
    case 'object_del': return `PyObject_Del(${p(req.ptr)})`;
    case 'bye': return 'bye()';
  }
}

function offsetText(o: JsonInt): string {
  const n = BigInt(o);
  return n === 0n ? '' : n > 0n ? `+${n}` : `${n}`;
}

/** Parse one answer line: a JSON object with an `id`. */
export function parseAnswer(line: string): Answer {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new CodecError(`not JSON: ${short(line)} (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CodecError(`not a JSON object: ${short(line)}`);
  if (!('id' in v)) throw new CodecError(`answer without an id: ${short(line)}`);
  return v as Answer;
}

export interface Hello {
  protocol: number;
  implementation: string;
  version: string;
  pointerBits: number;
  features: Set<Feature>;
}

/** Check a hello answer; a protocol other than 1 is reported by the caller. */
export function decodeHello(a: Answer): Hello {
  if (typeof a.protocol !== 'number') throw new CodecError(`hello: "protocol" must be a number, got ${short(a.protocol)}`);
  if (typeof a.implementation !== 'string') throw new CodecError(`hello: "implementation" must be a string, got ${short(a.implementation)}`);
  const version = typeof a.version === 'string' ? a.version : '';
  const pointerBits = a.pointer_bits === undefined ? 64 : a.pointer_bits;
  if (pointerBits !== 64) throw new CodecError(`hello: pointer_bits ${short(a.pointer_bits)}: the gate checks 64-bit implementations only`);
  if (!Array.isArray(a.features)) throw new CodecError(`hello: "features" must be an array, got ${short(a.features)}`);
  const features = new Set<Feature>();
  for (const f of a.features) {
    // Unknown feature names are extensions: ignored.
    if ((FEATURES as readonly unknown[]).includes(f)) features.add(f as Feature);
  }
  return { protocol: a.protocol, implementation: a.implementation, version, pointerBits, features };
}

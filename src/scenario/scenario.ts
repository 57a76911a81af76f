/**
 * Scenario files, v1 (../shared/reference/scenario-v1.md): the types and a reader
 * that refuses every malformed input before anything runs, with a one-line message
 * naming the step (1-based, as tools/scenarios/record.py counts) and the problem.
 */
import { type AllocatorMode, type Api, MODES } from '../domains/allocator.ts';
import { type JsonValue, JsonSyntaxError, parseJson } from './json.ts';

export type Step =
  | { op: 'malloc'; api: Api; size: bigint; as: string }
  | { op: 'calloc'; api: Api; nelem: bigint; elsize: bigint; as: string }
  | { op: 'realloc'; api: Api; ptr: string | null; size: bigint; as: string }
  | { op: 'free'; api: Api; ptr: string | null }
  | { op: 'poke'; ptr: string; offset: bigint; value: number }
  | { op: 'print'; text: string };

export type Op = Step['op'];

export interface Scenario {
  mode: AllocatorMode;
  steps: Step[];
}

/** A malformed scenario. `step` is the 1-based step index, or null for the file as a whole. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(message: string, readonly step: number | null = null) {
    super(message);
  }
}

export const SIZE_MAX = (1n << 64n) - 1n;
/** -2^63 */
export const OFFSET_MIN = BigInt.asIntN(64, 1n << 63n);
export const OFFSET_MAX = (1n << 63n) - 1n;

const FIELDS: Record<Op, readonly string[]> = {
  malloc: ['op', 'api', 'size', 'as'],
  calloc: ['op', 'api', 'nelem', 'elsize', 'as'],
  realloc: ['op', 'api', 'ptr', 'size', 'as'],
  free: ['op', 'api', 'ptr'],
  poke: ['op', 'ptr', 'offset', 'value'],
  print: ['op', 'text'],
};
const OPS = Object.keys(FIELDS) as Op[];

/** A JSON value shown in a message: short and on one line. */
function show(v: JsonValue | undefined): string {
  let s: string;
  if (v === undefined) s = 'nothing';
  else if (typeof v === 'bigint') s = v.toString();
  else if (Array.isArray(v)) s = 'a list';
  else if (v !== null && typeof v === 'object') s = 'an object';
  else s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isObject(v: JsonValue): v is { [k: string]: JsonValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasLoneSurrogate(s: string): boolean {
  // Stryker disable next-line EqualityOperator: at i === s.length charCodeAt gives NaN, which is no surrogate
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Decode a file's bytes: UTF-8 (a leading BOM is allowed), refusing invalid sequences. */
export function decodeScenarioBytes(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScenarioError('not JSON: the file is not valid UTF-8');
  }
}

/** Parse and validate a scenario from its text or bytes. Throws ScenarioError. */
export function parseScenario(input: string | Uint8Array): Scenario {
  const text = typeof input === 'string' ? input : decodeScenarioBytes(input);
  let doc: JsonValue;
  try {
    doc = parseJson(text);
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: parseJson throws nothing but JsonSyntaxError (its nesting limit keeps the stack safe)
    if (e instanceof JsonSyntaxError) throw new ScenarioError(`not JSON: ${e.message}`);
    throw e;
  }
  return validateScenario(doc);
}

/** Validate a parsed JSON document (integers as bigints, see json.ts). */
export function validateScenario(doc: JsonValue): Scenario {
  if (!isObject(doc)) throw new ScenarioError(`the file must hold a JSON object with "mode" and "steps", not ${show(doc)}`);
  for (const k of Object.keys(doc)) {
    if (k !== 'mode' && k !== 'steps') throw new ScenarioError(`unknown top-level field ${JSON.stringify(k)}`);
  }
  const mode = doc.mode;
  if (!(MODES as readonly unknown[]).includes(mode)) {
    throw new ScenarioError(`"mode" must be one of ${MODES.join(', ')}; got ${show(mode)}`);
  }
  const rawSteps = doc.steps;
  if (!Array.isArray(rawSteps)) throw new ScenarioError(`"steps" must be a list; got ${show(rawSteps)}`);

  const bound = new Set<string>();
  const steps: Step[] = [];
  rawSteps.forEach((st, index) => {
    const n = index + 1;
    if (!isObject(st)) throw new ScenarioError(`step ${n}: must be an object, not ${show(st)}`, n);
    const opv = st.op;
    if (opv === undefined) throw new ScenarioError(`step ${n}: missing field "op"`, n);
    if (!(OPS as unknown[]).includes(opv)) {
      throw new ScenarioError(`step ${n}: unknown op ${show(opv)} (expected one of ${OPS.join(', ')})`, n);
    }
    const op = opv as Op;
    const bad = (msg: string): never => {
      throw new ScenarioError(`step ${n} (${op}): ${msg}`, n);
    };
    for (const k of Object.keys(st)) if (!FIELDS[op].includes(k)) bad(`unknown field ${JSON.stringify(k)}`);
    for (const k of FIELDS[op]) if (!(k in st)) bad(`missing field ${JSON.stringify(k)}`);

    const int = (key: string, lo: bigint, hi: bigint): bigint => {
      const v = st[key];
      if (typeof v !== 'bigint') return bad(`"${key}" must be an integer; got ${show(v)}`);
      if (v < lo || v > hi) return bad(`"${key}" must be in ${lo}..${hi}; got ${v}`);
      return v;
    };
    const api = (): Api => {
      const v = st.api;
      if (v !== 'r' && v !== 'm' && v !== 'o') return bad(`"api" must be "r", "m" or "o"; got ${show(v)}`);
      return v;
    };
    const ptr = (nullable: boolean): string | null => {
      const v = st.ptr;
      if (v === null && nullable) return null;
      if (typeof v !== 'string') return bad(`"ptr" must be a name${nullable ? ' or null' : ''}; got ${show(v)}`);
      if (!bound.has(v)) return bad(`"ptr" names ${show(v)}, which no earlier step bound with "as"`);
      return v;
    };
    const as = (): string => {
      const v = st.as;
      if (typeof v !== 'string') return bad(`"as" must be a name (a string); got ${show(v)}`);
      return v;
    };

    let step: Step;
    switch (op) {
      case 'malloc':
        step = { op, api: api(), size: int('size', 0n, SIZE_MAX), as: as() };
        break;
      case 'calloc':
        step = { op, api: api(), nelem: int('nelem', 0n, SIZE_MAX), elsize: int('elsize', 0n, SIZE_MAX), as: as() };
        break;
      case 'realloc':
        step = { op, api: api(), ptr: ptr(true), size: int('size', 0n, SIZE_MAX), as: as() };
        break;
      case 'free':
        step = { op, api: api(), ptr: ptr(true) };
        break;
      case 'poke':
        step = { op, ptr: ptr(false) as string, offset: int('offset', OFFSET_MIN, OFFSET_MAX), value: Number(int('value', 0n, 255n)) };
        break;
      case 'print': {
        const t = st.text;
        if (typeof t !== 'string') bad(`"text" must be a string; got ${show(t)}`);
        if (hasLoneSurrogate(t as string)) bad('"text" is not valid Unicode (it has a lone surrogate)');
        step = { op, text: t as string };
        break;
      }
    }
    // Stryker disable next-line ConditionalExpression: adding undefined for a step without "as" is harmless, as names are strings
    if ('as' in step) bound.add(step.as);
    steps.push(step);
  });
  return { mode: mode as AllocatorMode, steps };
}

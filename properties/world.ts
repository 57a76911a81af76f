/**
 * The world a model-based run acts on: the reference spec and the implementation under
 * test side by side, the handles that pair their blocks, and the checks that run after
 * every command. The same world serves `npm test` (spec vs src/) and the gate (spec vs
 * another process).
 */
import type { Family } from '../spec/families.ts';
import { Heap } from '../spec/heap.ts';
import { predictRelease } from '../spec/debug.ts';
import { ImplementationAborted, type Implementation } from '../spec/implementation.ts';
import type { SpecImplementation } from '../spec/index.ts';
import { RULES } from '../spec/rules.ts';
import { checkAlignment, Conformance, PropertyFailure } from './conformance.ts';
import type { PymallocObserver } from './pymalloc-observer.ts';

export { PropertyFailure } from './conformance.ts';

const FAMILY_PREFIX: Record<Family, string> = { r: 'PyMem_Raw', m: 'PyMem', o: 'PyObject' };

export interface TypeHandle {
  spec: number;
  impl: number;
  basicsize: number;
  itemsize: number;
  heap: boolean;
  specRef0: bigint;
  implRef0: bigint;
}

export interface Handle {
  spec: number;
  impl: number;
  api: Family;
  size: number;
  /** The type, once the block holds an initialised object. */
  obj?: TypeHandle;
  /** Bytes a misuse stored just outside the block (debug worlds only), by offset. */
  oob?: Map<number, number>;
}

/** The `Fatal Python error: …` line of a report (or its first line). */
export function fatalLine(stderr: string): string {
  return stderr.split('\n').find((l) => l.startsWith('Fatal Python error:')) ?? stderr.split('\n')[0];
}

export interface Probe {
  /** Sees every request and result (src/ only: the pymalloc placement rules). */
  observer?: PymallocObserver;
  /** Internal consistency of the implementation; returns violations. */
  consistency?: () => string[];
  /** Blocks the implementation believes are live in the 'm'/'o' domains. */
  allocatedBlocks?: () => number;
}

export class World {
  handles: Handle[] = [];
  commandsRun = 0;
  /** The implementation runs under debug hooks: misuse must stop it with CPython's report. */
  readonly debug: boolean;
  /** A misuse stopped the implementation; no further command applies. */
  dead = false;
  types: TypeHandle[] = [];
  /** Live implementation blocks sorted by address, for the overlap check. */
  private spans: Array<[number, number]> = [];

  /**
   * `conf`: the level the checks run at; `npm test` checks our model at `cpython`, the
   * gate at the level the user asked for (properties/conformance.ts).
   */
  constructor(
    readonly spec: SpecImplementation, readonly impl: Implementation, readonly probe: Probe = {},
    readonly conf: Conformance = new Conformance('cpython'),
  ) {
    this.debug = impl.features.has('debug');
  }

  /**
   * Release (free or realloc) a handle through family `via`. In a debug world the spec
   * predicts whether the hooks stop the process and with which fatal error; the
   * implementation must stop with exactly that line, and never when none is predicted.
   * Returns true when the process stopped (the world is then dead).
   */
  async release(h: Handle, via: Family, op: 'free' | 'realloc', what: string, action: () => Promise<void>, checked = true): Promise<boolean> {
    const predicted = this.debug && checked ? predictRelease(h.api, h.size, h.oob ?? new Map(), via, op) : null;
    try {
      await action();
    } catch (e) {
      if (!(e instanceof ImplementationAborted)) throw e;
      const line = fatalLine(e.stderr);
      if (predicted === null) this.fail(`${what}: the implementation stopped although no misuse happened: ${line}`);
      this.conf.check(line === predicted, RULES.debugReport, `misuse reported as "${line}"`, `${what}: stopped with "${line}", expected "${predicted}"`);
      this.dead = true;
      return true;
    }
    if (predicted !== null) this.conf.broke(RULES.debugDetects, '', `${what}: expected the process to stop with "${predicted}", but it went on`);
    return false;
  }

  fail(msg: string): never {
    throw new PropertyFailure(msg);
  }

  expect(cond: boolean, msg: string): void {
    if (!cond) this.fail(msg);
  }

  hex(a: number): string {
    return a === 0 ? 'NULL' : `0x${a.toString(16)}`;
  }

  /**
   * Compare a NULL-or-not outcome. `may` is true when the spec allows either (a request
   * neither surely satisfiable nor surely refused); an extra success is then released.
   */
  async agreeOnNull(what: string, specAddr: number, implAddr: number, size: bigint, api: Family): Promise<boolean> {
    const must = Heap.mustFail(size);
    if (must === null) {
      if (implAddr !== 0) await this.impl.free(api, implAddr);
      return false;
    }
    this.expect((specAddr === 0) === (implAddr === 0),
      `${what}: spec gives ${specAddr === 0 ? 'NULL' : 'a block'}, implementation gives ${this.hex(implAddr)}`);
    return implAddr !== 0;
  }

  /** A block just handed out: aligned, not overlapping any live block; then tracked. */
  adopt(h: Handle, what: string): void {
    checkAlignment(this.conf, h.impl, h.size, what, `${FAMILY_PREFIX[h.api]} block of ${h.size} bytes`);
    const end = h.impl + Math.max(h.size, 1);
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spans[mid][0] < h.impl) lo = mid + 1;
      else hi = mid;
    }
    const prev = this.spans[lo - 1];
    const next = this.spans[lo];
    if (prev !== undefined && prev[1] > h.impl) this.fail(`${what}: ${this.hex(h.impl)} overlaps the live block at ${this.hex(prev[0])}`);
    if (next !== undefined && next[0] < end) this.fail(`${what}: ${this.hex(h.impl)}+${h.size} overlaps the live block at ${this.hex(next[0])}`);
    this.spans.splice(lo, 0, [h.impl, end]);
    this.handles.push(h);
  }

  /** Forget a handle that was released. */
  drop(h: Handle): void {
    this.handles.splice(this.handles.indexOf(h), 1);
    const i = this.spans.findIndex((s) => s[0] === h.impl);
    if (i >= 0) this.spans.splice(i, 1);
  }

  pick(sel: number): Handle {
    return this.handles[sel % this.handles.length];
  }

  pickType(sel: number): TypeHandle {
    return this.types[sel % this.types.length];
  }

  /** Compare what the caller can read back: every byte the spec defines. */
  async compareBytes(h: Handle, offset: number, length: number, what: string): Promise<void> {
    if (length === 0) return;
    const want = this.spec.heap.read(h.spec, offset, length);
    const got = await this.impl.read(h.impl, offset, length);
    for (let i = 0; i < length; i++) {
      if (want.defined[i] && want.bytes[i] !== got[i]) {
        this.fail(`${what}: byte ${offset + i} of ${this.hex(h.impl)} is ${got[i]}, expected ${want.bytes[i]}`);
      }
    }
  }

  /** Compare an object's header and its type's refcount change. */
  async compareHeader(h: Handle, what: string): Promise<void> {
    const t = h.obj!;
    const want = await this.spec.objectHeader(h.spec);
    const got = await this.impl.objectHeader(h.impl);
    this.expect(got.refcnt === want.refcnt, `${what}: ob_refcnt ${got.refcnt}, expected ${want.refcnt}`);
    this.expect(got.type === t.impl, `${what}: ob_type ${this.hex(got.type)}, expected ${this.hex(t.impl)}`);
    if (t.itemsize > 0) this.expect(got.size === want.size, `${what}: ob_size ${got.size}, expected ${want.size}`);
    await this.compareTypeRefcnt(t, what);
  }

  async compareTypeRefcnt(t: TypeHandle, what: string): Promise<void> {
    const ds = (await this.spec.typeRefcnt(t.spec)) - t.specRef0;
    const di = (await this.impl.typeRefcnt(t.impl)) - t.implRef0;
    if (di === ds) return;
    const message = `${what}: type refcount changed by ${di}, expected ${ds} (${t.heap ? 'heap' : 'static'} type)`;
    if (t.heap) this.fail(message);
    this.conf.broke(RULES.staticTypeRefcount, 'a static type\'s refcount changes', message);
  }

  /** The checks that run after every command. */
  afterEach(what: string): void {
    this.commandsRun++;
    const bad = this.probe.consistency?.() ?? [];
    if (bad.length > 0) this.fail(`${what}: pymalloc state inconsistent: ${bad.slice(0, 3).join('; ')}`);
    if (this.probe.allocatedBlocks) {
      const live = this.handles.filter((h) => h.api !== 'r').length;
      const n = this.probe.allocatedBlocks();
      this.expect(n === live, `${what}: allocated blocks ${n}, but ${live} 'm'/'o' blocks are live`);
    }
  }
}

// Library use from TypeScript (strict, module NodeNext): the types come with the package.
//   node --import tsx examples/check-and-replay.ts TRACE    (or compile it with tsc)
// Checks an in-process implementation written against the Implementation interface,
// then replays and checks a pytrace v1 trace.
import { ModelImplementation, checkImplementation, type CheckImplementationResult } from 'objimpl';
import type { Addr, Family, Feature, Implementation } from 'objimpl/spec';
import { checkTrace, replayTrace, type ReplaySummary } from 'objimpl/trace';

/**
 * An implementation of the three allocator families only (no object calls), delegating
 * to our model: the shape your own adapter takes. Its features say what the check sends.
 */
class FamiliesOnly implements Implementation {
  readonly name = 'families-only';
  readonly features: ReadonlySet<Feature> = new Set<Feature>(['raw', 'mem', 'obj']);
  private readonly m = new ModelImplementation();
  malloc(api: Family, size: bigint): Promise<Addr> { return this.m.malloc(api, size); }
  calloc(api: Family, nelem: bigint, elsize: bigint): Promise<Addr> { return this.m.calloc(api, nelem, elsize); }
  realloc(api: Family, ptr: Addr, size: bigint): Promise<Addr> { return this.m.realloc(api, ptr, size); }
  free(api: Family, ptr: Addr): Promise<void> { return this.m.free(api, ptr); }
  write(ptr: Addr, offset: number, bytes: Uint8Array): Promise<void> { return this.m.write(ptr, offset, bytes); }
  read(ptr: Addr, offset: number, length: number): Promise<Uint8Array> { return this.m.read(ptr, offset, length); }
  newType(): Promise<Addr> { return Promise.reject(new Error('unsupported')); }
  typeRefcnt(): Promise<bigint> { return Promise.reject(new Error('unsupported')); }
  objectNew(): never { throw new Error('unsupported'); }
  objectNewVar(): never { throw new Error('unsupported'); }
  objectInit(): never { throw new Error('unsupported'); }
  objectInitVar(): never { throw new Error('unsupported'); }
  objectHeader(): never { throw new Error('unsupported'); }
  objectDel(): never { throw new Error('unsupported'); }
}

const trace = process.argv[2];
if (trace === undefined) {
  console.error('usage: check-and-replay.ts TRACE');
  process.exit(2);
}

const result: CheckImplementationResult = await checkImplementation(() => new FamiliesOnly(), { runs: 5, seed: 2 });
console.log(`families-only: ${result.ok ? 'conforms' : `FAILS: ${result.message ?? ''}`} (${result.runs} runs)`);

const summary: ReplaySummary = await replayTrace(trace);
console.log(`replay: ${summary.ok ? 'ok' : 'MISMATCH'}: ${summary.events} events, ${summary.resultsCompared} results compared`);
const report = await checkTrace(trace, { maxViolations: 10 });
console.log(`check: ${report.violationCount} violations in ${report.events} events`);
process.exitCode = result.ok && summary.ok && report.ok ? 0 : 1;

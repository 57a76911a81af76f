// A TypeScript consumer of the installed package, type-checked by tools/pack-test.sh with
// the settings `tsc --init` writes (strict, NodeNext, exactOptionalPropertyTypes,
// noUncheckedIndexedAccess, no @types packages). Every entry point and its main types.
import {
  ModelImplementation, Runtime, SpecImplementation, checkImplementation, runGate, replayTrace, checkTrace,
  type CheckImplementationResult, type GateResult, type Implementation, type ReplaySummary,
} from 'objimpl';
import { ImplementationAborted, type Addr, type Family, type Feature, type Header, type ObjResult } from 'objimpl/spec';
import { TraceFormatError, ReplayInputError, type CheckReport, type ReplayMismatch, type TraceEvent } from 'objimpl/trace';
import { PROPERTY_NAMES, textReport, jsonReport, junitReport, type GateOptions, type PropertyResult, type Failure } from 'objimpl/gate';

const impl: Implementation = new ModelImplementation({ mode: 'debug' });
const spec: Implementation = new SpecImplementation();
const rt: Runtime = new Runtime({ mode: 'pymalloc' });
const p: number = rt.malloc('o', 56);
rt.free('o', p);

export async function consume(trace: string): Promise<string[]> {
  const fam: Family = 'm';
  const feats: ReadonlySet<Feature> = impl.features;
  const a: Addr = await impl.malloc(fam, 24n);
  const h: Header | undefined = feats.has('objects') ? await impl.objectHeader(a) : undefined;
  const o: ObjResult = await spec.objectNew(await spec.newType(16, 0, true));
  const c: CheckImplementationResult = await checkImplementation(() => new ModelImplementation(), { runs: 1, seed: 3 });
  const r: ReplaySummary = await replayTrace(trace);
  const m: ReplayMismatch | undefined = r.mismatch;
  const k: CheckReport = await checkTrace(trace, { maxViolations: 1 });
  const opts: GateOptions = { command: 'false', runs: 1, only: [PROPERTY_NAMES[0] ?? 'handshake'] };
  const g: GateResult = await runGate(opts);
  const pr: PropertyResult | undefined = g.properties[0];
  const f: Failure | undefined = pr?.failure;
  const e: TraceEvent | null = null;
  const errs = [new ImplementationAborted('', 134), new TraceFormatError(1, 'x'), new ReplayInputError(1, 'y')];
  return [String(h?.refcnt), String(o.ptr), String(c.ok), String(m?.line), String(k.ok), f?.kind ?? '', String(e),
    textReport(g), jsonReport(g), junitReport(g), ...errs.map((x) => x.message)];
}

// The types are real, not `any`: each line below must be a type error.
// @ts-expect-error: a family is 'r', 'm' or 'o'
export const wrongFamily: Family = 'x';
// @ts-expect-error: Runtime.malloc takes a domain letter and a size
rt.malloc('o', '56');
// @ts-expect-error: GateOptions needs the command
export const noCommand: GateOptions = { runs: 1 };

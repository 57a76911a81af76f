/**
 * `objimpl gate`: every property against another implementation (remote.ts), in order:
 *   handshake                     hello, protocol 1, features; bye ends the process
 *   plain properties              properties.ts, a few calls each
 *   model                         the model-based suite of `npm test`: the same command
 *                                 classes and World, spec vs the implementation, through
 *                                 fast-check's asyncModelRun
 * Only the families the implementation declares are used, object ops only with `objects`,
 * misuse only with `debug`. Each fast-check run of the model suite (and each shrink
 * attempt) gets a fresh process, since a failed run may leave the process corrupted; the
 * plain properties reuse one process while runs pass and start a fresh one after any
 * failure (so every shrink attempt after a failure also starts clean).
 * The first failing property ends the gate unless `keepGoing`.
 *
 * Verdicts (docs/conformance.md): each property runs at the chosen level (contract by
 * default). `pass`; `FAIL` (a contract rule broke, or at the cpython level any rule);
 * `differs` (only cpython rules broke, in a contract run: the differences are listed);
 * `unsupported` (a feature the property needs is not declared); `skipped` (budget, an
 * earlier failure); `error` (handshake only: the implementation could not be checked).
 * The outcome: `conforms`, `does-not-conform`, or `could-not-check` when the
 * implementation would not start, gave no valid hello, or declared no family.
 */
import fc from 'fast-check';
import type { Feature } from '../../spec/implementation.ts';
import { SpecImplementation } from '../../spec/index.ts';
import { commands } from '../../properties/arbitraries.ts';
import { World } from '../../properties/world.ts';
import { Conformance, type Difference, PropertyFailure } from '../../properties/conformance.ts';
import type { Level } from '../../spec/rules.ts';
import { familiesOf, PLAIN_PROPERTIES, type PlainProperty } from './properties.ts';
import { type Cmds, within, type Wrapper } from './fit.ts';

export { fitCommand } from './fit.ts';
import { describeExit, GateError, RemoteImplementation } from './remote.ts';
import { entryText, errorKind, errorMessage, shellQuote, stderrTailOf } from './failure.ts';

export interface GateOptions {
  /** Shell command starting the implementation. */
  command: string;
  /** contract (default): only documented rules fail; cpython: CPython 3.11 on glibc's behaviour too. */
  level?: Level;
  /** fast-check runs per property (default 30). */
  runs?: number;
  seed?: number;
  /** fast-check replay path (with `only` naming one property). */
  path?: string;
  /** Run only these properties (names as in PROPERTY_NAMES). */
  only?: string[];
  /** Time budget for the whole gate (ms): runs stop, nothing waits past it. */
  budgetMs?: number;
  /** Per-request timeout (ms), default 10 s. */
  timeoutMs?: number;
  /** Timeout for start-up and hello (ms), default max(timeout, 20 s). */
  startTimeoutMs?: number;
  /** Commands per model-based run (default 60, as `npm test`). */
  maxCommands?: number;
  /** Go on after a failing property. */
  keepGoing?: boolean;
  /** The implementation's stderr, passed through as it arrives. */
  onStderr?: (text: string) => void;
  /** Transient progress text (a TTY shows it; otherwise drop it). */
  progress?: (text: string) => void;
  cwd?: string;
}

export const MODEL_PROPERTY = 'model';
export const PROPERTY_NAMES: readonly string[] = ['handshake', ...PLAIN_PROPERTIES.map((p) => p.name), MODEL_PROPERTY];

export interface Failure {
  /** What broke: expected vs observed, or how the process misbehaved. */
  message: string;
  /** The rule that broke (spec/rules.ts), when the check names one. */
  rule?: { id: string; level: Level };
  /** crash, hang, malformed, wrong-id, protocol, error, abort, or property. */
  kind: string;
  /** The shrunk counterexample: the calls, numbered by the reporter. */
  calls: string[];
  /** fast-check's generated input (plain properties). */
  input?: string;
  /** The last protocol requests of the failing run, with their answers. */
  lastRequests: string[];
  stderrTail: string;
}

/** docs/conformance.md: only FAIL (and error) count against conformance. */
export type Verdict = 'pass' | 'FAIL' | 'differs' | 'unsupported' | 'skipped' | 'error';

export interface PropertyResult {
  name: string;
  title: string;
  /** The level the property ran at. */
  level: Level;
  verdict: Verdict;
  /** passed for pass and differs; failed for FAIL and error; skipped for unsupported and skipped. */
  status: 'passed' | 'failed' | 'skipped';
  /** With `differs`: how the implementation differs from CPython 3.11 on glibc. */
  differences?: Difference[];
  reason?: string;
  runs: number;
  shrinks: number;
  /** Runs were cut short by the time budget. */
  interrupted: boolean;
  seconds: number;
  requests: number;
  /** Model-based suite only: commands run (World level). */
  commands?: number;
  seed: number;
  path?: string;
  failure?: Failure;
  /** The command line that replays the failure. */
  replay?: string;
}

export type Outcome = 'conforms' | 'does-not-conform' | 'could-not-check';

export interface GateResult {
  /** outcome === 'conforms'. */
  ok: boolean;
  outcome: Outcome;
  level: Level;
  command: string;
  implementation: { name: string; version: string; features: Feature[] };
  seed: number;
  seconds: number;
  requests: number;
  processes: number;
  budgetExhausted: boolean;
  properties: PropertyResult[];
}

const MODEL_TITLE = 'model-based suite: random call sequences agree with the spec (NULL-ness, alignment, no overlap, contents, headers, type refcounts; misuse stops under debug)';

/** Starts processes and counts what they did. */
class Launcher {
  processes = 0;
  requests = 0;
  constructor(private readonly o: GateOptions, private readonly deadline: number | undefined) {}

  start(opts: { transcript?: boolean; quiet?: boolean } = {}): Promise<RemoteImplementation> {
    this.processes++;
    return RemoteImplementation.start({
      command: this.o.command,
      ...(this.o.timeoutMs !== undefined ? { timeoutMs: this.o.timeoutMs } : {}),
      ...(this.o.startTimeoutMs !== undefined ? { startTimeoutMs: this.o.startTimeoutMs } : {}),
      ...(this.deadline !== undefined ? { deadline: this.deadline } : {}),
      ...(this.o.onStderr && !opts.quiet ? { onStderr: this.o.onStderr } : {}),
      ...(this.o.cwd !== undefined ? { cwd: this.o.cwd } : {}),
      transcript: opts.transcript ?? false,
    });
  }

  async retire(r: RemoteImplementation): Promise<void> {
    await r.close();
    this.requests += r.requests;
  }
}


export async function runGate(o: GateOptions): Promise<GateResult> {
  const t0 = Date.now();
  const deadline = o.budgetMs !== undefined ? t0 + o.budgetMs : undefined;
  const seed = o.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const runs = o.runs ?? 30;
  const level: Level = o.level ?? 'contract';
  const launcher = new Launcher(o, deadline);
  const results: PropertyResult[] = [];
  const result: GateResult = {
    ok: false, outcome: 'could-not-check', level, command: o.command, implementation: { name: '?', version: '', features: [] }, seed,
    seconds: 0, requests: 0, processes: 0, budgetExhausted: false, properties: results,
  };
  const finish = (): GateResult => {
    result.seconds = (Date.now() - t0) / 1000;
    result.requests = launcher.requests;
    result.processes = launcher.processes;
    const unchecked = results.some((r) => r.verdict === 'error');
    result.outcome = unchecked ? 'could-not-check' : results.every((r) => r.verdict !== 'FAIL') ? 'conforms' : 'does-not-conform';
    result.ok = result.outcome === 'conforms';
    return result;
  };
  const replay = (name: string, path: string | undefined): string => {
    const parts = ['objimpl gate --impl', shellQuote(o.command), '--property', name, '--seed', String(seed)];
    if (path !== undefined) parts.push('--path', shellQuote(path));
    if (o.maxCommands !== undefined && name === MODEL_PROPERTY) parts.push('--max-commands', String(o.maxCommands));
    if (o.timeoutMs !== undefined) parts.push('--timeout', String(o.timeoutMs / 1000));
    if (level !== 'contract') parts.push('--level', level);
    return parts.join(' ');
  };

  // ---- handshake ----
  o.progress?.('gate: starting the implementation...');
  const hs0 = Date.now();
  const handshake: PropertyResult = {
    name: 'handshake', title: 'hello answers protocol 1 with the features; bye is answered and the process exits 0',
    level, verdict: 'pass', status: 'passed', runs: 1, shrinks: 0, interrupted: false, seconds: 0, requests: 0, seed,
  };
  // Until hello is answered and a family declared, a failure means "could not check".
  let started = false;
  let features: ReadonlySet<Feature> = new Set();
  let first: RemoteImplementation | null = null;
  try {
    first = await launcher.start({ transcript: true });
    features = first.features;
    result.implementation = { name: first.name, version: first.version, features: [...features] };
    if (familiesOf(features).length === 0) throw new GateError('protocol', 'the implementation declares no allocator family ("raw", "mem" or "obj")', null);
    started = true;
    await first.request({ op: 'bye' });
    const w0 = Date.now();
    while (first.exit === null && Date.now() - w0 < 2000) await new Promise((r) => setTimeout(r, 5));
    if (first.exit === null) throw new GateError('hang', 'answered bye but did not exit within 2 s', null);
    if (first.exit.code !== 0) throw new GateError('crash', `after bye the process ended with ${describeExit(first.exit)}, expected exit status 0`, null);
  } catch (e) {
    handshake.status = 'failed';
    handshake.verdict = started ? 'FAIL' : 'error';
    handshake.failure = {
      message: errorMessage(e), kind: errorKind(e), calls: first?.transcript.map(entryText) ?? [],
      lastRequests: [], stderrTail: stderrTailOf(e, first),
    };
    handshake.replay = `objimpl gate --impl ${shellQuote(o.command)} --property handshake`;
  } finally {
    if (first !== null) await launcher.retire(first);
  }
  handshake.seconds = (Date.now() - hs0) / 1000;
  handshake.requests = first?.requests ?? 0;
  results.push(handshake);
  if (handshake.status === 'failed') return finish();

  const selected = (name: string): boolean => o.only === undefined || o.only.includes(name);
  const fcParams = (name: string): fc.Parameters<unknown> => ({
    numRuns: runs, seed,
    ...(o.path !== undefined && o.only?.length === 1 && o.only[0] === name ? { path: o.path } : {}),
    ...(deadline !== undefined ? { interruptAfterTimeLimit: Math.max(1, deadline - Date.now()) } : {}),
  });

  let stop = false;
  const plan: Array<{ name: string; title: string; skip: string | null; go: () => Promise<PropertyResult> }> = [
    ...PLAIN_PROPERTIES.map((p) => ({ name: p.name, title: p.title, skip: p.skip(features), go: () => runPlain(p) })),
    { name: MODEL_PROPERTY, title: MODEL_TITLE, skip: null, go: () => runModel() },
  ];

  async function runPlain<T>(p: PlainProperty<T>): Promise<PropertyResult> {
    let remote: RemoteImplementation | null = null;
    let lastFailed = false;
    let failure: Failure | null = null;
    let count = 0;
    const inflight = new Set<Promise<void>>();
    const r0 = launcher.requests;
    const conf = new Conformance(level);
    const drop = async (): Promise<void> => {
      if (remote !== null) {
        const r = remote;
        remote = null;
        await launcher.retire(r);
      }
    };
    const body = async (input: T): Promise<void> => {
      o.progress?.(`gate: ${p.name} run ${++count}`);
      let r: RemoteImplementation | null = null;
      try {
        if (remote === null || p.freshProcess || lastFailed || remote.error !== null) {
          await drop();
          remote = await launcher.start({ transcript: true, quiet: p.quietStderr === true });
        }
        r = remote;
        r.transcript.length = 0;
        await p.run({ impl: r, features, conf }, input);
        lastFailed = false;
        if (p.freshProcess) await drop();
      } catch (e) {
        lastFailed = true;
        if (e instanceof GateError && e.kind === 'budget') {
          await drop();
          fc.pre(false);
        }
        failure = {
          message: errorMessage(e, r), kind: errorKind(e), ...ruleOf(e), calls: (r?.transcript ?? []).map(entryText), input: fc.stringify(input),
          lastRequests: [], stderrTail: stderrTailOf(e, r),
        };
        await drop();
        throw e;
      }
    };
    const prop = fc.asyncProperty(p.arbitrary(features), (input) => {
      const run = body(input);
      inflight.add(run);
      return run.finally(() => inflight.delete(run));
    });
    const t = Date.now();
    const d = await fc.check(prop, fcParams(p.name));
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
    await drop();
    return settle(p.name, p.title, d, failure, t, r0, conf);
  }

  async function runModel(): Promise<PropertyResult> {
    let failure: Failure | null = null;
    let count = 0;
    let commandsRun = 0;
    const inflight = new Set<Promise<void>>();
    const r0 = launcher.requests;
    const debug = features.has('debug');
    const conf = new Conformance(level);
    const body = async (cmds: Cmds): Promise<void> => {
      o.progress?.(`gate: model run ${++count}`);
      let r: RemoteImplementation | null = null;
      let world: World | null = null;
      try {
        // stderr is held back until the run ends: a misuse's expected abort report is not news.
        r = await launcher.start({ quiet: true });
        world = new World(new SpecImplementation(), r, {}, conf);
        await fc.asyncModelRun(() => ({ model: world!, real: world! }), { [Symbol.iterator]: () => within(cmds, features) });
        if (!world.dead && o.onStderr && r.stderrText() !== '') o.onStderr(r.stderrText());
      } catch (e) {
        if (o.onStderr && r !== null && r.stderrText() !== '') o.onStderr(r.stderrText());
        if (e instanceof GateError && e.kind === 'budget') fc.pre(false);
        failure = {
          message: errorMessage(e, r), kind: errorKind(e), ...ruleOf(e),
          calls: [...(cmds as Iterable<Wrapper>)].filter((c) => c.hasRan === true).map(String),
          lastRequests: (r?.recent ?? []).map(entryText), stderrTail: stderrTailOf(e, r),
        };
        throw e;
      } finally {
        commandsRun += world?.commandsRun ?? 0;
        if (r !== null) await launcher.retire(r);
      }
    };
    const prop = fc.asyncProperty(commands(o.maxCommands ?? 60, debug), (cmds) => {
      const run = body(cmds);
      inflight.add(run);
      return run.finally(() => inflight.delete(run));
    });
    const t = Date.now();
    const d = await fc.check(prop, fcParams(MODEL_PROPERTY));
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
    return { ...settle(MODEL_PROPERTY, MODEL_TITLE, d, failure, t, r0, conf), commands: commandsRun };
  }

  function settle(name: string, title: string, d: fc.RunDetails<unknown>, failure: Failure | null, t: number, r0: number, conf: Conformance): PropertyResult {
    const differences = conf.differences();
    const res: PropertyResult = {
      name, title, level, verdict: d.failed ? 'FAIL' : differences.length > 0 ? 'differs' : 'pass',
      ...(!d.failed && differences.length > 0 ? { differences } : {}),
      status: d.failed ? 'failed' : 'passed', runs: d.numRuns, shrinks: d.numShrinks,
      interrupted: d.interrupted, seconds: (Date.now() - t) / 1000, requests: launcher.requests - r0, seed: d.seed,
    };
    if (d.interrupted) result.budgetExhausted = true;
    if (d.failed) {
      res.path = d.counterexamplePath ?? undefined;
      res.failure = failure ?? {
        message: errorMessage(d.errorInstance), kind: errorKind(d.errorInstance), ...ruleOf(d.errorInstance), calls: [], lastRequests: [], stderrTail: '',
      };
      res.replay = replay(name, res.path);
    } else if (d.interrupted && d.numRuns === 0) {
      res.status = 'skipped';
      res.verdict = 'skipped';
      res.reason = 'the time budget ran out before a run finished';
    }
    return res;
  }

  for (const step of plan) {
    const base = { name: step.name, title: step.title, level, runs: 0, shrinks: 0, interrupted: false, seconds: 0, requests: 0, seed };
    if (!selected(step.name)) continue;
    if (stop) {
      results.push({ ...base, verdict: 'skipped', status: 'skipped', reason: 'an earlier property failed (use --keep-going to run it)' });
      continue;
    }
    if (step.skip !== null) {
      results.push({ ...base, verdict: 'unsupported', status: 'skipped', reason: step.skip });
      continue;
    }
    if (deadline !== undefined && Date.now() >= deadline) {
      result.budgetExhausted = true;
      results.push({ ...base, verdict: 'skipped', status: 'skipped', reason: 'the time budget ran out' });
      continue;
    }
    const r = await step.go();
    results.push(r);
    if (r.status === 'failed' && !o.keepGoing) stop = true;
  }
  return finish();
}

/** The broken rule a failure carries, as a Failure field. */
function ruleOf(e: unknown): { rule?: { id: string; level: Level } } {
  return e instanceof PropertyFailure && e.rule !== null ? { rule: { id: e.rule.id, level: e.rule.level } } : {};
}

/**
 * `objimpl/gate`: check another implementation of the object-memory API. `runGate`
 * starts a process that speaks gate protocol v1 (docs/gate-protocol-v1.md) and runs the
 * spec and model-based properties against it; `checkImplementation` runs the
 * model-based suite against an `Implementation` in this process.
 *
 * @example
 * ```ts
 * import { runGate, textReport } from 'objimpl/gate';
 * const g = await runGate({ command: 'python3 tools/adapters/cpython_ctypes.py', runs: 10 });
 * process.stdout.write(textReport(g));
 * process.exitCode = g.ok ? 0 : 1;
 * ```
 *
 * @packageDocumentation
 */

/**
 * The gate runner: `runGate(options)` resolves to a `GateResult` (one `PropertyResult`
 * per property, a shrunk `Failure` with the replay command for each that failed).
 * `PROPERTY_NAMES` lists what `only` may name.
 */
export {
  runGate, PROPERTY_NAMES, type GateOptions, type GateResult, type PropertyResult, type Failure,
} from '../gate/runner.ts';
/** The reports the CLI prints or writes: plain text, JSON and JUnit XML. */
export { textReport, jsonReport, junitReport, failureText } from '../gate/report.ts';
/** The model-based suite against an in-process implementation. */
export {
  checkImplementation, type CheckImplementationOptions, type CheckImplementationResult,
} from '../check-implementation.ts';
/** A CPython-only rule that did not hold at the contract level; the rule levels. */
export type { Difference } from '../../properties/conformance.ts';
export type { Level } from '../../spec/rules.ts';

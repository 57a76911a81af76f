/** Scenario files v1: read, validate, run. */
export { parseScenario, validateScenario, decodeScenarioBytes, ScenarioError } from './scenario.ts';
export type { Scenario, Step, Op } from './scenario.ts';
export { runScenario, isDebugMode, EXIT_ABORT, EXIT_OK } from './runner.ts';
export type { RunResult } from './runner.ts';

/** The ScenarioError a malformed scenario is refused with (fails the test if it is accepted). */
import { parseScenario, ScenarioError } from '../../src/scenario/scenario.ts';

export function refusal(text: string | Uint8Array): ScenarioError {
  try {
    parseScenario(text);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('accepted a malformed scenario');
}

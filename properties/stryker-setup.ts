// Stryker's profile: one fixed fast-check seed (every mutant runs the cases of the dry
// run; no seed ever appears in a test name) and fewer runs per property, for time.
import fc from 'fast-check';

fc.configureGlobal({ seed: 20261125 });
process.env.OBJIMPL_RUNS_SCALE ??= '0.5';

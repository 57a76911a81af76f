// Library use from plain Node (ES modules, no TypeScript, no loader):
//   node examples/check-and-replay.mjs TRACE
// 1. checks an in-process implementation of the object-memory API against the spec
//    (here our model, and a copy of it with one bug, to show what a failure looks like);
// 2. replays a pytrace v1 trace (docs/pytrace-v1.md) through our pymalloc.
import { ModelImplementation, checkImplementation, replayTrace } from 'objimpl';

const trace = process.argv[2];
if (trace === undefined) {
  console.error('usage: node examples/check-and-replay.mjs TRACE');
  process.exit(2);
}

// Any object with the Implementation methods will do; make() builds a fresh one per run.
const good = await checkImplementation(() => new ModelImplementation({ mode: 'default' }), { runs: 5, seed: 1 });
console.log(`model: ${good.ok ? 'conforms' : `FAILS: ${good.message}`} (${good.runs} runs, seed ${good.seed})`);

// The same model, but PyMem_Malloc returns blocks 8 bytes off: not 16-byte aligned.
class Misaligned extends ModelImplementation {
  async malloc(api, size) {
    const p = await super.malloc(api, size);
    return api === 'm' && p !== 0 ? p + 8 : p;
  }
}
const bad = await checkImplementation(() => new Misaligned(), { runs: 50, seed: 1 });
console.log(`misaligned: ${bad.ok ? 'conforms' : `FAILS: ${bad.message}`}`);

const r = await replayTrace(trace);
console.log(`replay: ${r.ok ? 'ok' : 'MISMATCH'}: ${r.events} events, ${r.resultsCompared} results compared, ${r.mismatches} mismatches`);
process.exitCode = good.ok && !bad.ok && r.ok ? 0 : 1;

/**
 * Gate measurements (run: `node --import tsx tools/adapters/gate-bench.ts [python3]`):
 *   1. protocol round trips per second: malloc+free pairs through RemoteImplementation;
 *   2. the model-based suite's throughput (requests per second, process starts included);
 *   3. the time to reject each non-conforming adapter (whole gate, fixed seeds).
 */
import { RemoteImplementation } from '../../src/gate/remote.ts';
import { runGate } from '../../src/gate/runner.ts';

const py = process.argv[2] ?? 'python3';
const impls: Array<[string, string]> = [
  ['model adapter', 'node --import tsx tools/adapters/model-adapter.ts'],
  ['cpython_ctypes.py', `${py} tools/adapters/cpython_ctypes.py`],
  ['cpython_ctypes.py (PYTHONMALLOC=debug)', `PYTHONMALLOC=debug ${py} tools/adapters/cpython_ctypes.py`],
];

async function roundTrips(command: string, pairs: number): Promise<number> {
  const r = await RemoteImplementation.start({ command });
  const t0 = performance.now();
  for (let i = 0; i < pairs; i++) await r.free('m', await r.malloc('m', BigInt(1 + (i % 500))));
  const s = (performance.now() - t0) / 1000;
  await r.close();
  return (2 * pairs) / s;
}

console.log('1. protocol round trips (malloc/free pairs, one process)');
for (const [name, cmd] of impls) console.log(`   ${name.padEnd(40)} ${Math.round(await roundTrips(cmd, 10_000))} requests/s`);

console.log('2. model-based suite (20 runs x 60 commands, a process per run)');
for (const [name, cmd] of impls) {
  const g = await runGate({ command: cmd, runs: 20, seed: 1, only: ['model'] });
  const m = g.properties.find((p) => p.name === 'model')!;
  console.log(`   ${name.padEnd(40)} ${m.status}: ${m.requests} requests in ${m.seconds.toFixed(1)} s = ${Math.round(m.requests / m.seconds)} requests/s (${m.commands} commands)`);
}

console.log('3. time to reject (whole gate, --runs 30, seeds 1..3)');
for (const bug of ['no-heap-incref', 'malloc0-null', 'align8', 'realloc-lose-last-byte', 'debug-accepts-wrong-family']) {
  const times: string[] = [];
  let detail = '';
  for (const seed of [1, 2, 3]) {
    const t0 = performance.now();
    const g = await runGate({ command: `${py} tools/adapters/nonconforming.py --bug ${bug}`, runs: 30, seed });
    const f = g.properties.find((p) => p.status === 'failed');
    times.push(((performance.now() - t0) / 1000).toFixed(1));
    detail = f ? `${f.name}, ${f.failure!.calls.length} calls` : 'NOT REJECTED';
  }
  console.log(`   ${bug.padEnd(28)} ${times.join(' / ')} s  (${detail})`);
}

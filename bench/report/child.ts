/**
 * One measured run for bench/report/run.ts, in a fresh process: `objimpl replay TRACE
 * [--stats FILE] [--report OUT]` through the CLI's own function, printing the process
 * CPU time and wall time of the whole command (replay, and with --report the sampling,
 * snapshots and writing the page) as JSON.
 */
import { tuneV8 } from '../../src/jit-flags.ts';
import { replayCommand } from '../../src/cli/replay.ts';

tuneV8();
const args = process.argv.slice(2);
const sink = { stdout: () => {}, stderr: (t: string) => { process.stderr.write(t); }, progress: () => {} };
const c0 = process.cpuUsage();
const t0 = performance.now();
const code = await replayCommand(args, sink);
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
process.stdout.write(`${JSON.stringify({ code, cpuMs: (c.user + c.system) / 1000, wallMs: wall })}\n`);

/**
 * `npm run faults`: apply each hand-written fault to a scratch copy of the project and
 * run the suite there; every fault must make it fail. Prints one line per fault and
 * exits 1 if any fault survives. `--json` prints a machine-readable report.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FAULTS } from './faults.ts';

const root = resolve(new URL('../..', import.meta.url).pathname);
const json = process.argv.includes('--json');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const results: Array<{ id: string; killed: boolean; seconds: number; why: string }> = [];

for (const f of FAULTS) {
  if (only !== undefined && f.id !== only) continue;
  const dir = mkdtempSync(join(tmpdir(), `objimpl-fault-${f.id}-`));
  for (const d of ['src', 'spec', 'properties', 'fixtures']) cpSync(join(root, d), join(dir, d), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json', 'vitest.config.ts']) cpSync(join(root, file), join(dir, file));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const target = join(dir, f.file);
  const text = readFileSync(target, 'utf8');
  const hits = text.split(f.find).length - 1;
  if (hits !== 1) {
    process.stderr.write(`faults: ${f.id}: expected the text to patch once in ${f.file}, found ${hits} times\n`);
    process.exit(2);
  }
  writeFileSync(target, text.replace(f.find, f.replace));
  const t0 = Date.now();
  const r = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', '--bail=1', 'properties/pymalloc', 'properties/model', 'properties/objimpl'], {
    cwd: dir, encoding: 'utf8', timeout: 180_000,
  });
  const seconds = (Date.now() - t0) / 1000;
  const killed = r.status !== 0;
  results.push({ id: f.id, killed, seconds, why: f.why });
  if (!json) process.stdout.write(`${killed ? 'killed  ' : 'SURVIVED'} ${f.id.padEnd(36)} ${seconds.toFixed(1).padStart(6)} s  ${f.why}\n`);
  rmSync(dir, { recursive: true, force: true });
}
const survivors = results.filter((r) => !r.killed);
if (json) process.stdout.write(`${JSON.stringify({ faults: results, survivors: survivors.length }, null, 2)}\n`);
else process.stdout.write(`${results.length - survivors.length} of ${results.length} faults killed\n`);
process.exit(survivors.length > 0 ? 1 : 0);

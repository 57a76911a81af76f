#!/usr/bin/env node
// `npm run mutate`: Stryker over src/ and spec/ with a fixed fast-check seed, then an
// audit of the JSON report: a Survived mutant that ran fewer tests than cover it is a
// mutant that was never really tested, and fails the run (see shared toolchain notes).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// usage: node tools/mutate.mjs [CONFIG] [-- STRYKER_ARGS...], e.g. `npm run mutate:debug -- --force`
// (--force: ignore the incremental file and test every mutant again).
const args = process.argv.slice(2);
const config = args[0] !== undefined && !args[0].startsWith('-') ? args.shift() : 'stryker.conf.json';
const strykerArgs = args.filter((a) => a !== '--');
const reportFile = JSON.parse(readFileSync(config, 'utf8')).jsonReporter.fileName;
const t0 = Date.now();
const r = spawnSync('npx', ['stryker', 'run', config, ...strykerArgs], { stdio: 'inherit', env: { ...process.env, OBJIMPL_MUTATION: config === 'stryker.conf.json' ? '1' : '0' } });
const minutes = ((Date.now() - t0) / 60000).toFixed(1);
let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch {
  console.error(`mutate: no ${reportFile}: Stryker did not finish`);
  process.exit(2);
}
let total = 0, killed = 0, survived = 0, noCov = 0, timeout = 0, ignored = 0;
const unrun = [];
const survivors = [];
for (const [file, f] of Object.entries(report.files)) {
  for (const m of f.mutants) {
    if (m.status === 'Ignored') { ignored++; continue; }
    if (m.status === 'CompileError' || m.status === 'RuntimeError') continue;
    total++;
    if (m.status === 'Killed') killed++;
    else if (m.status === 'Timeout') { killed++; timeout++; }
    else if (m.status === 'NoCoverage') noCov++;
    else if (m.status === 'Survived') {
      survived++;
      survivors.push(`${file}:${m.location.start.line} ${m.mutatorName} ${JSON.stringify(m.replacement ?? '')}`);
      // A static mutant (module-level code) has no per-test coverage: Stryker runs the
      // whole suite for it, so it must have run at least one test; any other survivor
      // must have run every test that covers it.
      const covered = (m.coveredBy ?? []).length;
      const ran = m.testsCompleted ?? 0;
      if (m.static ? ran === 0 : ran < covered || covered === 0) unrun.push(`${file}:${m.location.start.line} ran ${ran} of ${m.static ? 'all (static)' : covered}`);
    }
  }
}
const score = total === 0 ? 0 : (100 * killed) / total;
console.log(`\nmutation score ${score.toFixed(2)}% (${killed} killed incl. ${timeout} timeouts, ${survived} survived, ${noCov} no coverage, ${ignored} ignored as documented equivalents) in ${minutes} min`);
for (const s of survivors) console.log(`  survived: ${s}`);
if (unrun.length > 0) {
  console.error(`mutate: ${unrun.length} survivors did not run all their covering tests:`);
  for (const u of unrun) console.error(`  ${u}`);
  process.exit(1);
}
process.exit(r.status === 0 && score >= 90 ? 0 : 1);

/**
 * The compiled command (bin/objimpl.js -> dist/, plain node) as a user meets it:
 * --version, every command's --help (never a file), the one error form with exit 2,
 * strict numbers, `-` as standard output for gate's reports, one summary line per
 * command, the stage lines of `main` when not on a TTY, and the README's library examples.
 * `npm test` builds dist/ first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SPECS } from '../../src/cli/commands.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/objimpl.js');
const TRACE = join(ROOT, 'fixtures/traces/startup.trace.gz');
const ADAPTER = `node ${JSON.stringify(join(ROOT, 'dist/tools/adapters/model-adapter.js'))}`;
const COMMANDS = ['main', 'verify', 'run', 'replay', 'check', 'stats', 'record', 'gate'];
let tmp = '';

function objimpl(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', input: input ?? '', timeout: 120000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is not built: run npm run build (npm test does)');
  tmp = mkdtempSync(join(tmpdir(), 'objimpl-cli-'));
});
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

describe('objimpl (compiled)', () => {
  test('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(objimpl(['--version'])).toEqual({ status: 0, out: `objimpl ${version}\n`, err: '' });
  });

  test('--help names every command and every option; no command is usage on stderr, exit 2', () => {
    const r = objimpl(['--help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(`  objimpl ${c} `);
    for (const s of SPECS) for (const o of s.options) expect(r.out).toMatch(new RegExp(`objimpl ${s.name} .*\\[${o.name}`));
    for (const o of ['--impl', '--level', '--runs', '--seed', '--path', '--property', '--budget', '--timeout', '--start-timeout', '--max-commands', '--keep-going', '--junit', '--json', '--quiet-impl']) {
      expect(r.out).toMatch(new RegExp(`objimpl gate .*${o}`));
    }
    const none = objimpl([]);
    expect(none.status).toBe(2);
    expect(none.err).toBe(r.out);
  });

  test.each(COMMANDS)('%s --help and -h: the page, exit 0, nothing run or opened', (c) => {
    for (const h of ['--help', '-h']) {
      const r = objimpl([c, h]);
      expect(r.status).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: objimpl ${c}`));
      expect(r.err).toBe('');
    }
    const spec = SPECS.find((s) => s.name === c);
    const page = objimpl([c, 'some-file', '--help']).out;
    for (const o of spec?.options ?? []) expect(page).toContain(`  ${o.name}`);
  });

  const bad: Array<[string[], RegExp]> = [
    [['frob'], /^objimpl: 'frob': unknown command \(try objimpl --help\)\n$/],
    [['verify', '--runs', '1e1'], /^objimpl verify: --runs: takes a positive integer, got '1e1'\n$/],
    [['verify', '--runs', '0x5'], /^objimpl verify: --runs: takes a positive integer, got '0x5'\n$/],
    [['verify', '--runs', ''], /^objimpl verify: --runs: takes a positive integer, got ''\n$/],
    [['verify', '--runs', ' 5'], /^objimpl verify: --runs: takes a positive integer, got ' 5'\n$/],
    [['verify', '--mode', 'debug'], /^objimpl verify: --mode: takes one of default, pymalloc, malloc, got 'debug'\n$/],
    [['main', '--runs', '2.5'], /^objimpl main: --runs: takes a positive integer, got '2.5'\n$/],
    [['check', TRACE, '--max', '1e1'], /^objimpl check: --max: takes a non-negative integer, got '1e1'\n$/],
    [['check'], /^objimpl check: TRACE: missing \(usage: objimpl check TRACE \[--json\] \[--max N\]\)\n$/],
    [['replay', 'a', 'b'], /^objimpl replay: 'b': unexpected operand: .*\n$/],
    [['replay', 'nonexistent.trace'], /^objimpl replay: nonexistent\.trace: no such file\n$/],
    [['stats', '--frob'], /^objimpl stats: --frob: unknown option \(try objimpl stats --help\)\n$/],
    [['record', 'out.trace'], /^objimpl record: ARGS: missing: the python3 arguments go after -- .*\n$/],
    [['record', '/nonexistent-dir/out.trace', '--', '-c', 'pass'], /^objimpl record: \/nonexistent-dir\/out\.trace: cannot write: ENOENT\n$/],
    [['run'], /^objimpl run: FILE\|-: missing \(usage: objimpl run FILE\|-\)\n$/],
    [['gate'], /^objimpl gate: --impl: required: .*\n$/],
    [['gate', '--impl', 'x', '--runs', '1e1'], /^objimpl gate: --runs: takes a positive integer, got '1e1'\n$/],
    [['gate', '--impl', 'x', '--budget', '0x5'], /^objimpl gate: --budget: takes a positive number of seconds, got '0x5'\n$/],
    [['gate', '--impl', 'x', '--frob'], /^objimpl gate: --frob: unknown option \(try objimpl gate --help\)\n$/],
  ];
  test.each(bad)('%j: one line objimpl <command>: <what>: <why>, exit 2', (args, line) => {
    const r = objimpl(args);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(line);
  });

  test('a summary line on success: replay, check, stats, verify', () => {
    const replay = objimpl(['replay', TRACE]);
    expect(replay.status).toBe(0);
    expect(replay.out).toMatch(/\n {2}ok \(\d+\.\d\d s\)\n$/);
    const check = objimpl(['check', TRACE]);
    expect(check.status).toBe(0);
    expect(check.out).toMatch(/^objimpl check: .*startup\.trace\.gz: 169,197 events, 0 violations/);
    const stats = objimpl(['stats', TRACE]);
    expect(stats.status).toBe(0);
    expect(stats.err).toMatch(/^objimpl stats: .*startup\.trace\.gz: replayed; statistics after its last event printed\n$/);
    expect(objimpl(['stats']).err).toBe('objimpl stats: statistics of a fresh pymalloc printed\n');
    const verify = objimpl(['verify', '--runs', '1', '--mode', 'malloc']);
    expect(verify.status).toBe(0);
    expect(verify.out).toMatch(/\nall properties hold\n$/);
  });

  test('gate --json - and --junit -: the report on standard output, the text report on stderr', () => {
    const json = objimpl(['gate', '--impl', ADAPTER, '--runs', '1', '--property', 'handshake', '--json', '-']);
    expect(json.status).toBe(0);
    const g = JSON.parse(json.out) as { ok: boolean; properties: Array<{ name: string; status: string }> };
    expect(g.ok).toBe(true);
    expect(g.properties.map((p) => [p.name, p.status])).toEqual([['handshake', 'passed']]);
    expect(json.err).toMatch(/handshake/);
    expect(existsSync(join(tmp, '-'))).toBe(false);
    const junit = objimpl(['gate', '--impl', ADAPTER, '--runs', '1', '--property', 'handshake', '--junit', '-']);
    expect(junit.status).toBe(0);
    expect(junit.out).toMatch(/^<\?xml[^]*<testsuite[^]*<\/testsuites?>\n?$/);
  });

  test('gate: a report file that cannot be written is one line, exit 2, before anything runs', () => {
    const r = objimpl(['gate', '--impl', ADAPTER, '--runs', '1', '--property', 'handshake', '--json', '/nonexistent-dir/g.json']);
    expect(r.status).toBe(2);
    expect(r.err).toBe('objimpl gate: --json /nonexistent-dir/g.json: cannot write the report: no directory /nonexistent-dir\n');
  });

  test('run: a file named --help is reached after --', () => {
    writeFileSync(join(tmp, '--help'), '{"mode":"default","steps":[{"op":"print","text":"from the file"}]}');
    expect(objimpl(['run', '--', '--help'])).toEqual({ status: 0, out: 'from the file\n', err: '' });
    expect(objimpl(['run', '-'], '{"mode":"default","steps":[{"op":"print","text":"stdin"}]}')).toEqual({ status: 0, out: 'stdin\n', err: '' });
  });
});

describe('progress', () => {
  test('main (npm start) not on a TTY: one line per stage on stderr, then the table and a summary', () => {
    const r = objimpl(['main', '--runs', '1']);
    expect(r.status).toBe(0);
    const stages = r.err.split('\n').filter((l) => l.startsWith('objimpl main: '));
    expect(stages.slice(0, 3)).toEqual([
      'objimpl main: spec vs model (in-process), 2 runs per mode...',
      'objimpl main: gate against model, 1 run per property...',
      'objimpl main: gate against model+debug, 1 run per property...',
    ]);
    expect(r.err).not.toContain('\r');
    expect(r.out).toMatch(/\nall implementations conform \(\d implementations, \d+ s\)\n$/);
  });

  const script = existsSync('/usr/bin/script');
  test.skipIf(!script)('on a TTY: a live line rewritten in place (needs util-linux script for a pseudo-terminal)', () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} verify --runs 1 --mode malloc 2>&1 >/dev/null`;
    const r = spawnSync('/usr/bin/script', ['-qec', cmd, '/dev/null'], { cwd: tmp, encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\r\x1b[Kverify: malloc mode, 1 runs...');
    expect(r.stdout.replace(/\r\n$/, '').endsWith('\r\x1b[K')).toBe(true);
  });
});

describe('the README library examples', () => {
  test('plain-node ESM: checks in-process implementations (one conforming, one not) and replays a trace', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'examples/check-and-replay.mjs'), TRACE], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'model: conforms (5 runs, seed 1)',
      expect.stringMatching(/^misaligned: FAILS: malloc\('m', \d+\).*0x[0-9a-f]+.* aligned to 8 bytes/),
      'replay: ok: 169197 events, 82300 results compared, 0 mismatches',
      '',
    ]);
    expect(r.status).toBe(0);
  });

  test('TypeScript: an Implementation of the families alone, replay and check', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/check-and-replay.ts'), TRACE], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('families-only: conforms (5 runs)\nreplay: ok: 169197 events, 82300 results compared\ncheck: 0 violations in 169197 events\n');
    expect(r.status).toBe(0);
  });
});

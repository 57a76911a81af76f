/**
 * `objimpl gate` end to end: the protocol codec, the remote's failure handling, and whole
 * gate runs against conforming adapters (our model, real CPython 3.11), against each
 * non-conforming adapter (rejected with a short counterexample) and against broken ones
 * (crash, hang, garbage: survived, reported, never hung).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/io.ts';
import { gateCommand } from '../../src/cli/gate.ts';
import { reportSpan, maskAddresses, edgeNitems, edgeClass } from '../../src/gate/properties.ts';
import { decodeAddr, decodeInt, encodeAddr, encodeInt, CodecError } from '../../src/gate/protocol.ts';
import { GateError, RemoteImplementation } from '../../src/gate/remote.ts';
import { runGate, type GateOptions, type GateResult } from '../../src/gate/runner.ts';
import { ImplementationAborted } from '../../spec/implementation.ts';
import { newVarLevel, newVarOutcome } from '../../spec/sizes.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = 'node --import tsx tools/adapters/model-adapter.ts';
const TMP = mkdtempSync(join(tmpdir(), 'objimpl-gate-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A python3 that is CPython 3.11, or null. */
function findPython(): string | null {
  for (const exe of ['python3.11', 'python3']) {
    try {
      const v = execFileSync(exe, ['-c', 'import sys; print(sys.version_info[:2] == (3, 11))'], { encoding: 'utf8' });
      if (v.trim() === 'True') return exe;
    } catch { /* not there */ }
  }
  return null;
}
const PY = findPython();
const noPy = PY === null ? ' (SKIPPED: no CPython 3.11 python3 on PATH)' : '';

/** Processes of a group that are still running (zombies whose parent died are not). */
function liveInGroup(pgid: number): string[] {
  return execFileSync('ps', ['-eo', 'pgid=,stat=,pid=,args='], { encoding: 'utf8' }).split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[0]) === pgid && !f[1].startsWith('Z'))
    .map((f) => f.slice(2).join(' '));
}

const gate = (command: string, o: Partial<GateOptions> = {}): Promise<GateResult> =>
  runGate({ command, cwd: ROOT, seed: 42, ...o });

function failed(g: GateResult) {
  const f = g.properties.find((p) => p.status === 'failed');
  if (f === undefined) throw new Error(`expected a failure, got ${JSON.stringify(g.properties.map((p) => [p.name, p.status]))}`);
  return f;
}

function allHold(g: GateResult): void {
  const bad = g.properties.filter((p) => p.status === 'failed');
  expect(bad.map((p) => `${p.name}: ${p.failure?.message}\n${p.failure?.calls.join('\n')}`)).toEqual([]);
  expect(g.ok).toBe(true);
}

describe('protocol codec', () => {
  it('integers beyond 2^53-1 travel as decimal strings, both ways', () => {
    expect(encodeInt(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(encodeInt(2n ** 53n)).toBe('9007199254740992');
    expect(encodeInt(-(2n ** 63n))).toBe('-9223372036854775808');
    expect(decodeInt('18446744073709551615', 'size')).toBe(2n ** 64n - 1n);
    expect(decodeInt(-3, 'n')).toBe(-3n);
    expect(() => decodeInt(2 ** 60, 'size')).toThrow(CodecError);
    expect(() => decodeInt('12a', 'size')).toThrow(CodecError);
  });

  it('addresses are "0x" lowercase hex, null for NULL', () => {
    expect(encodeAddr(0)).toBeNull();
    expect(encodeAddr(0x7f00aa10)).toBe('0x7f00aa10');
    expect(decodeAddr(null, 'ptr')).toBe(0);
    expect(decodeAddr('0x7F00AA10', 'ptr')).toBe(0x7f00aa10);
    expect(() => decodeAddr(1234, 'ptr')).toThrow(CodecError);
    expect(() => decodeAddr('0x1' + '0'.repeat(15), 'ptr')).toThrow(/beyond 2\^53/);
  });

  it('size-formula edge cases classify as CPython 3.11 behaves', () => {
    // 24 + n*8 wraps to exactly 0: CPython asks malloc(1) and writes the 24-byte header
    // into it, which only glibc's 24-byte minimum chunk survives (SIGSEGV seen under
    // mimalloc): undefined, never sent.
    expect(edgeClass(24, 8, -3n)).toBe('unsafe');
    expect(newVarLevel(24n, 8n, -3n)).toBe('undefined');
    expect(newVarLevel(24n, 8n, -1n)).toBe('undefined'); // 16 bytes, below the header
    expect(newVarLevel(32n, 8n, -1n)).toBe('cpython'); // 24 bytes: the header fits
    expect(newVarLevel(24n, 8n, 5n)).toBe('contract');
    // The sum overflows Py_ssize_t (signed overflow: defined only by CPython's -fwrapv).
    expect(newVarLevel(24n, 8n, 2n ** 61n)).toBe('cpython');
    expect(newVarLevel(24n, 8n, (2n ** 63n - 1n - 24n) / 8n)).toBe('contract');
    expect(newVarLevel(24n, 8n, (2n ** 63n - 1n - 24n) / 8n + 1n)).toBe('cpython');
    expect(newVarOutcome(24n, 8n, 2n ** 61n - 3n)).toEqual({ kind: 'allocates', size: 0n, headerFits: false });
    expect(edgeClass(24, 8, 2n ** 60n)).toBe('memory-error');
    expect(edgeClass(24, 8, 2n ** 61n - 2n)).toBe('unsafe');
    expect(edgeNitems(24, 8).length).toBeGreaterThan(10);
    expect(maskAddresses('p=0x7f23c24e53a0 at tail+1: 0x00')).toBe('p=0x… at tail+1: 0x00');
    expect(reportSpan('noise\nDebug memory block at address p=0x1\nx\nFatal Python error: f: m\nPython runtime state: initialized\n'))
      .toBe('Debug memory block at address p=0x1\nx\nFatal Python error: f: m');
  });
});

describe('remote implementation: failures are typed, named and never hang', () => {
  const BAD = (mode: string): string => `${PY ?? 'python3'} tools/adapters/bad/bad_adapter.py --mode ${mode}`;

  it.skipIf(PY === null)(`a hang is cut at the timeout and the whole process group is killed${noPy}`, async () => {
    const r = await RemoteImplementation.start({ command: BAD('hang'), cwd: ROOT, timeoutMs: 500 });
    const t0 = Date.now();
    const e = await r.realloc('r', 0, 8n).catch((x: unknown) => x);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(e).toBeInstanceOf(GateError);
    expect((e as GateError).kind).toBe('hang');
    expect((e as GateError).message).toContain('PyMem_RawRealloc(NULL, 8)');
    await new Promise((res) => setTimeout(res, 200));
    expect(liveInGroup(r.pid!)).toEqual([]); // nothing left running in the group
    await expect(r.malloc('r', 1n)).rejects.toBe(e); // dead stays dead
  });

  it('a fatal error under debug hooks comes back as ImplementationAborted with the report', async () => {
    const r = await RemoteImplementation.start({ command: `${MODEL} --mode debug`, cwd: ROOT });
    expect([...r.features]).toContain('debug');
    const p = await r.malloc('m', 10n);
    const e = await r.free('o', p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ImplementationAborted);
    expect((e as ImplementationAborted).stderr).toContain("Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'");
    expect(r.exit).toEqual({ code: 134, signal: null });
  });
});

describe('conforming implementations pass every property', () => {
  it('our model, as a subprocess speaking the protocol', async () => {
    const g = await gate(MODEL, { runs: 5, maxCommands: 30 });
    allHold(g);
    expect(g.implementation.name).toBe('objimpl-model');
    expect(g.properties.filter((p) => p.status === 'passed').map((p) => p.name))
      .toEqual(['handshake', 'zero-size', 'null-handling', 'alignment', 'realloc-contents', 'object-init', 'heap-type-refcount', 'size-formulas', 'model']);
  }, 60_000);

  it('our model under PYTHONMALLOC=debug: misuse reports match, model suite with misuse', async () => {
    const g = await gate(`${MODEL} --mode debug`, { runs: 3, maxCommands: 30, only: ['misuse', 'model'] });
    allHold(g);
    expect(g.properties.find((p) => p.name === 'misuse')?.status).toBe('passed');
  }, 60_000);

  it.skipIf(PY === null)(`real CPython 3.11 through ctypes${noPy}`, async () => {
    const g = await gate(`${PY} tools/adapters/cpython_ctypes.py`, { runs: 10, maxCommands: 30 });
    allHold(g);
    expect(g.implementation.version).toMatch(/^CPython 3\.11/);
    expect(g.properties.find((p) => p.name === 'misuse')?.status).toBe('skipped');
  }, 60_000);

  it.skipIf(PY === null)(`real CPython 3.11 under PYTHONMALLOC=debug: CPython's own reports match the model's${noPy}`, async () => {
    const g = await gate(`PYTHONMALLOC=debug ${PY} tools/adapters/cpython_ctypes.py`, { runs: 6, maxCommands: 30, only: ['object-init', 'misuse', 'model'] });
    allHold(g);
    expect(g.implementation.features).toContain('debug');
  }, 60_000);

  it('a C adapter for the RAW family only (glibc under CPython\'s raw rules)', async () => {
    const exe = join(TMP, 'glibc_raw_c');
    execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'tools/adapters/c/glibc_raw.c')]);
    const g = await gate(exe, { runs: 10 });
    allHold(g);
    expect(g.properties.find((p) => p.name === 'object-init')?.status).toBe('skipped');
    expect(g.properties.find((p) => p.name === 'model')?.commands).toBeGreaterThan(20);
  }, 30_000);
});

describe.concurrent('non-conforming implementations are rejected with a counterexample of a few calls', () => {
  const cases: Array<[string, string, number]> = [
    ['no-heap-incref', 'object-init', 6],
    ['malloc0-null', 'zero-size', 3],
    // 8-aligned 0-byte blocks are allowed at the contract level; a block of 16 bytes or more is not.
    ['align8', 'null-handling', 3],
    ['realloc-lose-last-byte', 'realloc-contents', 5],
    ['debug-accepts-wrong-family', 'misuse', 3],
  ];
  for (const [bug, property, maxCalls] of cases) {
    it.skipIf(PY === null)(`--bug ${bug} fails ${property}${noPy}`, async () => {
      const t0 = Date.now();
      const g = await gate(`${PY} tools/adapters/nonconforming.py --bug ${bug}`, { runs: 15 });
      const f = failed(g);
      expect(f.name).toBe(property);
      expect(f.failure!.calls.length).toBeGreaterThan(0);
      expect(f.failure!.calls.length).toBeLessThanOrEqual(maxCalls);
      expect(f.replay).toContain(`--property ${property} --seed 42 --path`);
      expect(g.ok).toBe(false);
      expect(Date.now() - t0).toBeLessThan(30_000);
    }, 40_000);
  }

  it.skipIf(PY === null)(`glibc straight (no CPython wrapper): realloc(p, 0) frees and gives NULL${noPy}`, async () => {
    const f = failed(await gate(`${PY} tools/adapters/glibc_raw.py`, { runs: 30 }));
    expect(f.name).toBe('zero-size');
    expect(f.failure!.calls.at(-1)).toMatch(/PyMem_RawRealloc\(0x[0-9a-f]+, 0\) +-> ptr null/);
  }, 30_000);
});

describe.concurrent('broken adapters: the gate survives, names the request, never hangs', () => {
  const BAD = (mode: string): string => `${PY ?? 'python3'} tools/adapters/bad/bad_adapter.py --mode ${mode}`;
  const cases: Array<[string, string, RegExp, string]> = [
    ['crash', 'crash', /crashed \(exit status 139|killed by SIGSEGV/, 'PyMem_RawMalloc(0)'],
    ['abort', 'abort', /aborted/, 'PyMem_RawMalloc(0)'],
    ['hang', 'hang', /no answer within 1\.0 s: killed/, 'PyMem_RawRealloc('],
    ['garbage', 'malformed', /not JSON: "free\? sure, done!"/, 'PyMem_RawFree('],
    ['wrong-id', 'wrong-id', /answer carries id \d+, expected \d+/, 'read('],
    ['exit-early', 'crash', /exit status 0/, 'PyMem_RawCalloc('],
    ['protocol2', 'protocol', /speaks gate protocol 2/, 'hello'],
    ['stdout-noise', 'malformed', /not JSON: "bad_adapter starting up"/, 'hello'],
    ['hang-hello', 'hang', /no answer within 1\.0 s/, 'hello'],
    ['bye-no-exit', 'hang', /did not exit/, ''],
  ];
  for (const [mode, kind, message, last] of cases) {
    it.skipIf(PY === null)(`${mode}${noPy}`, async () => {
      const t0 = Date.now();
      // Only the hangs wait out the short timeout; a loaded machine may start Python slowly.
      const t = mode.startsWith('hang') ? 1000 : 10_000;
      const g = await gate(BAD(mode), { runs: 20, timeoutMs: t, startTimeoutMs: t });
      const f = failed(g);
      expect(f.failure!.kind).toBe(kind);
      // Before a valid hello nothing was checked: exit 3, never "does not conform".
      const unchecked = ['protocol2', 'stdout-noise', 'hang-hello'].includes(mode);
      expect(g.outcome).toBe(unchecked ? 'could-not-check' : 'does-not-conform');
      expect(f.verdict).toBe(unchecked ? 'error' : 'FAIL');
      expect(f.failure!.message).toMatch(message);
      if (last !== '') expect(f.failure!.message).toContain(`last request: ${last}`);
      expect(Date.now() - t0).toBeLessThan(20_000);
    }, 30_000);
  }
});

describe('time budget', () => {
  it.skipIf(PY === null)(`a budget stops the runs in time and is not a failure${noPy}`, async () => {
    const t0 = Date.now();
    const g = await gate(`${PY} tools/adapters/cpython_ctypes.py`, { runs: 100_000, budgetMs: 3000, keepGoing: true });
    const took = Date.now() - t0;
    expect(took).toBeLessThan(4500);
    expect(g.ok).toBe(true);
    expect(g.budgetExhausted).toBe(true);
  }, 20_000);

  it.skipIf(PY === null)(`no request waits past the budget, even with a long timeout${noPy}`, async () => {
    const t0 = Date.now();
    const g = await gate(`${PY} tools/adapters/bad/bad_adapter.py --mode hang`, { runs: 50, budgetMs: 2000, timeoutMs: 60_000 });
    expect(Date.now() - t0).toBeLessThan(3500);
    expect(g.budgetExhausted || g.properties.some((p) => p.status === 'skipped')).toBe(true);
  }, 20_000);
});

describe('objimpl gate (CLI)', () => {
  const io = () => {
    const out: string[] = [];
    return { out, io: { stdout: (t: string) => { out.push(t); }, stderr: () => {}, progress: () => {} } };
  };

  it('bad usage is a UsageError (exit status 2)', async () => {
    await expect(gateCommand([], io().io)).rejects.toBeInstanceOf(UsageError);
    await expect(gateCommand(['--impl', 'x', '--runs', '0'], io().io)).rejects.toThrow(/positive integer/);
    await expect(gateCommand(['--impl', 'x', '--property', 'nope'], io().io)).rejects.toThrow(/unknown property/);
    await expect(gateCommand(['--impl', 'x', '--path', '0:1'], io().io)).rejects.toThrow(/--path/);
    await expect(gateCommand(['--impl', 'x', '--level', 'glibc'], io().io)).rejects.toThrow(/--level: takes contract or cpython, got 'glibc'/);
    // Report paths are checked before the implementation is started (no process, no wait).
    await expect(gateCommand(['--impl', 'x', '--junit', '/no/such/dir/gate.xml'], io().io)).rejects.toThrow(/--junit \/no\/such\/dir\/gate.xml: cannot write the report: no directory \/no\/such\/dir/);
    await expect(gateCommand(['--impl', 'x', '--json', tmpdir()], io().io)).rejects.toThrow(/--json .*: cannot write the report: it is a directory/);
    await expect(gateCommand(['--impl', 'x', '--json', '-', '--junit', '-'], io().io)).rejects.toThrow(/cannot both be standard output/);
  });

  it('an implementation that does not start could not be checked: exit 3, verdict error, not a FAIL', async () => {
    const { out, io: o } = io();
    const dir = mkdtempSync(join(tmpdir(), 'gate-'));
    const code = await gateCommand(['--impl', '/no/such/adapter', '--quiet-impl', '--junit', join(dir, 'g.xml')], o);
    expect(code).toBe(3);
    expect(out.join('')).toMatch(/handshake +error/);
    expect(out.join('')).toContain('could NOT be checked');
    const xml = readFileSync(join(dir, 'g.xml'), 'utf8');
    expect(xml).toContain('errors="1"');
    expect(xml).toContain('<error message=');
  });

  it.skipIf(PY === null)(`exit 1 with a numbered counterexample, a replay line, JUnit and JSON reports${noPy}`, async () => {
    const { out, io: o } = io();
    const junit = join(TMP, 'gate.xml');
    const json = join(TMP, 'gate.json');
    const code = await gateCommand(['--impl', `${PY} tools/adapters/nonconforming.py --bug malloc0-null`, '--seed', '7', '--runs', '20', '--junit', junit, '--json', json, '--quiet-impl'].concat(['--timeout', '10']), o);
    expect(code).toBe(1);
    const text = out.join('');
    expect(text).toMatch(/zero-size +FAIL /);
    expect(text).toMatch(/ {6}1\. PyMem_(Raw)?Malloc\(0\) +-> ptr null|1\. PyObject_Malloc\(0\)/);
    expect(text).toMatch(/replay: objimpl gate --impl '.*' --property zero-size --seed 7 --path \S+/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testcase classname="objimpl.gate" name="zero-size"');
    expect(xml).toContain('<failure message=');
    const j = JSON.parse(readFileSync(json, 'utf8')) as GateResult;
    expect(j.ok).toBe(false);
    expect(j.properties.find((p) => p.name === 'zero-size')?.status).toBe('failed');
  }, 30_000);
});

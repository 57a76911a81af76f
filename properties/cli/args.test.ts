/**
 * The shared option parser (src/cli/args.ts): strict numbers, --help before `--` only,
 * the one error form, every option on the help pages.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { choiceArg, helpText, intArg, parseArgs, secondsArg, usageLine, wantsHelp, type CommandSpec } from '../../src/cli/args.ts';
import { SPECS } from '../../src/cli/commands.ts';
import { UsageError } from '../../src/cli/io.ts';

const SPEC: CommandSpec = {
  name: 'demo', operands: 'FILE', summary: 'a demo', minOperands: 1, maxOperands: 1,
  options: [{ name: '--runs', value: 'N', help: 'runs' }, { name: '--json', help: 'json' }],
};

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('strict numbers', () => {
  fcTest.prop([fc.maxSafeInteger()])('every safe integer written plainly is read back exactly', (n) => {
    expect(intArg('c', '--n', String(n))).toBe(n);
  });

  test.each(['1e1', '0x5', '', ' 5', '5 ', '+5', '05', '1.0', '1.5', '-0', '--1', 'five', 'Infinity', 'NaN', '9007199254740993', '٣'])(
    "intArg refuses '%s'", (v) => {
      expect(usageMessage(() => intArg('verify', '--runs', v))).toBe(`verify: --runs: takes an integer, got '${v}'`);
    });

  test('the lower bound is in the message', () => {
    expect(usageMessage(() => intArg('verify', '--runs', '0', 1))).toBe("verify: --runs: takes a positive integer, got '0'");
    expect(usageMessage(() => intArg('check', '--max', '-1', 0))).toBe("check: --max: takes a non-negative integer, got '-1'");
    expect(intArg('check', '--max', '0', 0)).toBe(0);
    expect(intArg('verify', '--runs', '1', 1)).toBe(1);
  });

  test('seconds: plain decimals, as milliseconds', () => {
    expect(secondsArg('gate', '--budget', '2')).toBe(2000);
    expect(secondsArg('gate', '--budget', '0.25')).toBe(250);
    for (const v of ['0', '0.0', '1e1', '.5', '5.', '-1', '', ' 1', '0x1', 'Infinity']) {
      expect(usageMessage(() => secondsArg('gate', '--budget', v))).toBe(`gate: --budget: takes a positive number of seconds, got '${v}'`);
    }
  });

  test('choices', () => {
    expect(choiceArg('verify', '--mode', 'malloc', ['default', 'malloc'])).toBe('malloc');
    expect(usageMessage(() => choiceArg('verify', '--mode', 'debug', ['default', 'malloc']))).toBe("verify: --mode: takes one of default, malloc, got 'debug'");
  });
});

describe('parseArgs', () => {
  test('options, values (spaced or with =), operands', () => {
    const p = parseArgs(SPEC, ['--runs', '3', 'f', '--json']);
    expect([...p.opts]).toEqual([['--runs', '3'], ['--json', true]]);
    expect(p.operands).toEqual(['f']);
    expect(parseArgs(SPEC, ['--runs=4', 'f']).opts.get('--runs')).toBe('4');
    expect(parseArgs(SPEC, ['-']).operands).toEqual(['-']);
  });

  test('--help and -h anywhere before --, never an operand; after -- everything is an operand', () => {
    for (const args of [['--help'], ['-h'], ['f', '--help'], ['--runs', '1', '-h'], ['a', 'b', 'c', '--help']]) {
      expect(wantsHelp(args)).toBe(true);
      expect(parseArgs(SPEC, args).help).toBe(true);
    }
    expect(wantsHelp(['--', '--help'])).toBe(false);
    const p = parseArgs(SPEC, ['--', '--help']);
    expect(p.help).toBe(false);
    expect(p.operands).toEqual(['--help']);
  });

  test('pass-through: what follows -- is kept apart', () => {
    const rec: CommandSpec = { ...SPEC, passThrough: true };
    expect(parseArgs(rec, ['out', '--', '-c', '--help']).rest).toEqual(['-c', '--help']);
    expect(parseArgs(rec, ['out']).rest).toBeUndefined();
    expect(parseArgs(rec, ['out', '--']).rest).toEqual([]);
  });

  test('every error is one line: command, what, why', () => {
    const cases: Array<[string[], string]> = [
      [['f', '--frob'], 'demo: --frob: unknown option (try objimpl demo --help)'],
      [['f', '--runs'], 'demo: --runs: needs a value (N)'],
      [['f', '--json=1'], 'demo: --json: takes no value'],
      [[], 'demo: FILE: missing (usage: objimpl demo FILE [--runs N] [--json])'],
      [['a', 'b'], "demo: 'b': unexpected operand: demo takes FILE (try objimpl demo --help)"],
    ];
    for (const [args, msg] of cases) expect(usageMessage(() => parseArgs(SPEC, args))).toBe(msg);
    expect(usageMessage(() => parseArgs({ ...SPEC, operands: '', minOperands: 0, maxOperands: 0 }, ['x'])))
      .toBe("demo: 'x': takes no operand (try objimpl demo --help)");
  });
});

describe('help pages', () => {
  test.each(SPECS.map((s) => [s.name, s] as const))('%s: usage line, summary and every option', (_, s) => {
    const page = helpText(s);
    expect(page.startsWith(`usage: ${usageLine(s)}\n`)).toBe(true);
    expect(page).toContain(s.summary);
    for (const o of s.options) {
      expect(page).toMatch(new RegExp(`\\n  ${o.name}${o.value !== undefined ? ` ${o.value}` : ''} +${o.help.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
      expect(usageLine(s)).toContain(`[${o.name}`);
    }
    expect(page).toContain('-h, --help');
  });
});

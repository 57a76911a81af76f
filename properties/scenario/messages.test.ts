/**
 * The exact text of every refusal: a user reads these lines to fix a file, so each
 * message is pinned whole (what was expected, what was found, where), not by fragment.
 * Expected strings are written from the scenario-v1 rules and RFC 8259, by hand.
 */
import { describe, expect, test } from 'vitest';
import { runCommand } from '../../src/cli/run.ts';
import { JsonSyntaxError, parseJson } from '../../src/scenario/json.ts';
import { parseScenario } from '../../src/scenario/scenario.ts';
import { refusal } from './refusal.ts';

function jsonError(text: string): string {
  try {
    parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e.message;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe('JSON reader: exact messages and positions', () => {
  const CASES: Array<[string, string]> = [
    ['', 'expected a value, found end of input at line 1 column 1'],
    ['   ', 'expected a value, found end of input at line 1 column 4'],
    ['{', 'expected a string key, found end of input at line 1 column 2'],
    ['{ 1: 2}', 'expected a string key, found "1" at line 1 column 3'],
    ['{"a" 1}', 'expected \':\', found "1" at line 1 column 6'],
    ['{"a":1 "b":2}', 'expected \',\' or \'}\', found "\\"" at line 1 column 8'],
    ['{"a":1', 'expected \',\' or \'}\', found end of input at line 1 column 7'],
    ['[1,]', 'expected a value, found "]" at line 1 column 4'],
    ['[1 2]', 'expected \',\' or \']\', found "2" at line 1 column 4'],
    ['[1', 'expected \',\' or \']\', found end of input at line 1 column 3'],
    ['01', 'unexpected "1" after the document at line 1 column 2'],
    ['{"a":1}}', 'unexpected "}" after the document at line 1 column 8'],
    ['tru', 'expected a value, found "t" at line 1 column 1'],
    ['nul', 'expected a value, found "n" at line 1 column 1'],
    ['fals', 'expected a value, found "f" at line 1 column 1'],
    ['-', 'bad number at line 1 column 1'],
    ['-x', 'bad number at line 1 column 1'],
    ['"abc', 'unterminated string at line 1 column 1'],
    ['["ab\ncd"]', 'control character in string at line 1 column 5'],
    ['"a\\xb"', 'bad escape in string at line 1 column 3'],
    ['"\\u12g4"', 'bad \\u escape at line 1 column 2'],
    ['"\\u12"', 'bad \\u escape at line 1 column 2'],
    ['[\n  1,\n  x]', 'expected a value, found "x" at line 3 column 3'],
    ['\r\n\t[1,\n\n ]', 'expected a value, found "]" at line 4 column 2'],
    ['[#]', 'expected a value, found "#" at line 1 column 2'],
    ['[ !]', 'expected a value, found "!" at line 1 column 3'],
    ['[-a1]', 'bad number at line 1 column 2'],
    ['"\\', 'bad escape in string at line 1 column 2'],
  ];
  for (const [text, msg] of CASES) {
    test(JSON.stringify(text), () => {
      expect(jsonError(text)).toBe(msg);
    });
  }

  test('nesting: 512 levels are read, 513 are refused at the innermost bracket, in arrays and objects alike', () => {
    expect(parseJson(`${'['.repeat(512)}${']'.repeat(512)}`)).toBeInstanceOf(Array);
    expect(jsonError(`${'['.repeat(514)}${']'.repeat(514)}`)).toBe('nesting too deep at line 1 column 514');
    // {"a": is 5 characters; the 513th value starts after 513 of them.
    expect(parseJson(`${'{"a":'.repeat(512)}0${'}'.repeat(512)}`)).toBeTypeOf('object');
    expect(jsonError(`${'{"a":'.repeat(513)}0${'}'.repeat(513)}`)).toBe(`nesting too deep at line 1 column ${5 * 513 + 1}`);
  });

  test('the error class is named', () => {
    expect(new JsonSyntaxError('x').name).toBe('JsonSyntaxError');
  });

  test('every escape, literals, whitespace, and the last duplicate key wins', () => {
    expect(parseJson(' {"s": "\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9", "t": true, "f": false, "n": null, "s": "last"}\t\r\n'))
      .toEqual(Object.assign(Object.create(null), { s: 'last', t: true, f: false, n: null }));
    expect(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00E9"')).toBe('"\\/\b\f\n\r\tA\u00e9');
    expect(parseJson('[]')).toEqual([]);
    expect(parseJson('{}')).toEqual(Object.create(null));
    expect(parseJson('[ ]')).toEqual([]);
    expect(parseJson('{ }')).toEqual(Object.create(null));
    expect(parseJson('-0')).toBe(0n);
    expect(parseJson('-12')).toBe(-12n);
    expect(parseJson('2.50')).toBe(2.5);
    expect(parseJson('-1E-2')).toBe(-0.01);
    expect(parseJson('1e+2')).toBe(100);
  });

  test('objects have no prototype: "__proto__" is an ordinary key', () => {
    const v = parseJson('{"__proto__": 1, "constructor": 2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(null);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
  });
});

describe('scenario validator: exact messages', () => {
  const doc = (steps: unknown[], mode: unknown = 'debug'): string => JSON.stringify({ mode, steps });
  const m16 = { op: 'malloc', api: 'm', size: 16, as: 'p' };
  const CASES: Array<[string, string, number | null, string]> = [
    ['a list at top level', '[1]', null, 'the file must hold a JSON object with "mode" and "steps", not a list'],
    ['a number at top level', '7', null, 'the file must hold a JSON object with "mode" and "steps", not 7'],
    ['null at top level', 'null', null, 'the file must hold a JSON object with "mode" and "steps", not null'],
    ['mode is a number', doc([], 5), null, '"mode" must be one of default, pymalloc, malloc, debug, pymalloc_debug, malloc_debug; got 5'],
    ['mode is an object', doc([], {}), null, '"mode" must be one of default, pymalloc, malloc, debug, pymalloc_debug, malloc_debug; got an object'],
    ['mode missing', '{"steps":[]}', null, '"mode" must be one of default, pymalloc, malloc, debug, pymalloc_debug, malloc_debug; got nothing'],
    ['steps missing', '{"mode":"debug"}', null, '"steps" must be a list; got nothing'],
    ['steps a string', '{"mode":"debug","steps":"x"}', null, '"steps" must be a list; got "x"'],
    ['unknown top field', '{"mode":"debug","steps":[],"Steps":1}', null, 'unknown top-level field "Steps"'],
    ['step is a list', doc([[1]]), 1, 'step 1: must be an object, not a list'],
    ['step is null', doc([m16, null]), 2, 'step 2: must be an object, not null'],
    ['op missing', doc([{}]), 1, 'step 1: missing field "op"'],
    ['op unknown', doc([{ op: 'peek' }]), 1, 'step 1: unknown op "peek" (expected one of malloc, calloc, realloc, free, poke, print)'],
    ['op a number', doc([{ op: 1 }]), 1, 'step 1: unknown op 1 (expected one of malloc, calloc, realloc, free, poke, print)'],
    ['extra field', doc([{ ...m16, sz: 1 }]), 1, 'step 1 (malloc): unknown field "sz"'],
    ['field missing', doc([{ op: 'calloc', api: 'o', nelem: 1, as: 'p' }]), 1, 'step 1 (calloc): missing field "elsize"'],
    ['api wrong', doc([{ ...m16, api: 'M' }]), 1, 'step 1 (malloc): "api" must be "r", "m" or "o"; got "M"'],
    ['api missing value', doc([{ ...m16, api: null }]), 1, 'step 1 (malloc): "api" must be "r", "m" or "o"; got null'],
    ['size a float', doc([{ ...m16, size: 2.5 }]), 1, 'step 1 (malloc): "size" must be an integer; got 2.5'],
    ['size a list', doc([{ ...m16, size: [1] }]), 1, 'step 1 (malloc): "size" must be an integer; got a list'],
    ['size negative', doc([{ ...m16, size: -3 }]), 1, 'step 1 (malloc): "size" must be in 0..18446744073709551615; got -3'],
    ['nelem negative', doc([{ op: 'calloc', api: 'r', nelem: -1, elsize: 1, as: 'p' }]), 1, 'step 1 (calloc): "nelem" must be in 0..18446744073709551615; got -1'],
    ['elsize a string', doc([{ op: 'calloc', api: 'r', nelem: 1, elsize: 'x', as: 'p' }]), 1, 'step 1 (calloc): "elsize" must be an integer; got "x"'],
    ['realloc ptr unbound', doc([{ op: 'realloc', api: 'r', ptr: 'q', size: 1, as: 'p' }]), 1, 'step 1 (realloc): "ptr" names "q", which no earlier step bound with "as"'],
    ['free ptr a number', doc([{ op: 'free', api: 'r', ptr: 3 }]), 1, 'step 1 (free): "ptr" must be a name or null; got 3'],
    ['poke ptr null', doc([m16, { op: 'poke', ptr: null, offset: 0, value: 0 }]), 2, 'step 2 (poke): "ptr" must be a name; got null'],
    ['poke value 256', doc([m16, { op: 'poke', ptr: 'p', offset: 0, value: 256 }]), 2, 'step 2 (poke): "value" must be in 0..255; got 256'],
    ['poke offset too big', `{"mode":"debug","steps":[${JSON.stringify(m16)},{"op":"poke","ptr":"p","offset":9223372036854775808,"value":0}]}`, 2,
      'step 2 (poke): "offset" must be in -9223372036854775808..9223372036854775807; got 9223372036854775808'],
    ['as a number', doc([{ ...m16, as: 1 }]), 1, 'step 1 (malloc): "as" must be a name (a string); got 1'],
    ['print text null', doc([{ op: 'print', text: null }]), 1, 'step 1 (print): "text" must be a string; got null'],
    ['print long text shown cut', doc([{ op: 'print', text: 1 }, { op: 'free', api: 'm', ptr: 'x'.repeat(70) }]), 1, 'step 1 (print): "text" must be a string; got 1'],
    ['a long name is shown cut to 60 characters', doc([{ op: 'free', api: 'm', ptr: 'y'.repeat(70) }]), 1,
      `step 1 (free): "ptr" names "${'y'.repeat(56)}..., which no earlier step bound with "as"`],
    ['a name of exactly 58 characters is shown whole', doc([{ op: 'free', api: 'm', ptr: 'z'.repeat(58) }]), 1,
      `step 1 (free): "ptr" names "${'z'.repeat(58)}", which no earlier step bound with "as"`],
    ['lone low surrogate', '{"mode":"debug","steps":[{"op":"print","text":"a\\udc00"}]}', 1, 'step 1 (print): "text" is not valid Unicode (it has a lone surrogate)'],
    ['high surrogate then a letter', '{"mode":"debug","steps":[{"op":"print","text":"\\ud83dx"}]}', 1, 'step 1 (print): "text" is not valid Unicode (it has a lone surrogate)'],
    ['a lone U+DFFF', '{"mode":"debug","steps":[{"op":"print","text":"\\udfff"}]}', 1, 'step 1 (print): "text" is not valid Unicode (it has a lone surrogate)'],
    ['a high surrogate before a character above the low range', '{"mode":"debug","steps":[{"op":"print","text":"\\ud800\\ue000"}]}', 1, 'step 1 (print): "text" is not valid Unicode (it has a lone surrogate)'],
    ['high surrogate at the end', '{"mode":"debug","steps":[{"op":"print","text":"x\\udbff"}]}', 1, 'step 1 (print): "text" is not valid Unicode (it has a lone surrogate)'],
    ['JSON error inside', '{"mode":"debug","steps":[}', null, 'not JSON: expected a value, found "}" at line 1 column 26'],
  ];
  for (const [what, text, step, msg] of CASES) {
    test(what, () => {
      const e = refusal(text);
      expect(e.message).toBe(msg);
      expect(e.step).toBe(step);
      expect(e.name).toBe('ScenarioError');
    });
  }

  test('valid surrogate pairs, a BOM, and names bound by realloc and calloc are accepted', () => {
    const s = parseScenario(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(
      '{"mode":"malloc","steps":[{"op":"print","text":"\\ud83d\\ude00 \u00e9"},{"op":"calloc","api":"r","nelem":2,"elsize":3,"as":"c"},'
      + '{"op":"realloc","api":"r","ptr":"c","size":9,"as":"d"},{"op":"poke","ptr":"d","offset":-1,"value":7},{"op":"free","api":"r","ptr":"d"}]}')]));
    expect(s.mode).toBe('malloc');
    expect(s.steps).toEqual([
      { op: 'print', text: '\u{1f600} \u00e9' },
      { op: 'calloc', api: 'r', nelem: 2n, elsize: 3n, as: 'c' },
      { op: 'realloc', api: 'r', ptr: 'c', size: 9n, as: 'd' },
      { op: 'poke', ptr: 'd', offset: -1n, value: 7 },
      { op: 'free', api: 'r', ptr: 'd' },
    ]);
  });

  test('surrogate pairs at the edges of both ranges, and characters just outside them, are valid text', () => {
    for (const [escaped, text] of [
      ['\\ud800\\udc00', '\u{10000}'], ['\\udbff\\udfff', '\u{10ffff}'], ['\\ud7ff\\ue000x', '\ud7ff\ue000x'], ['\\uff58x', '\uff58x'], ['ab', 'ab'],
    ]) {
      const s = parseScenario(`{"mode":"debug","steps":[{"op":"print","text":"${escaped}"}]}`);
      expect(s.steps).toEqual([{ op: 'print', text }]);
    }
  });

  test('a name is bound only after its step: a step cannot use its own "as"', () => {
    expect(refusal('{"mode":"debug","steps":[{"op":"realloc","api":"m","ptr":"p","size":1,"as":"p"}]}').message)
      .toBe('step 1 (realloc): "ptr" names "p", which no earlier step bound with "as"');
  });
});

describe('objimpl run: exact lines', () => {
  async function run(args: string[], chunks: Array<string | Uint8Array> = [], stderrIsTTY?: boolean) {
    let out = '';
    let err = '';
    const dec = new TextDecoder();
    const status = await runCommand(args, {
      stdout: { write: (c: Uint8Array | string) => { out += typeof c === 'string' ? c : dec.decode(c); } },
      stderr: { write: (c: Uint8Array | string) => { err += typeof c === 'string' ? c : dec.decode(c); } },
      stdin: (async function* () { yield* chunks; })(),
      ...(stderrIsTTY !== undefined ? { stderrIsTTY } : {}),
    });
    return { status, out, err };
  }

  test('a summary line on a terminal only, and only when the scenario ran to the end', async () => {
    const ok = '{"mode":"default","steps":[{"op":"malloc","api":"m","size":8,"as":"p"},{"op":"print","text":"hi"}]}';
    expect(await run(['-'], [ok], true)).toEqual({ status: 0, out: 'hi\n', err: 'objimpl run: <stdin>: 2 steps ran to the end, exit status 0\n' });
    expect(await run(['-'], [ok], false)).toEqual({ status: 0, out: 'hi\n', err: '' });
    expect(await run(['-'], [ok])).toEqual({ status: 0, out: 'hi\n', err: '' });
    const fatal = '{"mode":"debug","steps":[{"op":"malloc","api":"m","size":8,"as":"p"},{"op":"free","api":"o","ptr":"p"}]}';
    const r = await run(['-'], [fatal], true);
    expect(r.status).toBe(134);
    expect(r.err).not.toContain('steps ran');
  });

  test('argument count', async () => {
    const lines: Array<[string[], string]> = [
      [[], 'objimpl run: FILE|-: missing (usage: objimpl run FILE|-)\n'],
      [['a', 'b'], "objimpl run: 'b': unexpected operand: run takes FILE|- (try objimpl run --help)\n"],
      [[''], "objimpl run: '': not a file name (usage: objimpl run FILE|-)\n"],
      [['--frob'], 'objimpl run: --frob: unknown option (try objimpl run --help)\n'],
    ];
    for (const [args, line] of lines) {
      const r = await run(args);
      expect(r.status).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toBe(line);
    }
  });

  test('--help and -h print the page and run nothing; after -- they are file names', async () => {
    for (const args of [['--help'], ['-h'], ['x.json', '--help']]) {
      const r = await run(args);
      expect(r).toEqual({ status: 0, out: expect.stringMatching(/^usage: objimpl run FILE\|-\n/), err: '' });
    }
    const r = await run(['--', '--help']);
    expect(r).toEqual({ status: 2, out: '', err: 'objimpl run: --help: cannot read: ENOENT\n' });
  });

  test('stdin in several chunks, strings and bytes mixed, is read whole', async () => {
    const r = await run(['-'], ['{"mode":"debug",', new TextEncoder().encode('"steps":[{"op":"print",'), '"text":"one"},', '{"op":"print","text":"two"}]}']);
    expect(r).toEqual({ status: 0, out: 'one\ntwo\n', err: '' });
  });

  test('a directory is unreadable: its errno code is named', async () => {
    const r = await run(['/']);
    expect(r).toEqual({ status: 2, out: '', err: 'objimpl run: /: cannot read: EISDIR\n' });
  });

  test('a malformed file is named by its path', async () => {
    const r = await run(['-'], ['{"mode":"debug","steps":[{"op":"print"}]}']);
    expect(r).toEqual({ status: 2, out: '', err: 'objimpl run: <stdin>: step 1 (print): missing field "text"\n' });
  });
});

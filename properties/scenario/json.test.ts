/** src/scenario/json.ts: agrees with JSON.parse, except that integer literals are exact bigints. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { JsonSyntaxError, parseJson, type JsonValue } from '../../src/scenario/json.ts';

/** Our value with bigints as (rounded) numbers: what JSON.parse gives for the same text. */
const plain = (v: JsonValue): unknown => (typeof v === 'bigint' ? Number(v)
  : Array.isArray(v) ? v.map(plain)
    : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);

describe('scenario JSON reader', () => {
  test('agrees with JSON.parse on any JSON text (up to integers being exact bigints)', () => {
    fc.assert(fc.property(fc.json(), (text) => {
      expect(plain(parseJson(text))).toEqual(JSON.parse(text, (_k, v: unknown) => (v === 0 ? 0 : v))); // -0 is the integer 0
    }));
  });

  test('integers beyond 2^53 are exact', () => {
    expect(parseJson('[18446744073709551615, -9223372036854775808, 1.5, 1e2]'))
      .toEqual([18446744073709551615n, -9223372036854775808n, 1.5, 100]);
  });

  test('malformed texts are refused with a position', () => {
    for (const t of ['', '{', '[1,]', '{"a" 1}', '01', '"\\x"', '"a\nb"', 'tru', '{"a":1}}', 'NaN', '\'a\'']) {
      expect(() => parseJson(t)).toThrow(JsonSyntaxError);
      expect(() => parseJson(t)).toThrow(/ at line \d+ column \d+$/);
    }
  });
});

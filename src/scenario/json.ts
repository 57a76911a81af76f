/**
 * A strict JSON parser (RFC 8259) for scenario files. It differs from JSON.parse in one
 * way that matters here: an integer literal (no fraction, no exponent) becomes a bigint,
 * so sizes up to 2^64-1 and offsets down to -2^63 are exact. Other numbers are JS
 * numbers. Duplicate keys: the last one wins (as in Python's json). Errors are
 * JsonSyntaxError with a one-line message giving line and column.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [k: string]: JsonValue };

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

export function parseJson(text: string): JsonValue {
  let i = 0;

  const where = (at: number): string => {
    let line = 1;
    let col = 1;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: `at` never exceeds text.length (every fail() position is inside the text or at its end), so the second bound never decides
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    return `line ${line} column ${col}`;
  };
  const fail = (msg: string, at = i): never => {
    throw new JsonSyntaxError(`${msg} at ${where(at)}`);
  };
  const ws = (): void => {
    // Stryker disable next-line EqualityOperator: at i === text.length charCodeAt gives NaN, which is no whitespace, so the loop stops anyway
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const describe = (): string => (i >= text.length ? 'end of input' : JSON.stringify(text[i]));

  const value = (depth: number): JsonValue => {
    if (depth > 512) fail('nesting too deep');
    ws();
    const c = text[i]; // undefined at the end: no branch below matches, and describe() says "end of input"
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    return fail(`expected a value, found ${describe()}`);
  };

  const object = (depth: number): JsonValue => {
    i++; // {
    const out: { [k: string]: JsonValue } = Object.create(null) as { [k: string]: JsonValue };
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(`expected a string key, found ${describe()}`);
      const k = string();
      ws();
      if (text[i] !== ':') fail(`expected ':', found ${describe()}`);
      i++;
      out[k] = value(depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail(`expected ',' or '}', found ${describe()}`);
    }
  };

  const array = (depth: number): JsonValue => {
    i++; // [
    const out: JsonValue[] = [];
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail(`expected ',' or ']', found ${describe()}`);
    }
  };

  const string = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      // Stryker disable next-line EqualityOperator: with `>` the loop takes one more round past the end and fails the same way on the next
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        out += text[i];
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = text.slice(i, i + 4);
          // Stryker disable next-line Regex: h has at most 4 characters, so 4 hex digits anchored at either end are the whole of h
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape', i - 2);
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
          break;
        }
        default:
          fail('bad escape in string', i - 2);
      }
    }
  };

  const number = (): number | bigint => {
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 4096));
    if (m === null) return fail('bad number');
    i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) return BigInt(m[0]);
    return Number(m[0]);
  };

  const v = value(0);
  ws();
  if (i < text.length) fail(`unexpected ${describe()} after the document`);
  return v;
}

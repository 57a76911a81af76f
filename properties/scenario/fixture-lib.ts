/**
 * Helpers for comparing our runs with the fixtures recorded from real CPython 3.11.7
 * (tools/scenarios/README.md): the same truncation and `<ADDR#k>` masking as
 * tools/scenarios/record.py, and the tail-p differences of each dump.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'scenarios');

export interface Expected {
  scenario: string;
  mode: string;
  stdout: string;
  stderr_masked: string;
  exit_status: number;
  tail_offsets: Array<{ p: string; tail: string; diff: number }>;
}

export interface Fixture {
  name: string;
  path: string;
  text: string;
  expected: Expected;
}

export function loadFixtures(dir = FIXTURE_DIR): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.json'.length);
      return {
        name,
        path: join(dir, f),
        text: readFileSync(join(dir, f), 'utf8'),
        expected: JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected,
      };
    });
}

const ADDR_RE = /0x[0-9a-f]{3,}/g;
const DUMP_P_RE = /^Debug memory block at address p=(0x[0-9a-f]+):/gm;
const DUMP_TAIL_RE = /^ {4}The 8 pad bytes at tail=(0x[0-9a-f]+) are /gm;
const STATE_RE = /^Python runtime state: [^\n]*\n(\n)?/m;

export function truncate(stderr: string): string {
  const m = STATE_RE.exec(stderr);
  return m === null ? stderr : stderr.slice(0, m.index + m[0].length);
}

export function mask(text: string): { masked: string; tokens: Map<string, string> } {
  const tokens = new Map<string, string>();
  const masked = text.replace(ADDR_RE, (a) => {
    let t = tokens.get(a);
    if (t === undefined) {
      t = `<ADDR#${tokens.size + 1}>`;
      tokens.set(a, t);
    }
    return t;
  });
  return { masked, tokens };
}

export function tailOffsets(text: string, tokens: Map<string, string>): Array<{ p: string; tail: string; diff: number }> {
  const ps = [...text.matchAll(DUMP_P_RE)];
  const tails = [...text.matchAll(DUMP_TAIL_RE)];
  const out: Array<{ p: string; tail: string; diff: number }> = [];
  ps.forEach((pm, i) => {
    const start = pm.index + pm[0].length;
    const end = i + 1 < ps.length ? ps[i + 1].index : text.length;
    const tm = tails.find((t) => t.index >= start && t.index < end);
    if (tm === undefined) return;
    out.push({ p: tokens.get(pm[1])!, tail: tokens.get(tm[1])!, diff: Number(BigInt(tm[1]) - BigInt(pm[1])) });
  });
  return out;
}

/** Every address in the text: 0x + lowercase hex (what %p prints). */
export function addresses(text: string): string[] {
  return [...text.matchAll(/0x[0-9a-f]+/g)].map((m) => m[0]).filter((a) => a.length > 4);
}

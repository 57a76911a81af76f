/**
 * The rules section of docs/conformance.md, written from spec/rules.ts so that the doc
 * and the checks cannot drift apart (a test compares them; `npm run conformance`
 * rewrites it).
 */
import { ALL_RULES } from '../../spec/rules.ts';

export const RULES_BEGIN = '<!-- rules:begin (generated from spec/rules.ts by npm run conformance; do not edit) -->';
export const RULES_END = '<!-- rules:end -->';

const cellText = (s: string): string => s.replace(/\|/g, '\\|');

export function rulesMarkdown(): string {
  const out = ['| rule | level | what must hold | source |', '|---|---|---|---|'];
  for (const r of ALL_RULES) {
    const src = r.source.kind === 'recording' ? `recording \`${r.source.where}\`: ${r.source.text}` : `${r.source.where}: "${r.source.text}"`;
    out.push(`| \`${r.id}\` | ${r.level} | ${cellText(r.statement)} | ${cellText(src)} |`);
  }
  return out.join('\n');
}

/** Replace the text between two markers of `doc`. */
export function replaceSection(doc: string, begin: string, end: string, text: string): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`the markers ${begin} .. ${end} are missing`);
  return `${doc.slice(0, a + begin.length)}\n${text}\n${doc.slice(b)}`;
}

/** The text between two markers, or null. */
export function sectionOf(doc: string, begin: string, end: string): string | null {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  return a < 0 || b < a ? null : doc.slice(a + begin.length, b).trim();
}

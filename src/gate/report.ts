/** The gate's result as text (for people), JUnit XML (for CI) and JSON (for tools). */
import type { GateResult, PropertyResult } from './runner.ts';

function indent(text: string, pad: string): string {
  return text.split('\n').map((l) => `${pad}${l}`).join('\n');
}

const WORD: Record<PropertyResult['verdict'], string> = {
  pass: 'pass', FAIL: 'FAIL', differs: 'differs', unsupported: 'unsupported', skipped: 'skipped', error: 'error',
};

function statusWord(r: PropertyResult): string {
  return `${WORD[r.verdict]}${r.interrupted && r.status !== 'skipped' ? ' (cut)' : ''}`.padEnd(11);
}

/** The differences of a `differs` verdict in one line, e.g. "alignment-16: PyMem_RawMalloc(0) 8-aligned". */
export function differencesLine(r: PropertyResult, most = 3): string {
  const byRule = new Map<string, string[]>();
  for (const d of r.differences ?? []) byRule.set(d.rule, [...(byRule.get(d.rule) ?? []), d.text]);
  return [...byRule].map(([rule, texts]) => {
    const shown = texts.slice(0, most).join(', ');
    return `${rule}: ${shown}${texts.length > most ? ` (+${texts.length - most} more)` : ''}`;
  }).join('; ');
}

export function failureText(r: PropertyResult, pad = '    '): string {
  const f = r.failure!;
  const out: string[] = [];
  out.push(`property: ${r.name}: ${r.title}`);
  out.push(`failure (${f.kind}${f.rule ? `, rule ${f.rule.id}, level ${f.rule.level}` : ''}):`);
  out.push(indent(f.message, '  '));
  if (f.calls.length > 0) {
    out.push(`counterexample${r.shrinks > 0 ? ` (shrunk ${r.shrinks} times)` : ''}, ${f.calls.length} call${f.calls.length === 1 ? '' : 's'}:`);
    f.calls.forEach((c, k) => out.push(`  ${k + 1}. ${c}`));
  }
  if (f.input !== undefined) out.push(`input: ${f.input}`);
  if (f.lastRequests.length > 0) {
    out.push('last protocol requests of the failing run:');
    for (const l of f.lastRequests) out.push(`  ${l}`);
  }
  if (f.stderrTail.trim() !== '') {
    out.push('implementation stderr (tail):');
    out.push(indent(f.stderrTail, '  | '));
  }
  if (r.replay !== undefined) out.push(`replay: ${r.replay}`);
  return indent(out.join('\n'), pad);
}

export function textReport(g: GateResult): string {
  const out: string[] = [];
  const impl = g.implementation;
  out.push(`objimpl gate: ${impl.name}${impl.version ? ` (${impl.version})` : ''}, features ${impl.features.join(' ') || '(none)'}, level ${g.level}`);
  out.push(`  implementation: ${g.command}`);
  for (const r of g.properties) {
    const detail = r.status === 'skipped'
      ? r.reason ?? ''
      : `${r.runs} run${r.runs === 1 ? '' : 's'}, ${r.commands !== undefined ? `${r.commands} commands, ` : ''}${r.requests} requests, ${r.seconds.toFixed(1)} s`;
    out.push(`  ${r.name.padEnd(19)} ${statusWord(r)} ${detail}`);
    if (r.verdict === 'differs') out.push(`    differs from CPython 3.11 on glibc: ${differencesLine(r, 6)}`);
    if (r.status === 'failed') out.push(failureText(r));
  }
  const rate = g.seconds > 0 ? Math.round(g.requests / g.seconds) : 0;
  out.push(`  ${g.requests} requests to ${g.processes} processes in ${g.seconds.toFixed(1)} s (${rate} requests/s), seed ${g.seed}`);
  if (g.budgetExhausted) out.push('  the time budget ran out: some properties ran fewer runs than asked');
  const differ = g.properties.filter((p) => p.verdict === 'differs').length;
  if (g.outcome === 'could-not-check') out.push('the implementation could NOT be checked (it did not start, or gave no valid hello)');
  else if (g.outcome === 'does-not-conform') out.push(`the implementation does NOT conform at the ${g.level} level`);
  else if (differ > 0) out.push(`conforms at the ${g.level} level; ${differ} propert${differ === 1 ? 'y differs' : 'ies differ'} from CPython 3.11 on glibc (--level cpython fails on ${differ === 1 ? 'it' : 'them'})`);
  else out.push(`all properties hold at the ${g.level} level`);
  return `${out.join('\n')}\n`;
}

export function jsonReport(g: GateResult): string {
  return `${JSON.stringify(g, null, 2)}\n`;
}

function xml(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the rest escaped.
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function junitReport(g: GateResult): string {
  const failures = g.properties.filter((p) => p.verdict === 'FAIL').length;
  const errors = g.properties.filter((p) => p.verdict === 'error').length;
  const skipped = g.properties.filter((p) => p.status === 'skipped').length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suite = `objimpl gate: ${g.implementation.name}`;
  out.push(`<testsuites name="objimpl gate" tests="${g.properties.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${g.seconds.toFixed(3)}">`);
  out.push(`  <testsuite name="${xml(suite)}" tests="${g.properties.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${g.seconds.toFixed(3)}">`);
  out.push('    <properties>');
  out.push(`      <property name="implementation" value="${xml(g.command)}"/>`);
  out.push(`      <property name="version" value="${xml(g.implementation.version)}"/>`);
  out.push(`      <property name="features" value="${xml(g.implementation.features.join(' '))}"/>`);
  out.push(`      <property name="seed" value="${g.seed}"/>`);
  out.push(`      <property name="level" value="${g.level}"/>`);
  out.push(`      <property name="outcome" value="${g.outcome}"/>`);
  out.push('    </properties>');
  for (const p of g.properties) {
    const head = `    <testcase classname="objimpl.gate" name="${xml(p.name)}" time="${p.seconds.toFixed(3)}">`;
    const props = [`        <property name="level" value="${p.level}"/>`, `        <property name="verdict" value="${p.verdict}"/>`];
    if (p.verdict === 'differs') props.push(`        <property name="differences" value="${xml(differencesLine(p, 1000))}"/>`);
    const body = [`      <properties>\n${props.join('\n')}\n      </properties>`];
    if (p.status === 'skipped') body.push(`      <skipped message="${xml(`${p.verdict}: ${p.reason ?? ''}`)}"/>`);
    else if (p.status === 'failed') {
      const tag = p.verdict === 'error' ? 'error' : 'failure';
      const msg = p.failure!.message.split('\n')[0];
      body.push(`      <${tag} message="${xml(msg)}" type="${xml(p.failure!.kind)}">${xml(failureText(p, ''))}</${tag}>`);
    }
    out.push(`${head}\n${body.join('\n')}\n    </testcase>`);
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

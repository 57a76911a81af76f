/** The gate's result as text (for people), JUnit XML (for CI) and JSON (for tools). */
import type { GateResult, PropertyResult } from './runner.ts';

function indent(text: string, pad: string): string {
  return text.split('\n').map((l) => `${pad}${l}`).join('\n');
}

function statusWord(r: PropertyResult): string {
  if (r.status === 'failed') return 'FAILED ';
  if (r.status === 'skipped') return 'skipped';
  return r.interrupted ? 'ok (cut)' : 'ok     ';
}

export function failureText(r: PropertyResult, pad = '    '): string {
  const f = r.failure!;
  const out: string[] = [];
  out.push(`property: ${r.name}: ${r.title}`);
  out.push(`failure (${f.kind}):`);
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
  out.push(`objimpl gate: ${impl.name}${impl.version ? ` (${impl.version})` : ''}, features ${impl.features.join(' ') || '(none)'}`);
  out.push(`  implementation: ${g.command}`);
  for (const r of g.properties) {
    const detail = r.status === 'skipped'
      ? r.reason ?? ''
      : `${r.runs} run${r.runs === 1 ? '' : 's'}, ${r.commands !== undefined ? `${r.commands} commands, ` : ''}${r.requests} requests, ${r.seconds.toFixed(1)} s`;
    out.push(`  ${r.name.padEnd(19)} ${statusWord(r)} ${detail}`);
    if (r.status === 'failed') out.push(failureText(r));
  }
  const rate = g.seconds > 0 ? Math.round(g.requests / g.seconds) : 0;
  out.push(`  ${g.requests} requests to ${g.processes} processes in ${g.seconds.toFixed(1)} s (${rate} requests/s), seed ${g.seed}`);
  if (g.budgetExhausted) out.push('  the time budget ran out: some properties ran fewer runs than asked');
  out.push(g.ok ? 'all properties hold' : 'the implementation does NOT conform');
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
  const failures = g.properties.filter((p) => p.status === 'failed').length;
  const skipped = g.properties.filter((p) => p.status === 'skipped').length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suite = `objimpl gate: ${g.implementation.name}`;
  out.push(`<testsuites name="objimpl gate" tests="${g.properties.length}" failures="${failures}" skipped="${skipped}" time="${g.seconds.toFixed(3)}">`);
  out.push(`  <testsuite name="${xml(suite)}" tests="${g.properties.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${g.seconds.toFixed(3)}">`);
  out.push('    <properties>');
  out.push(`      <property name="implementation" value="${xml(g.command)}"/>`);
  out.push(`      <property name="version" value="${xml(g.implementation.version)}"/>`);
  out.push(`      <property name="features" value="${xml(g.implementation.features.join(' '))}"/>`);
  out.push(`      <property name="seed" value="${g.seed}"/>`);
  out.push('    </properties>');
  for (const p of g.properties) {
    const head = `    <testcase classname="objimpl.gate" name="${xml(p.name)}" time="${p.seconds.toFixed(3)}"`;
    if (p.status === 'passed') out.push(`${head}/>`);
    else if (p.status === 'skipped') out.push(`${head}>\n      <skipped message="${xml(p.reason ?? '')}"/>\n    </testcase>`);
    else {
      const msg = p.failure!.message.split('\n')[0];
      out.push(`${head}>\n      <failure message="${xml(msg)}" type="${xml(p.failure!.kind)}">${xml(failureText(p, ''))}</failure>\n    </testcase>`);
    }
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

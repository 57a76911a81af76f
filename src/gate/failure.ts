/**
 * How the gate describes a failure: its kind (a protocol error kind, `abort`, or
 * `property`), its message, the stderr tail, each transcript entry as a line, and
 * shell quoting for the replay command it prints.
 */
import { ImplementationAborted } from '../../spec/implementation.ts';
import { fatalLine } from '../../properties/world.ts';
import { describeRequest } from './protocol.ts';
import { GateError, type RemoteImplementation, type TranscriptEntry } from './remote.ts';

export function entryText(e: TranscriptEntry): string {
  const call = describeRequest(e.request);
  if (e.answer === undefined) return `${call}  -> (no answer)`;
  const { id: _id, ...rest } = e.answer;
  const parts = Object.entries(rest).map(([k, v]) => `${k} ${typeof v === 'string' ? (v.length > 40 ? `${v.slice(0, 40)}…` : v) : JSON.stringify(v)}`);
  return `${call}  -> ${parts.length === 0 ? 'ok' : parts.join(', ')}`;
}

export function errorKind(e: unknown): string {
  if (e instanceof GateError) return e.kind;
  if (e instanceof ImplementationAborted) return 'abort';
  return 'property';
}

export function errorMessage(e: unknown, r: RemoteImplementation | null = null): string {
  if (e instanceof ImplementationAborted) {
    const last = r?.lastRequest;
    return `the implementation aborted unexpectedly: ${fatalLine(e.stderr)}${last ? `\n  last request: ${last.call}   ${last.line}` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}

export function stderrTailOf(e: unknown, r: RemoteImplementation | null): string {
  if (e instanceof GateError) return e.stderrTail;
  return r?.stderrTail() ?? '';
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The vocabulary of a pytrace v1 trace (../shared/reference/pytrace-v1.md): the event
 * records the reader produces, the header and `# end` line, the format error, and the
 * inverse direction, turning an event back into its trace line for messages.
 */
export type Domain = 'r' | 'm' | 'o';

interface EventBase {
  /** 1-based line number in the (decompressed) trace. */
  line: number;
  /** `^`: made inside the next untagged line of the same thread. */
  nested: boolean;
  /** 0 for the main thread, N for `t<N>`. */
  thread: number;
}
/** `A`: the arena allocator returned `addr`; `X`: it freed `addr`. */
export interface ArenaAllocEvent extends EventBase { kind: 'A'; addr: number; size: number }
export interface ArenaFreeEvent extends EventBase { kind: 'X'; addr: number; size: number }
export type ArenaEvent = ArenaAllocEvent | ArenaFreeEvent;
export interface MallocEvent extends EventBase { kind: 'm'; domain: Domain; size: number; result: number }
export interface CallocEvent extends EventBase { kind: 'c'; domain: Domain; nelem: number; elsize: number; result: number }
export interface ReallocEvent extends EventBase { kind: 'r'; domain: Domain; ptr: number; size: number; result: number }
export interface FreeEvent extends EventBase { kind: 'f'; domain: Domain; ptr: number }
/** A `# ` comment line; `text` is what follows `# `. */
export interface CommentEvent { kind: '#'; line: number; text: string }

export type CallEvent = MallocEvent | CallocEvent | ReallocEvent | FreeEvent;
export type AllocEvent = ArenaEvent | CallEvent;
export type TraceEvent = AllocEvent | CommentEvent;

/** The fields of line 1, plus all key=value pairs it carries. */
export interface TraceHeader {
  python: string;
  hexversion: string;
  allocator: string;
  pre_hook_arenas: string;
  pre_hook_blocks: string;
  PYTHONMALLOC: string;
  PYTHONHASHSEED: string;
  aslr: string;
  ptr_bits: string;
  fields: Record<string, string>;
}

export interface TraceEnd { line: number; events: number; reason: string; exitcode: number }

export const REQUIRED_HEADER_FIELDS = [
  'python', 'hexversion', 'allocator', 'pre_hook_arenas', 'pre_hook_blocks',
  'PYTHONMALLOC', 'PYTHONHASHSEED', 'aslr', 'ptr_bits',
] as const;

/** A malformed or truncated trace: where and why. Never carries a stack trace to users. */
export class TraceFormatError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'TraceFormatError';
  }
}

/** The trace line an event came from (for messages). */
export function formatEvent(e: TraceEvent): string {
  if (e.kind === '#') return `# ${e.text}`;
  let s: string;
  switch (e.kind) {
    case 'A': case 'X': s = `${e.kind} ${e.addr.toString(16)} ${e.size}`; break;
    case 'm': s = `m ${e.domain} ${e.size} ${e.result.toString(16)}`; break;
    case 'c': s = `c ${e.domain} ${e.nelem} ${e.elsize} ${e.result.toString(16)}`; break;
    case 'r': s = `r ${e.domain} ${e.ptr.toString(16)} ${e.size} ${e.result.toString(16)}`; break;
    case 'f': s = `f ${e.domain} ${e.ptr.toString(16)}`; break;
  }
  if (e.nested) s += ' ^';
  if (e.thread !== 0) s += ` t${e.thread}`;
  return s;
}

/**
 * The call of a `# abort in-call <call>` comment (the recorder's record of the call the
 * process died in, which never returned):
 * `f m 7f…`, `r o 7f… 100`, `m o 100`, `c m 1 100` (no result), as an event with result 0,
 * or null when it is not of that shape.
 */
export function parseAbortedCall(line: number, call: string): CallEvent | null {
  const m = /^([mcrf]) ([rmo]) ([0-9a-f]+)(?: (\d+))?$/.exec(call);
  if (m === null) return null;
  const domain = m[2] as Domain;
  const base = { line, nested: false, thread: 0, domain };
  switch (m[1]) {
    case 'm': return /^\d+$/.test(m[3]) && m[4] === undefined ? { ...base, kind: 'm', size: Number(m[3]), result: 0 } : null;
    case 'c': return /^\d+$/.test(m[3]) && m[4] !== undefined ? { ...base, kind: 'c', nelem: Number(m[3]), elsize: Number(m[4]), result: 0 } : null;
    case 'r': return m[4] !== undefined ? { ...base, kind: 'r', ptr: parseInt(m[3], 16), size: Number(m[4]), result: 0 } : null;
    default: return m[4] === undefined ? { ...base, kind: 'f', ptr: parseInt(m[3], 16) } : null;
  }
}


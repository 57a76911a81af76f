/**
 * Reading a pytrace v1 trace (../shared/reference/pytrace-v1.md), recorded from a real
 * CPython 3.11 by tools/bin/pytrace, from a file, a stream or bytes in memory.
 *
 * This module is the input side: plain text or gzip (told apart by the magic bytes
 * 1f 8b, not by the name) is turned into byte chunks, fed to the line parser
 * (line-parser.ts, which holds the validation rules) and delivered as events, either
 * through a callback, as an async sequence, or all at once. Nothing is buffered beyond
 * one chunk. The event types (events.ts) and the parser are re-exported from here.
 */
import { createReadStream } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { type TraceEnd, type TraceEvent, TraceFormatError, type TraceHeader } from './events.ts';
import { TraceParser } from './line-parser.ts';

export {
  type AllocEvent, type ArenaAllocEvent, type ArenaEvent, type ArenaFreeEvent, type CallEvent, type CallocEvent,
  type CommentEvent, type Domain, type FreeEvent, formatEvent, type MallocEvent, type ReallocEvent,
  REQUIRED_HEADER_FIELDS, type TraceEnd, type TraceEvent, TraceFormatError, type TraceHeader,
} from './events.ts';
export { parseHeader, TraceParser } from './line-parser.ts';

/** True when the bytes start with the gzip magic. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

export type TraceSource = string | Readable | Uint8Array;

/** Raw (decompressed) byte chunks of a trace, gzip detected from the first bytes. */
async function* chunksOf(source: TraceSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield isGzip(source) ? gunzipSync(source) : source;
    return;
  }
  const input: Readable = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Uint8Array | string>;
  const asBytes = (v: Uint8Array | string): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'latin1') : v);
  // The magic needs two bytes; a stream may deliver fewer in its first chunk.
  let head: Uint8Array = new Uint8Array(0);
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) break;
    const v = asBytes(r.value);
    head = head.length === 0 ? v : Buffer.concat([head, v]);
  }
  const own = typeof source === 'string';
  try {
    if (head.length === 0) return;
    if (!isGzip(head)) {
      yield head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield asBytes(r.value);
      }
    }
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const feed = (async (): Promise<void> => {
      try {
        let v: Uint8Array | null = head;
        while (v !== null && !gunzip.destroyed) {
          if (!gunzip.write(v)) {
            // Wait for 'drain' (or 'close', if the consumer stopped), then drop both
            // listeners: one left behind per wait would pile up over a long trace.
            await new Promise<void>((res) => {
              const done = (): void => {
                gunzip.off('drain', done);
                gunzip.off('close', done);
                res();
              };
              gunzip.on('drain', done);
              gunzip.on('close', done);
            });
          }
          const r = await it.next();
          v = r.done ? null : asBytes(r.value);
        }
        if (!gunzip.destroyed) gunzip.end();
      } catch (err) {
        gunzip.destroy(err as Error);
      }
    })();
    try {
      for await (const c of gunzip) yield c as Uint8Array;
      await feed;
    } finally {
      if (!gunzip.destroyed) gunzip.destroy();
    }
  } finally {
    // A consumer that stops early (a format error, a mismatch) must not leak the file.
    if (own) input.destroy();
  }
}

function gzipError(err: unknown, parser: TraceParser): TraceFormatError {
  if (err instanceof TraceFormatError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new TraceFormatError(parser.lines + 1, `corrupt or truncated gzip data (${e.message})`);
  }
  throw err;
}

export interface TraceReadResult {
  header: TraceHeader;
  end: TraceEnd;
  events: number;
  lines: number;
}

/**
 * Stream a trace through `onEvent`, the fast path. Resolves with the header and end line,
 * rejects with TraceFormatError (or an I/O error such as ENOENT).
 */
export async function forEachTraceEvent(source: TraceSource, onEvent: (e: TraceEvent) => void): Promise<TraceReadResult> {
  const parser = new TraceParser(onEvent);
  try {
    for await (const c of chunksOf(source)) parser.push(c);
  } catch (err) {
    throw gzipError(err, parser);
  }
  parser.finish();
  return { header: parser.header!, end: parser.end!, events: parser.events, lines: parser.lines };
}

/** Stream a trace as an async sequence of events (batched per input chunk internally). */
export async function* readTrace(source: TraceSource): AsyncGenerator<TraceEvent, TraceReadResult> {
  let batch: TraceEvent[] = [];
  const parser = new TraceParser((e) => { batch.push(e); });
  try {
    for await (const c of chunksOf(source)) {
      parser.push(c);
      const out = batch;
      batch = [];
      for (const e of out) yield e;
    }
  } catch (err) {
    // Events parsed before the failure are still delivered, in order.
    const out = batch;
    batch = [];
    for (const e of out) yield e;
    throw gzipError(err, parser);
  }
  parser.finish();
  return { header: parser.header!, end: parser.end!, events: parser.events, lines: parser.lines };
}

export interface ParsedTrace {
  events: TraceEvent[];
  header: TraceHeader;
  end: TraceEnd;
  eventCount: number;
  lines: number;
}

/** Parse a whole in-memory trace (plain or gzip) synchronously. */
export function parseTrace(bytes: Uint8Array | string): ParsedTrace {
  const raw = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  const events: TraceEvent[] = [];
  const parser = new TraceParser((e) => { events.push(e); });
  let data: Uint8Array;
  try {
    data = isGzip(raw) ? gunzipSync(raw) : raw;
  } catch (err) {
    throw gzipError(err, parser);
  }
  parser.push(data);
  parser.finish();
  return { events, header: parser.header!, end: parser.end!, eventCount: parser.events, lines: parser.lines };
}

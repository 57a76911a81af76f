/**
 * A pytrace v1 trace pre-parsed into typed arrays, for timing replays without timing the
 * parser: the top-level MEM/OBJ calls (the request stream) with the recorded results, the
 * nested RAW/arena lines each call made, and a slot-indexed form of the same stream for
 * tools/native-replay (pointers replaced by slot numbers, so neither side hashes).
 */
import { writeFileSync } from 'node:fs';
import { AddrMap } from '../../src/trace/addr-map.ts';
import { forEachTraceEvent, type AllocEvent, type TraceSource } from '../../src/trace/reader.ts';

export const OP_MALLOC = 0;
export const OP_CALLOC = 1;
export const OP_REALLOC = 2;
export const OP_FREE = 3;
/** Nested line kinds. */
export const N_ARENA_ALLOC = 0;
export const N_ARENA_FREE = 1;
export const N_MALLOC = 2;
export const N_CALLOC = 3;
export const N_REALLOC = 4;
export const N_FREE = 5;

export interface Stream {
  nops: number;
  /** OP_* */
  kind: Uint8Array;
  /** 0 MEM, 1 OBJ */
  domain: Uint8Array;
  /** malloc/realloc size, calloc nelem */
  a: Float64Array;
  /** calloc elsize */
  b: Float64Array;
  /** realloc/free pointer */
  ptr: Float64Array;
  /** recorded result */
  res: Float64Array;
  /** nested lines of op i: [nestStart[i], nestStart[i + 1]) */
  nestStart: Int32Array;
  nkind: Uint8Array;
  /** A/X address, RAW size (malloc/realloc), calloc nelem, free pointer */
  na: Float64Array;
  /** A/X size, calloc elsize, realloc old pointer */
  nb: Float64Array;
  nres: Float64Array;
  /** slot form for the native side */
  slotIn: Int32Array;
  slotOut: Int32Array;
  nslots: number;
  /** all event lines of the trace */
  traceEvents: number;
}

class Grow {
  buf: Float64Array = new Float64Array(1 << 16);
  n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = v;
  }
  done(): Float64Array {
    return this.buf.slice(0, this.n);
  }
}

export async function buildStream(source: TraceSource): Promise<Stream> {
  const kind = new Grow(); const domain = new Grow(); const a = new Grow(); const b = new Grow();
  const ptr = new Grow(); const res = new Grow(); const nestStart = new Grow();
  const nkind = new Grow(); const na = new Grow(); const nb = new Grow(); const nres = new Grow();
  const slotIn = new Grow(); const slotOut = new Grow();
  const slotOf = new AddrMap<number>(1 << 16);
  const freeSlots: number[] = [];
  let nslots = 0;
  const newSlot = (): number => (freeSlots.length > 0 ? freeSlots.pop()! : nslots++);
  let pending: AllocEvent[] = [];
  let traceEvents = 0;
  await forEachTraceEvent(source, (e) => {
    if (e.kind === '#') return;
    traceEvents++;
    if (e.nested) { pending.push(e); return; }
    if (e.kind === 'A' || e.kind === 'X' || e.domain === 'r') { pending = []; return; }
    nestStart.push(nkind.n);
    for (const n of pending) {
      switch (n.kind) {
        case 'A': nkind.push(N_ARENA_ALLOC); na.push(n.addr); nb.push(n.size); nres.push(n.addr); break;
        case 'X': nkind.push(N_ARENA_FREE); na.push(n.addr); nb.push(n.size); nres.push(0); break;
        case 'm': nkind.push(N_MALLOC); na.push(n.size); nb.push(0); nres.push(n.result); break;
        case 'c': nkind.push(N_CALLOC); na.push(n.nelem); nb.push(n.elsize); nres.push(n.result); break;
        case 'r': nkind.push(N_REALLOC); na.push(n.size); nb.push(n.ptr); nres.push(n.result); break;
        case 'f': nkind.push(N_FREE); na.push(n.ptr); nb.push(0); nres.push(0); break;
      }
    }
    pending = [];
    domain.push(e.domain === 'o' ? 1 : 0);
    switch (e.kind) {
      case 'm': case 'c': {
        kind.push(e.kind === 'm' ? OP_MALLOC : OP_CALLOC);
        a.push(e.kind === 'm' ? e.size : e.nelem); b.push(e.kind === 'c' ? e.elsize : 0);
        ptr.push(0); res.push(e.result);
        slotIn.push(-1);
        if (e.result !== 0) { const s = newSlot(); slotOf.set(e.result, s); slotOut.push(s); } else slotOut.push(-1);
        break;
      }
      case 'r': {
        kind.push(OP_REALLOC); a.push(e.size); b.push(0); ptr.push(e.ptr); res.push(e.result);
        const sin = e.ptr === 0 ? -1 : (slotOf.get(e.ptr) ?? -1);
        slotIn.push(sin);
        if (e.result !== 0) {
          if (e.ptr !== 0) slotOf.delete(e.ptr);
          const s = sin >= 0 ? sin : newSlot();
          slotOf.set(e.result, s);
          slotOut.push(s);
        } else slotOut.push(-1);
        break;
      }
      case 'f': {
        kind.push(OP_FREE); a.push(0); b.push(0); ptr.push(e.ptr); res.push(0);
        const s = e.ptr === 0 ? -1 : (slotOf.get(e.ptr) ?? -1);
        if (s >= 0) { slotOf.delete(e.ptr); freeSlots.push(s); }
        slotIn.push(s); slotOut.push(-1);
        break;
      }
    }
  });
  nestStart.push(nkind.n);
  return {
    nops: kind.n,
    kind: Uint8Array.from(kind.done()), domain: Uint8Array.from(domain.done()),
    a: a.done(), b: b.done(), ptr: ptr.done(), res: res.done(),
    nestStart: Int32Array.from(nestStart.done()),
    nkind: Uint8Array.from(nkind.done()), na: na.done(), nb: nb.done(), nres: nres.done(),
    slotIn: Int32Array.from(slotIn.done()), slotOut: Int32Array.from(slotOut.done()),
    nslots, traceEvents,
  };
}

/** Write the OBJRPL01 slot stream read by tools/native-replay (format in native_replay.c). */
export function writeNativeStream(s: Stream, path: string): void {
  const buf = Buffer.alloc(32 + s.nops * 32);
  buf.write('OBJRPL01', 0, 'latin1');
  buf.writeBigUInt64LE(BigInt(s.nops), 8);
  buf.writeBigUInt64LE(BigInt(s.nslots), 16);
  for (let i = 0; i < s.nops; i++) {
    const o = 32 + i * 32;
    buf[o] = s.kind[i];
    buf[o + 1] = s.domain[i];
    buf.writeInt32LE(s.slotIn[i], o + 4);
    buf.writeInt32LE(s.slotOut[i], o + 8);
    buf.writeBigUInt64LE(BigInt(s.a[i]), o + 16);
    buf.writeBigUInt64LE(BigInt(s.b[i]), o + 24);
  }
  writeFileSync(path, buf);
}

/**
 * Another implementation, in another process, behind the common `Implementation` seam,
 * spoken to with gate protocol v1 (protocol.ts), one JSON line per request.
 *
 * This module is the typed side: the hello handshake, and each `Implementation` call
 * turned into its request and its answer decoded and checked (a missing or mistyped
 * field is a `malformed` GateError). Starting the process, exchanging lines, timeouts
 * and killing are in transport.ts; the error kinds and exit helpers in remote-errors.ts.
 * Both are re-exported from here.
 */
import type { Family } from '../../spec/families.ts';
import type { Addr, Feature, Header, Implementation, ObjResult } from '../../spec/implementation.ts';
import {
  CodecError, PROTOCOL_VERSION, decodeAddr, decodeBytes, decodeHello, decodeInt, encodeAddr,
  encodeBytes, encodeInt, short, type Request,
} from './protocol.ts';
import { GateTransport, type RemoteOptions } from './transport.ts';

export { describeExit, type Exit, GateError, type GateErrorKind, isAbort } from './remote-errors.ts';
export { type AbortOutcome, type RemoteOptions, type TranscriptEntry } from './transport.ts';

export class RemoteImplementation extends GateTransport implements Implementation {
  name = '(not started)';
  version = '';
  features: ReadonlySet<Feature> = new Set();

  private constructor(opts: RemoteOptions) {
    super(opts);
  }

  /** Start the command and shake hands; throws a GateError when that fails. */
  static async start(opts: RemoteOptions): Promise<RemoteImplementation> {
    const r = new RemoteImplementation(opts);
    r.spawn();
    try {
      const a = await r.request({ op: 'hello', protocol: PROTOCOL_VERSION }, opts.startTimeoutMs ?? Math.max(r.timeoutMs, 20_000));
      let h;
      try {
        h = decodeHello(a);
      } catch (e) {
        throw r.die('protocol', `bad hello answer: ${(e as Error).message}`);
      }
      if (h.protocol !== PROTOCOL_VERSION) {
        throw r.die('protocol', `the implementation speaks gate protocol ${h.protocol}; this gate speaks protocol ${PROTOCOL_VERSION} only`);
      }
      r.name = h.implementation;
      r.version = h.version;
      r.features = h.features;
    } catch (e) {
      r.kill();
      throw e;
    }
    return r;
  }

  /** Decode a field; a codec error is a malformed answer. */
  private field<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof CodecError) throw this.die('malformed', `malformed answer: ${e.message}`);
      throw e;
    }
  }

  private async ptrOp(req: Request): Promise<Addr> {
    const a = await this.request(req);
    return this.field(() => decodeAddr(a.ptr, 'ptr'));
  }

  private async objOp(req: Request): Promise<ObjResult> {
    const a = await this.request(req);
    return this.field(() => {
      const ptr = decodeAddr(a.ptr, 'ptr');
      if (a.exception !== undefined && typeof a.exception !== 'string') throw new CodecError(`exception: expected a string, got ${short(a.exception)}`);
      return a.exception === undefined ? { ptr } : { ptr, exception: a.exception };
    });
  }

  malloc(api: Family, size: bigint): Promise<Addr> {
    return this.ptrOp({ op: 'malloc', api, size: encodeInt(size) });
  }

  calloc(api: Family, nelem: bigint, elsize: bigint): Promise<Addr> {
    return this.ptrOp({ op: 'calloc', api, nelem: encodeInt(nelem), elsize: encodeInt(elsize) });
  }

  realloc(api: Family, ptr: Addr, size: bigint): Promise<Addr> {
    return this.ptrOp({ op: 'realloc', api, ptr: encodeAddr(ptr), size: encodeInt(size) });
  }

  async free(api: Family, ptr: Addr): Promise<void> {
    await this.request({ op: 'free', api, ptr: encodeAddr(ptr) });
  }

  async write(ptr: Addr, offset: number, bytes: Uint8Array): Promise<void> {
    await this.request({ op: 'write', ptr: encodeAddr(ptr), offset: encodeInt(offset), bytes: encodeBytes(bytes) });
  }

  async read(ptr: Addr, offset: number, length: number): Promise<Uint8Array> {
    const a = await this.request({ op: 'read', ptr: encodeAddr(ptr), offset: encodeInt(offset), length: encodeInt(length) });
    return this.field(() => {
      const b = decodeBytes(a.bytes, 'bytes');
      if (b.length !== length) throw new CodecError(`bytes: ${b.length} bytes for a read of ${length}`);
      return b;
    });
  }

  async newType(basicsize: number, itemsize: number, heap: boolean): Promise<Addr> {
    const a = await this.request({ op: 'new_type', basicsize: encodeInt(basicsize), itemsize: encodeInt(itemsize), heap });
    return this.field(() => {
      const t = decodeAddr(a.type, 'type');
      if (t === 0) throw new CodecError('type: new_type answered null');
      return t;
    });
  }

  async typeRefcnt(type: Addr): Promise<bigint> {
    const a = await this.request({ op: 'type_refcnt', type: encodeAddr(type) });
    return this.field(() => decodeInt(a.refcnt, 'refcnt'));
  }

  objectNew(type: Addr): Promise<ObjResult> {
    return this.objOp({ op: 'object_new', type: encodeAddr(type) });
  }

  objectNewVar(type: Addr, nitems: bigint): Promise<ObjResult> {
    return this.objOp({ op: 'object_new_var', type: encodeAddr(type), nitems: encodeInt(nitems) });
  }

  objectInit(ptr: Addr, type: Addr): Promise<ObjResult> {
    return this.objOp({ op: 'object_init', ptr: encodeAddr(ptr), type: encodeAddr(type) });
  }

  objectInitVar(ptr: Addr, type: Addr, nitems: bigint): Promise<ObjResult> {
    return this.objOp({ op: 'object_init_var', ptr: encodeAddr(ptr), type: encodeAddr(type), nitems: encodeInt(nitems) });
  }

  async objectHeader(ptr: Addr): Promise<Header> {
    const a = await this.request({ op: 'object_header', ptr: encodeAddr(ptr) });
    return this.field(() => {
      const h: Header = { refcnt: decodeInt(a.refcnt, 'refcnt'), type: decodeAddr(a.type, 'type') };
      if (a.size !== undefined) h.size = decodeInt(a.size, 'size');
      return h;
    });
  }

  async objectDel(ptr: Addr): Promise<void> {
    await this.request({ op: 'object_del', ptr: encodeAddr(ptr) });
  }
}

/**
 * Gate protocol v1 adapter for our own model (src/implementation.ts), so that the gate's
 * protocol path is tested end to end against an implementation known to conform.
 *
 *   npx tsx tools/adapters/model-adapter.ts [--mode default|pymalloc|malloc|debug|pymalloc_debug|malloc_debug]
 *   objimpl gate --impl "npx tsx tools/adapters/model-adapter.ts"
 *
 * (`node --import tsx tools/adapters/model-adapter.ts` starts twice as fast.)
 * In the debug modes it declares `debug`; a misuse ends the process the way CPython's
 * hooks do: the report on stderr, then exit status 134 (what a shell shows for SIGABRT).
 * Any other failure is answered `{"id":N,"error":…}`.
 */
import { createInterface } from 'node:readline';
import { MODES, type AllocatorMode } from '../../src/domains/allocator.ts';
import { ModelImplementation } from '../../src/implementation.ts';
import {
  decodeAddr, decodeBytes, decodeInt, encodeAddr, encodeBytes, encodeInt,
} from '../../src/gate/protocol.ts';
import type { Family } from '../../spec/families.ts';
import { ImplementationAborted } from '../../spec/implementation.ts';

function parseMode(argv: string[]): AllocatorMode {
  const i = argv.indexOf('--mode');
  if (i < 0) return 'default';
  const m = argv[i + 1];
  if (!(MODES as readonly string[]).includes(m ?? '')) {
    process.stderr.write(`model-adapter: --mode takes one of ${MODES.join(', ')}\n`);
    process.exit(2);
  }
  return m as AllocatorMode;
}

const mode = parseMode(process.argv.slice(2));
const impl = new ModelImplementation({ mode });

class Unsupported extends Error {}

function api(v: unknown): Family {
  if (v === 'r' || v === 'm' || v === 'o') return v;
  throw new Error(`api: expected "r", "m" or "o", got ${JSON.stringify(v)}`);
}

const size = (v: unknown, what: string): bigint => {
  const n = decodeInt(v, what);
  if (n < 0n || n >= 1n << 64n) throw new Error(`${what}: ${n} is not a size_t`);
  return n;
};
const int = (v: unknown, what: string): number => Number(decodeInt(v, what));
const ptr = (v: unknown, what = 'ptr'): number => decodeAddr(v, what);
const obj = (r: { ptr: number; exception?: string }) =>
  (r.ptr === 0 ? { ptr: null, exception: r.exception ?? 'MemoryError' } : { ptr: encodeAddr(r.ptr) });

async function handle(req: Record<string, unknown>): Promise<Record<string, unknown>> {
  switch (req.op) {
    case 'hello':
      return {
        protocol: 1, implementation: 'objimpl-model', version: `objimpl model of CPython 3.11 (PYTHONMALLOC=${mode})`,
        pointer_bits: 64, features: [...impl.features],
      };
    case 'malloc':
      return { ptr: encodeAddr(await impl.malloc(api(req.api), size(req.size, 'size'))) };
    case 'calloc':
      return { ptr: encodeAddr(await impl.calloc(api(req.api), size(req.nelem, 'nelem'), size(req.elsize, 'elsize'))) };
    case 'realloc':
      return { ptr: encodeAddr(await impl.realloc(api(req.api), ptr(req.ptr), size(req.size, 'size'))) };
    case 'free':
      await impl.free(api(req.api), ptr(req.ptr));
      return {};
    case 'write':
      await impl.write(ptr(req.ptr), int(req.offset ?? 0, 'offset'), decodeBytes(req.bytes, 'bytes'));
      return {};
    case 'read':
      return { bytes: encodeBytes(await impl.read(ptr(req.ptr), int(req.offset ?? 0, 'offset'), int(req.length, 'length'))) };
    case 'new_type':
      return { type: encodeAddr(await impl.newType(int(req.basicsize, 'basicsize'), int(req.itemsize, 'itemsize'), req.heap !== false)) };
    case 'type_refcnt':
      return { refcnt: encodeInt(await impl.typeRefcnt(ptr(req.type, 'type'))) };
    case 'object_new':
      return obj(await impl.objectNew(ptr(req.type, 'type')));
    case 'object_new_var':
      return obj(await impl.objectNewVar(ptr(req.type, 'type'), decodeInt(req.nitems, 'nitems')));
    case 'object_init':
      return obj(await impl.objectInit(ptr(req.ptr), ptr(req.type, 'type')));
    case 'object_init_var':
      return obj(await impl.objectInitVar(ptr(req.ptr), ptr(req.type, 'type'), decodeInt(req.nitems, 'nitems')));
    case 'object_header': {
      const h = await impl.objectHeader(ptr(req.ptr));
      return { refcnt: encodeInt(h.refcnt), type: encodeAddr(h.type), ...(h.size !== undefined ? { size: encodeInt(h.size) } : {}) };
    }
    case 'object_del':
      await impl.objectDel(ptr(req.ptr));
      return {};
    case 'bye':
      return {};
    default:
      throw new Unsupported();
  }
}

function answer(a: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(a)}\n`);
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  let req: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('request is not a JSON object');
    req = v as Record<string, unknown>;
    if (!Number.isInteger(req.id)) throw new Error('request has no integer id');
    if (typeof req.op !== 'string') throw new Error('request has no op');
  } catch (e) {
    answer({ id: null, error: `bad request line: ${(e as Error).message}` });
    continue;
  }
  try {
    answer({ id: req.id, ...(await handle(req)) });
  } catch (e) {
    if (e instanceof ImplementationAborted) {
      // What CPython does after Py_FatalError: the report, then abort().
      process.stderr.write(Buffer.from(e.stderr, 'latin1'), () => process.exit(134));
      await new Promise(() => {});
    }
    answer({ id: req.id, error: e instanceof Unsupported ? 'unsupported' : (e as Error).message });
  }
  if (req.op === 'bye') {
    process.stdout.write('', () => process.exit(0));
    await new Promise(() => {});
  }
}
process.exit(0);

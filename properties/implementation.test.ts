/**
 * The in-process adapter (src/implementation.ts) beyond what the model-based suite
 * exercises: its writes are seen by the debug hooks (a byte stored into a freed block
 * is a write after free, reported at its exact offset), a fatal error of the hooks ends
 * the simulated process, and a NULL from the object layer comes with its exception.
 */
import { expect, test } from 'vitest';
import { ModelImplementation } from '../src/implementation.ts';
import { ImplementationAborted } from '../spec/implementation.ts';

async function abortOf(f: () => Promise<unknown>): Promise<ImplementationAborted> {
  try {
    await f();
  } catch (e) {
    if (e instanceof ImplementationAborted) return e;
    throw e;
  }
  throw new Error('expected the simulated process to abort');
}

test.each([0, 5, 31])('debug mode: a byte written into a freed block at p+%i is reported there on a double free', async (k) => {
  const impl = new ModelImplementation({ mode: 'debug' });
  const p = await impl.malloc('m', 32n);
  await impl.free('m', p);
  await impl.write(p, k, new Uint8Array([0x41]));
  const e = await abortOf(() => impl.free('m', p));
  expect(e.status).toBe(134);
  expect(e.stderr).toContain(`was written at p+${k} after it was freed`);
});

test('debug mode: a write that starts before a freed block is noted from its first byte inside it', async () => {
  const impl = new ModelImplementation({ mode: 'debug' });
  const a = await impl.malloc('o', 64n);
  const p = await impl.malloc('o', 64n);
  await impl.free('o', p);
  // Three bytes from p-17: the first lands just before p's debug block (in a's, which is
  // live), the next at p-16, the first byte of p's block (its size field).
  await impl.write(p, -17, new Uint8Array([1, 2, 3]));
  const e = await abortOf(() => impl.free('o', p));
  expect(e.stderr).toContain('was written at p-16 after it was freed');
  await impl.free('o', a);
});

test('a write into live memory is not a write after free', async () => {
  const impl = new ModelImplementation({ mode: 'debug' });
  const p = await impl.malloc('m', 32n);
  await impl.write(p, 0, new Uint8Array(32).fill(7));
  expect(Array.from(await impl.read(p, 0, 32))).toEqual(new Array(32).fill(7));
  await impl.free('m', p);
});

test('features: what the gate may test on each mode', () => {
  expect([...new ModelImplementation({ mode: 'pymalloc' }).features].sort()).toEqual(['mem', 'obj', 'objects', 'raw']);
  for (const mode of ['debug', 'pymalloc_debug', 'malloc_debug'] as const) {
    expect([...new ModelImplementation({ mode }).features].sort()).toEqual(['debug', 'mem', 'obj', 'objects', 'raw']);
  }
});

test('an error that is not a fatal error of the hooks propagates as it is', async () => {
  const impl = new ModelImplementation({ mode: 'pymalloc' });
  const e = await impl.objectNew(0x1234).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(Error);
  expect(e).not.toBeInstanceOf(ImplementationAborted);
  expect((e as Error).message).toBe('no type at 0x1234');
});

test('object results: a success carries no exception; a fixed-size header has no ob_size', async () => {
  const impl = new ModelImplementation({ mode: 'pymalloc' });
  const fixed = await impl.newType(32, 0, true);
  const r = await impl.objectNew(fixed);
  expect(r.ptr).not.toBe(0);
  expect(Object.keys(r)).toEqual(['ptr']);
  const h = await impl.objectHeader(r.ptr);
  expect(Object.keys(h).sort()).toEqual(['refcnt', 'type']);
  const varType = await impl.newType(24, 8, true);
  const v = await impl.objectNewVar(varType, 3n);
  expect((await impl.objectHeader(v.ptr)).size).toBe(3n);
  // A request too large to satisfy: NULL with MemoryError.
  const big = await impl.objectNewVar(varType, 1n << 59n);
  expect(big).toEqual({ ptr: 0, exception: 'MemoryError' });
});

test('the header of memory whose ob_type is no known type reads without ob_size', async () => {
  const impl = new ModelImplementation({ mode: 'pymalloc' });
  const p = await impl.malloc('o', 32n);
  await impl.write(p, 0, new Uint8Array(32));
  expect(await impl.objectHeader(p)).toEqual({ refcnt: 0n, type: 0 });
  await impl.free('o', p);
});

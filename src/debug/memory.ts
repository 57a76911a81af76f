/**
 * Checked access to the simulated memory for the debug hooks and the dump: addresses
 * as 64-bit unsigned values (C pointer arithmetic wraps, and a corrupted size field can
 * put the "tail" anywhere), and a segfault wherever a real process would certainly
 * fault: outside [USER_SPACE_LOW, USER_SPACE_HIGH).
 */
import type { AddressSpace } from '../memory/address-space.ts';
import { SST, USER_SPACE_HIGH, USER_SPACE_LOW } from './constants.ts';

const TWO64 = 1n << 64n;
const LOW = BigInt(USER_SPACE_LOW);
const HIGH = BigInt(USER_SPACE_HIGH);

/** An access outside mapped memory: what would be SIGSEGV in the real process. */
export class SegvError extends Error {
  override readonly name = 'SegvError';
  /** stderr text the interrupted function had already written (a partial dump). */
  partial = '';

  /**
   * The first address of the access that lies outside mapped memory, as a process going
   * upwards from addr would meet it: addr itself, or USER_SPACE_HIGH when the access
   * starts inside and runs past the end.
   */
  readonly faultAt: bigint;

  constructor(readonly addr: bigint, readonly length: bigint, readonly write: boolean) {
    super(`${write ? 'write' : 'read'} of ${length} byte(s) at 0x${addr.toString(16)} is outside mapped memory`);
    this.faultAt = mapped(addr, 1n) ? HIGH : addr;
  }
}

/** (a + d) mod 2^64, as C pointer arithmetic on uintptr_t. */
export function add64(a: number | bigint, d: number | bigint): bigint {
  const r = (BigInt(a) + BigInt(d)) % TWO64;
  return r < 0n ? r + TWO64 : r;
}

/** True when [a, a + length) lies inside the model's mapped range. */
export function mapped(a: bigint, length: bigint): boolean {
  return a >= LOW && length >= 0n && a + length <= HIGH;
}

function check(a: bigint, length: bigint, write: boolean): number {
  if (!mapped(a, length)) throw new SegvError(a, length, write);
  return Number(a);
}

export function load8(space: AddressSpace, a: bigint): number {
  return space.load8(check(a, 1n, false));
}

export function store8(space: AddressSpace, a: bigint, v: number): void {
  space.store8(check(a, 1n, true), v);
}

export function fill(space: AddressSpace, a: bigint, length: bigint, v: number): void {
  if (length === 0n) return;
  space.fill(check(a, length, true), Number(length), v);
}

export function read(space: AddressSpace, a: bigint, length: number): Uint8Array {
  if (length === 0) return new Uint8Array(0);
  return space.read(check(a, BigInt(length), false), length);
}

export function write(space: AddressSpace, a: bigint, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  space.write(check(a, BigInt(bytes.length), true), bytes);
}

/** read_size_t: the big-endian size_t at `a`. */
export function readSizeT(space: AddressSpace, a: bigint): bigint {
  let v = 0n;
  for (let i = 0; i < SST; i++) v = (v << 8n) | BigInt(load8(space, add64(a, i)));
  return v;
}

/** write_size_t: `n` as a big-endian size_t at `a`. */
export function writeSizeT(space: AddressSpace, a: bigint, n: bigint): void {
  let v = BigInt.asUintN(64, n);
  for (let i = SST - 1; i >= 0; i--) {
    store8(space, add64(a, i), Number(v & 0xffn));
    v >>= 8n;
  }
}

/**
 * A hash map keyed by addresses (non-negative integers below 2^53), for the trace tools.
 *
 * V8's Map hashes a non-Smi number through its double bit pattern, and real allocator
 * addresses (multiples of 16 around 2^46) collide badly there: checking a 4.7 M-event
 * trace spent 95% of its time in Map.prototype.set. This table hashes the two 32-bit
 * halves itself (open addressing, linear probing, backward-shift deletion, so no
 * tombstones) and keeps the keys in a Float64Array.
 */
const EMPTY = -1;

function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x27d4eb2f);
  return h ^ (h >>> 13);
}

export class AddrMap<V> {
  private keys: Float64Array;
  private vals: (V | undefined)[];
  private mask: number;
  size = 0;

  constructor(capacity = 8) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  private slot(key: number): number {
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const k = keys[i];
      if (k === key || k === EMPTY) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** Slots in the table (what iterating costs). */
  get capacity(): number {
    return this.keys.length;
  }

  get(key: number): V | undefined {
    const i = this.slot(key);
    return this.keys[i] === EMPTY ? undefined : this.vals[i];
  }

  has(key: number): boolean {
    return this.keys[this.slot(key)] !== EMPTY;
  }

  set(key: number, value: V): this {
    let i = this.slot(key);
    if (this.keys[i] === EMPTY) {
      if ((this.size + 1) * 2 > this.keys.length) {
        this.grow();
        i = this.slot(key);
      }
      this.keys[i] = key;
      this.size++;
    }
    this.vals[i] = value;
    return this;
  }

  delete(key: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slot(key);
    if (keys[i] === EMPTY) return false;
    this.size--;
    // Backward-shift deletion: pull later members of the probe run into the hole.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === EMPTY) break;
      const home = hash(k) & mask;
      // Move k to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        keys[i] = k;
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    this.vals[i] = undefined;
    return true;
  }

  *values(): IterableIterator<V> {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) yield this.vals[i] as V;
  }

  *entries(): IterableIterator<[number, V]> {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY) yield [this.keys[i], this.vals[i] as V];
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldK.length * 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    for (let i = 0; i < oldK.length; i++) {
      const k = oldK[i];
      if (k !== EMPTY) {
        const j = this.slot(k);
        this.keys[j] = k;
        this.vals[j] = oldV[i];
      }
    }
  }
}

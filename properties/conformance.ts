/**
 * The level a check runs at, shared by the model-based World and the gate's plain
 * properties. A rule that breaks fails the run when it is a `contract` rule or when the
 * run is at the `cpython` level; a broken `cpython` rule in a `contract` run is only
 * remembered, as a difference from CPython 3.11 on glibc (the verdict `differs`).
 * `npm test` checks our own model at the `cpython` level: every difference fails.
 */
import { alignmentOf, contractAlignment, REQUIRED_ALIGNMENT } from '../spec/alignment.ts';
import { RULES, type Level, type Rule } from '../spec/rules.ts';

export class PropertyFailure extends Error {
  constructor(message: string, readonly rule: Rule | null = null) {
    super(message);
  }
}

/** A cpython-level rule an implementation does not follow, e.g. "PyMem_RawMalloc(0) 8-aligned". */
export interface Difference {
  rule: string;
  /** Short and address-free, so that equal differences are counted once. */
  text: string;
  /** How many times it was seen. */
  count: number;
}

export class Conformance {
  private readonly seen = new Map<string, Difference>();

  constructor(readonly level: Level) {}

  /** Cpython-only inputs (defined in CPython, not promised by any document) are sent only at this level. */
  get cpython(): boolean {
    return this.level === 'cpython';
  }

  /** `rule` does not hold: `message` says expected vs observed, `text` the difference in a few words. */
  broke(rule: Rule, text: string, message: string): void {
    if (rule.level === 'contract' || this.level === 'cpython') throw new PropertyFailure(message, rule);
    const key = `${rule.id}\u0000${text}`;
    const d = this.seen.get(key);
    if (d === undefined) this.seen.set(key, { rule: rule.id, text, count: 1 });
    else d.count++;
  }

  check(cond: boolean, rule: Rule, text: string, message: string): void {
    if (!cond) this.broke(rule, text, message);
  }

  differences(): Difference[] {
    return [...this.seen.values()];
  }
}

/** The check every implementation's results share: alignment at both levels. */
export function checkAlignment(conf: Conformance, addr: number, size: number, what: string, short: string): void {
  const need = contractAlignment(size);
  const hex = `0x${addr.toString(16)}`;
  const has = alignmentOf(addr);
  if (has < need) {
    conf.broke(RULES.alignment, `${short} ${has}-aligned`, `${what} returned ${hex}, aligned to ${has} bytes; a block of ${size} bytes must be aligned to ${need} (C23 7.24.3: any object of fundamental alignment that fits)`);
    return;
  }
  if (has < REQUIRED_ALIGNMENT) {
    conf.broke(RULES.alignment16, `${short} ${has}-aligned`, `${what} returned ${hex}, which is not 16-byte aligned (CPython 3.11 on x86-64 with glibc aligns every block to 16)`);
  }
}

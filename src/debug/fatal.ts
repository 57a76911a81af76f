/**
 * Fatal errors (Python/pylifecycle.c fatal_error framing, fact sheet 4.6) and the glibc
 * `%p` format.
 *
 * Standard error text is carried as a *byte string*: every char code is one byte
 * (0..255). Everything CPython prints here is ASCII except `%c` of an API id byte, which
 * is printed raw; writers must encode with 'latin1' to stay byte-faithful.
 */

/** `Python runtime state: ...` for the simulated process: always initialized. */
export const RUNTIME_STATE = 'initialized';

/**
 * A call ended in Py_FatalError / _Py_FatalErrorFunc / _Py_FatalErrorFormat. The process
 * would now abort (SIGABRT, shell status 134); only the CLI turns this into an exit.
 */
export class FatalError extends Error {
  override readonly name = 'FatalError';
  /** The C function named in the header line, or null (Py_FatalError without a name). */
  readonly func: string | null;
  /**
   * Everything written to stderr by this fault, as a byte string: the block dump (if
   * any), `Fatal Python error: ...`, `Python runtime state: initialized` and the empty
   * line after it.
   */
  readonly stderr: string;

  constructor(func: string | null, message: string, before = '') {
    super(message);
    this.func = func;
    this.stderr = before + fatalErrorText(func, message);
  }
}

/** The header line, the runtime state line and the empty line that follows. */
export function fatalErrorText(func: string | null, message: string): string {
  return `Fatal Python error: ${func === null ? '' : `${func}: `}${message}\nPython runtime state: ${RUNTIME_STATE}\n\n`;
}

const TWO64 = 1n << 64n;

/** glibc printf("%p"): `(nil)` for NULL, else `0x` and lowercase hex, no padding. */
export function formatPointer(addr: number | bigint): string {
  let a = BigInt(addr) % TWO64;
  if (a < 0n) a += TWO64;
  return a === 0n ? '(nil)' : `0x${a.toString(16)}`;
}

/** A byte as C's `%c` prints it, in the byte-string convention above. */
export function charByte(b: number): string {
  return String.fromCharCode(b & 0xff);
}

/** Encode a byte string (char codes 0..255) as bytes. */
export function byteStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  // Stryker disable next-line EqualityOperator: out[s.length] is past the typed array and the write is dropped (`>=` is caught, but shares the mutator name)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

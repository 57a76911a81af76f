/**
 * _PyObject_DebugDumpAddress(p) (Objects/obmalloc.c, 3.11; fact sheet 4.5): the text it
 * writes to stderr, as a byte string (see fatal.ts), reading the simulated memory.
 *
 * Tracemalloc is never tracing in the model, so the traceback part is always the
 * "Enable tracemalloc ..." line. If a read leaves mapped memory (a corrupted size field
 * put the tail there) the dump stops as the real one would by segfaulting: a SegvError
 * is thrown whose `partial` holds the text written so far.
 */
import type { AddressSpace } from '../memory/address-space.ts';
import { FORBIDDENBYTE, SST } from './constants.ts';
import { charByte, formatPointer } from './fatal.ts';
import { add64, load8, readSizeT, SegvError } from './memory.ts';

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

export const TRACEMALLOC_HINT = 'Enable tracemalloc to get the memory block allocation traceback\n\n';

export function dumpAddress(space: AddressSpace, p: number): string {
  let out = '';
  try {
    out += `Debug memory block at address p=${formatPointer(p)}:`;
    if (p === 0) {
      out += '\n';
      return out;
    }
    const q = BigInt(p);
    const id = load8(space, add64(q, -SST));
    out += ` API '${charByte(id)}'\n`;

    const nbytes = readSizeT(space, add64(q, -2 * SST));
    out += `    ${nbytes} bytes originally requested\n`;

    out += `    The ${SST - 1} pad bytes at p-${SST - 1} are `;
    let ok = true;
    for (let i = 1; i <= SST - 1; i++) {
      if (load8(space, add64(q, -i)) !== FORBIDDENBYTE) {
        ok = false;
        break;
      }
    }
    if (ok) out += 'FORBIDDENBYTE, as expected.\n';
    else {
      out += `not all FORBIDDENBYTE (0x${hex2(FORBIDDENBYTE)}):\n`;
      for (let i = SST - 1; i >= 1; i--) {
        const byte = load8(space, add64(q, -i));
        out += `        at p-${i}: 0x${hex2(byte)}${byte !== FORBIDDENBYTE ? ' *** OUCH' : ''}\n`;
      }
      out += '    Because memory is corrupted at the start, the count of bytes requested\n'
        + '       may be bogus, and checking the trailing pad bytes may segfault.\n';
    }

    const tail = add64(q, nbytes);
    out += `    The ${SST} pad bytes at tail=${formatPointer(tail)} are `;
    ok = true;
    for (let i = 0; i < SST; i++) {
      if (load8(space, add64(tail, i)) !== FORBIDDENBYTE) {
        ok = false;
        break;
      }
    }
    if (ok) out += 'FORBIDDENBYTE, as expected.\n';
    else {
      out += `not all FORBIDDENBYTE (0x${hex2(FORBIDDENBYTE)}):\n`;
      for (let i = 0; i < SST; i++) {
        const byte = load8(space, add64(tail, i));
        out += `        at tail+${i}: 0x${hex2(byte)}${byte !== FORBIDDENBYTE ? ' *** OUCH' : ''}\n`;
      }
    }

    if (nbytes > 0n) {
      // Pointer comparisons are on the (wrapped) addresses, as in C.
      let a = q;
      let i = 0;
      out += '    Data at p:';
      while (a < tail && i < 8) {
        out += ` ${hex2(load8(space, a))}`;
        i++;
        a += 1n;
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator: for a >= tail the block does nothing (tail - a > 8 is false, the loop does not run), so entering it at a == tail, or always, changes nothing (false and `>=` are caught, but share the mutator names)
      if (a < tail) {
        if (tail - a > 8n) {
          out += ' ...';
          a = tail - 8n;
        }
        while (a < tail) {
          out += ` ${hex2(load8(space, a))}`;
          a += 1n;
        }
      }
      out += '\n';
    }
    out += '\n';
    out += TRACEMALLOC_HINT;
    return out;
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: load8 and readSizeT throw nothing but SegvError, so the test is always true here (false is caught, but shares the mutator name)
    if (e instanceof SegvError) e.partial = out;
    throw e;
  }
}

/**
 * _PyObject_DebugMallocStats (obmalloc.c, 3.11): pymalloc's part of
 * `sys._debugmallocstats()`, computed from PymallocState and formatted byte for byte as
 * CPython 3.11 prints it on 64-bit (fact sheet section 5), arena-map section included.
 *
 * What is counted: for every arena object with an address, its free pools (cached plus
 * never carved) and, for each carved pool that is not empty (count != 0), its class,
 * blocks in use and free blocks (NUMBLOCKS - count: never-carved blocks of a used pool
 * count as free). Raw-fallback blocks are never counted. The "Total" line is the sum of
 * the six byte counts above it and equals narenas * ARENA_SIZE.
 */
import { SLOT_SIZE } from '../memory/address-space.ts';
import {
  ARENA_MAP_BOT_BYTES, ARENA_MAP_MID_BYTES, ARENA_MAP_ROOT_BYTES, ARENA_SIZE, INDEX2SIZE,
  NB_SMALL_SIZE_CLASSES, NUMBLOCKS, POOL_OVERHEAD, POOL_SIZE, SMALL_REQUEST_THRESHOLD,
} from './constants.ts';
import {
  poolOf, type PymallocState, PH_COUNT, PH_SZIDX, PH_WORDS,
} from './state.ts';

/** The numbers behind the text, for tests and tools. */
export interface MallocStats {
  numpools: number[];
  numblocks: number[];
  numfreeblocks: number[];
  narenas: number;
  numfreepools: number;
  arenaAlignment: number;
  ntimesArenaAllocated: number;
  narenasHighwater: number;
  allocatedBytes: number;
  availableBytes: number;
  poolHeaderBytes: number;
  quantization: number;
  arenaMapMidCount: number;
  arenaMapBotCount: number;
}

export function collectMallocStats(s: PymallocState): MallocStats {
  const numpools = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  const numblocks = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  const numfreeblocks = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  let narenas = 0;
  let numfreepools = 0;
  let arenaAlignment = 0;
  for (let i = 0; i < s.maxarenas; i++) {
    const base = s.address[i];
    if (base === 0) continue;
    narenas++;
    numfreepools += s.nfreepools[i];
    let first = i * SLOT_SIZE;
    if (base % POOL_SIZE !== 0) {
      arenaAlignment += POOL_SIZE;
      first += POOL_SIZE;
    }
    const end = poolOf(s.pool_address[i]);
    // Stryker disable next-line EqualityOperator: `p <= end` also visits frame `end`, in the same slot and never carved (count 0), which the loop skips
    for (let p = poolOf(first); p < end; p++) {
      // Stryker disable next-line ArithmeticOperator: PH_COUNT is 0, so `- PH_COUNT` is `+ PH_COUNT` (other arithmetic mutants of this line are caught, but share the mutator name)
      const count = s.ph[p * PH_WORDS + PH_COUNT];
      if (count === 0) continue;
      const sz = s.ph[p * PH_WORDS + PH_SZIDX];
      numpools[sz]++;
      numblocks[sz] += count;
      numfreeblocks[sz] += NUMBLOCKS(sz) - count;
    }
  }
  let allocatedBytes = 0;
  let availableBytes = 0;
  let poolHeaderBytes = 0;
  let quantization = 0;
  for (let i = 0; i < NB_SMALL_SIZE_CLASSES; i++) {
    const size = INDEX2SIZE(i);
    allocatedBytes += numblocks[i] * size;
    availableBytes += numfreeblocks[i] * size;
    poolHeaderBytes += numpools[i] * POOL_OVERHEAD;
    quantization += numpools[i] * ((POOL_SIZE - POOL_OVERHEAD) % size);
  }
  return {
    numpools, numblocks, numfreeblocks, narenas, numfreepools, arenaAlignment,
    ntimesArenaAllocated: s.ntimes_arena_allocated, narenasHighwater: s.narenas_highwater,
    allocatedBytes, availableBytes, poolHeaderBytes, quantization,
    arenaMapMidCount: s.tree.arena_map_mid_count, arenaMapBotCount: s.tree.arena_map_bot_count,
  };
}

/** C's printone: label padded to 35, '=', value with thousands commas right-justified in 21. */
export function printone(label: string, value: number): string {
  const digits = String(value);
  let withCommas = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) withCommas += ',';
    withCommas += digits[i];
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a 21-character value is the same either way, and a longer one needs a count of 10^16 or more, which no model reaches
  const v = withCommas.length > 21 ? withCommas.slice(withCommas.length - 21) : withCommas.padStart(21);
  return `${label.padEnd(35)}=${v}\n`;
}

/** printf "%<w>u": right-justified decimal. */
function col(v: number, w: number): string {
  return String(v).padStart(w);
}

/** The exact text _PyObject_DebugMallocStats writes (64-bit, radix tree with interior nodes). */
export function debugMallocStats(s: PymallocState): string {
  const st = collectMallocStats(s);
  let out = `Small block threshold = ${SMALL_REQUEST_THRESHOLD}, in ${NB_SMALL_SIZE_CLASSES} size classes.\n\n`;
  out += 'class   size   num pools   blocks in use  avail blocks\n'
    + '-----   ----   ---------   -------------  ------------\n';
  for (let i = 0; i < NB_SMALL_SIZE_CLASSES; i++) {
    if (st.numpools[i] === 0) continue;
    out += `${col(i, 5)} ${col(INDEX2SIZE(i), 6)} ${col(st.numpools[i], 11)} ${col(st.numblocks[i], 15)} ${col(st.numfreeblocks[i], 13)}\n`;
  }
  out += '\n';
  out += printone('# arenas allocated total', st.ntimesArenaAllocated);
  out += printone('# arenas reclaimed', st.ntimesArenaAllocated - st.narenas);
  out += printone('# arenas highwater mark', st.narenasHighwater);
  out += printone('# arenas allocated current', st.narenas);
  out += printone(`${st.narenas} arenas * ${ARENA_SIZE} bytes/arena`, st.narenas * ARENA_SIZE);
  out += '\n';
  const unused = st.numfreepools * POOL_SIZE;
  out += printone('# bytes in allocated blocks', st.allocatedBytes);
  out += printone('# bytes in available blocks', st.availableBytes);
  out += printone(`${st.numfreepools} unused pools * ${POOL_SIZE} bytes`, unused);
  out += printone('# bytes lost to pool headers', st.poolHeaderBytes);
  out += printone('# bytes lost to quantization', st.quantization);
  out += printone('# bytes lost to arena alignment', st.arenaAlignment);
  out += printone('Total', st.allocatedBytes + st.availableBytes + unused + st.poolHeaderBytes + st.quantization + st.arenaAlignment);
  out += '\narena map counts\n';
  out += printone('# arena map mid nodes', st.arenaMapMidCount);
  out += printone('# arena map bot nodes', st.arenaMapBotCount);
  out += '\n';
  const mid = ARENA_MAP_MID_BYTES * st.arenaMapMidCount;
  const bot = ARENA_MAP_BOT_BYTES * st.arenaMapBotCount;
  out += printone('# bytes lost to arena map root', ARENA_MAP_ROOT_BYTES);
  out += printone('# bytes lost to arena map mid', mid);
  out += printone('# bytes lost to arena map bot', bot);
  out += printone('Total', ARENA_MAP_ROOT_BYTES + mid + bot);
  return out;
}

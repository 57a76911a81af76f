/**
 * The real implementations the gate is proven on: CPython builds this project did not
 * write, with allocators that production deployments use (Debian's packages, loaded with
 * LD_PRELOAD). `.ci/run` installs every one; the test suite (properties/gate/real.test.ts)
 * and the conformance matrix (tools/conformance/matrix.ts, docs/conformance.md) run the
 * gate against each at both levels.
 *
 * `cpython` is what the implementation is expected to get at the cpython level, and why:
 * the allocator's own documentation and a recording (`alignment`: the residues modulo 16
 * that tools/conformance/record_alignment.py saw through CPython 3.11.7 with that
 * allocator, in that PYTHONMALLOC mode), never our code. A test checks that each
 * expectation agrees with its recording.
 */
import { existsSync } from 'node:fs';

const LIB = '/usr/lib/x86_64-linux-gnu';
const ADAPTER = 'tools/adapters/cpython_ctypes.py';

export interface RealImplementation {
  /** Short, unique: a matrix row and a test name. */
  name: string;
  /** What it is, for people. */
  description: string;
  /** The shell command the gate starts. */
  command: string;
  /** Files that must exist (the interpreter, a preloaded library); .ci/run installs them. */
  needs: string[];
  /** The Debian package that brings them. */
  packages: string[];
  /** The recording of its block alignment (fixtures/conformance/...) and the PYTHONMALLOC mode it applies to. */
  alignment?: { recording: string; mode: string };
  /** Expected outcome at the cpython level: conforms, or differs on the named rule. */
  cpython: { verdict: 'conforms' } | { verdict: 'differs'; rule: string; because: string };
}

const PY = 'python3';
const ALLOCATORS = [
  { key: 'jemalloc', lib: `${LIB}/libjemalloc.so.2`, pkg: 'libjemalloc2', because: 'jemalloc 5.3 serves requests of 8 bytes or less from 8-byte size classes ("technically cheats for size classes smaller than the quantum", INSTALL.md)' },
  { key: 'mimalloc', lib: `${LIB}/libmimalloc.so.2`, pkg: 'libmimalloc2.0', because: 'mimalloc 2.0 serves one-word requests from 8-byte blocks' },
  { key: 'tcmalloc', lib: `${LIB}/libtcmalloc_minimal.so.4`, pkg: 'libtcmalloc-minimal4', because: 'tcmalloc 2.10 aligns requests below 16 bytes to 8' },
] as const;

function which(cmd: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir !== '' && existsSync(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  return cmd;
}

export const REAL_IMPLEMENTATIONS: readonly RealImplementation[] = [
  {
    name: 'cpython-3.11.7-glibc-pymalloc', description: 'CPython 3.11.7 (python3), glibc 2.36, default allocator (pymalloc)',
    command: `${PY} ${ADAPTER}`, needs: [], packages: [], alignment: { recording: 'fixtures/conformance/alignment.json', mode: 'default' },
    cpython: { verdict: 'conforms' },
  },
  {
    name: 'cpython-3.11.7-glibc-malloc', description: 'CPython 3.11.7, glibc 2.36, PYTHONMALLOC=malloc',
    command: `env PYTHONMALLOC=malloc ${PY} ${ADAPTER}`, needs: [], packages: [], alignment: { recording: 'fixtures/conformance/alignment.json', mode: 'malloc' },
    cpython: { verdict: 'conforms' },
  },
  {
    name: 'cpython-3.11.7-glibc-debug', description: 'CPython 3.11.7, glibc 2.36, PYTHONMALLOC=debug (declares "debug": misuse is checked)',
    command: `env PYTHONMALLOC=debug ${PY} ${ADAPTER}`, needs: [], packages: [], alignment: { recording: 'fixtures/conformance/alignment.json', mode: 'debug' },
    cpython: { verdict: 'conforms' },
  },
  ...ALLOCATORS.flatMap((a): RealImplementation[] => [
    {
      name: `cpython-3.11.7-${a.key}-malloc`, description: `CPython 3.11.7, ${a.key} (LD_PRELOAD, Debian ${a.pkg}), PYTHONMALLOC=malloc`,
      command: `env LD_PRELOAD=${a.lib} PYTHONMALLOC=malloc ${PY} ${ADAPTER}`, needs: [a.lib], packages: [a.pkg],
      alignment: { recording: `fixtures/conformance/alignment-${a.key}.json`, mode: 'malloc' },
      cpython: { verdict: 'differs', rule: 'alignment-16', because: a.because },
    },
    {
      name: `cpython-3.11.7-${a.key}-pymalloc`, description: `CPython 3.11.7, ${a.key} (LD_PRELOAD), default allocator: pymalloc over ${a.key}`,
      command: `env LD_PRELOAD=${a.lib} ${PY} ${ADAPTER}`, needs: [a.lib], packages: [a.pkg],
      alignment: { recording: `fixtures/conformance/alignment-${a.key}.json`, mode: 'default' },
      cpython: { verdict: 'differs', rule: 'alignment-16', because: `${a.because}; pymalloc hands 0-byte requests and the RAW family to it` },
    },
  ]),
  {
    name: 'cpython-3.11.7-jemalloc-debug', description: 'CPython 3.11.7, jemalloc (LD_PRELOAD), PYTHONMALLOC=malloc_debug (declares "debug"; the hooks never ask jemalloc for less than 24 bytes)',
    command: `env LD_PRELOAD=${ALLOCATORS[0].lib} PYTHONMALLOC=malloc_debug ${PY} ${ADAPTER}`, needs: [ALLOCATORS[0].lib], packages: [ALLOCATORS[0].pkg],
    alignment: { recording: 'fixtures/conformance/alignment-jemalloc.json', mode: 'malloc_debug' },
    // The hooks ask the allocator for n + 24 bytes, never fewer than 24: jemalloc's
    // 8-byte classes are never used, and the 16-byte header keeps its 16-byte alignment.
    cpython: { verdict: 'conforms' },
  },
  {
    name: 'debian-3.11.2-release', description: 'Debian\'s CPython 3.11.2 release build (/usr/bin/python3.11), default allocator',
    command: `/usr/bin/python3.11 ${ADAPTER}`, needs: ['/usr/bin/python3.11'], packages: ['python3.11'], cpython: { verdict: 'conforms' },
  },
  {
    name: 'debian-3.11.2-dbg', description: 'Debian\'s CPython 3.11.2 debug build (/usr/bin/python3.11-dbg): debug hooks on by default',
    command: `/usr/bin/python3.11-dbg ${ADAPTER}`, needs: ['/usr/bin/python3.11-dbg'], packages: ['python3.11-dbg'], cpython: { verdict: 'conforms' },
  },
];

/** Why an implementation cannot run here (a missing file), or null. */
export function missing(impl: RealImplementation): string | null {
  const gone = impl.needs.filter((f) => !existsSync(f));
  if (gone.length > 0) return `missing ${gone.join(', ')} (apt-get install ${impl.packages.join(' ')})`;
  return existsSync(which(PY)) ? null : 'no python3 on PATH';
}

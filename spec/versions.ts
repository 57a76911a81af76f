/**
 * Versions as data: the CPython versions the model is verified against, and what differs
 * between them. Everything that depends on the version (the trace header check of
 * `replay` and `check`, the recorder, the objimpl rules of the spec and of src/) reads it
 * from here; nothing else names a version.
 *
 * Every entry cites the recording that shows it (paths are relative to the repository;
 * each recording's README says how it was made). `cpython` level: a recording of the
 * real interpreter; `contract`: a quoted C clause of that version's source.
 */

/** A version the model is verified against (the exact `python=` of a trace header). */
export type VerifiedVersion = '3.11.7' | '3.14.7';

/** What `_PyObject_Init` does to the type's reference count. */
export type TypeIncref =
  /** 3.11: `if (_PyType_HasFeature(typeobj, Py_TPFLAGS_HEAPTYPE)) Py_INCREF(typeobj);` */
  | 'heap-types-only'
  /** 3.12+: `_Py_INCREF_TYPE(typeobj)` is `Py_INCREF`, which leaves an immortal object alone. */
  | 'unless-immortal';

export interface ObjimplRules {
  readonly typeIncref: TypeIncref;
  /**
   * The whole 64-bit first word of a static type after `PyType_Ready`, when the type was
   * declared with `PyVarObject_HEAD_INIT(NULL, 0)`; null where static types are ordinary
   * (mortal) objects whose count starts at 1.
   */
  readonly staticTypeRefcntFull: bigint | null;
  /** A 32-bit `ob_refcnt` at or above this makes `Py_INCREF` do nothing (null: no immortality). */
  readonly immortalIncrefThreshold: bigint | null;
  /** `Py_REFCNT` reads only the low 32 bits of the first word (3.12+ on 64-bit). */
  readonly refcntIs32Bit: boolean;
  /** The GC constructors (`_PyObject_GC_New*`) are modelled for this version. */
  readonly gcConstructors: boolean;
}

export interface RecorderConstraints {
  /** `_Py_GetAllocatedBlocks` is exported (pre_hook_blocks and after-runmain allocated_blocks). */
  readonly allocatedBlocksExported: boolean;
  /** `_PyObject_DebugMallocStats` works before the main interpreter exists (pre_hook_arenas counted). */
  readonly statsBeforeInterpreter: boolean;
  /** A statistics section is written (and a `# phase after-runmain` is a checkpoint) after Py_RunMain. */
  readonly statsAfterRunmain: boolean;
}

export interface VersionProfile {
  readonly version: VerifiedVersion;
  readonly hexversion: number;
  /** pymalloc's placement (addresses, arenas, nested RAW calls, statistics text) is the model's. */
  readonly pymallocPlacement: Evidence;
  /** Debug-hook reports (the text from `Debug memory block` to `Fatal Python error`) are the model's. */
  readonly debugHookReports: Evidence;
  readonly recorder: RecorderConstraints & { readonly evidence: Evidence };
  readonly objimpl: ObjimplRules & { readonly evidence: Evidence };
}

/** Where a fact comes from. */
export interface Evidence {
  readonly level: 'cpython' | 'contract';
  readonly source: readonly string[];
}

const IMMORTAL_INITIAL_REFCNT = 3n << 30n;           // _Py_IMMORTAL_INITIAL_REFCNT (64-bit)
const STATIC_FLAG_BITS = 4n | 1n;                    // _Py_STATICALLY_ALLOCATED_FLAG | _Py_IMMORTAL_FLAGS

export const CPYTHON_3_11_7: VersionProfile = {
  version: '3.11.7',
  hexversion: 0x030b07f0,
  pymallocPlacement: { level: 'cpython', source: ['fixtures/traces/*.trace.gz with *.stats (fixtures/traces/README.md)'] },
  debugHookReports: { level: 'cpython', source: ['fixtures/scenarios/*.expected.json (tools/scenarios/README.md)'] },
  recorder: {
    allocatedBlocksExported: true,
    statsBeforeInterpreter: true,
    statsAfterRunmain: true,
    evidence: { level: 'cpython', source: ['fixtures/traces/*.stats (### phase after-runmain sections)', 'tools/pytrace/README.md'] },
  },
  objimpl: {
    typeIncref: 'heap-types-only',
    staticTypeRefcntFull: null,
    immortalIncrefThreshold: null,
    refcntIs32Bit: false,
    gcConstructors: true,
    evidence: { level: 'cpython', source: ['fixtures/formulas.json (type_refcnt_delta, refcnt)'] },
  },
};

export const CPYTHON_3_14_7: VersionProfile = {
  version: '3.14.7',
  hexversion: 0x030e07f0,
  pymallocPlacement: {
    level: 'cpython',
    source: ['fixtures/cpython-3.14.7/json_small.trace.gz', 'fixtures/cpython-3.14.7/threads.trace.gz', 'fixtures/cpython-3.14.7/README.md'],
  },
  // Not yet recorded into fixtures from our own 3.14.7 build (issue 16, open item).
  debugHookReports: { level: 'cpython', source: ['../shared/recordings/cpython-3.14.7/README.md (measured: equal on every defined scenario)'] },
  recorder: {
    allocatedBlocksExported: false,
    statsBeforeInterpreter: false,
    statsAfterRunmain: false,
    evidence: { level: 'cpython', source: ['fixtures/cpython-3.14.7/README.md (recorder constraints)', 'fixtures/cpython-3.14.7/*.trace.gz (header pre_hook_blocks=0, no after-runmain statistics)'] },
  },
  objimpl: {
    typeIncref: 'unless-immortal',
    // PyObject_HEAD_INIT: { _Py_STATIC_IMMORTAL_INITIAL_REFCNT }; PyType_Ready keeps an immortal type as it is.
    staticTypeRefcntFull: IMMORTAL_INITIAL_REFCNT | (STATIC_FLAG_BITS << 48n),
    immortalIncrefThreshold: IMMORTAL_INITIAL_REFCNT,
    refcntIs32Bit: true,
    gcConstructors: false,
    // Read from 3.14.7's source; object-layer recordings from 3.14.7 are still to be made (issue 16, open item).
    evidence: {
      level: 'contract',
      source: [
        'Include/internal/pycore_object.h _PyObject_Init: "_Py_INCREF_TYPE(typeobj);" (Py_INCREF without the GIL-free build)',
        'Include/refcount.h Py_INCREF: "if (cur_refcnt >= _Py_IMMORTAL_INITIAL_REFCNT) { return; }"',
        'Objects/typeobject.c PyType_Ready: "Static types must be immortal" _Py_SetImmortalUntracked(type)',
        'Objects/object.c new_reference: "op->ob_refcnt_full = 1;"',
      ],
    },
  },
};

export const VERIFIED: readonly VersionProfile[] = [CPYTHON_3_11_7, CPYTHON_3_14_7];

/** The profile everything uses unless told otherwise. */
export const DEFAULT_PROFILE: VersionProfile = CPYTHON_3_11_7;

/** "3.11.7, 3.14.7" */
export const VERIFIED_NAMES = VERIFIED.map((p) => p.version).join(', ');

/** The profile of an exact version string (a trace's `python=`), or null. */
export function profileOf(version: string): VersionProfile | null {
  return VERIFIED.find((p) => p.version === version) ?? null;
}

/** The profile of an implementation's `hello` version text such as "CPython 3.14.7", or null. */
export function profileOfDescription(text: string): VersionProfile | null {
  const m = /\bCPython (\d+\.\d+\.\d+)\b/.exec(text);
  return m === null ? null : profileOf(m[1]);
}

/** The one-line refusal for a version that is not verified. */
export function unverifiedMessage(version: string): string {
  return `python=${version}: the model is verified against CPython ${VERIFIED_NAMES} only`;
}

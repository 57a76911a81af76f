/**
 * Every rule the spec and the gate demand, with its level and its source.
 *
 *   contract  what the C API documentation or the C standard promises to any caller:
 *             every implementation must do it (source: a quoted sentence);
 *   cpython   what CPython 3.11.7 on x86-64 with glibc does beyond that, which code in
 *             the wild may rely on (source: a recording from the real interpreter,
 *             committed under fixtures/ with the script that made it).
 *
 * An input whose behaviour is undefined in CPython itself (a PyObject_NewVar size that
 * wraps below the object header, a write past a block without debug hooks) is in no
 * rule: the gate never sends it. docs/conformance.md lists these rules; a test checks
 * that the two agree and that every cited recording exists.
 */

export type Level = 'contract' | 'cpython';

export interface RuleSource {
  /** doc: CPython's documentation; c: the C standard; recording: a file under fixtures/. */
  kind: 'doc' | 'c' | 'recording';
  /** Where: a doc page and section, a clause, or a fixture path. */
  where: string;
  /** The sentence itself (doc, c), or what the recording shows. */
  text: string;
}

export interface Rule {
  id: string;
  level: Level;
  /** One line: what must hold. */
  statement: string;
  source: RuleSource;
}

const MEMORY_RST = 'Doc/c-api/memory.rst (3.11), "Raw Memory Interface"';
const ALLOCATION_RST = 'Doc/c-api/allocation.rst (3.11)';

function rule(id: string, level: Level, statement: string, source: RuleSource): Rule {
  return { id, level, statement, source };
}

export const RULES = {
  zeroSize: rule('zero-size', 'contract', 'a 0-byte malloc, calloc or realloc gives a distinct non-NULL pointer', {
    kind: 'doc', where: MEMORY_RST,
    text: 'Requesting zero bytes returns a distinct non-NULL pointer if possible, as if PyMem_RawMalloc(1) had been called instead. '
      + '(PyMem_RawCalloc: "Requesting zero elements or elements of size zero bytes returns a distinct non-NULL pointer if possible, as if PyMem_RawCalloc(1, 1) had been called instead.")',
  }),
  freeNull: rule('free-null', 'contract', 'free(NULL) does nothing', {
    kind: 'doc', where: MEMORY_RST, text: 'If p is NULL, no operation is performed.',
  }),
  reallocNull: rule('realloc-null', 'contract', 'realloc(NULL, n) is malloc(n)', {
    kind: 'doc', where: MEMORY_RST, text: 'If p is NULL, the call is equivalent to PyMem_RawMalloc(n)',
  }),
  reallocZero: rule('realloc-zero', 'contract', 'realloc(p, 0) resizes and returns non-NULL', {
    kind: 'doc', where: MEMORY_RST,
    text: 'else if n is equal to zero, the memory block is resized but is not freed, and the returned pointer is non-NULL.',
  }),
  reallocContents: rule('realloc-contents', 'contract', 'realloc keeps the first min(old, new) bytes', {
    kind: 'doc', where: MEMORY_RST, text: 'The contents will be unchanged to the minimum of the old and the new sizes.',
  }),
  callocZeroes: rule('calloc-zeroes', 'contract', 'calloc memory reads as zero', {
    kind: 'doc', where: MEMORY_RST, text: 'The memory is initialized to zeros.',
  }),
  contents: rule('contents', 'contract', 'bytes written to a live block read back unchanged', {
    kind: 'c', where: 'C11 7.22.3 (memory management functions)',
    text: 'The lifetime of an allocated object extends from the allocation until the deallocation.',
  }),
  disjoint: rule('disjoint', 'contract', 'no two live blocks overlap', {
    kind: 'c', where: 'C11 7.22.3 (memory management functions)',
    text: 'Each such allocation shall yield a pointer to an object disjoint from any other object.',
  }),
  alignment: rule('alignment', 'contract', 'a block of n bytes is aligned for every object type of fundamental alignment and size at most n (16 bytes at most on x86-64)', {
    kind: 'c', where: 'C23 7.24.3 (WG14 N2293); CPython documents no alignment',
    text: 'The pointer returned if the allocation succeeds is suitably aligned so that it may be assigned to a pointer to any type of object '
      + 'with a fundamental alignment requirement and size less than or equal to the size requested.',
  }),
  alignment16: rule('alignment-16', 'cpython', 'every block, whatever its size (0 too), is 16-byte aligned', {
    kind: 'recording', where: 'fixtures/conformance/alignment.json',
    text: 'CPython 3.11.7 on glibc 2.36, every mode: every address of every family and size is 0 mod 16 (pymalloc ALIGNMENT 16 since bpo-27987; glibc MALLOC_ALIGNMENT 16)',
  }),
  refusesHuge: rule('refuses-huge', 'contract', 'a request above PY_SSIZE_T_MAX bytes fails: NULL (and MemoryError for the object calls)', {
    kind: 'doc', where: `${MEMORY_RST}; Doc/c-api/exceptions.rst, PyErr_NoMemory`,
    text: 'Allocates n bytes and returns a pointer of type void* to the allocated memory, or NULL if the request fails. '
      + '(No x86-64 process can hold 2^63 bytes.) PyErr_NoMemory: "it returns NULL so an object allocation function can write return PyErr_NoMemory(); when it runs out of memory."',
  }),
  objectHeader: rule('object-header', 'contract', 'after PyObject_New/NewVar/Init/InitVar: ob_refcnt 1, ob_type the type, ob_size n', {
    kind: 'doc', where: ALLOCATION_RST,
    text: 'PyObject_Init: "Initialize a newly allocated object op with its type and initial reference." PyObject_InitVar: '
      + '"This does everything PyObject_Init() does, and also initializes the length information for a variable-size object."',
  }),
  initNull: rule('init-null', 'cpython', 'PyObject_Init(NULL, tp) and PyObject_InitVar(NULL, tp, n) give NULL with MemoryError and leave the type alone', {
    kind: 'recording', where: 'fixtures/formulas.json',
    text: 'CPython 3.11.7: PyObject_Init(NULL, tp) returns NULL with MemoryError set (Objects/object.c: if (op == NULL) return PyErr_NoMemory();)',
  }),
  heapTypeIncref: rule('heap-type-incref', 'contract', 'each PyObject_New/NewVar/Init/InitVar of a heap type adds one reference to the type', {
    kind: 'doc', where: 'Doc/whatsnew/3.8.rst, "Changes in the C API" (bpo-35810)',
    text: 'Heap-allocated type objects will now increase their reference count in PyObject_Init() (and its parallel macro PyObject_INIT) instead of in PyType_GenericAlloc().',
  }),
  staticTypeRefcount: rule('static-type-refcount', 'cpython', 'objects of a static type leave its reference count unchanged', {
    kind: 'recording', where: 'fixtures/formulas.json',
    text: 'CPython 3.11.7: the type refcount delta of every recorded Init/New of a type without Py_TPFLAGS_HEAPTYPE is 0',
  }),
  delNoDestructor: rule('del-no-destructor', 'contract', 'PyObject_Del frees the memory and runs no destructor (the type keeps its references)', {
    kind: 'doc', where: `${ALLOCATION_RST}, PyObject_Del`,
    text: 'Releases memory allocated to an object using PyObject_New or PyObject_NewVar. This is normally called from the tp_dealloc handler specified in the object\'s type.',
  }),
  newVarSize: rule('newvar-size', 'contract', 'PyObject_NewVar(tp, n) with 0 <= n and no overflow allocates tp_basicsize + n*tp_itemsize bytes (rounded up to 8), or fails with MemoryError', {
    kind: 'doc', where: `${ALLOCATION_RST}, PyObject_NewVar`,
    text: 'The allocated memory allows for the TYPE structure plus size (Py_ssize_t) fields of the size given by the tp_itemsize field of typeobj.',
  }),
  newVarWrap: rule('newvar-wrap', 'cpython', 'PyObject_NewVar with a negative n or an overflowing size uses the size wrapped modulo 2^64 (-fwrapv, no overflow check): an object when it fits, MemoryError above PY_SSIZE_T_MAX', {
    kind: 'recording', where: 'fixtures/formulas.json',
    text: 'CPython 3.11.7: _PyObject_NewVar with wrapping nitems asked PyObject_Malloc for _Py_SIZE_ROUND_UP(basicsize + n*itemsize, 8) mod 2^64 (debug-hook size field)',
  }),
  debugDetects: rule('debug-detects', 'contract', 'under debug hooks a release through the wrong family, or after a write past either end, stops the process', {
    kind: 'doc', where: 'Doc/c-api/memory.rst (3.11), "Debug hooks on the Python memory allocators"',
    text: 'Detect API violations. For example, detect if PyObject_Free() is called on a memory block allocated by PyMem_Malloc(). '
      + 'Detect write before the start of the buffer (buffer underflow). Detect write after the end of the buffer (buffer overflow).',
  }),
  debugReport: rule('debug-report', 'cpython', 'under debug hooks a misuse ends the process with CPython\'s report, byte for byte up to the Fatal Python error line', {
    kind: 'recording', where: 'fixtures/scenarios/',
    text: 'CPython 3.11.7 with PYTHONMALLOC=debug, pymalloc_debug, malloc_debug: 280 recorded reports',
  }),
} as const satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;

export const ALL_RULES: readonly Rule[] = Object.values(RULES);

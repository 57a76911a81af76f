/*
 * native-replay: replay a pre-parsed, slot-indexed allocator request stream through the
 * real CPython 3.11 pymalloc (PyObject_Malloc & co. from libpython3.11, called without
 * initialising the interpreter: the release build's OBJ and MEM domains are pymalloc from
 * the start, and pymalloc is pristine), and time it.
 *
 * The stream is written by bench/replay/run.ts from a pytrace v1 trace: its top-level
 * MEM/OBJ calls, with every pointer replaced by a slot number, so the timed loop is an
 * array walk with no hash map:
 *
 *   header (32 bytes): magic "OBJRPL01", u64 nops, u64 nslots, u64 reserved
 *   nops records of 32 bytes:
 *     u8 kind (0 malloc, 1 calloc, 2 realloc, 3 free), u8 domain (0 MEM, 1 OBJ), u16 pad,
 *     i32 in  (slot of the pointer argument of realloc/free; -1 for NULL),
 *     i32 out (slot that receives the result of malloc/calloc/realloc; -1 to drop it),
 *     u32 pad, u64 a (size, or nelem for calloc), u64 b (elsize for calloc)
 *
 * usage: native-replay STREAM [--keep-arenas] [--repeat N]
 *   --keep-arenas  install an arena allocator (PyObject_SetArenaAllocator) that keeps
 *                  freed 1 MiB arenas in a cache and hands them out again instead of
 *                  munmap/mmap (mmap is still used to get new ones)
 *   --repeat N     time N passes in this process (after each pass the blocks still live
 *                  are freed, untimed); pymalloc is pristine only for the first pass
 * Output: one JSON line per pass:
 *   {"pass":k,"ops":N,"ns":T,"ns_per_op":X,"cpu_ns_per_op":C,"nulls":K,"keep_arenas":B}
 * (ns: wall clock; cpu_ns_per_op: process CPU time, robust when the machine is busy)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef struct {
    uint8_t kind, domain;
    uint16_t pad0;
    int32_t in, out;
    uint32_t pad1;
    uint64_t a, b;
} op_t;

_Static_assert(sizeof(op_t) == 32, "op_t layout");

/* ---- caching arena allocator ---- */
#define CACHE_MAX 4096
static void *cache[CACHE_MAX];
static size_t ncache;

static void *arena_alloc(void *ctx, size_t size) {
    (void)ctx;
    if (size == ((size_t)1 << 20) && ncache > 0) return cache[--ncache];
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void arena_free(void *ctx, void *p, size_t size) {
    (void)ctx;
    if (size == ((size_t)1 << 20) && ncache < CACHE_MAX) {
        cache[ncache++] = p;
        return;
    }
    munmap(p, size);
}

static double clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    int keep = 0, repeat = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keep-arenas")) keep = 1;
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (!path) path = argv[i];
        else { fprintf(stderr, "native-replay: unexpected argument %s\n", argv[i]); return 2; }
    }
    if (!path || repeat < 1) {
        fprintf(stderr, "usage: native-replay STREAM [--keep-arenas] [--repeat N]\n");
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 2; }
    char magic[8];
    uint64_t hdr[3];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "OBJRPL01", 8) != 0 || fread(hdr, 8, 3, f) != 3) {
        fprintf(stderr, "native-replay: %s: not an OBJRPL01 stream\n", path);
        return 2;
    }
    uint64_t nops = hdr[0], nslots = hdr[1];
    op_t *ops = malloc(nops * sizeof(op_t) + 1);
    void **slots = calloc(nslots + 1, sizeof(void *));
    if (!ops || !slots) { fprintf(stderr, "native-replay: out of memory\n"); return 2; }
    if (fread(ops, sizeof(op_t), nops, f) != nops) {
        fprintf(stderr, "native-replay: %s: truncated stream\n", path);
        return 2;
    }
    fclose(f);
    /* Touch everything once so page faults on our own arrays are not timed. */
    memset(slots, 0, (nslots + 1) * sizeof(void *));
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < nops; i++) sink += ops[i].a;

    if (keep) {
        PyObjectArenaAllocator al = { NULL, arena_alloc, arena_free };
        PyObject_SetArenaAllocator(&al);
    }

    for (int pass = 0; pass < repeat; pass++) {
        uint64_t nulls = 0;
        double c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
        double t0 = clock_ns(CLOCK_MONOTONIC);
        for (uint64_t i = 0; i < nops; i++) {
            const op_t *o = &ops[i];
            void *r;
            switch (o->kind) {
            case 0:
                r = o->domain ? PyObject_Malloc(o->a) : PyMem_Malloc(o->a);
                break;
            case 1:
                r = o->domain ? PyObject_Calloc(o->a, o->b) : PyMem_Calloc(o->a, o->b);
                break;
            case 2: {
                void *p = o->in >= 0 ? slots[o->in] : NULL;
                r = o->domain ? PyObject_Realloc(p, o->a) : PyMem_Realloc(p, o->a);
                break;
            }
            default: {
                void *p = o->in >= 0 ? slots[o->in] : NULL;
                if (o->domain) PyObject_Free(p); else PyMem_Free(p);
                if (o->in >= 0) slots[o->in] = NULL;
                continue;
            }
            }
            if (r == NULL) nulls++;
            if (o->out >= 0) slots[o->out] = r;
        }
        double t1 = clock_ns(CLOCK_MONOTONIC);
        double c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
        printf("{\"pass\":%d,\"ops\":%llu,\"ns\":%.0f,\"ns_per_op\":%.3f,\"cpu_ns_per_op\":%.3f,\"nulls\":%llu,\"keep_arenas\":%s}\n",
               pass, (unsigned long long)nops, t1 - t0, (t1 - t0) / (double)nops, (c1 - c0) / (double)nops,
               (unsigned long long)nulls, keep ? "true" : "false");
        fflush(stdout);
        for (uint64_t s = 0; s < nslots; s++) {
            if (slots[s]) { PyObject_Free(slots[s]); slots[s] = NULL; }
        }
    }
    (void)sink;
    return 0;
}

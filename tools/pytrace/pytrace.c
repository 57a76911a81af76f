/*
 * pytrace: run CPython 3.11 like `python3 ARGS...` and record every call through
 * the RAW, MEM and OBJ allocator domains and the arena allocator, in the
 * "pytrace v1" text format (see README.md next to this file).
 *
 *   PYTRACE_OUT=trace.txt[.gz] [PYTRACE_STATS=stats.txt] tools/bin/pytrace ARGS...
 *
 * Build with tools/pytrace/build.sh (needs -rdynamic so that a traced program can
 * call ctypes.CDLL(None).pytrace_mark(b"label")).
 */
#define _GNU_SOURCE 1
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PYTRACE_PYTHON_EXE
#define PYTRACE_PYTHON_EXE ""
#endif

extern char **environ;

/* Exported from libpython (PyAPI_FUNC) but declared in internal headers only. */
PyAPI_FUNC(const char *) _PyMem_GetCurrentAllocatorName(void);
PyAPI_FUNC(Py_ssize_t) _Py_GetAllocatedBlocks(void);
PyAPI_FUNC(int) _PyObject_DebugMallocStats(FILE *out);
PyAPI_DATA(int) _Py_UnhandledKeyboardInterrupt;

/* ------------------------------------------------------------------------ */
/* Output: a private buffer flushed with write(2).  No stdio, so that a child
 * made by fork() can never flush a copy of the parent's pending data.      */

#define OUTBUF_SIZE (4u << 20)
#define LINE_MAX_LEN 256

static char *g_buf;
static size_t g_buflen;
static unsigned long g_flushes;    /* out_flush calls that wrote something */
static int g_fd = -1;
static pid_t g_gzip_pid = -1;
static int g_write_error;

static void out_flush(void)
{
    size_t off = 0;
    if (g_fd < 0) { g_buflen = 0; return; }
    if (g_buflen) g_flushes++;
    while (off < g_buflen) {
        ssize_t n = write(g_fd, g_buf + off, g_buflen - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (!g_write_error) {
                g_write_error = 1;
                fprintf(stderr, "pytrace: write to trace failed: %s\n", strerror(errno));
            }
            break;
        }
        off += (size_t)n;
    }
    g_buflen = 0;
}

static inline char *out_reserve(size_t n)
{
    if (g_buflen + n > OUTBUF_SIZE) out_flush();
    return g_buf + g_buflen;
}

static inline void out_commit(char *end) { g_buflen = (size_t)(end - g_buf); }

static void out_str(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        size_t room = OUTBUF_SIZE - g_buflen;
        if (room == 0) { out_flush(); room = OUTBUF_SIZE; }
        size_t k = n < room ? n : room;
        memcpy(g_buf + g_buflen, s, k);
        g_buflen += k;
        s += k; n -= k;
    }
}

static void out_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_fmt(const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    out_str(tmp);
}

static inline char *put_hex(char *p, uintptr_t v)
{
    char tmp[2 * sizeof(uintptr_t)];
    int n = 0;
    if (v == 0) { *p++ = '0'; return p; }
    while (v) { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; }
    while (n) *p++ = tmp[--n];
    return p;
}

static inline char *put_dec(char *p, size_t v)
{
    char tmp[24];
    int n = 0;
    if (v == 0) { *p++ = '0'; return p; }
    while (v) { tmp[n++] = (char)('0' + v % 10); v /= 10; }
    while (n) *p++ = tmp[--n];
    return p;
}

/* ------------------------------------------------------------------------ */
/* State                                                                    */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int g_active;      /* tracing (parent process, not finished) */
static pid_t g_pid;
static unsigned long g_events;
static int g_nthreads;             /* threads other than main seen so far */
static unsigned long g_nested_memobj; /* MEM/OBJ calls made inside another call */
static unsigned long g_untraced_bypass; /* hook calls made during a stats dump */
static unsigned long g_marks;
static FILE *g_stats;
static const char *g_stats_path;

/* counts[kind][domain]: kind m c r f; domain r m o */
static unsigned long g_cnt[4][3];
static unsigned long g_cnt_A, g_cnt_X, g_cnt_A_arena, g_cnt_A_other, g_cnt_nested;

static __thread int t_depth;       /* hooked calls in progress in this thread */
static __thread int t_tid = -1;    /* 0 = main thread, N = t<N> */
static __thread int t_bypass;      /* inside a stats dump: pass through */

/* The outermost hooked call in progress in this thread, for a SIGABRT inside it (the
 * debug hooks' fatal errors, glibc's heap checks): what it was, and where its group of
 * nested lines began in the buffer. */
static __thread char t_call[LINE_MAX_LEN];
static __thread size_t t_group_buflen;
static __thread unsigned long t_group_events, t_group_flushes;

typedef struct {
    char letter;                   /* 'r', 'm', 'o' */
    int index;                     /* 0, 1, 2 */
    PyMemAllocatorEx orig;
} dom_t;

static dom_t g_raw = {'r', 0, {0}}, g_mem = {'m', 1, {0}}, g_obj = {'o', 2, {0}};
static PyObjectArenaAllocator g_arena_orig;
static PyMemAllocatorEx g_obj_hook;

/* Tags: " ^" when nested, " t<N>" for threads other than main. */
static inline char *put_tags(char *p)
{
    if (t_depth > 0) { *p++ = ' '; *p++ = '^'; g_cnt_nested++; }
    if (t_tid < 0) t_tid = ++g_nthreads;
    if (t_tid > 0) { *p++ = ' '; *p++ = 't'; p = put_dec(p, (size_t)t_tid); }
    *p++ = '\n';
    g_events++;
    return p;
}

/* Enter a hooked call.  Returns 1 if the call is traced (lock held by this
 * thread), 0 if it must simply be passed through. */
static inline int enter(void)
{
    if (t_depth > 0) { t_depth++; return 1; }
    if (t_bypass) { g_untraced_bypass++; return 0; }
    if (!g_active) return 0;
    pthread_mutex_lock(&g_lock);
    if (!g_active) { pthread_mutex_unlock(&g_lock); return 0; }
    t_depth = 1;
    t_group_buflen = g_buflen;
    t_group_events = g_events;
    t_group_flushes = g_flushes;
    t_call[0] = 0;
    return 1;
}

/* The call's fields, kept while the outermost call runs (for an abort inside it). */
static inline void note_call(char kind, char dom, int n, uintptr_t a, uintptr_t b, int hex_a)
{
    if (t_depth != 1) return;
    char *p = t_call;
    *p++ = kind; *p++ = ' '; *p++ = dom;
    if (n >= 1) { *p++ = ' '; p = hex_a ? put_hex(p, a) : put_dec(p, (size_t)a); }
    if (n >= 2) { *p++ = ' '; p = put_dec(p, (size_t)b); }
    *p = 0;
}

/* Called after the call returned, before its line is written. */
static inline void leave_begin(void) { t_depth--; }
static inline void leave_end(void) { if (t_depth == 0) pthread_mutex_unlock(&g_lock); }

/* ------------------------------------------------------------------------ */
/* Hooks                                                                    */

static void *hook_malloc(void *ctx, size_t size)
{
    dom_t *d = (dom_t *)ctx;
    if (!enter()) return d->orig.malloc(d->orig.ctx, size);
    if (d->index && t_depth > 1) g_nested_memobj++;
    note_call('m', d->letter, 1, size, 0, 0);
    void *r = d->orig.malloc(d->orig.ctx, size);
    leave_begin();
    char *p = out_reserve(LINE_MAX_LEN);
    *p++ = 'm'; *p++ = ' '; *p++ = d->letter; *p++ = ' ';
    p = put_dec(p, size); *p++ = ' ';
    p = put_hex(p, (uintptr_t)r);
    p = put_tags(p);
    out_commit(p);
    g_cnt[0][d->index]++;
    leave_end();
    return r;
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    dom_t *d = (dom_t *)ctx;
    if (!enter()) return d->orig.calloc(d->orig.ctx, nelem, elsize);
    if (d->index && t_depth > 1) g_nested_memobj++;
    note_call('c', d->letter, 2, nelem, elsize, 0);
    void *r = d->orig.calloc(d->orig.ctx, nelem, elsize);
    leave_begin();
    char *p = out_reserve(LINE_MAX_LEN);
    *p++ = 'c'; *p++ = ' '; *p++ = d->letter; *p++ = ' ';
    p = put_dec(p, nelem); *p++ = ' ';
    p = put_dec(p, elsize); *p++ = ' ';
    p = put_hex(p, (uintptr_t)r);
    p = put_tags(p);
    out_commit(p);
    g_cnt[1][d->index]++;
    leave_end();
    return r;
}

static void *hook_realloc(void *ctx, void *ptr, size_t size)
{
    dom_t *d = (dom_t *)ctx;
    if (!enter()) return d->orig.realloc(d->orig.ctx, ptr, size);
    if (d->index && t_depth > 1) g_nested_memobj++;
    note_call('r', d->letter, 2, (uintptr_t)ptr, size, 1);
    void *r = d->orig.realloc(d->orig.ctx, ptr, size);
    leave_begin();
    char *p = out_reserve(LINE_MAX_LEN);
    *p++ = 'r'; *p++ = ' '; *p++ = d->letter; *p++ = ' ';
    p = put_hex(p, (uintptr_t)ptr); *p++ = ' ';
    p = put_dec(p, size); *p++ = ' ';
    p = put_hex(p, (uintptr_t)r);
    p = put_tags(p);
    out_commit(p);
    g_cnt[2][d->index]++;
    leave_end();
    return r;
}

static void hook_free(void *ctx, void *ptr)
{
    dom_t *d = (dom_t *)ctx;
    if (!enter()) { d->orig.free(d->orig.ctx, ptr); return; }
    if (d->index && t_depth > 1) g_nested_memobj++;
    note_call('f', d->letter, 1, (uintptr_t)ptr, 0, 1);
    d->orig.free(d->orig.ctx, ptr);
    leave_begin();
    char *p = out_reserve(LINE_MAX_LEN);
    *p++ = 'f'; *p++ = ' '; *p++ = d->letter; *p++ = ' ';
    p = put_hex(p, (uintptr_t)ptr);
    p = put_tags(p);
    out_commit(p);
    g_cnt[3][d->index]++;
    leave_end();
}

static void *hook_arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (!enter()) return g_arena_orig.alloc(g_arena_orig.ctx, size);
    void *r = g_arena_orig.alloc(g_arena_orig.ctx, size);
    leave_begin();
    char *p = out_reserve(LINE_MAX_LEN);
    *p++ = 'A'; *p++ = ' ';
    p = put_hex(p, (uintptr_t)r); *p++ = ' ';
    p = put_dec(p, size);
    if (t_depth > 0) g_cnt_A_arena++; else g_cnt_A_other++;
    p = put_tags(p);
    out_commit(p);
    g_cnt_A++;
    leave_end();
    return r;
}

static void hook_arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (!enter()) { g_arena_orig.free(g_arena_orig.ctx, ptr, size); return; }
    g_arena_orig.free(g_arena_orig.ctx, ptr, size);
    leave_begin();
    char *p = out_reserve(LINE_MAX_LEN);
    *p++ = 'X'; *p++ = ' ';
    p = put_hex(p, (uintptr_t)ptr); *p++ = ' ';
    p = put_dec(p, size);
    p = put_tags(p);
    out_commit(p);
    g_cnt_X++;
    leave_end();
}

static void install_hooks(void)
{
    dom_t *doms[3] = {&g_raw, &g_mem, &g_obj};
    PyMemAllocatorDomain ids[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
    for (int i = 0; i < 3; i++) {
        PyMem_GetAllocator(ids[i], &doms[i]->orig);
        PyMemAllocatorEx h = {doms[i], hook_malloc, hook_calloc, hook_realloc, hook_free};
        PyMem_SetAllocator(ids[i], &h);
        if (i == 2) g_obj_hook = h;
    }
    PyObject_GetArenaAllocator(&g_arena_orig);
    PyObjectArenaAllocator ah = {NULL, hook_arena_alloc, hook_arena_free};
    PyObject_SetArenaAllocator(&ah);
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */

/* _PyObject_DebugMallocStats prints nothing unless the OBJ domain's table is
 * pymalloc's own (or the debug hooks over it), so the original OBJ table is put
 * back for the duration of the call.  Caller holds g_lock and (when Python is
 * running) the GIL, so no MEM/OBJ call can run meanwhile. */
static void stats_dump_to(FILE *f)
{
    PyMemAllocatorEx cur;
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &cur);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &g_obj.orig);
    t_bypass = 1;
    (void)_PyObject_DebugMallocStats(f);
    t_bypass = 0;
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &cur);
}

static void stats_section(const char *heading)
{
    if (!g_stats) return;
    fprintf(g_stats, "### %s\n", heading);
    stats_dump_to(g_stats);
    fflush(g_stats);
}

/* Count the arenas pymalloc holds right now (before any hook exists). */
static long count_arenas_now(void)
{
    char *text = NULL;
    size_t len = 0;
    long n = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return -1;
    (void)_PyObject_DebugMallocStats(m);   /* hooks not installed yet */
    fclose(m);
    if (text) {
        char *s = strstr(text, "# arenas allocated current");
        if (s && (s = strchr(s, '='))) {
            for (s++; *s; s++) {
                if (*s >= '0' && *s <= '9') n = n * 10 + (*s - '0');
                else if (*s == '\n') break;
            }
        }
        free(text);
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Marks and phases                                                         */

static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    if (!src) src = "(null)";
    for (; *src && i + 1 < cap; src++) {
        unsigned char c = (unsigned char)*src;
        dst[i++] = (c >= 0x20 && c < 0x7f) ? (char)c : '_';
    }
    dst[i] = 0;
}

/* Exported (-rdynamic): ctypes.CDLL(None).pytrace_mark(b"label"). */
__attribute__((visibility("default"), noinline))
void pytrace_mark(const char *label)
{
    char lab[256];
    if (!g_active || getpid() != g_pid || t_depth > 0) return;
    sanitize(lab, sizeof lab, label);
    /* ctypes.CDLL releases the GIL around the call; take it back so that no
     * other Python thread can be inside pymalloc while the mark and the stats
     * are written.  Any allocation this makes is traced before the mark. */
    int gil = Py_IsInitialized();
    PyGILState_STATE gs = PyGILState_UNLOCKED;
    if (gil) gs = PyGILState_Ensure();
    pthread_mutex_lock(&g_lock);
    if (g_active) {
        char head[300];
        snprintf(head, sizeof head, "mark %s", lab);
        out_fmt("# %s\n", head);
        g_marks++;
        stats_section(head);
    }
    pthread_mutex_unlock(&g_lock);
    if (gil) PyGILState_Release(gs);
}

static void write_comment_locked(const char *s)
{
    if (g_active) out_fmt("# %s\n", s);
}

static void phase(const char *s)
{
    pthread_mutex_lock(&g_lock);
    write_comment_locked(s);
    pthread_mutex_unlock(&g_lock);
}

/* ------------------------------------------------------------------------ */
/* Finish                                                                   */

/* Caller holds g_lock (or is the only thread). */
static void finish_locked(const char *reason, int exitcode)
{
    if (!g_active) return;
    out_fmt("# counts events=%lu A=%lu A_nested=%lu A_toplevel=%lu X=%lu "
            "mr=%lu cr=%lu rr=%lu fr=%lu mm=%lu cm=%lu rm=%lu fm=%lu "
            "mo=%lu co=%lu ro=%lu fo=%lu nested=%lu threads=%d marks=%lu "
            "nested_memobj=%lu untraced_during_stats=%lu\n",
            g_events, g_cnt_A, g_cnt_A_arena, g_cnt_A_other, g_cnt_X,
            g_cnt[0][0], g_cnt[1][0], g_cnt[2][0], g_cnt[3][0],
            g_cnt[0][1], g_cnt[1][1], g_cnt[2][1], g_cnt[3][1],
            g_cnt[0][2], g_cnt[1][2], g_cnt[2][2], g_cnt[3][2],
            g_cnt_nested, g_nthreads, g_marks, g_nested_memobj, g_untraced_bypass);
    out_fmt("# end events=%lu reason=%s exitcode=%d\n", g_events, reason, exitcode);
    g_active = 0;
    out_flush();
    if (g_fd >= 0) { close(g_fd); g_fd = -1; }
    if (g_gzip_pid > 0) {
        int st;
        while (waitpid(g_gzip_pid, &st, 0) < 0 && errno == EINTR) {}
        g_gzip_pid = -1;
    }
    if (g_stats) { fclose(g_stats); g_stats = NULL; }
}

static void ll_exit_cb(void)
{
    if (getpid() != g_pid || t_depth > 0) return;
    pthread_mutex_lock(&g_lock);
    write_comment_locked("phase ll-exit (Py_AtExit callback, end of Py_FinalizeEx)");
    if (_Py_UnhandledKeyboardInterrupt && g_active) {
        /* Py_RunMain will not return: after finalising it kills the process
         * with SIGINT.  Finish the trace now; the shell sees status 130. */
        write_comment_locked("unhandled KeyboardInterrupt: Py_RunMain ends with kill(SIGINT)");
        finish_locked("exit", 128 + SIGINT);
    }
    pthread_mutex_unlock(&g_lock);
}

/* exit() called from anywhere (Py_Exit, Py_ExitStatusException, extensions). */
static void on_exit_cb(int status, void *arg)
{
    (void)arg;
    if (getpid() != g_pid || !g_active) return;
    int held = t_depth > 0;
    if (!held) pthread_mutex_lock(&g_lock);
    finish_locked("exit", status);
    if (!held) pthread_mutex_unlock(&g_lock);
}

/* SIGABRT (a debug-hook fatal error, a C library heap check, abort()), SIGSEGV or SIGBUS
 * (e.g. the hooks' dump of a freed block reading its clobbered size field): end the trace
 * with what happened before, so that it can still be read and checked.  If this thread
 * was inside a hooked call, the call never returned and has no line: its nested lines
 * so far (and whatever the fatal-error path allocated) are taken back out of the buffer,
 * and the call is written as `# abort in-call <fields without the result>`.  Then
 * `# counts` and `# end ... reason=abort exitcode=128+signal`, and the default action.  When
 * the group was already partly flushed, or another thread holds the lock mid-call, the
 * trace is left truncated (no `# end`), as before. */
static int take_back_group(void)
{
    if (t_group_flushes != g_flushes || t_group_buflen > g_buflen) return 0;
    /* Every line after the mark is a nested line of this group: uncount it. */
    char *p = g_buf + t_group_buflen, *end = g_buf + g_buflen;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        int nested = memmem(p, (size_t)(nl - p), " ^", 2) != NULL;
        if (nested) g_cnt_nested--;
        if (p[0] == 'A') { g_cnt_A--; if (nested) g_cnt_A_arena--; else g_cnt_A_other--; }
        else if (p[0] == 'X') g_cnt_X--;
        else if (nl - p >= 3) {
            int k = p[0] == 'm' ? 0 : p[0] == 'c' ? 1 : p[0] == 'r' ? 2 : 3;
            int d = p[2] == 'r' ? 0 : p[2] == 'm' ? 1 : 2;
            g_cnt[k][d]--;
            if (d && nested) g_nested_memobj--;
        }
        p = nl + 1;
    }
    g_buflen = t_group_buflen;
    g_events = t_group_events;
    return 1;
}

static void on_abort(int sig)
{
    if (g_active && getpid() == g_pid) {
        int held = t_depth > 0;
        if (held || pthread_mutex_trylock(&g_lock) == 0) {
            if (!held || take_back_group()) {
                if (held && t_call[0]) out_fmt("# abort in-call %s\n", t_call);
                else if (held) out_str("# abort in-call (arena allocator)\n");
                else out_fmt("# abort (signal %d outside any traced allocator call)\n", sig);
                if (held && t_tid > 0) out_fmt("# abort thread t%d\n", t_tid);
                g_stats = NULL;   /* flushed after each section; fclose could call free() */
                finish_locked("abort", 128 + sig);
            } else {
                g_active = 0;     /* cannot take the group back: leave it truncated */
                out_flush();
            }
            if (!held) pthread_mutex_unlock(&g_lock);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* fork(): children are not traced.  Keep the lock over the fork so the child
 * never inherits it held mid-line. */
static void atfork_prepare(void) { if (t_depth == 0) pthread_mutex_lock(&g_lock); }
static void atfork_parent(void) { if (t_depth == 0) pthread_mutex_unlock(&g_lock); }
static void atfork_child(void)
{
    g_active = 0;
    g_buflen = 0;
    if (g_fd >= 0) { close(g_fd); g_fd = -1; }
    g_gzip_pid = -1;
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    g_lock = fresh;
    g_stats = NULL;   /* flushed after every section, so nothing is pending */
}

/* ------------------------------------------------------------------------ */
/* Opening the output                                                       */

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int open_output(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "pytrace: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!ends_with(path, ".gz")) { g_fd = fd; return 0; }

    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        fprintf(stderr, "pytrace: pipe: %s\n", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    const char *level = getenv("PYTRACE_GZIP_LEVEL");
    char lev[8] = "-6";
    if (level && level[0] >= '1' && level[0] <= '9' && !level[1]) { lev[1] = level[0]; }
    char *gargv[] = {"gzip", "-c", lev, NULL};
    int rc = posix_spawnp(&g_gzip_pid, "gzip", &fa, NULL, gargv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[0]);
    close(fd);
    if (rc != 0) {
        fprintf(stderr, "pytrace: cannot run gzip: %s\n", strerror(rc));
        close(pfd[1]);
        return -1;
    }
    g_fd = pfd[1];
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Header                                                                   */

static void out_quoted(const char *s)
{
    char tmp[8];
    out_str("\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { tmp[0] = '\\'; tmp[1] = (char)c; tmp[2] = 0; out_str(tmp); }
        else if (c == '\n') out_str("\\n");
        else if (c == '\t') out_str("\\t");
        else if (c < 0x20 || c >= 0x7f) { snprintf(tmp, sizeof tmp, "\\x%02x", c); out_str(tmp); }
        else { tmp[0] = (char)c; tmp[1] = 0; out_str(tmp); }
    }
    out_str("\"");
}

static const char *env_or_empty(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "";
}

static int aslr_on(void)
{
    int pers = personality(0xffffffff);
    if (pers != -1 && (pers & ADDR_NO_RANDOMIZE)) return 0;
    FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
    if (f) {
        int v = -1;
        if (fscanf(f, "%d", &v) == 1 && v == 0) { fclose(f); return 0; }
        fclose(f);
    }
    return 1;
}

static void write_header(int argc, char **argv, long pre_arenas, long pre_blocks)
{
    const char *name = _PyMem_GetCurrentAllocatorName();
    char ver[32];
    const char *v = Py_GetVersion();
    size_t i = 0;
    while (v[i] && v[i] != ' ' && i + 1 < sizeof ver) { ver[i] = v[i]; i++; }
    ver[i] = 0;
    /* hexversion=0x030b07f0 style; PYTHONMALLOC/PYTHONHASHSEED are the raw
     * environment values, empty when unset. */
    out_fmt("# pytrace v1 python=%s hexversion=0x%08lx allocator=%s "
            "pre_hook_arenas=%ld pre_hook_blocks=%ld PYTHONMALLOC=%s "
            "PYTHONHASHSEED=%s aslr=%s ptr_bits=%d\n",
            ver, (unsigned long)Py_Version, name ? name : "custom",
            pre_arenas, pre_blocks, env_or_empty("PYTHONMALLOC"),
            env_or_empty("PYTHONHASHSEED"), aslr_on() ? "on" : "off",
            (int)(8 * sizeof(void *)));
    out_str("# argv");
    for (int k = 0; k < argc; k++) { out_str(" "); out_quoted(argv[k]); }
    out_str("\n");
    out_str("# format: A addr size | X addr size | m d size res | c d nelem elsize res"
            " | r d oldptr size res | f d ptr ; d=r(RAW)|m(MEM)|o(OBJ) ;"
            " hex without 0x, NULL=0 ; tags: ^=nested in the next untagged line,"
            " t<N>=non-main thread\n");
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: PYTRACE_OUT=FILE[.gz] [PYTRACE_STATS=FILE] pytrace [python3 args...]\n");
}

int main(int argc, char **argv)
{
    const char *out = getenv("PYTRACE_OUT");
    if (!out || !*out) {
        fprintf(stderr, "pytrace: PYTRACE_OUT is not set\n");
        usage();
        return 2;
    }
    g_pid = getpid();
    t_tid = 0;
    g_buf = malloc(OUTBUF_SIZE);
    if (!g_buf) { fprintf(stderr, "pytrace: out of memory\n"); return 2; }
    if (open_output(out) < 0) return 2;

    g_stats_path = getenv("PYTRACE_STATS");
    if (g_stats_path && *g_stats_path) {
        g_stats = fopen(g_stats_path, "we");
        if (!g_stats) {
            fprintf(stderr, "pytrace: cannot open %s: %s\n", g_stats_path, strerror(errno));
            return 2;
        }
    }

    /* 1. Pre-initialise from the environment and argv (PYTHONMALLOC, -E, -I,
     *    -X dev, -X utf8 ...).  This selects and installs the allocators. */
    PyPreConfig pre;
    PyPreConfig_InitPythonConfig(&pre);
    pre.parse_argv = 1;
    PyStatus st = Py_PreInitializeFromBytesArgs(&pre, argc, argv);
    if (PyStatus_Exception(st)) {
        write_header(argc, argv, 0, 0);
        g_active = 1;
        out_fmt("# error %s: %s\n", st.func ? st.func : "Py_PreInitialize",
                st.err_msg ? st.err_msg : "");
        finish_locked("init-exit", PyStatus_IsExit(st) ? st.exitcode : 1);
        Py_ExitStatusException(st);
    }

    /* 2. Verify pymalloc is pristine, then hook. */
    long pre_blocks = (long)_Py_GetAllocatedBlocks();
    long pre_arenas = count_arenas_now();
    write_header(argc, argv, pre_arenas, pre_blocks);
    out_fmt("# phase preinit-done (hooks installed; pre_hook_arenas=%ld pre_hook_blocks=%ld)\n",
            pre_arenas, pre_blocks);
    if (pre_arenas != 0 || pre_blocks != 0)
        fprintf(stderr, "pytrace: warning: pymalloc not pristine before hooks "
                        "(arenas=%ld blocks=%ld)\n", pre_arenas, pre_blocks);

    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    on_exit(on_exit_cb, NULL);
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_abort;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigaction(SIGABRT, &sa, NULL);
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
    }
    install_hooks();
    g_active = 1;

    /* 3. Full initialisation from argv. */
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    st = PyConfig_SetBytesArgv(&config, argc, argv);
    if (!PyStatus_Exception(st) && PYTRACE_PYTHON_EXE[0] && !getenv("PYTRACE_KEEP_EXECUTABLE")) {
        /* sys.executable = the real python3, so that subprocesses of the traced
         * program run untraced instead of re-running pytrace. */
        st = PyConfig_SetBytesString(&config, &config.executable, PYTRACE_PYTHON_EXE);
    }
    if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        pthread_mutex_lock(&g_lock);
        if (!PyStatus_IsExit(st))
            write_comment_locked("error during Py_InitializeFromConfig");
        finish_locked("init-exit", PyStatus_IsExit(st) ? st.exitcode : 1);
        pthread_mutex_unlock(&g_lock);
        Py_ExitStatusException(st);
    }
    Py_AtExit(ll_exit_cb);
    phase("phase main (Py_InitializeFromConfig done, entering Py_RunMain)");

    /* 4. Run. */
    int exitcode = Py_RunMain();

    pthread_mutex_lock(&g_lock);
    if (g_active) {
        char head[128];
        snprintf(head, sizeof head, "phase after-runmain (exitcode=%d allocated_blocks=%zd)",
                 exitcode, _Py_GetAllocatedBlocks());
        out_fmt("# %s\n", head);
        stats_section("phase after-runmain");
        finish_locked("runmain", exitcode);
    }
    pthread_mutex_unlock(&g_lock);
    return exitcode;
}

/*
 * A minimal gate protocol v1 adapter in C: the RAW family (PyMem_RawMalloc & co.) as
 * CPython 3.11 builds it on the C library, without CPython itself.
 *
 *   cc -O2 -o glibc_raw_c tools/adapters/c/glibc_raw.c
 *   objimpl gate --impl ./glibc_raw_c
 *
 * The rules it implements are those of Objects/obmalloc.c (3.11):
 *   PyMem_RawMalloc(n)      n > PY_SSIZE_T_MAX ? NULL : malloc(n ? n : 1)
 *   PyMem_RawCalloc(ne, es) es && ne > PY_SSIZE_T_MAX / es ? NULL
 *                           : calloc(ne && es ? ne : 1, ne && es ? es : 1)
 *   PyMem_RawRealloc(p, n)  n > PY_SSIZE_T_MAX ? NULL : realloc(p, n ? n : 1)
 *   PyMem_RawFree(p)        free(p)
 * (the `n ? n : 1` is what keeps malloc(0) distinct and realloc(p, 0) from freeing p).
 *
 * Protocol: one JSON object per line in, one per line out, flushed. The gate's requests
 * are flat objects, so a tiny field scanner is enough: no JSON library. Integers arrive
 * as numbers or (beyond 2^53-1) as decimal strings; addresses as "0x..." or null.
 */
#define _GNU_SOURCE
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PY_SSIZE_T_MAX ((size_t)INT64_MAX)

/* The text right after "key": in a flat JSON object, or NULL. */
static const char *field(const char *line, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(line, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p++ != ':') return NULL;
    while (*p == ' ') p++;
    return p;
}

/* A number or a "decimal string", as unsigned (size_t) or signed (offset). */
static int get_u64(const char *line, const char *key, uint64_t *out) {
    const char *p = field(line, key);
    if (!p) return 0;
    if (*p == '"') p++;
    if (*p == '-') return 0;
    char *end;
    *out = strtoull(p, &end, 10);
    return end != p;
}

static int get_i64(const char *line, const char *key, int64_t *out) {
    const char *p = field(line, key);
    if (!p) { *out = 0; return 1; }
    if (*p == '"') p++;
    char *end;
    *out = strtoll(p, &end, 10);
    return end != p;
}

/* "0x..." -> pointer; null -> NULL. */
static int get_ptr(const char *line, const char *key, void **out) {
    const char *p = field(line, key);
    if (!p) return 0;
    if (strncmp(p, "null", 4) == 0) { *out = NULL; return 1; }
    if (strncmp(p, "\"0x", 3) != 0) return 0;
    *out = (void *)(uintptr_t)strtoull(p + 3, NULL, 16);
    return 1;
}

static int get_str(const char *line, const char *key, char *buf, size_t cap) {
    const char *p = field(line, key);
    if (!p || *p != '"') return 0;
    p++;
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < cap) buf[n++] = *p++;
    buf[n] = 0;
    return *p == '"';
}

static void answer_ptr(long long id, void *p) {
    if (p) printf("{\"id\":%lld,\"ptr\":\"%p\"}\n", id, p);
    else printf("{\"id\":%lld,\"ptr\":null}\n", id);
}

static void answer_error(long long id, const char *msg) {
    printf("{\"id\":%lld,\"error\":\"%s\"}\n", id, msg);
}

static int hexval(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        char op[32], api[4];
        int64_t sid;
        if (!get_i64(line, "id", &sid) || !field(line, "id") || !get_str(line, "op", op, sizeof op)) {
            printf("{\"id\":null,\"error\":\"not a request\"}\n");
            fflush(stdout);
            continue;
        }
        long long id = (long long)sid;
        int raw = get_str(line, "api", api, sizeof api) && strcmp(api, "r") == 0;
        uint64_t n, ne, es;
        int64_t off;
        void *p;
        if (strcmp(op, "hello") == 0) {
            printf("{\"id\":%lld,\"protocol\":1,\"implementation\":\"glibc-raw-c\",\"version\":\"C, glibc %s\","
                   "\"pointer_bits\":64,\"features\":[\"raw\"]}\n", id, gnu_get_libc_version());
        } else if (strcmp(op, "bye") == 0) {
            printf("{\"id\":%lld}\n", id);
            fflush(stdout);
            return 0;
        } else if (strcmp(op, "malloc") == 0 && raw && get_u64(line, "size", &n)) {
            answer_ptr(id, n > PY_SSIZE_T_MAX ? NULL : malloc(n ? n : 1));
        } else if (strcmp(op, "calloc") == 0 && raw && get_u64(line, "nelem", &ne) && get_u64(line, "elsize", &es)) {
            if (es != 0 && ne > PY_SSIZE_T_MAX / es) answer_ptr(id, NULL);
            else if (ne == 0 || es == 0) answer_ptr(id, calloc(1, 1));
            else answer_ptr(id, calloc(ne, es));
        } else if (strcmp(op, "realloc") == 0 && raw && get_ptr(line, "ptr", &p) && get_u64(line, "size", &n)) {
            answer_ptr(id, n > PY_SSIZE_T_MAX ? NULL : realloc(p, n ? n : 1));
        } else if (strcmp(op, "free") == 0 && raw && get_ptr(line, "ptr", &p)) {
            free(p);
            printf("{\"id\":%lld}\n", id);
        } else if (strcmp(op, "write") == 0 && get_ptr(line, "ptr", &p) && p && get_i64(line, "offset", &off)) {
            const char *h = field(line, "bytes");
            unsigned char *at = (unsigned char *)p + off;
            if (h && *h == '"') {
                for (h++; hexval(h[0]) >= 0 && hexval(h[1]) >= 0; h += 2) *at++ = (unsigned char)(hexval(h[0]) * 16 + hexval(h[1]));
                printf("{\"id\":%lld}\n", id);
            } else answer_error(id, "bytes: expected a hex string");
        } else if (strcmp(op, "read") == 0 && get_ptr(line, "ptr", &p) && p && get_i64(line, "offset", &off) && get_u64(line, "length", &n)) {
            const unsigned char *at = (const unsigned char *)p + off;
            printf("{\"id\":%lld,\"bytes\":\"", id);
            for (uint64_t i = 0; i < n; i++) printf("%02x", at[i]);
            printf("\"}\n");
        } else if (strcmp(op, "malloc") == 0 || strcmp(op, "calloc") == 0 || strcmp(op, "realloc") == 0 || strcmp(op, "free") == 0) {
            answer_error(id, raw ? "bad arguments" : "unsupported");
        } else {
            answer_error(id, "unsupported");
        }
        fflush(stdout);
    }
    return 0;
}

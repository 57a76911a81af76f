#!/bin/sh
# Build tools/bin/pytrace (an embedding CPython 3.11 with allocator tracing).
# Usage: tools/pytrace/build.sh   (PYTHON=python3.11 to choose the interpreter)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}

die() { echo "pytrace build: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"
command -v "$CC" >/dev/null 2>&1 || die "$CC not found"
eval "$("$PYTHON" - <<'PY'
import sys, sysconfig, shlex
v = sys.version_info
print("pyver=%s" % shlex.quote("%d.%d" % (v[0], v[1])))
print("inc=%s" % shlex.quote(sysconfig.get_paths()["include"]))
print("libdir=%s" % shlex.quote(sysconfig.get_config_var("LIBDIR") or ""))
print("ldver=%s" % shlex.quote(sysconfig.get_config_var("LDVERSION") or "%d.%d" % (v[0], v[1])))
print("pyexe=%s" % shlex.quote(sys.executable))
PY
)" || die "cannot query $PYTHON sysconfig"

[ "$pyver" = "3.11" ] || die "$PYTHON is Python $pyver; CPython 3.11 is required"
[ -f "$inc/Python.h" ] || die "Python.h not found in $inc (install the python3.11 development headers)"
[ -e "$libdir/libpython$ldver.so" ] || die "libpython$ldver.so not found in $libdir (need a shared libpython build)"

src="$here/pytrace.c"
out="$root/tools/bin/pytrace"
mkdir -p "$root/tools/bin"
tmp="$out.tmp.$$"
"$CC" -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
    -I"$inc" -DPYTRACE_PYTHON_EXE="\"$pyexe\"" \
    "$src" -o "$tmp" \
    -L"$libdir" -Wl,-rpath,"$libdir" -rdynamic -lpython"$ldver" -lpthread -ldl -lm \
    || { rm -f "$tmp"; die "compilation failed"; }
mv -f "$tmp" "$out"

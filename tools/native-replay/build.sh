#!/bin/sh
# Build tools/native-replay/build/native-replay against the machine's CPython 3.11
# (headers + shared libpython). Usage: tools/native-replay/build.sh  (PYTHON=... to choose)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
die() { echo "native-replay build: $*" >&2; exit 1; }
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"
command -v "$CC" >/dev/null 2>&1 || die "$CC not found"
eval "$("$PYTHON" - <<'PY'
import sys, sysconfig, shlex
v = sys.version_info
print("pyver=%s" % shlex.quote("%d.%d" % (v[0], v[1])))
print("inc=%s" % shlex.quote(sysconfig.get_paths()["include"]))
print("libdir=%s" % shlex.quote(sysconfig.get_config_var("LIBDIR") or ""))
print("ldver=%s" % shlex.quote(sysconfig.get_config_var("LDVERSION") or "%d.%d" % (v[0], v[1])))
PY
)" || die "cannot query $PYTHON sysconfig"
[ "$pyver" = "3.11" ] || die "$PYTHON is Python $pyver; CPython 3.11 is required"
[ -f "$inc/Python.h" ] || die "Python.h not found in $inc"
[ -e "$libdir/libpython$ldver.so" ] || die "libpython$ldver.so not found in $libdir"
mkdir -p "$here/build"
# native-replay (bench:replay) and native-micro (bench/micro)
for prog in native_replay native_micro; do
    out="$here/build/$(echo "$prog" | tr _ -)"
    tmp="$out.tmp.$$"
    "$CC" -O2 -Wall -Wextra -I"$inc" "$here/$prog.c" -o "$tmp" \
        -L"$libdir" -Wl,-rpath,"$libdir" -lpython"$ldver" -lpthread -ldl -lm \
        || { rm -f "$tmp"; die "compilation of $prog failed"; }
    mv -f "$tmp" "$out"
done

#!/usr/bin/env bash
# The packaging test (CI, `npm run test:pack`): pack the package as npm publishes it,
# install the tarball into a scratch project, and use it as a new user would:
#   - the tarball: under 1 MiB, no fixtures, .ci, Stryker configs or bench;
#   - the CLI from node_modules/.bin: --version, --help, every command's --help,
#     a bad number (exit 2, one line), one replay of a fixture trace, one gate run
#     against the model adapter (compiled, plain node);
#   - the API from plain node: the README's ESM example;
#   - a TypeScript consumer type-checked with the settings `tsc --init` writes
#     (strict), with the project's own typescript.
# Prints one line per stage and ends with "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/objimpl-pack.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "pack-test: ok: $*"; }
bad() { failed=$((failed + 1)); echo "pack-test: FAILED: $*"; }

cd "$root"
version=$(node -p 'require("./package.json").version')
echo "pack-test: npm pack (builds dist/ through prepare)..."
npm pack --json --pack-destination "$scratch" > "$scratch/pack.json" 2> "$scratch/pack.err" || { cat "$scratch/pack.err" >&2; exit 1; }
read -r tgz size count < <(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0];
  console.log(d.filename, d.size, d.entryCount);' "$scratch/pack.json")
echo "pack-test: $tgz: $size bytes packed, $count files"
if [ "$size" -lt 1048576 ]; then ok "tarball under 1 MiB ($size bytes)"; else bad "tarball is $size bytes (limit 1 MiB)"; fi
unwanted=$(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0];
  const bad = d.files.map((f) => f.path).filter((p) => /^(fixtures|\.ci|bench|properties|spec|src|examples)\/|stryker|vitest|\.test\.|tsconfig|__pycache__/.test(p));
  console.log(bad.join(" "));' "$scratch/pack.json")
if [ -z "$unwanted" ]; then ok "tarball holds only what runs (dist, bin, docs, recorder source, adapters)"; else bad "tarball holds $unwanted"; fi

proj="$scratch/consumer"
mkdir -p "$proj"
cd "$proj"
printf '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
echo "pack-test: npm install $tgz into a scratch project..."
npm install --no-audit --no-fund --loglevel=error "$scratch/$tgz" > "$scratch/install.log" 2>&1 || { cat "$scratch/install.log" >&2; exit 1; }
ok "installed"
bin="$proj/node_modules/.bin/objimpl"

out=$("$bin" --version)
if [ "$out" = "objimpl $version" ]; then ok "--version: $out"; else bad "--version printed '$out', expected 'objimpl $version'"; fi
if "$bin" --help | grep -q '^usage: objimpl <command>'; then ok "--help"; else bad "--help"; fi
for c in main verify run replay check stats record gate; do
  if "$bin" "$c" --help > "$scratch/help.txt" && grep -q "^usage: objimpl $c" "$scratch/help.txt"; then ok "$c --help"; else bad "$c --help"; fi
done
set +e
err=$("$bin" verify --runs 1e1 2>&1 >/dev/null); status=$?
set -e
if [ "$status" = 2 ] && [ "$err" = "objimpl verify: --runs: takes a positive integer, got '1e1'" ]; then ok "bad number: exit 2, one line"; else bad "bad number: status $status, '$err'"; fi

cp "$root/fixtures/traces/startup.trace.gz" "$root/fixtures/traces/startup.stats" "$proj/"
if "$bin" replay startup.trace.gz --stats startup.stats > "$scratch/replay.txt" && grep -q ' ok (' "$scratch/replay.txt"; then
  ok "replay: $(grep -c . "$scratch/replay.txt") lines, ok"
else
  cat "$scratch/replay.txt"; bad "replay"
fi
adapter="node node_modules/objimpl/dist/tools/adapters/model-adapter.js"
if "$bin" gate --impl "$adapter" --runs 2 --json gate.json > "$scratch/gate.txt" && node -e '
    const g = JSON.parse(require("fs").readFileSync("gate.json", "utf8"));
    process.exit(g.ok && g.properties.length > 3 ? 0 : 1);'; then
  ok "gate against the compiled model adapter: $(tail -n 1 "$scratch/gate.txt")"
else
  cat "$scratch/gate.txt"; bad "gate"
fi

cp "$root/examples/check-and-replay.mjs" "$proj/"
if node check-and-replay.mjs startup.trace.gz > "$scratch/example.txt"; then ok "plain-node ESM example: $(tr '\n' ';' < "$scratch/example.txt")"; else cat "$scratch/example.txt"; bad "plain-node ESM example"; fi
if node --input-type=module -e '
    import * as o from "objimpl"; import * as s from "objimpl/spec"; import * as t from "objimpl/trace"; import * as g from "objimpl/gate";
    const ok = typeof o.ModelImplementation === "function" && typeof s.SpecImplementation === "function"
      && typeof t.replayTrace === "function" && typeof g.runGate === "function" && typeof o.checkImplementation === "function";
    process.exit(ok ? 0 : 1);'; then ok "import of every entry point from plain node"; else bad "import of the entry points"; fi

cp "$root/tools/pack-test/consumer.ts" "$proj/"
"$root/node_modules/.bin/tsc" --init > /dev/null
sed -i 's#^{#{\n  "include": ["consumer.ts"],#' tsconfig.json
if "$root/node_modules/.bin/tsc" --noEmit -p tsconfig.json > "$scratch/tsc.txt" 2>&1; then
  ok "TypeScript consumer type-checks with tsc --init's strict settings (typescript $("$root/node_modules/.bin/tsc" --version | cut -d' ' -f2))"
else
  head -n 20 "$scratch/tsc.txt"; bad "TypeScript consumer: $(grep -c 'error TS' "$scratch/tsc.txt") errors"
fi

echo "pack-test: $passed passed, $failed failed"
[ "$failed" = 0 ]

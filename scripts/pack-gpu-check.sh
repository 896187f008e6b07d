#!/usr/bin/env bash
# Builds scripts/gpu-bundle/: everything scripts/gpu-check.sh needs on a bare GPU machine with no network and no
# Node.js, small enough to travel with the repository (64 MiB at most):
#   node.xz               this machine's node binary (process.execPath), xz -9
#   vanillabench.tar.xz   package.json, bin/, dist/ (compiled here) and only the node_modules files that the
#                         commands of the check load (traced; tfjs' node bundles, the wasm binaries, Dawn for
#                         linux-x64 alone), plus the Vulkan loader (libvulkan.so.1) for machines without one
#   BUILD_INFO            commit, dirty flag, node version, date, sizes
# Run from anywhere: `scripts/pack-gpu-check.sh` (needs xz, tar; apt-get for the Vulkan loader, else it is left out).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/scripts/gpu-bundle"
cd "$ROOT"

[ "$(uname -m)" = x86_64 ] || { echo "pack-gpu-check: build on x86-64 (the GPU machine is x86-64)" >&2; exit 1; }
NODE="$(node -p process.execPath)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || { echo "pack-gpu-check: node >= 20 needed, have $(node -v)" >&2; exit 1; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "pack-gpu-check: node_modules/webgpu (optional dependency) is missing: npm install" >&2; exit 1; }
[ -d node_modules/@tensorflow/tfjs-backend-webgpu ] || { echo "pack-gpu-check: @tensorflow/tfjs-backend-webgpu (optional dependency) is missing: npm install" >&2; exit 1; }

echo "pack-gpu-check: building dist/" >&2
npx tsc -p tsconfig.json

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
S="$STAGE/vanillabench"
mkdir -p "$S/node_modules" "$S/scripts"
cp package.json "$S/"
cp -r bin dist "$S/"
cp scripts/torch_latency.py scripts/torch_models.py "$S/scripts/"

# node_modules: exactly the files the check's commands load, found by running them here, small, under a module
# tracer (scripts/trace-modules.mjs); webgpu on Dawn's null backend (an adapter that computes nothing) loads the
# same JavaScript as on a GPU. Plus each package's package.json and the wasm binaries (read with fs, not imported).
echo "pack-gpu-check: tracing the modules the check loads" >&2
TRACE="$STAGE/trace.txt"
: > "$TRACE"
T=(env TRACE_FILE="$TRACE" node --import ./scripts/trace-modules.mjs bin/vanillabench.js)
NULLGPU=(env VANILLABENCH_DAWN_OPTIONS=backend=null)
SMALL=(--input 32 --width 0.0625)
"${T[@]}" zoo --json >/dev/null
"${NULLGPU[@]}" "${T[@]}" compare-backends --models vanillanet-5,resnet-18 "${SMALL[@]}" --tolerance 1e30 --json >/dev/null 2>&1 || true
"${NULLGPU[@]}" "${T[@]}" latency --backend webgpu --models vanillanet-5 --form both "${SMALL[@]}" --min-samples 2 --min-time-ms 1 --warmup-runs 1 --warmup-ms 0 --out "$STAGE/lat" --json >/dev/null 2>&1 || true
"${T[@]}" latency --backend wasm --models vanillanet-5 --form deploy "${SMALL[@]}" --min-samples 2 --min-time-ms 1 --warmup-runs 1 --warmup-ms 0 --out "$STAGE/lat" --json >/dev/null 2>&1 || true
"${NULLGPU[@]}" "${T[@]}" bench-train --backend webgpu --min-time-ms 1 --min-steps 1 --json >/dev/null 2>&1 || true
grep -q 'dawn.node' "$TRACE" || { echo "pack-gpu-check: the trace did not load Dawn (a traced command failed?)" >&2; exit 1; }
NM="$ROOT/node_modules/"
sed 's|^file://||' "$TRACE" | grep "^$NM" | sed "s|^$NM||" | sort -u > "$STAGE/files.txt"
# every package.json on the way up from each file (module type, main, nested dist/*/package.json files)
node -e '
  const fs = require("fs"), path = require("path");
  const files = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  const out = new Set();
  for (const f of files) {
    for (let d = path.dirname(f); d !== "." && d !== "/"; d = path.dirname(d)) {
      if (fs.existsSync(path.join("node_modules", d, "package.json"))) out.add(path.join(d, "package.json"));
    }
  }
  process.stdout.write([...out].join("\n") + "\n");
' "$STAGE/files.txt" >> "$STAGE/files.txt"
(cd node_modules && ls @tensorflow/tfjs-backend-wasm/dist/*.wasm) >> "$STAGE/files.txt"
sort -u "$STAGE/files.txt" | while read -r f; do
  [ -f "node_modules/$f" ] || continue
  mkdir -p "$S/node_modules/$(dirname "$f")"
  cp "node_modules/$f" "$S/node_modules/$f"
done
echo "pack-gpu-check: $(find "$S/node_modules" -type f | wc -l) node_modules files from $(ls -d "$S"/node_modules/*/ "$S"/node_modules/@*/*/ 2>/dev/null | grep -vc '/@[^/]*/$') packages" >&2

# The Vulkan loader, for a machine that has the NVIDIA driver's ICD but no libvulkan.so.1 (gpu-check.sh uses it
# only then). Debian's libvulkan1 needs nothing beyond libc.
if command -v apt-get >/dev/null; then
  (cd "$STAGE" && apt-get download libvulkan1 >/dev/null 2>&1 && dpkg -x libvulkan1_*.deb vk) || true
  if ls "$STAGE"/vk/usr/lib/x86_64-linux-gnu/libvulkan.so.1* >/dev/null 2>&1; then
    mkdir -p "$S/vulkan"
    cp -P "$STAGE"/vk/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$S/vulkan/"
  fi
fi
[ -d "$S/vulkan" ] || echo "pack-gpu-check: note: no Vulkan loader packed (apt-get download libvulkan1 failed)" >&2

echo "pack-gpu-check: compressing (xz -9)" >&2
NODE_SHA="$(sha256sum "$NODE" | cut -c1-64)"
# the node binary takes minutes to compress: reuse the last one when it is the same binary
if [ -f "$OUT/node.xz" ] && grep -qx "node_sha256=$NODE_SHA" "$OUT/BUILD_INFO" 2>/dev/null; then
  mv "$OUT/node.xz" "$STAGE/node.xz"
else
  xz -9 -T0 -c "$NODE" > "$STAGE/node.xz"
fi
rm -rf "$OUT"
mkdir -p "$OUT"
mv "$STAGE/node.xz" "$OUT/node.xz"
tar -C "$STAGE" -cf - vanillabench | xz -9 -T0 > "$OUT/vanillabench.tar.xz"

COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
DIRTY="$( [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo true || echo false)"
{
  echo "commit=$COMMIT"
  echo "dirty=$DIRTY"
  echo "node=$(node -v)"
  echo "node_sha256=$NODE_SHA"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "unpacked_kib=$(du -sk "$S" | cut -f1)"
} > "$OUT/BUILD_INFO"
TOTAL=$(du -cb "$OUT"/* | tail -1 | cut -f1)
echo "total_bytes=$TOTAL" >> "$OUT/BUILD_INFO"
ls -l "$OUT" >&2
echo "pack-gpu-check: $OUT holds $((TOTAL / 1024 / 1024)) MiB (limit of what travels: 64 MiB, the repository included)" >&2
[ "$TOTAL" -lt $((56 * 1024 * 1024)) ] || { echo "pack-gpu-check: bundle too large" >&2; exit 1; }

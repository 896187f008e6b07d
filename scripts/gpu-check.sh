#!/usr/bin/env bash
# The GPU check, in one go, on a bare NVIDIA Linux x64 machine with no network and no Node.js:
# unpacks scripts/gpu-bundle/ (made by scripts/pack-gpu-check.sh: a Node.js binary and the needed node_modules +
# dist/), makes the NVIDIA Vulkan driver findable, then runs, each step under its own time limit:
#   1. nvidia-smi, vulkaninfo --summary (if present), the WebGPU adapter Dawn sees
#   2. compare-backends: every deploy model's output on webgpu vs wasm (relative error <= 1e-3)
#   3. latency on webgpu: VanillaNet-5..13, ResNet-18/34/50 deploy forms at 224, batch 1
#   4. latency on webgpu, train form of two models (deploy should be faster)
#   5. bench-train on webgpu (short)
#   6. the PyTorch peer: scripts/torch_latency.py on the same card
# Everything goes to one folder: $OUT (the device tool's) or the first argument, 8 files (the device tool brings
# back at most 8): gpu-check.log (every step's output, exit codes, build info), compare-backends.json,
# latency-deploy.json, latency-train.json, bench-train.json, and latency/ with webgpu-<gpu>.json/.csv and
# torch-<gpu>.json (copy these into results/latency/ to commit them).
#
# --rehearsal (or GPU_CHECK_REHEARSAL=1): the same steps and the same files on a machine without a GPU, with the
# system's Vulkan driver (Mesa's lavapipe: Vulkan on the CPU) instead of NVIDIA's, no nvidia-smi, tiny sizes (width
# 1/16, 32 px, few samples) and the PyTorch peer on the CPU. Everything it writes says so: the log's first line, the
# adapter in every webgpu file (software: the latency file is webgpu-<adapter>-software.json) and the PyTorch
# file ("rehearsal": true); the report never shows such figures as GPU figures. The day a card is lent the same
# script runs without the switch.
# Usage: scripts/gpu-check.sh [--rehearsal] [out-dir]     (the whole check is meant to end within about 8 minutes)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="${GPU_BUNDLE:-$ROOT/scripts/gpu-bundle}"
REHEARSAL="${GPU_CHECK_REHEARSAL:-}"
[ "${1:-}" = --rehearsal ] && { REHEARSAL=1; shift; }
[ "$REHEARSAL" = 0 ] && REHEARSAL=''
RESULTS="${1:-${OUT:-$ROOT/gpu-check-out}}"
HOME_DIR="${VB_HOME:-/tmp/vanillabench-gpu}"   # where the bundle unpacks (outside the repository)
mkdir -p "$RESULTS/latency"
LOG="$RESULTS/gpu-check.log"
: > "$LOG"
T0=$(date +%s)
say() { echo "[gpu-check +$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG" >&2; }
[ -n "$REHEARSAL" ] && say "REHEARSAL: no GPU; the system's Vulkan driver (a software adapter), tiny sizes, PyTorch on the CPU. Not GPU figures."
STEPS=()
# step <name> <seconds> <stdout file, or - for the log> <command...>: runs it under a time limit, stderr to the
# log; never stops the check
step() {
  local name="$1" limit="$2" out="$3"; shift 3
  [ "$out" = - ] && out="$LOG"
  say "== $name (limit ${limit}s): $*"
  timeout --kill-after=10 "$limit" "$@" >>"$out" 2>>"$LOG"
  local rc=$?
  [ $rc -eq 124 ] && say "$name: TIMED OUT after ${limit}s" || say "$name: exit $rc"
  STEPS+=("$name=$rc")
  return 0
}

# ---- unpack
[ -f "$BUNDLE/node.xz" ] && [ -f "$BUNDLE/vanillabench.tar.xz" ] || { say "no bundle in $BUNDLE: run scripts/pack-gpu-check.sh first"; exit 1; }
rm -rf "$HOME_DIR" && mkdir -p "$HOME_DIR"
xz -dc "$BUNDLE/node.xz" > "$HOME_DIR/node" && chmod +x "$HOME_DIR/node"
tar -C "$HOME_DIR" -xJf "$BUNDLE/vanillabench.tar.xz"
VB="$HOME_DIR/vanillabench"
NODE="$HOME_DIR/node"
sed 's/^/build: /' "$BUNDLE/BUILD_INFO" >> "$LOG" 2>/dev/null
export VANILLABENCH_GIT_COMMIT="$(sed -n 's/^commit=//p' "$BUNDLE/BUILD_INFO" 2>/dev/null)"
export VANILLABENCH_GIT_DIRTY="$(sed -n 's/^dirty=//p' "$BUNDLE/BUILD_INFO" 2>/dev/null)"
say "unpacked in $(( $(date +%s) - T0 ))s: node $("$NODE" -v), commit ${VANILLABENCH_GIT_COMMIT:-unknown} (dirty: ${VANILLABENCH_GIT_DIRTY:-?})"

# ---- Vulkan: the loader (carried if the machine has none) and the NVIDIA ICD
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  if [ -d "$VB/vulkan" ]; then
    export LD_LIBRARY_PATH="$VB/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    say "no system Vulkan loader: using the carried one ($VB/vulkan)"
  else
    say "no Vulkan loader here and none carried: webgpu will find no adapter"
  fi
fi
if [ -n "$REHEARSAL" ]; then
  say "rehearsal: the system's Vulkan drivers ($(ls /usr/share/vulkan/icd.d/ 2>/dev/null | tr '\n' ' '))"
else
  ICD=""
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    [ -f "$f" ] && { ICD="$f"; break; }
  done
  if [ -z "$ICD" ]; then
    # no ICD file: point one at the driver library that implements Vulkan (libGLX_nvidia exports vk_icdGetInstanceProcAddr)
    LIBNV="$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')"
    [ -z "$LIBNV" ] && LIBNV="$(find /usr/lib /usr/lib64 /usr/local/nvidia /usr/lib/x86_64-linux-gnu -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1)"
    if [ -n "$LIBNV" ]; then
      ICD="$HOME_DIR/nvidia_icd.json"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$LIBNV" > "$ICD"
      say "wrote $ICD for $LIBNV"
    else
      say "no NVIDIA Vulkan ICD and no libGLX_nvidia.so.0 found"
    fi
  fi
  if [ -n "$ICD" ]; then
    export VK_ICD_FILENAMES="$ICD" VK_DRIVER_FILES="$ICD"
    say "Vulkan ICD: $ICD"
  fi
fi

# ---- 1. the machine
if [ -n "$REHEARSAL" ]; then say "rehearsal: no nvidia-smi"; else step nvidia-smi 30 - nvidia-smi; fi
command -v vulkaninfo >/dev/null && step vulkaninfo 30 - vulkaninfo --summary
cd "$VB"
step adapter 60 - "$NODE" --input-type=module -e "
  const { selectBackend, backendSummary } = await import('./dist/src/backend/select.js');
  const info = await selectBackend('webgpu', { log: (l) => console.error(l), verbose: true });
  console.log(JSON.stringify(info.adapter));
  console.error(backendSummary(info));
  (await import('./dist/src/util/cleanup.js')).runCommandEndHooks();
"
VB_CMD=("$NODE" "$VB/bin/vanillabench.js")
MODELS=vanillanet-5,vanillanet-6,vanillanet-7,vanillanet-8,vanillanet-9,vanillanet-10,vanillanet-11,vanillanet-12,vanillanet-13,resnet-18,resnet-34,resnet-50
# the paper's setting on a card; a rehearsal keeps every step and file but makes them tiny
SIZE=(--input 224)
DEPLOY_SAMPLES=(--min-samples 50 --min-time-ms 1000)
TRAIN_SAMPLES=(--min-samples 30 --min-time-ms 1000)
BENCH=(--min-time-ms 5000 --min-steps 10)
TORCH=()
if [ -n "$REHEARSAL" ]; then
  SIZE=(--input 32 --width 0.0625)
  DEPLOY_SAMPLES=(--min-samples 5 --min-time-ms 100)
  TRAIN_SAMPLES=(--min-samples 5 --min-time-ms 100)
  BENCH=(--min-time-ms 1000 --min-steps 3)
  TORCH=(--rehearsal --input 32 --warmup 2 --iterations 5)
fi

# ---- 2. correctness: webgpu vs wasm on every deploy model (the wasm side is the slow part: ~1 s per model)
step compare-backends 120 "$RESULTS/compare-backends.json" \
  "${VB_CMD[@]}" compare-backends --backend webgpu --reference wasm --models "$MODELS" "${SIZE[@]}" --tolerance 1e-3 --json

# ---- 3. latency, deploy forms at the paper's setting
step latency-deploy 120 "$RESULTS/latency-deploy.json" "${VB_CMD[@]}" latency --backend webgpu --models "$MODELS" \
  --form deploy "${SIZE[@]}" "${DEPLOY_SAMPLES[@]}" --out "$RESULTS/latency" --merge --json

# ---- 4. train vs deploy form for two models (merged into the same latency file)
step latency-train 60 "$RESULTS/latency-train.json" "${VB_CMD[@]}" latency --backend webgpu --models vanillanet-5,vanillanet-13 \
  --form both "${SIZE[@]}" "${TRAIN_SAMPLES[@]}" --out "$RESULTS/latency" --merge --json

# ---- 5. training throughput on webgpu
step bench-train 45 "$RESULTS/bench-train.json" "${VB_CMD[@]}" bench-train --backend webgpu "${BENCH[@]}" --json

# ---- 6. the PyTorch peer on the same card
GPU_SLUG="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-+|-+$//g')"
[ -n "$REHEARSAL" ] && GPU_SLUG=cpu-rehearsal
step torch-latency 90 /dev/null env PYTHONUNBUFFERED=1 "${PYTHON:-python3}" "$VB/scripts/torch_latency.py" "${TORCH[@]}" --out "$RESULTS/latency/torch-${GPU_SLUG:-gpu}.json"

say "done in $(( $(date +%s) - T0 ))s; steps (name=exit code): ${STEPS[*]}"
ls -l "$RESULTS" "$RESULTS/latency" >&2

#!/usr/bin/env bash
# Runs the budget ladders of Tables 2 and 3 (and the PyTorch columns at 1x) rung by rung, each step with --resume,
# so that the script can be stopped at any time and started again: finished runs are kept and skipped.
# Usage: bash scripts/ladder.sh [results-dir]   (default: results; run it from a checkout that nothing else writes to)
# Order: what the verdicts need most first (VanillaNet-6's Table 2 rungs, Table 3's), AlexNet's 2x (short) before
# Table 3's 4x so that a session's end, which kills the runs in flight, finds a rung done and short runs going, then
# the PyTorch columns, ResNet-50 last (its rungs cost about as much as all the others together: `ablate ...
# --dry-run` prints each step's estimate).
set -u
cd "$(dirname "$0")/.."
out=${1:-results}/ablation
step() {
  echo "== $(date -u +%FT%TZ) ablate $*" >&2
  node bin/vanillabench.js ablate "$@" --workers 2 --backend wasm --no-run-files --resume || echo "== step failed ($?): $*" >&2
}
step experiments/table2.ts --preset full-2x --models vanillanet-6 --out "$out/table2-full-2x"
step experiments/table2.ts --preset full-4x --models vanillanet-6 --out "$out/table2-full-4x"
step experiments/table3.ts --preset full-2x --out "$out/table3-full-2x"
step experiments/table2.ts --preset full-2x --models alexnet --out "$out/table2-full-2x"
step experiments/table3.ts --preset full-4x --out "$out/table3-full-4x"
step experiments/table2.ts --preset full-4x --models alexnet --out "$out/table2-full-4x"
step experiments/table2.ts --preset full --engine torch --models alexnet --out "$out/table2-full"
step experiments/table3.ts --preset full --engine torch --out "$out/table3-full"
step experiments/table2.ts --preset full --models resnet-50 --out "$out/table2-full"
step experiments/table2.ts --preset full-2x --models resnet-50 --out "$out/table2-full-2x"
step experiments/table2.ts --preset full-4x --models resnet-50 --out "$out/table2-full-4x"

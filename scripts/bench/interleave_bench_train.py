#!/usr/bin/env python3
"""Interleaved before/after timing of `bench-train` on the small-image cells (the README's throughput table).

Usage: interleave_bench_train.py ROUNDS LABEL=DIR [LABEL=DIR ...]
Each DIR is a built checkout (`npx tsc -p tsconfig.json`); every round runs each cell once per checkout, the
checkout order flipped each round, so that both see the same load. Prints each run (img/s, img per CPU second,
1-minute load average) and the median per cell and checkout, with ratios to the first checkout.
Environment: CELLS (comma-separated, default on,off): on|off = deep training on, series activation on|off;
doff-on|doff-off = deep training off; alexnet = the AlexNet-like net at width 1/8; MODEL/WIDTH/DEEP-SERIES (e.g.
resnet-50/0.03125/off-on, alexnet/0.125/on-on) = any model, width and toggles (small stem, 32 px, batch 64).
TORCH=/usr/bin/python3 adds PyTorch (scripts/torch_bench_train.py of this script's checkout, one thread; VanillaNet-6,
AlexNet, ResNet-50) as two more variants of every cell in every round, so that its figures come from the same pass:
'pytorch' with the batch laid out as the reference trainer's (channels-last strides) and 'pytorch-nchw' (contiguous).
"""
import json
import os
import statistics
import subprocess
import sys

rounds = int(sys.argv[1])
variants = [a.split('=', 1) for a in sys.argv[2:]]
cells = os.environ.get('CELLS', 'on,off').split(',')


torch_python = os.environ.get('TORCH')
here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse(cell):
    """(model, width, deep training, series activation) of a cell name."""
    if cell == 'alexnet':
        return 'alexnet', '0.125', 'off', 'off'
    if '/' in cell:
        model, width, toggles = cell.split('/')
        deep, series = toggles.split('-')
        return model, width, deep, series
    deep, series = ('off', cell[5:]) if cell.startswith('doff-') else ('on', cell)
    return 'vanillanet-6', '0.0625', deep, series


TORCH_VARIANTS = {'pytorch': 'channels-last', 'pytorch-nchw': 'nchw'}


def torch_cmd(cell, label):
    model, width, deep, series = parse(cell)
    return [torch_python, 'scripts/torch_bench_train.py', '--model', model, '--width', width, '--stem', 'small', '--input',
            '32', '--batch-size', '64', '--deep-training', deep, '--series-act', series, '--min-time-ms', '5000',
            '--min-steps', '5', '--memory-format', TORCH_VARIANTS[label]]


def cell_args(cell):
    model, width, deep, series = parse(cell)
    return ['--model', model, '--width', width, '--stem', 'small', '--input', '32', '--batch-size', '64',
            '--deep-training', deep, '--series-act', series]


runs = {}
for r in range(rounds):
    for cell in cells:
        order = variants + ([(label, here) for label in TORCH_VARIANTS] if torch_python else [])
        for label, d in (order if r % 2 == 0 else order[::-1]):
            cmd = ['nice', '-n', '10', *(torch_cmd(cell, label) if label in TORCH_VARIANTS else [
                'node', 'bin/vanillabench.js', 'bench-train', '--backend', 'wasm', *cell_args(cell),
                '--min-time-ms', '5000', '--min-steps', '5', '--json'])]
            load0 = os.getloadavg()[0]
            out = subprocess.run(cmd, cwd=d, capture_output=True, text=True, check=True).stdout
            doc = json.loads(out[out.index('{'):out.rindex('}') + 1])
            row = doc if label in TORCH_VARIANTS else doc['results'][0]
            load = (load0 + os.getloadavg()[0]) / 2
            runs.setdefault((cell, label), []).append((row['imagesPerSec'], row['imagesPerCpuSec'], load))
            print(f"round {r} {cell} {label}: {row['imagesPerSec']:.1f} img/s, {row['imagesPerCpuSec']:.1f} per CPU s, load {load:.2f}",
                  flush=True)

print('medians')
for cell in cells:
    base = None
    for label, _ in variants + [(label, None) for label in TORCH_VARIANTS]:
        if (cell, label) not in runs:
            continue
        v = runs[(cell, label)]
        wall = statistics.median(x[0] for x in v)
        cpu = statistics.median(x[1] for x in v)
        base = base or (wall, cpu)
        print(f"{cell} {label}: {wall:.1f} img/s ({wall / base[0]:.2f}x), {cpu:.1f} per CPU s ({cpu / base[1]:.2f}x), "
              f"load {statistics.mean(x[2] for x in v):.1f}")

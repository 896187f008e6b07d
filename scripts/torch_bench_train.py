#!/usr/bin/env python3
"""PyTorch peer of `vanillabench bench-train` for the small-image cells: training images/s of VanillaNet-6 (training
form: deep training's conv pairs with a leaky-ReLU of slope lambda between them, the series activation as ReLU +
7x7 depthwise conv + BN) on CPU, timed the same way (random 32x32 batch, AdamW, label smoothing 0.1, warm-up step,
then steps until --min-time-ms and --min-steps; one thread by default).

The model follows src/models/vanillanet.ts (stem 4x4/4 or, with --stem small, 2x2/2; each stage: 1x1 conv (pair),
BN, max-pool when the stride is 2, activation; classifier: global average pool, dense (pair with BN when deep)).
--model alexnet or resnet-50 times the reference trainer's modules instead (scripts/torch_train.py, the same
toggles and family defaults as vanillabench's zoo: AlexNet with dropout 0.5, ResNet with its shortcuts; the
deep-training activation at lambda 0.5, as bench-train).
Run with Debian's torch: /usr/bin/python3 scripts/torch_bench_train.py --stem small --deep-training on --series-act on
Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DIMS = [128, 256, 512, 1024, 1024]
STRIDES = [2, 2, 2, 1]
EPS = 1e-6


class LambdaAct(nn.Module):
    def __init__(self):
        super().__init__()
        self.lam = 0.5

    def forward(self, x):
        return F.leaky_relu(x, self.lam)


def conv_bn(cin, cout, k, s, deep):
    layers = [nn.Conv2d(cin, cout, k, s), nn.BatchNorm2d(cout, eps=EPS)]
    if deep:
        layers += [LambdaAct(), nn.Conv2d(cout, cout, 1), nn.BatchNorm2d(cout, eps=EPS)]
    return layers


def pair_1x1(cin, cout, deep):
    if not deep:
        return [nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout, eps=EPS)]
    return [nn.Conv2d(cin, cin, 1), nn.BatchNorm2d(cin, eps=EPS), LambdaAct(), nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout, eps=EPS)]


def activation(dim, series):
    if not series:
        return [nn.ReLU()]
    return [nn.ReLU(), nn.Conv2d(dim, dim, 7, padding=3, groups=dim, bias=False), nn.BatchNorm2d(dim, eps=EPS)]


class VanillaNet6(nn.Module):
    def __init__(self, width, stem, deep, series, classes=10):
        super().__init__()
        d = [max(1, round(c * 4 * width)) for c in DIMS]
        k = 2 if stem == "small" else 4
        layers = conv_bn(3, d[0], k, k, deep) + activation(d[0], series)
        for i, s in enumerate(STRIDES):
            layers += pair_1x1(d[i], d[i + 1], deep)
            if s > 1:
                layers.append(nn.MaxPool2d(s))
            layers += activation(d[i + 1], series)
        self.features = nn.Sequential(*layers)
        head = [nn.Linear(d[-1], classes)]
        if deep:
            head += [nn.BatchNorm1d(classes, eps=EPS), LambdaAct(), nn.Linear(classes, classes)]
        self.head = nn.Sequential(*head)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def reference_model(a):
    """AlexNet or ResNet-50 from the reference trainer (scripts/torch_train.py), options as vanillabench's zoo."""
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_train import build_model, set_lambda
    o = {"width": a.width, "stem": a.stem, "inputSize": a.input, "inputChannels": 3, "numClasses": 10, "actNum": 3,
         "deepTraining": a.deep_training == "on", "seriesAct": a.series_act == "on",
         "shortcut": "before-act" if a.model.startswith("resnet") else "none", "dropRate": 0.5 if a.model == "alexnet" else 0}
    model = build_model(a.model, o)
    set_lambda(model, 0.5)
    return model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["vanillanet-6", "alexnet", "resnet-50"], default="vanillanet-6")
    p.add_argument("--width", type=float, default=1 / 16)
    p.add_argument("--stem", choices=["small", "imagenet"], default="imagenet")
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--deep-training", choices=["on", "off"], default="on")
    p.add_argument("--series-act", choices=["on", "off"], default="on")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--min-time-ms", type=float, default=5000)
    p.add_argument("--min-steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = VanillaNet6(a.width, a.stem, a.deep_training == "on", a.series_act == "on") if a.model == "vanillanet-6" else reference_model(a)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    x = torch.randn(a.batch_size, 3, a.input, a.input)
    y = torch.randint(0, 10, (a.batch_size,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()
        return loss.item()

    step()
    t0 = time.perf_counter()
    c0 = time.process_time()
    steps = 0
    while (time.perf_counter() - t0) * 1000 < a.min_time_ms or steps < a.min_steps:
        step()
        steps += 1
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(json.dumps({
        "model": a.model, "width": a.width, "stem": a.stem, "input": a.input, "deepTraining": a.deep_training,
        "seriesAct": a.series_act, "batch": a.batch_size, "threads": a.threads, "torch": torch.__version__,
        "steps": steps, "imagesPerSec": steps * a.batch_size / secs, "imagesPerCpuSec": steps * a.batch_size / cpu,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch peer of `vanillabench bench-train` for the small-image cells: training images/s of VanillaNet-6, AlexNet
or ResNet-50 on CPU, timed the same way (random 32x32 batch, AdamW, label smoothing 0.1, warm-up step, then steps
until --min-time-ms and --min-steps; one thread by default).

The models are the reference trainer's (scripts/torch_models.py), with the same toggles and family defaults as
vanillabench's zoo: VanillaNet-6 (stem 4x4/4 or, with --stem small, 2x2/2; deep training's conv pairs with a leaky
ReLU of slope lambda between them; the series activation as ReLU + 7x7 depthwise conv + BN), AlexNet with dropout
0.5, ResNet with its shortcuts; the deep-training activation at lambda 0.5, as bench-train.
The batch is laid out as the reference trainer's (--memory-format channels-last, the default): torch_train.py stores
images NHWC and permutes each batch to NCHW, so PyTorch sees channels-last strides and runs its channels-last
kernels, about 3x faster on the series activation's depthwise convolution than on a contiguous NCHW batch
(--memory-format nchw, what this script timed before; both are PyTorch's speed, the first is the trainer's).
Run with Debian's torch: /usr/bin/python3 scripts/torch_bench_train.py --stem small --deep-training on --series-act on
Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from torch_models import build_model, set_lambda


def reference_model(a):
    """The reference trainer's model, options as vanillabench's zoo resolves them for this family."""
    family = a.model.split("-")[0]
    o = {"width": a.width, "stem": a.stem, "inputSize": a.input, "inputChannels": 3, "numClasses": 10, "actNum": 3,
         "deepTraining": a.deep_training == "on", "seriesAct": a.series_act == "on",
         "shortcut": "before-act" if family == "resnet" else "none", "dropRate": 0.5 if family == "alexnet" else 0}
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
    p.add_argument("--memory-format", choices=["channels-last", "nchw"], default="channels-last")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = reference_model(a)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    x = torch.randn(a.batch_size, 3, a.input, a.input)
    if a.memory_format == "channels-last":
        x = x.contiguous(memory_format=torch.channels_last)
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
        "seriesAct": a.series_act, "batch": a.batch_size, "threads": a.threads, "memoryFormat": a.memory_format, "torch": torch.__version__,
        "steps": steps, "imagesPerSec": steps * a.batch_size / secs, "imagesPerCpuSec": steps * a.batch_size / cpu,
    }))


if __name__ == "__main__":
    main()

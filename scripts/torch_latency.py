#!/usr/bin/env python3
"""PyTorch peer of `vanillabench latency` on the same GPU: batch-1 latency of VanillaNet-5..13 (deploy form) and
ResNet-18/34/50, timed the way the VanillaNet authors time (model.eval(), no_grad, warm-up calls, then many calls
between two torch.cuda.synchronize() and the mean per call), plus per-call CUDA-event timings for median and p90.

The VanillaNet deploy forms are the reference trainer's (scripts/torch_models.py, from
src/reference/vanillanet-architecture.md: stem 4x4/4 conv + series activation; each stage: 1x1 conv, max-pool when
the stride is 2, series activation = ReLU then a 7x7 depthwise conv with bias; classifier: global average pool + 1x1
conv). ResNets come from torchvision when it is installed (eval mode, BatchNorm not fused, as published), else from
torch_models.py (the same layout, toggles off).
Weights are random: latency does not depend on their values.

--rehearsal runs it on the CPU where there is no GPU (scripts/gpu-check.sh --rehearsal): the same file, with
"rehearsal": true and gpu.name "cpu (rehearsal)", which the report never shows as GPU figures.

Output (--out FILE, schema "vanillabench/torch-latency@1"; the report reads results/latency/torch-<gpu>.json):
  { schema, date, command, gpu: {name, capability, memoryGiB}, torch, torchvision, cuda, cudnn,
    settings: {inputSize, batch, dtype, warmup, iterations, tf32Conv, tf32Matmul, cudnnBenchmark, channelsLast},
    rows: [{model, form, source, paramsM, meanMs, medianMs, p90Ms, minMs, sdMs, samples}] }
"""
import argparse
import json
import math
import re
import sys
import time
from datetime import datetime, timezone

import torch

from torch_models import VANILLANET, build_model  # this script's folder is on the path

SCHEMA = "vanillabench/torch-latency@1"

DEFAULT_MODELS = [f"vanillanet-{n}" for n in range(5, 14)] + ["resnet-18", "resnet-34", "resnet-50"]


def options(name):
    """The paper's setting (224 px, width 1, 1000 classes) with the family's defaults, as vanillabench's zoo has them."""
    vanilla = name in VANILLANET
    return {"width": 1, "stem": "imagenet", "inputSize": 224, "inputChannels": 3, "numClasses": 1000, "actNum": 3, "dropRate": 0,
            "deepTraining": vanilla, "seriesAct": vanilla, "shortcut": "none" if vanilla else "before-act"}


def build(name):
    if name in VANILLANET:
        model = build_model(name, options(name), deploy=True)
        with torch.no_grad():  # the deploy form starts at zeros; random values as any trained model has
            for p in model.parameters():
                p.normal_(0, 0.02)
        return model, "ours"
    m = re.fullmatch(r"resnet-(18|34|50)", name)
    if not m:
        raise SystemExit(f"torch_latency: unknown model {name!r}; known: {', '.join(DEFAULT_MODELS)}")
    depth = int(m.group(1))
    try:
        import torchvision.models as tvm
        return getattr(tvm, f"resnet{depth}")(weights=None), "torchvision"
    except ImportError:
        return build_model(name, options(name)), "ours (torchvision not installed)"


def percentile(sorted_xs, q):
    i = min(len(sorted_xs) - 1, max(0, math.ceil(q * len(sorted_xs)) - 1))
    return sorted_xs[i]


def time_model(model, x, warmup, iterations):
    cuda = x.is_cuda
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        sync()
        # the authors' figure: wall time of many calls between two synchronisations, divided by the count
        t0 = time.perf_counter()
        for _ in range(iterations):
            model(x)
        sync()
        mean_ms = (time.perf_counter() - t0) * 1000 / iterations
        # per-call spread: CUDA events around each call (the wall clock on the CPU)
        per_call = []
        for _ in range(iterations):
            if not cuda:
                t = time.perf_counter()
                model(x)
                per_call.append((time.perf_counter() - t) * 1000)
                continue
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            model(x)
            b.record()
            b.synchronize()
            per_call.append(a.elapsed_time(b))
    per_call.sort()
    m = sum(per_call) / len(per_call)
    sd = math.sqrt(sum((v - m) ** 2 for v in per_call) / max(1, len(per_call) - 1))
    return {
        "meanMs": round(mean_ms, 4), "medianMs": round(percentile(per_call, 0.5), 4), "p90Ms": round(percentile(per_call, 0.9), 4),
        "minMs": round(per_call[0], 4), "sdMs": round(sd, 4), "samples": iterations,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(DEFAULT_MODELS))
    p.add_argument("--input", type=int, default=224)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--cudnn-benchmark", action="store_true", help="let cuDNN pick algorithms by timing (off: PyTorch's default)")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--rehearsal", action="store_true", help="no GPU: run on the CPU, marked as a rehearsal (not GPU figures)")
    a = p.parse_args(argv)
    if not a.rehearsal and not torch.cuda.is_available():
        raise SystemExit("torch_latency: no CUDA device visible to PyTorch")
    torch.backends.cudnn.benchmark = a.cudnn_benchmark
    dev = torch.device("cpu" if a.rehearsal else "cuda")
    if a.rehearsal:
        gpu = {"name": "cpu (rehearsal)"}
    else:
        props = torch.cuda.get_device_properties(dev)
        gpu = {"name": props.name, "capability": f"{props.major}.{props.minor}", "memoryGiB": round(props.total_memory / 2 ** 30, 1)}
    try:
        import torchvision
        tv = torchvision.__version__
    except ImportError:
        tv = None
    doc = {
        "schema": SCHEMA,
        "date": datetime.now(timezone.utc).isoformat(),
        "command": " ".join(["python3", "scripts/torch_latency.py", *(argv if argv is not None else sys.argv[1:])]),
        **({"rehearsal": True} if a.rehearsal else {}),
        "gpu": gpu,
        "torch": torch.__version__, "torchvision": tv, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
        "settings": {
            "inputSize": a.input, "batch": a.batch, "dtype": "float32", "warmup": a.warmup, "iterations": a.iterations,
            "tf32Conv": torch.backends.cudnn.allow_tf32, "tf32Matmul": torch.backends.cuda.matmul.allow_tf32,
            "cudnnBenchmark": a.cudnn_benchmark, "channelsLast": False,
        },
        "rows": [],
    }
    x = torch.randn(a.batch, 3, a.input, a.input, device=dev)
    for name in [m.strip() for m in a.models.split(",") if m.strip()]:
        model, source = build(name)
        model = model.to(dev).eval()
        params = sum(t.numel() for t in model.parameters()) / 1e6
        r = time_model(model, x, a.warmup, a.iterations)
        row = {"model": name, "form": "deploy" if name in VANILLANET else "published", "source": source, "paramsM": round(params, 3), **r}
        doc["rows"].append(row)
        print(f"{name}: mean {r['meanMs']:.3f} ms, median {r['medianMs']:.3f}, p90 {r['p90Ms']:.3f} ({source}, {params:.1f} M params)", file=sys.stderr, flush=True)
        del model
        if not a.rehearsal:
            torch.cuda.empty_cache()
        with open(a.out, "w") as f:  # after every model: a killed run keeps what it measured
            json.dump(doc, f, indent=1)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()

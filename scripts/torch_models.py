"""The reference's nn.Modules: VanillaNet (training and deploy form), AlexNet and ResNet with vanillabench's toggles,
written from src/reference/vanillanet-architecture.md and the README's "How the toggles map onto the baselines" table
as ordinary nn.Modules (not an interpreter of vanillabench's model description), with the module names of the
authors' PyTorch code, which are also vanillabench's layer names, so a state dict written by `toTorchStateDict`
(src/interop/torchMapping.ts) loads by name. `o` is a model's options as vanillabench's zoo resolves them.

Shared by the reference trainer (torch_train.py), the training-throughput peer (torch_bench_train.py) and the GPU
latency peer (torch_latency.py). The VanillaNet variants' dims and strides are read from the table that
src/models/vanillanet.ts reads too (src/models/vanillanet.json; in a built bundle, dist/src/models/vanillanet.json).
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def _vanillanet_specs():
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in ("../src/models/vanillanet.json", "../dist/src/models/vanillanet.json"):
        path = os.path.join(here, rel)
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)["models"]
    raise FileNotFoundError(f"vanillanet.json not found beside {here} (src/models/ or dist/src/models/)")


# --------------------------------------------------------------------------------------------------------------------
# building blocks

def scaled(channels, width):
    """Channels at a width multiplier: rounded half up, never below 1."""
    return max(1, int(math.floor(channels * width + 0.5)))


class Container(nn.Module):
    """A plain module holding children under given names ("0", "conv1", ...); forward is written by its owner."""

    def __init__(self, **children):
        super().__init__()
        for k, v in children.items():
            self.add_module(k, v)

    def __getitem__(self, name):
        return self._modules[str(name)]


class LambdaAct(nn.Module):
    """Deep training's activation: (1 - lambda) * ReLU(x) + lambda * x, i.e. a leaky ReLU of slope lambda (one op, as
    the authors' code and our kernel compute it); lambda is set on the model each step."""

    def __init__(self, model_state):
        super().__init__()
        self.state = model_state

    def forward(self, x):
        lam = self.state["lambda"]
        if lam >= 1:
            return x
        return F.leaky_relu(x, lam)


class SeriesAct(nn.Module):
    """Series informed activation: ReLU, a depthwise (2n+1)^2 conv (padding n), then BN (training form) or a bias."""

    def __init__(self, channels, act_num, eps, deploy=False):
        super().__init__()
        self.n = act_num
        k = 2 * act_num + 1
        self.weight = nn.Parameter(torch.zeros(channels, 1, k, k))
        self.deploy = deploy
        if deploy:
            self.bias = nn.Parameter(torch.zeros(channels))
        else:
            self.bn = nn.BatchNorm2d(channels, eps=eps)

    def forward(self, x):
        y = F.conv2d(F.relu(x), self.weight, self.bias if self.deploy else None, padding=self.n, groups=x.shape[1])
        return y if self.deploy else self.bn(y)


def activation(o, channels, eps, deploy=False):
    """The block activation: series activation, or a plain ReLU (no parameters)."""
    # the series activation's BN has eps 1e-6 in every family (the authors' activation class), whatever the network's own BNs use
    return SeriesAct(channels, o["actNum"], 1e-6, deploy) if o["seriesAct"] else nn.ReLU()


def conv_bn(cin, cout, k, stride=1, pad=0, bias=True, eps=1e-5):
    return [nn.Conv2d(cin, cout, k, stride, pad, bias=bias), nn.BatchNorm2d(cout, eps=eps)]


# --------------------------------------------------------------------------------------------------------------------
# VanillaNet (architecture doc): dims x4 (x6 for 1.5x), patchify stem, one block per stride, 1x1-conv classifier

VANILLANET = _vanillanet_specs()


class VanillaBlock(nn.Module):
    def __init__(self, o, st, dim, dim_out, stride, ada, deploy):
        super().__init__()
        eps = 1e-6
        self.o, self.deep, self.deploy = o, o["deepTraining"] and not deploy, deploy
        if deploy:
            self.conv = nn.Conv2d(dim, dim_out, 1)
        elif self.deep:
            self.conv1 = nn.Sequential(*conv_bn(dim, dim, 1, eps=eps))
            self.lam = LambdaAct(st)
            self.conv2 = nn.Sequential(*conv_bn(dim, dim_out, 1, eps=eps))
        else:
            self.conv = nn.Sequential(*conv_bn(dim, dim_out, 1, eps=eps))
        if ada:
            self.pool = nn.AdaptiveMaxPool2d(ada)
        elif stride > 1:
            self.pool = nn.MaxPool2d(stride)
        else:
            self.pool = nn.Identity()
        self.act = activation(o, dim_out, eps, deploy)
        self.identity = dim == dim_out and stride == 1 and not ada
        if o["shortcut"] != "none" and not self.identity:
            self.shortcut = nn.Conv2d(dim, dim_out, 1) if deploy else nn.Sequential(*conv_bn(dim, dim_out, 1, eps=eps))

    def forward(self, x):
        y = self.conv2(self.lam(self.conv1(x))) if self.deep else self.conv(x)
        y = self.pool(y)
        sc = self.o["shortcut"]
        if sc == "before-act":
            y = y + self.short(x)
        y = self.act(y)
        if sc == "after-act":
            y = y + self.short(x)
        return y

    def short(self, x):
        return x if self.identity else self.shortcut(self.pool(x))


class VanillaNet(nn.Module):
    def __init__(self, name, o, deploy=False):
        super().__init__()
        spec = VANILLANET[name]
        strides, ada = spec["strides"], spec.get("adaPool")
        dims = [scaled(d * spec["multiplier"], o["width"]) for d in spec["dims"]]
        eps = 1e-6
        self.st = {"lambda": 0.0}
        self.deep = o["deepTraining"] and not deploy
        self.deploy = deploy
        small = o["stem"] == "small"
        k, s, p = (2, 2, 0) if small else (4, 3, 1) if ada else (4, 4, 0)
        cin, c0, ncls = o["inputChannels"], dims[0], o["numClasses"]
        if deploy:
            self.stem = Container(**{"0": nn.Conv2d(cin, c0, k, s, p), "1": activation(o, c0, eps, True)})
        elif self.deep:
            self.stem1 = nn.Sequential(*conv_bn(cin, c0, k, s, p, eps=eps))
            self.stem_lam = LambdaAct(self.st)
            self.stem2 = nn.Sequential(*conv_bn(c0, c0, 1, eps=eps), activation(o, c0, eps))
        else:
            self.stem1 = nn.Sequential(*conv_bn(cin, c0, k, s, p, eps=eps))
            self.stem = Container(**{"1": activation(o, c0, eps)})
        self.stages = nn.ModuleList(
            [VanillaBlock(o, self.st, dims[i], dims[i + 1], strides[i], ada[i] if ada else 0, deploy) for i in range(len(strides))])
        c = dims[-1]
        drop = o["dropRate"]
        if deploy or not self.deep:
            head = Container(**{"0": nn.AdaptiveAvgPool2d(1), "1": nn.Dropout(drop), "2": nn.Conv2d(c, ncls, 1)})
            if deploy:
                self.cls = head
            else:  # the training form without deep training: pooling and dropout under cls1, the conv under cls
                self.cls1 = Container(**{"0": nn.AdaptiveAvgPool2d(1), "1": nn.Dropout(drop)})
                self.cls = Container(**{"2": nn.Conv2d(c, ncls, 1)})
        else:
            self.cls1 = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Dropout(drop), nn.Conv2d(c, ncls, 1), nn.BatchNorm2d(ncls, eps=eps))
            self.cls_lam = LambdaAct(self.st)
            self.cls2 = nn.Sequential(nn.Conv2d(ncls, ncls, 1))

    def forward(self, x):
        if self.deploy:
            x = self.stem[1](self.stem[0](x))
        elif self.deep:
            x = self.stem2(self.stem_lam(self.stem1(x)))
        else:
            x = self.stem[1](self.stem1(x))
        for blk in self.stages:
            x = blk(x)
        if self.deploy:
            x = self.cls[2](self.cls[1](self.cls[0](x)))
        elif self.deep:
            x = self.cls2(self.cls_lam(self.cls1(x)))
        else:
            x = self.cls[2](self.cls1[1](self.cls1[0](x)))
        return x.flatten(1)


# --------------------------------------------------------------------------------------------------------------------
# The baselines (README table): AlexNet-like (torchvision layout + BN) and ResNet (torchvision v1.5), same toggles

class ConvUnit(nn.Module):
    """conv -> BN ("0", "1"); with deep training also lambda-act -> conv 1x1 -> BN ("2", "3")."""

    def __init__(self, st, cin, cout, k, stride, pad, bias, deep, eps):
        super().__init__()
        self.deep = deep
        self.add_module("0", nn.Conv2d(cin, cout, k, stride, pad, bias=bias))
        self.add_module("1", nn.BatchNorm2d(cout, eps=eps))
        if deep:
            self.lam = LambdaAct(st)
            self.add_module("2", nn.Conv2d(cout, cout, 1, bias=bias))
            self.add_module("3", nn.BatchNorm2d(cout, eps=eps))

    def forward(self, x):
        m = self._modules
        y = m["1"](m["0"](x))
        if self.deep:
            y = m["3"](m["2"](self.lam(y)))
        return y


class AlexNet(nn.Module):
    def __init__(self, name, o):
        super().__init__()
        eps = 1e-5
        if o["shortcut"] != "none":
            raise ValueError("alexnet has no shortcuts")
        self.st = {"lambda": 0.0}
        small = o["stem"] == "small"
        w = lambda c: scaled(c, o["width"])  # noqa: E731
        cfg = [(o["inputChannels"], w(64), 3, 1, 1) if small else (o["inputChannels"], w(64), 11, 4, 2),
               (w(64), w(192), 3 if small else 5, 1, 1 if small else 2),
               (w(192), w(384), 3, 1, 1), (w(384), w(256), 3, 1, 1), (w(256), w(256), 3, 1, 1)]
        f = Container()
        for i, (cin, cout, k, s, p) in enumerate(cfg, 1):
            f.add_module(f"conv{i}", ConvUnit(self.st, cin, cout, k, s, p, True, o["deepTraining"], eps))
            f.add_module(f"act{i}", activation(o, cout, eps))
            if i in (1, 2, 5):
                f.add_module(f"pool{i}", nn.MaxPool2d(2, 2) if small else nn.MaxPool2d(3, 2))
        self.features = f
        side = o["inputSize"]
        for (cin, cout, k, s, p), pooled in zip(cfg, [1, 1, 0, 0, 1]):
            side = (side + 2 * p - k) // s + 1
            if pooled:
                side = side // 2 if small else (side - 3) // 2 + 1
        flat = side * side * w(256)
        self.classifier = Container(drop1=nn.Dropout(o["dropRate"]), fc1=nn.Linear(flat, w(4096)), drop2=nn.Dropout(o["dropRate"]),
                                    fc2=nn.Linear(w(4096), w(4096)), fc3=nn.Linear(w(4096), o["numClasses"]))

    def forward(self, x):
        f = self.features._modules
        for i in range(1, 6):
            x = f[f"act{i}"](f[f"conv{i}"](x))
            if f"pool{i}" in f:
                x = f[f"pool{i}"](x)
        # vanillabench flattens NHWC feature maps, so fc1's inputs are in (h, w, c) order
        x = x.permute(0, 2, 3, 1).flatten(1)
        c = self.classifier
        x = F.relu(c.fc1(c.drop1(x)))
        x = F.relu(c.fc2(c.drop2(x)))
        return c.fc3(x)


RESNET = {"resnet-18": ("basic", [2, 2, 2, 2]), "resnet-34": ("basic", [3, 4, 6, 3]), "resnet-50": ("bottleneck", [3, 4, 6, 3])}


def maxpool_same(x, k, s):
    """TensorFlow's 'same' max pooling: output ceil(n / s), the extra padding on the bottom/right."""
    h, w = x.shape[2], x.shape[3]
    ph = max((math.ceil(h / s) - 1) * s + k - h, 0)
    pw = max((math.ceil(w / s) - 1) * s + k - w, 0)
    x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), value=float("-inf"))
    return F.max_pool2d(x, k, s)


class ResBlock(nn.Module):
    def __init__(self, o, st, block, inplanes, planes, stride, eps):
        super().__init__()
        deep = o["deepTraining"]
        self.block, self.shortcut_mode = block, o["shortcut"]
        exp = 4 if block == "bottleneck" else 1
        if block == "basic":
            self.conv1 = ConvUnit(st, inplanes, planes, 3, stride, 1, False, deep, eps)
            self.act1 = activation(o, planes, eps)
            self.conv2 = ConvUnit(st, planes, planes, 3, 1, 1, False, False, eps)
        else:
            self.conv1 = ConvUnit(st, inplanes, planes, 1, 1, 0, False, deep, eps)
            self.act1 = activation(o, planes, eps)
            self.conv2 = ConvUnit(st, planes, planes, 3, stride, 1, False, deep, eps)
            self.act2 = activation(o, planes, eps)
            self.conv3 = ConvUnit(st, planes, planes * exp, 1, 1, 0, False, False, eps)
        self.has_down = stride != 1 or inplanes != planes * exp
        if self.has_down and self.shortcut_mode != "none":
            self.downsample = ConvUnit(st, inplanes, planes * exp, 1, stride, 0, False, False, eps)
        self.act = activation(o, planes * exp, eps)

    def forward(self, x):
        y = self.conv2(self.act1(self.conv1(x)))
        if self.block == "bottleneck":
            y = self.conv3(self.act2(y))
        short = lambda: self.downsample(x) if self.has_down else x  # noqa: E731
        if self.shortcut_mode == "before-act":
            y = y + short()
        y = self.act(y)
        if self.shortcut_mode == "after-act":
            y = y + short()
        return y


class ResNet(nn.Module):
    def __init__(self, name, o):
        super().__init__()
        eps = 1e-5
        block, layers = RESNET[name]
        exp = 4 if block == "bottleneck" else 1
        self.st = {"lambda": 0.0}
        self.small = o["stem"] == "small"
        c = scaled(64, o["width"])
        k, s, p = (3, 1, 1) if self.small else (7, 2, 3)
        self.conv1 = ConvUnit(self.st, o["inputChannels"], c, k, s, p, False, o["deepTraining"], eps)
        self.act1 = activation(o, c, eps)
        inplanes = c
        for li, count in enumerate(layers):
            planes = scaled(64 * 2 ** li, o["width"])
            blocks = []
            for bi in range(count):
                stride = 2 if bi == 0 and li > 0 else 1
                blocks.append(ResBlock(o, self.st, block, inplanes, planes, stride, eps))
                inplanes = planes * exp
            self.add_module(f"layer{li + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(inplanes, o["numClasses"])

    def forward(self, x):
        x = self.act1(self.conv1(x))
        if not self.small:
            x = maxpool_same(x, 3, 2)
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(x.mean((2, 3)))


def build_model(name, o, deploy=False):
    if name in VANILLANET:
        return VanillaNet(name, o, deploy)
    if deploy:
        raise ValueError(f"deploy form of {name}: not implemented in the reference trainer")
    if name == "alexnet":
        return AlexNet(name, o)
    if name in RESNET:
        return ResNet(name, o)
    raise ValueError(f"unknown model {name}")


def set_lambda(model, lam):
    model.st["lambda"] = lam



#!/usr/bin/env python3
"""PyTorch reference trainer for vanillabench: the models of torch_models.py (ordinary nn.Modules with the authors'
module names, which are also vanillabench's layer names, so a state dict written by `toTorchStateDict` loads by
name) trained under vanillabench's protocol.

Needs Python 3, torch (Debian: apt-get install python3-torch) and numpy; nothing else.

    python3 scripts/torch_train.py steps DIR      # the crosscheck: DIR as written by `vanillabench crosscheck`
    python3 scripts/torch_train.py run DIR        # a whole training run (`vanillabench ablate --engine torch`)
    python3 scripts/torch_train.py --probe        # one JSON line: python, torch and numpy versions

Exchange folder, format version 1 (vanillabench writes the first three, this script the rest):
  settings.json       {"format": 1, "model": {name, family, options}, "train": {...}, "run": {steps, stepsPerEpoch,
                      seed, threads, dtype, init, resync}, "data": {...}} (see run_steps)
  init.safetensors    initial weights, PyTorch names and layouts (conv OIHW, depthwise C1kk, dense [out, in, 1, 1],
                      BN weight/bias/running_mean/running_var), float32
  data.safetensors    images  F32 [n, H, W, C]  the subset's base images (normalised, NHWC, before augmentation)
                      labels  I32 [n]
                      pad_value F32 [C]         what the random crop pads with (raw black in normalised space)
                      stream.indices I32 [steps, batch]  dataset indices of each step's batch, in batch order
                      stream.dy, stream.dx I32 [steps, batch]  crop offsets: output (y, x) reads input (y + dy, x + dx)
                      stream.flip U8 [steps, batch]  1 = mirror horizontally after the crop
  steps/<k>.safetensors  (when settings.run.resync) vanillabench's weights, BN statistics and AdamW moments
                      (adam.exp_avg.<name>, adam.exp_avg_sq.<name>; metadata "step") after step k: the reference
                      restarts each step from them and compares its own state after the step
  torch/result.json   the nonce of settings.run (echoed: this run wrote it); per step: loss, lr, lambda; with resync, per step the one-step loss and per tensor
                      [max |diff|, max |value|, ||diff||, ||update||]; versions; seconds
  torch/final.safetensors  every tensor of init.safetensors after the last step (running statistics included)

A whole run (settings.run.mode "run") reads the same files; data.safetensors also holds val.images, val.labels and,
when the run scores a test split, test.images, test.labels (metadata "stored_channels": "1" when every image's
channels are equal and only the first is stored). It trains every step of the stream (dropout on, from torch's own
generator seeded with the run's seed), evaluates the validation split after every epoch, and at the end scores the
trained form at lambda 1 and, for VanillaNet, the merged deploy form (nn.Modules of the deploy layout, weights merged
here with the algebra of the architecture doc): torch/result.json {status, epochs [per-epoch metrics as vanillabench's
trainer reports them], trainTop1, valTop1, deployValTop1, testTop1, deployTestTop1, imagesPerSec, wallSeconds}.
Progress goes to stdout, one JSON object a line ({"event": "step" | "epoch", ...}).
"""
import json
import math
import os
import struct
import sys
import time
from dataclasses import dataclass

FORMAT = 1


def die_with_parent():
    """Linux: this process gets SIGKILL when its parent dies (a killed caller leaves no reference trainer behind)."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # another platform: the caller kills the process group instead
        pass


die_with_parent()

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the caller turns this line into its own message
    print(f"torch_train.py: {e} (Debian/Ubuntu: apt-get install python3-torch)", file=sys.stderr)
    sys.exit(3)

from torch_models import VANILLANET, SeriesAct, VanillaNet, build_model, set_lambda  # noqa: E402 (after the check above)


# --------------------------------------------------------------------------------------------------------------------
# safetensors without the safetensors package (8-byte little-endian header length, JSON header, raw data)

_DT = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8}


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf8"))
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        a = np.frombuffer(buf, dtype=np.dtype(_DT[e["dtype"]]).newbyteorder("<"), count=(end - b) // np.dtype(_DT[e["dtype"]]).itemsize, offset=8 + n + b)
        out[name] = a.reshape(e["shape"]).copy()
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    off = 0
    blobs = []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header).encode("utf8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_weights(model, arrays):
    """Loads a state dict by name; a dense layer stored as [out, in, 1, 1] fits an nn.Linear's [out, in]."""
    sd = model.state_dict()
    want = {k for k in sd if not k.endswith("num_batches_tracked")}
    missing = sorted(want - set(arrays))
    unexpected = sorted(set(arrays) - want)
    if missing or unexpected:
        raise ValueError(f"weights do not fit the reference model: missing {missing[:8]}, unexpected {unexpected[:8]}")
    new = {}
    for k, t in sd.items():
        if k.endswith("num_batches_tracked"):
            new[k] = t
            continue
        a = arrays[k]
        if a.size != t.numel():
            raise ValueError(f"{k}: {list(a.shape)} does not fit {list(t.shape)}")
        new[k] = torch.from_numpy(a.astype(np.float32)).reshape(t.shape)
    model.load_state_dict(new)


# --------------------------------------------------------------------------------------------------------------------
# The protocol: schedules, optimizer, loss, data stream

def lr_at(step, t, steps_per_epoch, total_steps):
    """The authors' utils.cosine_scheduler per step: warm-up np.linspace(0, lr, W) over W = round(warmupEpochs x steps
    per epoch) steps (step 0 at 0, step W - 1 at lr), then cosine from lr to minLr over the remaining steps."""
    warm = int(math.floor(t["warmupEpochs"] * steps_per_epoch + 0.5))
    if step < warm:
        return t["lr"] * step / (warm - 1) if warm > 1 else 0.0
    x = min(1.0, (step - warm) / max(1, total_steps - warm))
    return t["minLr"] + 0.5 * (t["lr"] - t["minLr"]) * (1 + math.cos(math.pi * x))


def lambda_at(step, t, steps_per_epoch):
    """Deep training's lambda: 0 -> 1 over decayEpochs (linear or cosine), by step (fractional epochs) or by epoch."""
    if t["decayEpochs"] <= 0:
        return 1.0
    if t["lambdaPer"] == "step":
        # per step: exactly 1 from step round(decayEpochs x steps per epoch) on (round half up)
        decay_steps = int(math.floor(t["decayEpochs"] * steps_per_epoch + 0.5))
        if decay_steps <= 0:
            return 1.0
        x = min(1.0, max(0.0, step / decay_steps))
    else:
        x = min(1.0, max(0.0, (step // steps_per_epoch) / t["decayEpochs"]))
    return x if t["lambdaShape"] == "linear" else 0.5 * (1 - math.cos(math.pi * x))


def make_optimizer(model, t):
    """AdamW; no weight decay on 1-D parameters (biases, BN affine, as timm / the authors' optim_factory)."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return torch.optim.AdamW([{"params": decay, "weight_decay": t["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=t["lr"], betas=(0.9, 0.999), eps=1e-8)


def make_batch(images, pad_value, idx, dy, dx, flip, padding):
    """NCHW batch: each image padded by `padding` (pad_value), cropped at offset (dy, dx), then maybe mirrored."""
    x = torch.from_numpy(images[idx]).permute(0, 3, 1, 2)  # NHWC -> NCHW
    n, c, h, w = x.shape
    if padding <= 0 and not flip.any():
        return x.contiguous()
    p = max(padding, 0)
    big = torch.from_numpy(pad_value).view(1, c, 1, 1).expand(n, c, h + 2 * p, w + 2 * p).clone()
    big[:, :, p:p + h, p:p + w] = x
    out = torch.empty_like(x)
    for i in range(n):
        y0, x0 = p + int(dy[i]), p + int(dx[i])
        crop = big[i, :, y0:y0 + h, x0:x0 + w]
        out[i] = torch.flip(crop, dims=[2]) if flip[i] else crop
    return out


def versions():
    return {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__}


def fresh_model(m, t, init, dtype):
    """The reference model with our initial weights, BN momentum as ours, in training mode, and its AdamW."""
    model = build_model(m["name"], m["options"])
    load_weights(model, init)
    model.to(dtype)
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.momentum = t["bnMomentum"]
    model.train()
    return model, make_optimizer(model, t)


@dataclass(frozen=True)
class Stream:
    """What every step of a run reads: the model's and the trainer's settings (settings.json), the training images
    and the stream of batches (data.safetensors), the schedule's length, the precision."""
    m: dict
    t: dict
    data: dict
    images: np.ndarray
    labels: np.ndarray
    pad_value: np.ndarray
    steps_per_epoch: int
    total_steps: int
    dtype: torch.dtype


def forward_step(s, model, opt, k):
    """Step k of stream s up to the loss: its lr and lambda set, the stream's batch k (crop + flip), the forward pass.
    Returns (loss, logits, labels, lr, lambda); the caller runs backward and the optimizer."""
    t = s.t
    lr = lr_at(k, t, s.steps_per_epoch, s.total_steps)
    lam = lambda_at(k, t, s.steps_per_epoch) if s.m["options"]["deepTraining"] else 1.0
    set_lambda(model, lam)
    for g in opt.param_groups:
        g["lr"] = lr
    idx = s.data["stream.indices"][k].astype(np.int64)
    x = make_batch(s.images, s.pad_value, idx, s.data["stream.dy"][k], s.data["stream.dx"][k], s.data["stream.flip"][k], t["augmentPadding"])
    y = torch.from_numpy(s.labels[idx])
    opt.zero_grad(set_to_none=True)
    logits = model(x.to(s.dtype))
    return F.cross_entropy(logits, y, label_smoothing=t["labelSmoothing"]), logits, y, lr, lam


def run_steps(folder):
    with open(os.path.join(folder, "settings.json")) as f:
        s = json.load(f)
    if s.get("format") != FORMAT:
        raise ValueError(f"settings.json format {s.get('format')}, this script reads {FORMAT}")
    torch.set_num_threads(int(s["run"].get("threads", 1)))
    torch.manual_seed(0)
    m, t, r = s["model"], s["train"], s["run"]
    if m["options"]["dropRate"] > 0:
        raise ValueError("dropout masks are not exported: run the crosscheck with dropRate 0")
    # float64 shows how much of a difference is float32 rounding (vanillabench crosscheck --reference-dtype float64)
    dtype = {"float32": torch.float32, "float64": torch.float64}[r.get("dtype", "float32")]
    init, _ = read_safetensors(os.path.join(folder, "init.safetensors"))
    data, _ = read_safetensors(os.path.join(folder, "data.safetensors"))
    stream = Stream(m, t, data, data["images"].astype(np.float32), data["labels"].astype(np.int64), data["pad_value"].astype(np.float32),
                    r["stepsPerEpoch"], r["stepsPerEpoch"] * t["epochs"], dtype)

    def fresh():
        return fresh_model(m, t, init, dtype)

    def step(model, opt, k):
        loss, _, _, lr, lam = forward_step(stream, model, opt, k)
        loss.backward()
        opt.step()
        return {"loss": float(loss.item()), "lr": lr, "lambda": lam}

    t0 = time.time()
    model, opt = fresh()
    steps = [step(model, opt, k) for k in range(r["steps"])]
    out = os.path.join(folder, "torch")
    os.makedirs(out, exist_ok=True)
    sd = model.state_dict()
    write_safetensors(os.path.join(out, "final.safetensors"),
                      {k: sd[k].detach().float().numpy().reshape(a.shape) for k, a in init.items()}, {"format": FORMAT})
    # the caller's nonce, echoed: proof that this run wrote the result (not an old file in the folder)
    result = {"format": FORMAT, "nonce": r.get("nonce"), "steps": steps}

    if r.get("resync"):
        # each step on its own: restart from vanillabench's state after the previous step (weights, BN statistics,
        # AdamW step count and moments), take the step, compare the state with vanillabench's after it
        model, opt = fresh()
        params = dict(model.named_parameters())
        result["resync"] = []
        for k in range(r["steps"]):
            if k > 0:
                prev, meta = read_safetensors(os.path.join(folder, "steps", f"{k - 1}.safetensors"))
                load_weights(model, {n: a for n, a in prev.items() if not n.startswith("adam.")})
                for n, p in params.items():
                    if f"adam.exp_avg.{n}" in prev:
                        opt.state[p] = {"step": torch.tensor(float(meta["step"])),
                                        "exp_avg": torch.from_numpy(prev[f"adam.exp_avg.{n}"]).reshape(p.shape).to(dtype),
                                        "exp_avg_sq": torch.from_numpy(prev[f"adam.exp_avg_sq.{n}"]).reshape(p.shape).to(dtype)}
            rec = step(model, opt, k)
            ours, _ = read_safetensors(os.path.join(folder, "steps", f"{k}.safetensors"))
            sd = model.state_dict()
            errs = {}
            for n in init:
                a = sd[n].detach().double().numpy().reshape(-1)
                b = ours[n].astype(np.float64).reshape(-1)
                before = (prev if k > 0 else init)[n].astype(np.float64).reshape(-1)
                # max |difference|, max |value|, and the L2 norms of the difference and of this step's update
                errs[n] = [float(np.abs(a - b).max()), float(np.abs(a).max()), float(np.linalg.norm(a - b)), float(np.linalg.norm(a - before))]
            result["resync"].append({"loss": rec["loss"], "tensors": errs})
    result.update({"seconds": time.time() - t0, **versions()})
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(result, f)


# --------------------------------------------------------------------------------------------------------------------
# VanillaNet's deploy form: BN folded into the conv before it, the conv pairs around an identity (lambda = 1) merged,
# the series activation's BN folded into its depthwise kernel and a bias (architecture doc, "Re-parameterization")

def fold_bn(conv, bn):
    """(W', b') of conv -> BN in eval mode, in float64."""
    t = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    bias = getattr(conv, "bias", None)  # a series activation's depthwise conv has none before the merge
    b = bias.double() if bias is not None else torch.zeros_like(t)
    return conv.weight.double() * t.view(-1, 1, 1, 1), (b - bn.running_mean.double()) * t + bn.bias.double()


def merge_pair(first, second):
    """A conv (any kernel) followed by a 1x1 conv, as one conv: W = W2 . W1 per tap, b = W2 . b1 + b2."""
    (w1, b1), (w2, b2) = first, second
    m = w2[:, :, 0, 0]
    return torch.einsum("om,mihw->oihw", m, w1), m @ b1 + b2


def plain(conv):
    return conv.weight.double(), conv.bias.double() if conv.bias is not None else torch.zeros(conv.out_channels, dtype=torch.float64)


def set_conv(conv, wb):
    with torch.no_grad():
        conv.weight.copy_(wb[0].to(conv.weight.dtype))
        conv.bias.copy_(wb[1].to(conv.bias.dtype))


def set_act(deploy_act, act):
    """The series activation's BN into its depthwise kernel and bias (a plain ReLU has nothing to carry)."""
    if isinstance(act, SeriesAct):
        set_conv(deploy_act, fold_bn(act, act.bn))


def vanillanet_deploy(model, name, o):
    """The merged model of a trained VanillaNet (its lambda taken as 1), as the deploy-form nn.Module."""
    d = VanillaNet(name, o, deploy=True).to(next(model.parameters()).dtype)
    if model.deep:
        set_conv(d.stem[0], merge_pair(fold_bn(model.stem1[0], model.stem1[1]), fold_bn(model.stem2[0], model.stem2[1])))
        set_act(d.stem[1], model.stem2[2])
    else:
        set_conv(d.stem[0], fold_bn(model.stem1[0], model.stem1[1]))
        set_act(d.stem[1], model.stem[1])
    for blk, dblk in zip(model.stages, d.stages):
        if blk.deep:
            set_conv(dblk.conv, merge_pair(fold_bn(blk.conv1[0], blk.conv1[1]), fold_bn(blk.conv2[0], blk.conv2[1])))
        else:
            set_conv(dblk.conv, fold_bn(blk.conv[0], blk.conv[1]))
        set_act(dblk.act, blk.act)
        if hasattr(blk, "shortcut"):
            set_conv(dblk.shortcut, fold_bn(blk.shortcut[0], blk.shortcut[1]))
    if model.deep:
        set_conv(d.cls[2], merge_pair(fold_bn(model.cls1[2], model.cls1[3]), plain(model.cls2[0])))
    else:
        set_conv(d.cls[2], plain(model.cls[2]))
    return d.eval()


# --------------------------------------------------------------------------------------------------------------------
# A whole training run (`vanillabench ablate --engine torch`)

def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def evaluate(model, images, labels, batch, dtype):
    """Top-1 (%) and mean cross-entropy (no label smoothing) in eval mode, as vanillabench's evaluate()."""
    was = model.training
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for a in range(0, len(labels), batch):
            x = torch.from_numpy(images[a:a + batch]).permute(0, 3, 1, 2).to(dtype)
            y = torch.from_numpy(labels[a:a + batch])
            logits = model(x)
            loss += float(F.cross_entropy(logits, y, reduction="sum"))
            correct += int((logits.argmax(1) == y).sum())
    model.train(was)
    return {"top1": 100.0 * correct / len(labels), "loss": loss / len(labels)}


def split(data, meta, prefix):
    """images (NHWC float32, channels repeated back when only the first was stored) and labels of a split, or None."""
    key = f"{prefix}images" if prefix else "images"
    if key not in data:
        return None
    images = data[key].astype(np.float32)
    stored = int(meta.get("stored_channels", images.shape[-1]))
    if stored != images.shape[-1]:
        raise ValueError(f"{key}: {images.shape[-1]} channels, metadata says {stored}")
    want = int(meta.get("channels", stored))
    if want != stored:
        images = np.repeat(images, want // stored, axis=-1)
    return np.ascontiguousarray(images), data[f"{prefix}labels" if prefix else "labels"].astype(np.int64)


def run_training(folder):
    with open(os.path.join(folder, "settings.json")) as f:
        s = json.load(f)
    if s.get("format") != FORMAT or s["run"].get("mode") != "run":
        raise ValueError(f"settings.json: format {s.get('format')} mode {s['run'].get('mode')}, this reads format {FORMAT} mode run")
    m, t, r = s["model"], s["train"], s["run"]
    torch.set_num_threads(int(r.get("threads", 1)))
    torch.manual_seed(int(r["seed"]))  # dropout masks: torch's own, seeded per run
    dtype = torch.float32
    init, _ = read_safetensors(os.path.join(folder, "init.safetensors"))
    data, meta = read_safetensors(os.path.join(folder, "data.safetensors"))
    train_x, train_y = split(data, meta, "")
    val, test = split(data, meta, "val."), split(data, meta, "test.")
    spe, epochs = r["stepsPerEpoch"], t["epochs"]
    total = spe * epochs
    stream = Stream(m, t, data, train_x, train_y, data["pad_value"].astype(np.float32), spe, total, dtype)
    if data["stream.indices"].shape[0] != total:
        raise ValueError(f"the stream has {data['stream.indices'].shape[0]} steps, the run {total}")
    deep = m["options"]["deepTraining"]
    model, opt = fresh_model(m, t, init, dtype)
    t0 = time.time()
    result = {"format": FORMAT, "nonce": r.get("nonce"), "status": "ok", "epochs": [], **versions()}
    train_seconds, images_seen, lam, step = 0.0, 0, 0.0, 0
    parent = os.getppid()  # a run whose caller died (killed) stops at its next step

    def finish(status, message=None):
        result.update({"status": status, "wallSeconds": time.time() - t0, "imagesPerSec": images_seen / max(train_seconds, 1e-9)})
        if message:
            result["message"] = message
        out = os.path.join(folder, "torch")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "result.json.tmp"), "w") as f:
            json.dump(result, f)
        os.replace(os.path.join(out, "result.json.tmp"), os.path.join(out, "result.json"))

    for epoch in range(epochs):
        te = time.time()
        loss_sum, correct, seen, last_emit = 0.0, 0, 0, 0.0
        for k in range(spe):
            if os.getppid() != parent:
                sys.exit(1)
            loss, logits, y, lr, lam = forward_step(stream, model, opt, step)
            value = float(loss.item())
            if not math.isfinite(value):
                train_seconds += time.time() - te
                return finish("diverged", f"loss became {value} at epoch {epoch + 1}, step {step + 1} (lr {lr:.2e}); stopped")
            loss.backward()
            opt.step()
            correct += int((logits.argmax(1) == y).sum())
            loss_sum += value * len(y)
            seen += len(y)
            step += 1
            now = time.time()
            if now - last_emit > 0.5 or k == spe - 1:
                last_emit = now
                emit("step", epoch=epoch, step=k + 1, stepsPerEpoch=spe, loss=value, imagesPerSec=seen / max(now - te, 1e-9))
        secs = time.time() - te
        train_seconds += secs
        images_seen += seen
        ev = evaluate(model, *val, t["evalBatchSize"], dtype)
        if not math.isfinite(ev["loss"]):
            return finish("diverged", f"validation loss became {ev['loss']} after epoch {epoch + 1}; stopped")
        e = {"epoch": epoch + 1, "lambda": lam if deep else 0.0, "lr": lr, "trainLoss": loss_sum / seen, "trainTop1": 100.0 * correct / seen,
             "valLoss": ev["loss"], "valTop1": ev["top1"], "imagesPerSec": seen / secs, "seconds": time.time() - te, "merged": False}
        result["epochs"].append(e)
        emit("epoch", metrics=e)

    # the end of the run as vanillabench's finalScores: the trained form at lambda 1, and the merged deploy form
    last = result["epochs"][-1]
    set_lambda(model, 1.0)
    final_val = last["valTop1"] if not deep or lam >= 1 else evaluate(model, *val, t["evalBatchSize"], dtype)["top1"]
    deploy = vanillanet_deploy(model, m["name"], m["options"]) if m["name"] in VANILLANET else None
    if deploy is not None:
        # the merge checked on the first validation images: the deploy form's logits against the trained form's
        model.eval()
        with torch.no_grad():
            x = torch.from_numpy(val[0][:64]).permute(0, 3, 1, 2).to(dtype)
            a, b = model(x), deploy(x)
        model.train()
        result["deployMaxLogitDiff"] = float((a - b).abs().max() / max(float(a.abs().max()), 1e-12))
    result.update({"trainTop1": last["trainTop1"], "valTop1": final_val, "testTop1": None, "deployTestTop1": None,
                   "deployValTop1": evaluate(deploy, *val, t["evalBatchSize"], dtype)["top1"] if deploy else None})
    if r.get("testIsValidation"):  # no validation split: the test split was the monitoring split
        result["testTop1"], result["deployTestTop1"] = result["valTop1"], result["deployValTop1"]
    elif test is not None:
        result["testTop1"] = evaluate(model, *test, t["evalBatchSize"], dtype)["top1"]
        result["deployTestTop1"] = evaluate(deploy, *test, t["evalBatchSize"], dtype)["top1"] if deploy else None
    return finish("ok")


def main(argv):
    if argv[:1] == ["--probe"]:
        print(json.dumps(versions()))
        return 0
    if len(argv) == 2 and argv[0] == "steps":
        run_steps(argv[1])
        return 0
    if len(argv) == 2 and argv[0] == "run":
        run_training(argv[1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

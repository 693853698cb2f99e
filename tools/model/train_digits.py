#!/usr/bin/python3
"""Trains flowmatch's example model and exports it for DJL (TorchScript) and ONNX Runtime (ONNX).

    nice /usr/bin/python3 tools/model/train_digits.py            # from the repository root, a few minutes

Needs Debian's python3-torch (1.13), python3-sklearn (its bundled 8x8 digits are the data), python3-onnx and
python3-matplotlib-free PIL (python3-pil) for the sample picture. Nothing at run time needs Python.

Data: sklearn.datasets.load_digits() (1797 8x8 grey digits, values 0..16, the UCI optdigits test set as shipped
inside scikit-learn), scaled to [0, 1], upsampled to 16x16 with bilinear interpolation (align_corners=False),
mapped to [-1, 1]. Objective (FLUX-style rectified flow, so flowmatch's schedules apply unchanged):
t ~ U(0, 1), x_t = (1 - t) x0 + t noise, target noise - x0, mean squared error. The label is replaced by the
null label with probability 0.1 (label dropout), so the same network gives the unconditional velocity that
classifier-free guidance needs. One CPU thread and fixed seeds: the same torch build gives the same weights.

Writes (paths relative to the repository root):
  examples/src/main/resources/dev/flowmatch/examples/digits/digits.pt     TorchScript (torch.jit.trace)
  examples/src/main/resources/dev/flowmatch/examples/digits/digits.onnx   ONNX, opset 17, dynamic batch
  examples/src/main/resources/dev/flowmatch/examples/digits/model.json    interface and provenance
  tools/model/digits-samples.png                                          samples drawn with torch (see below)
"""
import hashlib
import json
import math
import os
import platform
import sys
import time

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_model import NULL_LABEL, NUM_CLASSES, SIZE, DigitsFlow  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "examples", "src", "main", "resources", "dev", "flowmatch", "examples", "digits")

SEED = 0
STEPS = 1500
BATCH = 64
LEARNING_RATE = 2e-3
LABEL_DROPOUT = 0.1
EMA_DECAY = 0.995


def load_data():
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0          # [N, 1, 8, 8] in [0, 1]
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    return x * 2.0 - 1.0, torch.tensor(digits.target, dtype=torch.int64)


def flow_loss(model, x0, labels, generator):
    t = torch.rand(x0.shape[0], generator=generator)
    noise = torch.randn(x0.shape, generator=generator)
    tb = t[:, None, None, None]
    x_t = (1.0 - tb) * x0 + tb * noise
    return F.mse_loss(model(x_t, t, labels), noise - x0)


def train():
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    images, targets = load_data()
    model = DigitsFlow()
    ema = DigitsFlow()
    ema.load_state_dict(model.state_dict())
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / STEPS)))
    losses = []
    start = time.time()
    for step in range(STEPS):
        index = torch.randint(0, images.shape[0], (BATCH,), generator=generator)
        labels = targets[index].clone()
        labels[torch.rand(BATCH, generator=generator) < LABEL_DROPOUT] = NULL_LABEL
        loss = flow_loss(model, images[index], labels, generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters()):
                e.mul_(EMA_DECAY).add_(p, alpha=1 - EMA_DECAY)
        losses.append(loss.item())
        if step % 100 == 0 or step == STEPS - 1:
            print(f"step {step:5d}  loss {np.mean(losses[-100:]):.4f}  {time.time() - start:6.1f} s", flush=True)
    ema.eval()
    return ema, losses, time.time() - start


@torch.no_grad()
def evaluation_loss(model, seed=1234, repeats=4):
    """The flow loss of the whole data set (conditional labels) at fixed t and noise: comparable between runs."""
    images, targets = load_data()
    generator = torch.Generator().manual_seed(seed)
    return float(np.mean([flow_loss(model, images, targets, generator).item() for _ in range(repeats)]))


@torch.no_grad()
def euler_samples(model, rows, steps, guidance, seed):
    """A torch-only Euler loop (sigmas linspace(1, 1/N, N) then 0) for the provenance picture."""
    labels = torch.arange(NUM_CLASSES).repeat(rows)
    x = torch.randn((labels.shape[0], 1, SIZE, SIZE), generator=torch.Generator().manual_seed(seed))
    sigmas = list(np.linspace(1.0, 1.0 / steps, steps)) + [0.0]
    for i in range(steps):
        t = torch.full((2 * labels.shape[0],), float(sigmas[i]))
        out = model(torch.cat([x, x]), t, torch.cat([labels, torch.full_like(labels, NULL_LABEL)]))
        cond, uncond = out.chunk(2)
        x = x + (sigmas[i + 1] - sigmas[i]) * (uncond + guidance * (cond - uncond))
    return x


def save_grid(x, rows, path):
    from PIL import Image
    scale = 4
    grid = np.zeros((rows * (SIZE + 2) + 2, NUM_CLASSES * (SIZE + 2) + 2), dtype=np.uint8)
    pixels = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    for k in range(x.shape[0]):
        r, c = divmod(k, NUM_CLASSES)
        grid[2 + r * (SIZE + 2):2 + r * (SIZE + 2) + SIZE, 2 + c * (SIZE + 2):2 + c * (SIZE + 2) + SIZE] = pixels[k, 0]
    Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST).save(path)


def export(model):
    os.makedirs(OUT, exist_ok=True)
    example = (torch.randn(4, 1, SIZE, SIZE), torch.rand(4), torch.tensor([0, 1, NULL_LABEL, NULL_LABEL]))
    traced = torch.jit.trace(model, example)
    pt_path = os.path.join(OUT, "digits.pt")
    traced.save(pt_path)
    onnx_path = os.path.join(OUT, "digits.onnx")
    torch.onnx.export(model, example, onnx_path, opset_version=17, input_names=["x", "t", "label"],
                      output_names=["velocity"],
                      dynamic_axes={"x": {0: "batch"}, "t": {0: "batch"}, "label": {0: "batch"},
                                    "velocity": {0: "batch"}})
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    # The traced module generalises over the batch size (checked against eager at another batch).
    probe = (torch.randn(20, 1, SIZE, SIZE), torch.rand(20), torch.arange(20) % (NUM_CLASSES + 1))
    with torch.no_grad():
        difference = (traced(*probe) - model(*probe)).abs().max().item()
    assert difference < 1e-5, f"traced module differs from eager at batch 20: {difference}"
    return pt_path, onnx_path


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    torch.set_num_threads(1)
    model, losses, seconds = train()
    eval_loss = evaluation_loss(model)
    print(f"evaluation loss (EMA weights, whole data set): {eval_loss:.4f}")
    pt_path, onnx_path = export(model)
    rows, steps, guidance, seed = 4, 20, 3.0, 42
    picture = os.path.join(ROOT, "tools", "model", "digits-samples.png")
    save_grid(euler_samples(model, rows, steps, guidance, seed), rows, picture)
    meta = {
        "name": "digits",
        "description": "class-conditional rectified-flow velocity model for 16x16 grey digits (flowmatch example)",
        "inputs": {
            "x": {"dtype": "float32", "shape": ["batch", 1, SIZE, SIZE], "meaning": "latents x_t"},
            "t": {"dtype": "float32", "shape": ["batch"], "meaning": "timestep / 1000 (= sigma)"},
            "label": {"dtype": "int64", "shape": ["batch"], "meaning": "digit 0..9, or null_label"},
        },
        "output": {"dtype": "float32", "shape": ["batch", 1, SIZE, SIZE], "meaning": "velocity noise - x0"},
        "num_classes": NUM_CLASSES,
        "null_label": NULL_LABEL,
        "pixel_range": [-1.0, 1.0],
        "files": {"torchscript": "digits.pt", "onnx": "digits.onnx"},
        "sha256": {"digits.pt": sha256(pt_path), "digits.onnx": sha256(onnx_path)},
        "training": {
            "script": "tools/model/train_digits.py (network: tools/model/digits_model.py)",
            "data": "sklearn.datasets.load_digits() (scikit-learn " + sklearn.__version__ + ", 1797 images 8x8, "
                    "values 0..16) / 16, bilinear upsampling to 16x16 (align_corners=False), * 2 - 1",
            "objective": "t ~ U(0,1), x_t = (1 - t) x0 + t noise, MSE against noise - x0",
            "label_dropout": LABEL_DROPOUT,
            "seed": SEED,
            "steps": STEPS,
            "batch": BATCH,
            "optimizer": f"AdamW lr {LEARNING_RATE}, warm-up 100 steps, cosine decay, weight decay 0",
            "ema_decay": EMA_DECAY,
            "parameters": sum(p.numel() for p in model.parameters()),
            "final_loss_last_100_steps": float(np.mean(losses[-100:])),
            "evaluation_loss_ema": eval_loss,
            "seconds": round(seconds, 1),
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "samples_picture": {
            "file": "tools/model/digits-samples.png",
            "how": f"torch Euler loop, sigmas linspace(1, 1/{steps}, {steps}) then 0, guidance {guidance}, "
                   f"seed {seed} (torch.randn of [{rows * NUM_CLASSES}, 1, 16, 16]), columns 0..9, {rows} rows",
        },
    }
    with open(os.path.join(OUT, "model.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps(meta["training"], indent=2))


if __name__ == "__main__":
    main()

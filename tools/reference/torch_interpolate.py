#!/usr/bin/env python3
"""Reference data for flowmatch's TorchInterpolate: torch.nn.functional.interpolate(x, size=..., mode=...) on
float32 input, as torch 1.13 (Debian's python3-torch, CPU, one thread) computes it, for the modes
FlowMatchLCMScheduler's scale_factors use: 'nearest' (3-d, 4-d, 5-d input) and 'bicubic' (4-d input), with
align_corners and antialias at their defaults.

Usage: /usr/bin/python3 tools/reference/torch_interpolate.py --out core/src/test/resources/reference/torch-interpolate.json

The bicubic values depend on the CPU kernel torch dispatches to (the file records it); flowmatch reproduces the avx2
kernel of this build.
"""
import argparse
import json
import random

import torch


def bits(t):
    return t.contiguous().view(torch.int32).reshape(-1).tolist()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(20261202)
    gen = torch.Generator().manual_seed(20261202)
    cases = []
    for k in range(60):
        mode = "bicubic" if k % 2 == 0 else "nearest"
        spatial = 2 if mode == "bicubic" else 1 + k % 3
        shape = [rng.randint(1, 2), rng.randint(1, 3)] + [rng.randint(1, 9) for _ in range(spatial)]
        size = [rng.randint(1, 17) for _ in range(spatial)]
        # A few exact multiples and equal sizes (torch's shortcuts), the rest arbitrary.
        if k % 7 == 0:
            size = [2 * s for s in shape[2:]]
        elif k % 11 == 0:
            size = list(shape[2:])
        x = torch.randn(shape, generator=gen) * (3.0 if k % 3 == 0 else 1.0)
        y = torch.nn.functional.interpolate(x, size=size, mode=mode)
        cases.append({"mode": mode, "shape": shape, "size": size, "input_bits": bits(x),
                      "expected_shape": list(y.shape), "expected_bits": bits(y)})
    capability = [line.split(":")[1].strip().lower() for line in torch.__config__.show().splitlines()
                  if "CPU capability usage" in line][0]
    with open(args.out, "w") as f:
        json.dump({"source": "torch %s torch.nn.functional.interpolate (CPU, one thread), written by "
                             "tools/reference/torch_interpolate.py" % torch.__version__,
                   "torch_cpu_capability": capability, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Reference cases for TorchLinalg: torch.linalg.solve(A, b) on small float32 systems, as torch computes them.

Source of truth: Debian's python3-torch 1.13 (/usr/bin/python3) over Debian's OpenBLAS 0.3.21 (libopenblas0,
DYNAMIC_ARCH), run with OPENBLAS_CORETYPE=Zen as on the machine that made sampler-goldens.json (this script sets it
before torch loads; the Haswell kernels give the same bits). Nothing here comes from flowmatch.

    /usr/bin/python3 tools/reference/torch_linalg_solve_cases.py json 1500 \
        > core/src/test/resources/torchmath/torch-1.13-linalg-solve.json
    /usr/bin/python3 tools/reference/torch_linalg_solve_cases.py stream 1000000 \
        | java -cp core/target/classes:core/target/test-classes dev.flowmatch.torchmath.ExhaustiveLinalgCheck

Each case: a size n (1..4), the layout torch saw A in ("contiguous": a tensor of its own, as UniPC's corrector
passes R; "non_contiguous": a strided view, as UniPC's predictor passes R[:-1, :-1]), A row-major, b, and torch's x,
or "singular": true where torch raised. Cases mix UniPC-shaped systems (rows rk^0, rk^1, ... of ratios rk with a last
ratio 1, built with torch.pow as UniPC does), random matrices over wide exponent ranges, and pivoting edge cases
(ties in magnitude, zeros, exact singularity). The "stream" form writes the same kinds of cases as little-endian
int32 records: n, layout (0 contiguous, 1 non-contiguous), singular flag, then n*n + n + n float32 bit patterns
(x all zero when singular).
"""
import json
import os
import struct
import sys

os.environ.setdefault("OPENBLAS_CORETYPE", "Zen")

import numpy as np  # noqa: E402
import torch  # noqa: E402

SEED = 20261202


def unipc_system(rng, n):
    """R = stack(pow(rks, p) for p < n), b like UniPC's (h_phi_k * i! / B_h), ratios rk in UniPC's ranges."""
    if n == 1:
        rks = torch.ones(1)
    else:
        rk = torch.from_numpy(-np.sort(rng.uniform(0.05, 6.0, n - 1)).astype(np.float32))
        rks = torch.cat([rk, torch.ones(1)])
    R = torch.stack([torch.pow(rks, p) for p in range(n)])
    hh = torch.tensor(-float(rng.uniform(0.01, 3.0)), dtype=torch.float32)
    h_phi_k = torch.expm1(hh) / hh - 1
    B_h = torch.expm1(hh) if rng.random() < 0.5 else hh
    b = []
    factorial_i = 1
    for i in range(1, n + 1):
        b.append(h_phi_k * factorial_i / B_h)
        factorial_i *= i + 1
        h_phi_k = h_phi_k / hh - 1 / factorial_i
    return R, torch.stack(b)


def random_entries(rng, shape):
    kind = rng.integers(0, 4)
    if kind == 0:
        v = rng.standard_normal(shape)
    elif kind == 1:
        v = rng.uniform(-1, 1, shape) * np.exp2(rng.uniform(-20, 20, shape))
    elif kind == 2:
        v = rng.integers(-4, 5, shape).astype(np.float64)  # small integers: ties, zeros, exact singularity
    else:
        v = rng.standard_normal(shape) * np.exp2(rng.integers(-3, 4))
    return torch.from_numpy(v.astype(np.float32))


def make_case(rng):
    n = int(rng.integers(1, 5))
    if rng.random() < 0.5:
        A, b = unipc_system(rng, n)
    else:
        A, b = random_entries(rng, (n, n)), random_entries(rng, (n,))
    contiguous = bool(rng.random() < 0.5)
    if contiguous:
        A_arg = A.clone().contiguous()
    else:
        big = torch.zeros(n + 1, n + 1)
        big[:n, :n] = A
        A_arg = big[:n, :n]  # a strided view, like R[:-1, :-1]
        assert not A_arg.is_contiguous() or n == 1
    try:
        x = torch.linalg.solve(A_arg, b)
        singular = False
    except RuntimeError:
        x = torch.zeros(n)
        singular = True
    return n, contiguous, A, b, x, singular


def bits(t):
    return t.contiguous().view(torch.int32).flatten().tolist()


def main():
    mode, count = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED if mode == "json" else SEED + 1)
    if mode == "json":
        cases = []
        for _ in range(count):
            n, contiguous, A, b, x, singular = make_case(rng)
            case = {"n": n, "layout": "contiguous" if contiguous else "non_contiguous",
                    "a": bits(A), "b": bits(b)}
            if singular:
                case["singular"] = True
            else:
                case["x"] = bits(x)
            cases.append(case)
        doc = {
            "source": "torch.linalg.solve in Debian python3-torch " + torch.__version__
                      + " over OpenBLAS 0.3.21 (OPENBLAS_CORETYPE=" + os.environ["OPENBLAS_CORETYPE"]
                      + "), made by tools/reference/torch_linalg_solve_cases.py, seed " + str(SEED),
            "schema": {
                "cases[].n": "system size",
                "cases[].layout": "contiguous: A was a tensor of its own; non_contiguous: A was a strided view",
                "cases[].a": "A row-major, float32 bit patterns as signed int32",
                "cases[].b": "right-hand side, float32 bits",
                "cases[].x": "torch's solution, float32 bits (absent when singular)",
                "cases[].singular": "present and true where torch raised (singular A)",
            },
            "cases": cases,
        }
        json.dump(doc, sys.stdout, separators=(",", ":"))
        sys.stdout.write("\n")
    else:
        out = sys.stdout.buffer
        for _ in range(count):
            n, contiguous, A, b, x, singular = make_case(rng)
            words = [n, 0 if contiguous else 1, 1 if singular else 0] + bits(A) + bits(b) + bits(x)
            out.write(struct.pack("<%di" % len(words), *words))
        out.flush()


if __name__ == "__main__":
    main()

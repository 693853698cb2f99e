#!/usr/bin/python3
"""Reference cases for TorchFloatMath: torch.exp / torch.log / torch.expm1 on float32 under both CPU kernels,
torch.pow with the integer exponents -2..3, Python-number / tensor division, and the 0-dim-tensor-with-Python-number
operations that are one float32 operation, as torch 1.13 computes them.

Source of truth: Debian's python3-torch 1.13 (/usr/bin/python3). Nothing here comes from flowmatch.

    /usr/bin/python3 tools/reference/torch_unary_cases.py > core/src/test/resources/torchmath/torch-1.13-unary.json

The kernel is chosen per subprocess with ATEN_CPU_CAPABILITY=avx2 / default (torch reads it once, at start-up).
Each function's inputs: edge cases (signed zeros, infinities, NaN, subnormals, the functions' range thresholds and
their neighbours), random bit patterns over all floats, random values in the range the flow schedulers use, and
inputs where the two kernels disagree. Every value is computed twice, once over a 1-d tensor of all inputs and once
per input as a 0-dim tensor; the script stops if the two ever differ (they do not: torch maps SLEEF / libm over the
tensor element by element).
"""
import json
import os
import subprocess
import sys

import numpy as np

SEED = 20261202
FUNCTIONS = ["exp", "log", "expm1"]


def f32(values):
    return np.array(values, dtype=np.float32)


def bits_of(values):
    return f32(values).view(np.int32).tolist()


def neighbours(values):
    out = []
    for v in f32(values):
        with np.errstate(over="ignore"):
            out += [np.nextafter(v, np.float32(-np.inf)), v, np.nextafter(v, np.float32(np.inf))]
    return out


def edge_inputs(name):
    common = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, 0.5, 1e-45, -1e-45, 1.1754942e-38,
              1.17549435e-38, -1.17549435e-38, 3.4028235e38, -3.4028235e38, 0.75, 1.5, 10.0, -10.0]
    nan_payloads = np.array([0x7fc00001, 0xffc00000, 0x7f800001, 0xff812345], dtype=np.uint32).view(np.float32)
    if name == "exp":
        special = neighbours([88.0, 88.72283935546875, 88.7228317, -103.97207641601562, -103.278929, -104.0,
                              100.0, -87.33654, 0.34657359, -0.34657359, 1e-8, -1e-8])
    elif name == "log":
        special = neighbours([1.0, 0.75, 1.3333334, 1.17549435e-38, 2.0, 0.5, 1e-45, 3.4028235e38, 0.999999,
                              1e-30, 1e30])
    else:
        special = neighbours([88.72283172607421875, -16.635532333438687426013570, 18.714973875,
                              -18.714973875, 0.34657359, -0.34657359, 1.0397208, -1.0397208, 2.9802322e-08,
                              -2.9802322e-08, 0.25, -0.25, 56 * 0.6931472, 23 * 0.6931472, 1e-8, -1e-8])
    return list(f32(common)) + list(nan_payloads) + list(f32(special))


def scheduler_range(rng, name, count):
    if name == "log":
        # alpha = 1 - sigma and sigma in (0, 1]
        return f32(np.concatenate([rng.uniform(0, 1, count // 2), np.exp(rng.uniform(-30, 1, count - count // 2))]))
    return f32(rng.uniform(-20, 20, count))


def run_kernel(kernel, inputs):
    """Runs this script in a subprocess under one kernel; returns {name: (tensor bits, 0-dim bits)}."""
    env = dict(os.environ, ATEN_CPU_CAPABILITY=kernel)
    payload = json.dumps({name: bits_of(values) for name, values in inputs.items()})
    done = subprocess.run([sys.executable, __file__, "--compute"], input=payload.encode(), env=env,
                          capture_output=True)
    if done.returncode != 0:
        sys.exit("torch subprocess (" + kernel + ") failed:\n" + done.stderr.decode())
    return json.loads(done.stdout)


def compute():
    import torch
    torch.set_num_threads(1)
    request = json.loads(sys.stdin.read())
    result = {}
    for name, bits in request.items():
        x = np.array(bits, dtype=np.int32).view(np.float32)
        function = getattr(torch, name.removesuffix("_pool"))
        whole = function(torch.from_numpy(x)).numpy().view(np.int32).tolist()
        single = [int(function(torch.tensor(v, dtype=torch.float32)).numpy().view(np.int32)) for v in x]
        result[name] = [whole, single]
    result["capability"] = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else \
        os.environ.get("ATEN_CPU_CAPABILITY")
    json.dump(result, sys.stdout)


def same(a, b):
    """Bit-equal, or both NaN."""
    fa = np.array([a], dtype=np.int32).view(np.float32)[0]
    fb = np.array([b], dtype=np.int32).view(np.float32)[0]
    return a == b or (np.isnan(fa) and np.isnan(fb))


def pow_and_division_cases(rng):
    import torch
    xs = f32(np.concatenate([rng.standard_normal(300) * np.exp2(rng.integers(-10, 10, 300)),
                             [0.0, -0.0, 1.0, -1.0, 1e-45, 3.4028235e38, np.inf, -np.inf, np.nan]]))
    pows = []
    for exponent in range(-2, 4):
        tensor = torch.from_numpy(xs)
        whole = torch.pow(tensor, exponent).numpy().view(np.int32).tolist()
        for i, x in enumerate(xs):
            single = int(torch.pow(torch.tensor(x), exponent).numpy().view(np.int32))
            assert same(single, whole[i])
            pows.append([int(np.array([x]).view(np.int32)[0]), exponent, whole[i]])
    scalars = [1.0, 1 / 3, 0.1, 1 / 6, 2.0 / 3.0, -2.5, 1e-6, 7.0, float(np.float32(0.1))]
    divisions = []
    for s in scalars:
        for x in xs[:120]:
            y = s / torch.tensor(x)
            divisions.append([float(s), int(np.array([x]).view(np.int32)[0]), int(y.numpy().view(np.int32))])
    return pows, divisions


def scalar_op_cases(rng):
    """0-dim float32 tensor (op) Python number, and the unary ops that are one IEEE operation: [op, s, x, result]."""
    import torch
    xs = f32(np.concatenate([rng.standard_normal(200) * np.exp2(rng.integers(-12, 6, 200)),
                             rng.uniform(0, 1, 100), [0.0, -0.0, 1.0, -1.0, 1e-45]]))
    scalars = [1.0, 1 / 3, 0.1, 1 / 6, 1 / 24, 2.0 / 3.0, -2.0, 0.5, 1e-12, 1e-6, 1.7]
    ops = {
        "sub": lambda t, s: t - s,
        "rsub": lambda t, s: s - t,
        "add": lambda t, s: t + s,
        "mul": lambda t, s: t * s,
        "div": lambda t, s: t / s,
        "sqrt": lambda t, s: torch.sqrt(t.abs()),
        "pow_half": lambda t, s: t.abs() ** 0.5,
        "clamp_min0": lambda t, s: t.clamp(min=0.0),
    }
    cases = []
    for name, op in ops.items():
        for i, x in enumerate(xs):
            s = scalars[i % len(scalars)] if name not in ("sqrt", "pow_half", "clamp_min0") else 0.0
            y = op(torch.tensor(x), s)
            cases.append([name, float(s), int(np.array([x]).view(np.int32)[0]), int(y.numpy().view(np.int32))])
    return cases


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--compute":
        compute()
        return
    rng = np.random.default_rng(SEED)
    inputs = {}
    for name in FUNCTIONS:
        random_bits = rng.integers(0, 2 ** 32, 1500, dtype=np.uint64).astype(np.uint32).view(np.float32)
        pool = f32(np.concatenate([scheduler_range(rng, name, 3000), random_bits]))
        inputs[name] = f32(edge_inputs(name) + list(random_bits) + list(scheduler_range(rng, name, 1500)))
        inputs[name + "_pool"] = pool
    avx2 = run_kernel("avx2", inputs)
    default = run_kernel("default", inputs)
    assert avx2["capability"] == "avx2" and default["capability"] == "default", (avx2["capability"],
                                                                                  default["capability"])
    functions = {}
    for name in FUNCTIONS:
        for run in (avx2, default):
            for key in (name, name + "_pool"):
                whole, single = run[key]
                assert all(same(a, b) for a, b in zip(whole, single)), "0-dim and 1-d results differ: " + key
        # add the pool inputs where the kernels disagree (at most 500)
        pool_bits = bits_of(inputs[name + "_pool"])
        disagree = [i for i, (a, b) in enumerate(zip(avx2[name + "_pool"][0], default[name + "_pool"][0]))
                    if not same(a, b)][:500]
        functions[name] = {
            "x": bits_of(inputs[name]) + [pool_bits[i] for i in disagree],
            "avx2": avx2[name][0] + [avx2[name + "_pool"][0][i] for i in disagree],
            "default": default[name][0] + [default[name + "_pool"][0][i] for i in disagree],
        }
    pows, divisions = pow_and_division_cases(rng)
    scalar_ops = scalar_op_cases(rng)
    import torch
    doc = {
        "source": "Debian python3-torch " + torch.__version__ + " (CPU, one thread), run under ATEN_CPU_CAPABILITY="
                  "avx2 and =default; made by tools/reference/torch_unary_cases.py, seed " + str(SEED)
                  + "; every value also checked on a 0-dim tensor",
        "schema": {
            "functions.NAME.x": "inputs, float32 bit patterns as signed int32",
            "functions.NAME.avx2": "torch.NAME(x) under the avx2 kernel (SLEEF), float32 bits",
            "functions.NAME.default": "torch.NAME(x) under the default kernel (glibc), float32 bits",
            "pow[]": "[x bits, integer exponent, torch.pow(x, exponent) bits] (kernel-independent; checked on avx2)",
            "scalar_divide[]": "[Python float s, x bits, bits of s / torch.tensor(x)]",
            "scalar_ops[]": "[op, Python float s, x bits, result bits] for the 0-dim tensor t = torch.tensor(x): "
                            "sub t - s, rsub s - t, add t + s, mul t * s, div t / s, sqrt torch.sqrt(t.abs()), "
                            "pow_half t.abs() ** 0.5, clamp_min0 t.clamp(min=0.0) (run under avx2)",
        },
        "functions": functions,
        "pow": pows,
        "scalar_divide": divisions,
        "scalar_ops": scalar_ops,
    }
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the committed samples of the host-side float64 math that flowmatch's GlibcDoubleMath, NumpyFloat64 and
GoMath reproduce: core/src/test/resources/torchmath/host-math-double.json, read by HostMathDoubleTest (mvn verify).

Sources of truth (each section of the JSON names its own):
  - glibc: Python's math.exp, math.log and float ** float under Debian 12's /usr/bin/python3 (CPython 3.11, glibc
    2.36 on x86-64 with FMA), the calls diffusers' schedule code makes (math.exp(mu), math.log(sigma), sigma ** (1/rho));
  - numpy_avx512_skx: Debian 12's python3-numpy 1:1.24.2 np.exp, np.log and np.power on float64 arrays, on a CPU where
    numpy dispatches to AVX512_SKX (SVML's __svml_exp8 / __svml_log8 / __svml_pow8); the script refuses to run elsewhere;
  - numpy_baseline is not written: numpy's baseline loops call libm, i.e. the glibc section;
  - go_amd64, go_amd64_no_fma, go_arm64: Go 1.19's math.Exp (Debian 12's golang-1.19-go, go1.19.8) from
    tools/reference/go_math_exp_stream.go, run natively (FMA branch), with GODEBUG=cpu.fma=off (SSE2 branch) and under
    qemu-aarch64 (exp_arm64.s).

The arguments come from the ranges of glibc_double_stream.py (the ones the schedules use and the function at large,
special values included) with fixed seeds; the large by-hand checks are the *_stream scripts with the *StreamCheck
classes. Usage, from the repository root (needs /usr/lib/go-1.19 and qemu-aarch64):

    /usr/bin/python3 tools/reference/host_math_cases.py > core/src/test/resources/torchmath/host-math-double.json

Every double is written as its 64-bit pattern in hexadecimal (NaN payloads included).
"""
import json
import math
import operator
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from glibc_double_stream import RANGES, _safe  # noqa: E402

PER_RANGE = 300
GO = "/usr/lib/go-1.19/bin/go"

EXP_RANGES = ["uniform-0-5", "uniform-20-20", "uniform-745-710", "bits"]
LOG_RANGES = ["uniform-0-1", "near-one", "uniform-1-1000", "positive-bits"]
POW_RANGES = ["karras", "uniform-pow", "positive-bits-pow", "negative-integer-pow", "bits-pow"]


def hexbits(value: float) -> str:
    return "%016x" % struct.unpack("<Q", struct.pack("<d", value))[0]


def arguments(range_name: str, seed: int):
    xs, ys = RANGES[range_name](np.random.default_rng(seed), PER_RANGE)
    return np.asarray(xs, dtype=np.float64), (None if ys is None else np.asarray(ys, dtype=np.float64))


def glibc_section():
    section = {"exp": [], "log": [], "pow": []}
    for seed, name in enumerate(EXP_RANGES + LOG_RANGES):
        function = "exp" if name in EXP_RANGES else "log"
        f = math.exp if function == "exp" else math.log
        xs, _ = arguments(name, 100 + seed)
        for x in xs.tolist():
            r = _safe(f, x)
            if r is not None:  # Python raises where C sets errno (overflow, log of <= 0)
                section[function].append([hexbits(x), hexbits(r)])
    for seed, name in enumerate(POW_RANGES):
        xs, ys = arguments(name, 200 + seed)
        for x, y in zip(xs.tolist(), ys.tolist()):
            r = _safe(operator.pow, x, y)
            if r is not None:
                section["pow"].append([hexbits(x), hexbits(y), hexbits(r)])
    return section


def numpy_section():
    from numpy.core._multiarray_umath import __cpu_features__

    if not __cpu_features__.get("AVX512_SKX"):
        sys.exit("numpy does not dispatch to AVX512_SKX on this CPU: run on an x86-64 CPU with AVX-512")
    section = {"exp": [], "log": [], "power": []}
    with np.errstate(all="ignore"):
        for seed, name in enumerate(EXP_RANGES + LOG_RANGES):
            function = "exp" if name in EXP_RANGES else "log"
            xs, _ = arguments(name, 300 + seed)
            rs = getattr(np, function)(xs)
            section[function] += [[hexbits(x), hexbits(r)] for x, r in zip(xs.tolist(), rs.tolist())]
        for seed, name in enumerate(POW_RANGES):
            xs, ys = arguments(name, 400 + seed)
            rs = np.power(xs, ys)
            section["power"] += [[hexbits(x), hexbits(y), hexbits(r)]
                                 for x, y, r in zip(xs.tolist(), ys.tolist(), rs.tolist())]
    return section


def go_sections():
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go_math_exp_stream.go")
    with tempfile.TemporaryDirectory() as tmp:
        amd64, arm64 = os.path.join(tmp, "goexp-amd64"), os.path.join(tmp, "goexp-arm64")
        env = dict(os.environ, GO111MODULE="off")
        subprocess.run([GO, "build", "-o", amd64, source], check=True, env=dict(env, GOARCH="amd64"))
        subprocess.run([GO, "build", "-o", arm64, source], check=True, env=dict(env, GOARCH="arm64"))
        modes = [["uniform", "0", "5", str(PER_RANGE), "1"], ["uniform", "-20", "20", str(PER_RANGE), "2"],
                 ["uniform", "-745.5", "710", str(PER_RANGE), "3"], ["bits", str(PER_RANGE), "4"],
                 ["float32", "1.1499999", "1.1500001"]]
        runs = {"go_amd64": ([amd64], {}), "go_amd64_no_fma": ([amd64], {"GODEBUG": "cpu.fma=off"}),
                "go_arm64": (["qemu-aarch64", arm64], {})}
        sections = {}
        for name, (command, extra) in runs.items():
            records = []
            for mode in modes:
                out = subprocess.run(command + mode, check=True, capture_output=True,
                                     env=dict(os.environ, **extra)).stdout
                for i in range(0, len(out), 16):
                    x, r = struct.unpack("<dd", out[i:i + 16])
                    records.append([hexbits(x), hexbits(r)])
            sections[name] = {"exp": records}
    return sections


def main() -> None:
    root = {
        "source": "tools/reference/host_math_cases.py",
        "schema": "each section: function -> list of records, every double as its 64-bit pattern in hex; "
                  "exp/log records are [x, f(x)], pow/power records are [x, y, x ** y]",
        "glibc": dict(glibc_section(), source="Python math.exp, math.log, float ** float; /usr/bin/python3 "
                      + sys.version.split()[0] + ", glibc 2.36 (Debian 12), x86-64 with FMA"),
        "numpy_avx512_skx": dict(numpy_section(), source="numpy " + np.__version__
                                 + " float64 np.exp, np.log, np.power on an AVX512_SKX CPU (SVML)"),
    }
    for name, section in go_sections().items():
        root[name] = dict(section, source="Go go1.19.8 math.Exp, " + name[3:].replace("_", " ")
                          + " (tools/reference/go_math_exp_stream.go)")
    json.dump(root, sys.stdout, indent=0, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Streams the squaredcos_cap_v2 betas of diffusers' betas_for_alpha_bar, for checking that flowmatch's betas (which
take Java's StrictMath.cos, fdlibm, where Python calls glibc's cos) have the same float32 bits.

Source of truth: Debian 12's /usr/bin/python3 (CPython 3.11, glibc 2.36), running the arithmetic of diffusers
v0.40.0's betas_for_alpha_bar (scheduling_dpmsolver_multistep.py and scheduling_unipc_multistep.py l. 61):
min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999) with alpha_bar(t) = math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2,
then torch.tensor(betas, dtype=torch.float32) (round to nearest, as np.float32 does). Usage:

    /usr/bin/python3 tools/reference/cosine_betas_stream.py betas \\
        | java -cp core/target/classes:core/target/test-classes dev.flowmatch.scheduler.CosineBetasStreamCheck betas
    /usr/bin/python3 tools/reference/cosine_betas_stream.py cos \\
        | java -cp core/target/classes:core/target/test-classes dev.flowmatch.scheduler.CosineBetasStreamCheck cos

"betas": records (T, i, beta_i as float32), little-endian int32, int32, float32: every beta for ten values of
num_train_timesteps, and beta_0 (the one DPMSolverMultistep uses) for every T in 1..20000. "cos": records
(x, math.cos(x)) as little-endian float64 for every alpha_bar argument of eight T from 100 to 10000, then 2,000,000
uniform arguments in [0, pi/2].
"""
import math
import struct
import sys

import numpy as np

FULL = (1000, 2000, 4000, 500, 100, 1500, 3000, 10000, 999, 1024)
COS_T = (1000, 2000, 4000, 500, 100, 1500, 3000, 10000)


def alpha_bar(t: float) -> float:
    return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2


def main() -> None:
    out = sys.stdout.buffer
    if sys.argv[1] == "betas":
        for T in range(1, 20001):
            for i in range(T) if T in FULL else [0]:
                beta = min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), 0.999)
                out.write(struct.pack("<iif", T, i, np.float32(beta)))
    else:
        xs = [(i / T + 0.008) / 1.008 * math.pi / 2 for T in COS_T for i in range(T + 1)]
        xs += np.random.default_rng(7).uniform(0, math.pi / 2, 2_000_000).tolist()
        for x in xs:
            out.write(struct.pack("<dd", x, math.cos(x)))
    out.flush()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Streams torch's float32 unary results for every float32 bit pattern, for an exhaustive check.

Source of truth: Debian's python3-torch 1.13 (/usr/bin/python3), the build the goldens were made with.
Usage (the Java side reads the stream and compares; see ExhaustiveUnaryCheck in core's test sources):

    ATEN_CPU_CAPABILITY=avx2 /usr/bin/python3 tools/reference/torch_unary_stream.py exp \
        | java -cp core/target/classes:core/target/test-classes dev.flowmatch.torchmath.ExhaustiveUnaryCheck exp avx2

Writes, in order of the unsigned 32-bit pattern 0x00000000 .. 0xffffffff, torch.FUNC(x) of the float32 x with that
pattern as little-endian 32-bit words (16 GiB in all), computed 2^24 elements at a time. The tensor size does not
change any element (torch maps SLEEF / libm over the tensor lane by lane), so chunking is safe.
"""
import sys

import numpy as np
import torch

CHUNK = 1 << 24


def main() -> None:
    name = sys.argv[1]
    first = int(sys.argv[2], 0) if len(sys.argv) > 2 else 0
    count = int(sys.argv[3], 0) if len(sys.argv) > 3 else (1 << 32) // CHUNK
    function = getattr(torch, name)
    torch.set_num_threads(1)
    out = sys.stdout.buffer
    for chunk in range(first, first + count):
        bits = np.arange(chunk * CHUNK, (chunk + 1) * CHUNK, dtype=np.uint64).astype(np.uint32)
        x = torch.from_numpy(bits.view(np.float32))
        y = function(x).numpy()
        out.write(y.astype('<f4', copy=False).tobytes())
    out.flush()


if __name__ == "__main__":
    main()

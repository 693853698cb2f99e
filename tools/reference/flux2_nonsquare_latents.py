#!/usr/bin/env python3
"""Reference packed latents of diffusers' FLUX.2 pipelines for NON-SQUARE images (height != width).

Reproduces, with torch only, diffusers v0.40.0 `Flux2KleinPipeline.prepare_latents` and `_pack_latents`
(src/diffusers/pipelines/flux2/pipeline_flux2_klein.py, lines 479-509 and 388-396):

    height = 2 * (int(height) // (vae_scale_factor * 2))        # vae_scale_factor = 8
    width = 2 * (int(width) // (vae_scale_factor * 2))
    shape = (batch_size, num_latents_channels * 4, height // 2, width // 2)   # num_latents_channels = 32
    latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
    latents = latents.reshape(batch_size, num_channels, height * width).permute(0, 2, 1)

`randn_tensor` with one CPU generator on the CPU is `torch.randn(shape, generator=generator, dtype=dtype)`
(src/diffusers/utils/torch_utils.py). The dtypes are bfloat16 and float16, which torch draws through one
path on every CPU kernel (only float32 tensors of 16+ elements depend on the avx2/default kernel).

Run with Debian's python3-torch 1.13: /usr/bin/python3 tools/reference/flux2_nonsquare_latents.py \
    > core/src/test/resources/reference/flux2-nonsquare-latents.json
"""
import json

import torch

VAE_SCALE_FACTOR = 8
NUM_LATENT_CHANNELS = 32


def prepare_latents(batch_size, height, width, dtype, seed):
    generator = torch.Generator().manual_seed(seed)
    height = 2 * (int(height) // (VAE_SCALE_FACTOR * 2))
    width = 2 * (int(width) // (VAE_SCALE_FACTOR * 2))
    shape = (batch_size, NUM_LATENT_CHANNELS * 4, height // 2, width // 2)
    latents = torch.randn(shape, generator=generator, dtype=dtype)
    b, c, h, w = latents.shape
    return latents.reshape(b, c, h * w).permute(0, 2, 1).contiguous()


def bits(t):
    # uint16 patterns of a bfloat16 / float16 tensor
    return [int(v) & 0xFFFF for v in t.reshape(-1).view(torch.int16).tolist()]


def main():
    cases = []
    for seed, height, width, dtype in [(42, 32, 64, torch.bfloat16), (7, 80, 48, torch.float16),
                                       (3, 47, 100, torch.bfloat16)]:
        latents = prepare_latents(1, height, width, dtype, seed)
        cases.append({
            "seed": seed, "height": height, "width": width, "batch": 1,
            "dtype": str(dtype).replace("torch.", ""),
            "expected": {"dtype": str(dtype).replace("torch.", ""), "shape": list(latents.shape),
                         "bits": bits(latents)},
        })
    print(json.dumps({
        "source": "tools/reference/flux2_nonsquare_latents.py: diffusers v0.40.0 Flux2KleinPipeline.prepare_latents"
                  " and _pack_latents reproduced with torch " + torch.__version__ + " (CPU generator)",
        "flux2_latents": cases,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Classifier-free guidance as diffusers' FLUX.2 klein pipelines compute it, for guidance scales that are not
exact in the tensors' dtype (the shared klein-goldens use 1.5, 4.0 and 7.5, which bfloat16 holds exactly).

    noise_pred = neg_noise_pred + guidance_scale * (noise_pred - neg_noise_pred)   # pipeline_flux2_klein.py

Run with Debian's python3-torch 1.13 (CPU):  python3 tools/reference/klein_cfg_scales.py > \
    core/src/test/resources/reference/klein-cfg-scales.json
Same schema as klein-goldens.json's klein_cfg section.
"""
import json
import torch

torch.manual_seed(2026)
cases = []
for dtype in (torch.float32, torch.bfloat16, torch.float16):
    for scale in (1.1, 3.3, 4.123456, 7.77, 0.3):
        cond = torch.randn(1, 32, 16).to(dtype)
        neg = torch.randn(1, 32, 16).to(dtype)
        expected = neg + scale * (cond - neg)

        def tensor(t):
            bits = t.view(torch.int32) if t.dtype == torch.float32 else t.view(torch.int16).to(torch.int32) & 0xFFFF
            return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                    "bits": bits.flatten().tolist()}

        cases.append({"name": "cfg %s scale=%s" % (str(dtype).replace("torch.", ""), scale),
                      "guidance_scale": scale, "noise_pred": tensor(cond), "neg_noise_pred": tensor(neg),
                      "expected": tensor(expected)})
print(json.dumps({"source": "torch %s CPU: neg + scale * (cond - neg) as in diffusers v0.40.0's "
                  "pipeline_flux2_klein.py; tools/reference/klein_cfg_scales.py" % torch.__version__,
                  "klein_cfg": cases}))

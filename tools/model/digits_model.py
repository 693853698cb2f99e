"""The flowmatch example model: a small class-conditional rectified-flow velocity network for 16x16 digits.

FLUX-style flow matching: x_t = (1 - t) * x0 + t * noise, the network predicts the velocity noise - x0.
Inputs: x [B, 1, 16, 16] float32, t [B] float32 (the pipelines' timestep / 1000, i.e. sigma in [0, 1]),
label [B] int64 (0..9 a digit, 10 the null label used for classifier-free guidance). Output: [B, 1, 16, 16].

Only operations that TorchScript (traced by torch 1.13, run by libtorch 2.7.1 in DJL) and ONNX opset 17 (ONNX
Runtime) both carry: conv, group norm, SiLU, linear, embedding, sin/cos, nearest upsampling, concat.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

NUM_CLASSES = 10
NULL_LABEL = NUM_CLASSES
SIZE = 16


def timestep_embedding(t, dim):
    """Sinusoidal embedding of t * 1000 (the scheduler's timestep scale), [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / half))
    args = (t * 1000.0)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


class DigitsFlow(nn.Module):
    """A two-level U-Net: 16x16 (16 channels) -> 8x8 (32) -> 4x4 (32) and back; time and class enter by FiLM."""

    def __init__(self, c1=16, c2=32, emb_dim=64):
        super().__init__()
        self.emb_dim = emb_dim
        self.time_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label_emb = nn.Embedding(NUM_CLASSES + 1, emb_dim)
        self.conv_in = nn.Conv2d(1, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, emb_dim)
        self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2 = ResBlock(c1, c2, emb_dim)
        self.pool2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.mid1 = ResBlock(c2, c2, emb_dim)
        self.mid2 = ResBlock(c2, c2, emb_dim)
        self.up2 = ResBlock(2 * c2, c2, emb_dim)
        self.up1 = ResBlock(c2 + c1, c1, emb_dim)
        self.norm_out = nn.GroupNorm(8, c1)
        self.conv_out = nn.Conv2d(c1, 1, 3, padding=1)

    def forward(self, x, t, label):
        emb = self.time_mlp(timestep_embedding(t, self.emb_dim)) + self.label_emb(label)
        emb = F.silu(emb)
        h1 = self.down1(self.conv_in(x), emb)                  # 16x16, c1
        h2 = self.down2(self.pool1(h1), emb)                   # 8x8, c2
        h = self.mid2(self.mid1(self.pool2(h2), emb), emb)     # 4x4, c2
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up2(torch.cat([h, h2], dim=1), emb)           # 8x8
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up1(torch.cat([h, h1], dim=1), emb)           # 16x16
        return self.conv_out(F.silu(self.norm_out(h)))

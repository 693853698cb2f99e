# The djl backend's bfloat16 kernels: TorchScript, in the form torch.jit.save writes a scripted module's code
# (dtype arguments are c10::ScalarType numbers: 15 is torch.bfloat16, 6 is torch.float32). TorchScriptKernels
# packs this file into a TorchScript archive in memory and loads it with DJL's TorchScript loader.
#
# Why TorchScript: DJL 0.36 aborts the JVM on any BFLOAT16 NDArray, but the bfloat16 tensors made here live only
# inside one method call; its arguments and results are float32 tensors holding bfloat16 values (the backend's
# representation). PyTorch's own x.to(torch.bfloat16) rounds to nearest even (c10::BFloat16's
# round_to_nearest_even, and the vectorised CPU / CUDA conversions), and its bfloat16 mul and add compute in
# float32 and round once: exactly dev.flowmatch.tensor.AffineSpec. Its vectorised conversions turn a NaN into
# 0xFFFF; widen puts the canonical 0x7FC0 (c10::BFloat16 of NaN) there instead, keeping infinities.
class Bf16Kernels(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.Bf16Kernels,
    x: Tensor,
    y: Tensor,
    parameters: Tensor) -> Tensor:
    # parameters: a float32 CPU tensor [kernel, a, b, round_x, round_y] (DJL passes only tensors to forward).
    p = annotate(List[float], parameters.tolist())
    if p[0] == 0.:
      return (self).widen(torch.to(x, 15), )
    return (self).widen((self).affine(x, y, p[1], p[2], bool(p[3]), bool(p[4]), ), )
  def widen(self: __torch__.Bf16Kernels,
    v: Tensor) -> Tensor:
    # A bfloat16 tensor as float32 (exact), every NaN the canonical 0x7FC0 first, infinities kept. A bfloat16
    # nan_to_num costs more on the CPU than any other kernel of a step (it was a fifth of the step's time), so there
    # one read-only sum asks whether a NaN is there at all. Any NaN makes the sum NaN (so may a +inf and a -inf, or a float32
    # accumulator overflowing both ways: nan_to_num then runs and changes nothing else). On CUDA the pass always
    # runs: reading the sum on the host would wait for the device.
    if v.is_cuda or bool(torch.isnan(torch.sum(v))):
      v = torch.nan_to_num(v, nan, inf, -inf)
    return torch.to(v, 6)
  def affine(self: __torch__.Bf16Kernels,
    x: Tensor,
    y: Tensor,
    a: float,
    b: float,
    round_x: bool,
    round_y: bool) -> Tensor:
    # bf16(px + py), a bfloat16 tensor, for x and y holding bfloat16 values, px = a*x and py = b*y each rounded to
    # bfloat16 when its flag says so (the caller rounded that coefficient). A bfloat16 add of two bfloat16 tensors
    # is the float32 sum rounded once to bfloat16, so the common cases stay in bfloat16 from the first conversion
    # on, each kernel writing in place into this call's own bfloat16 copies (two buffers fewer to allocate).
    if round_x and round_y:
      s = torch.to(x, 15)
      s = torch.mul_(s, a)
      py = torch.to(y, 15)
      py = torch.mul_(py, b)
      s = torch.add_(s, py)
    elif round_y and a == 1.:
      # The DIFFUSERS step x + dt*v: 1*x is x.
      py = torch.to(y, 15)
      py = torch.mul_(py, b)
      s = torch.to(x, 15)
      s = torch.add_(s, py)
    else:
      if round_x:
        px = torch.to(torch.mul(torch.to(x, 15), a), 6)
      elif a == 1.:
        px = x
      else:
        px = torch.mul(x, a)
      if round_y:
        py = torch.to(torch.mul(torch.to(y, 15), b), 6)
      else:
        py = torch.mul(y, b)
      s = torch.add(px, py)
    return torch.to(s, 15)

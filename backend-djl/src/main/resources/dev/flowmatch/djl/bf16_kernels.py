# The djl backend's bfloat16 kernels: TorchScript, in the form torch.jit.save writes a scripted module's code
# (dtype arguments are c10::ScalarType numbers: 15 is torch.bfloat16, 6 is torch.float32, 5 is torch.float16).
# TorchScriptKernels packs this file into a TorchScript archive in memory and loads it with DJL's TorchScript
# loader.
#
# Why TorchScript: DJL 0.36 aborts the JVM when asked to make a BFLOAT16 NDArray (its dtype code for bfloat16 ends
# in a bare throw;), but a PyTorch bfloat16 tensor that a TorchScript call returns is an ordinary DJL NDArray whose
# dtype DJL reports as UNKNOWN. The backend holds bfloat16 tensors that way and lets only these kernels, and DJL calls
# that never map a dtype (clone, expand, close), touch them. Host transfers go through their bits: view_copy to and
# from float16 (TorchScript resolves Tensor.view(dtype) only as view(size); view_copy(dtype) is the same bytes under
# the other dtype, one copy).
#
# PyTorch's own x.to(torch.bfloat16) rounds to nearest even (c10::BFloat16's round_to_nearest_even, and the
# vectorised CPU / CUDA conversions), and its bfloat16 mul and add compute in float32 and round once: exactly
# dev.flowmatch.tensor.AffineSpec. Its vectorised conversions turn a NaN into 0xFFFF; every bfloat16 result here has
# the canonical 0x7FC0 (c10::BFloat16 of NaN) there instead, infinities kept.
class Bf16Kernels(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.Bf16Kernels,
    x: Tensor,
    y: Tensor,
    parameters: Tensor) -> Tensor:
    # parameters: a float32 CPU tensor [kernel, a, b, round_x, round_y] (DJL passes only tensors to forward).
    # kernel 0: float32 x rounded to bfloat16. 1: the affine step over bfloat16 x and y. 2: bfloat16 x widened to
    # float32 (exact). 3: bfloat16 x as its bits (a float16-typed copy). 4: float32 x rounded to bfloat16, as
    # float32. 5: bits x (float16-typed) as a bfloat16 tensor.
    p = annotate(List[float], parameters.tolist())
    k = p[0]
    if k == 0.:
      return (self).canonical(torch.to(x, 15), )
    if k == 1.:
      return (self).canonical((self).affine(x, y, p[1], p[2], bool(p[3]), bool(p[4]), ), )
    if k == 2.:
      return torch.to(x, 6)
    if k == 3.:
      return torch.view_copy(x, 5)
    if k == 5.:
      return torch.view_copy(x, 15)
    return torch.to((self).canonical(torch.to(x, 15), ), 6)
  def canonical(self: __torch__.Bf16Kernels,
    v: Tensor) -> Tensor:
    # Every NaN of a bfloat16 tensor the canonical 0x7FC0, infinities kept. A bfloat16 nan_to_num costs more on
    # the CPU than any other kernel of a step, so there one read-only sum asks whether a NaN is there at all.
    # Any NaN makes the sum NaN (so may a +inf and a -inf, or a float32 accumulator overflowing both ways:
    # nan_to_num then runs and changes nothing else). On CUDA the pass always runs: reading the sum on the host
    # would wait for the device.
    if v.is_cuda or bool(torch.isnan(torch.sum(v))):
      v = torch.nan_to_num(v, nan, inf, -inf)
    return v
  def affine(self: __torch__.Bf16Kernels,
    x: Tensor,
    y: Tensor,
    a: float,
    b: float,
    round_x: bool,
    round_y: bool) -> Tensor:
    # bf16(px + py), a bfloat16 tensor, for bfloat16 x and y, px = a*x and py = b*y each rounded to bfloat16 when
    # its flag says so (the caller rounded that coefficient). A bfloat16 add of two bfloat16 tensors is the float32
    # sum rounded once to bfloat16, so the common cases stay in bfloat16, the sum written in place into this call's
    # own product.
    if round_x and round_y:
      s = torch.mul(x, a)
      s = torch.add_(s, torch.mul(y, b))
    elif round_y and a == 1.:
      # The DIFFUSERS step x + dt*v: 1*x is x.
      s = torch.mul(y, b)
      s = torch.add_(s, x)
    else:
      if round_x:
        px = torch.to(torch.mul(x, a), 6)
      elif a == 1.:
        px = torch.to(x, 6)
      else:
        px = torch.mul_(torch.to(x, 6), a)
      if round_y:
        py = torch.to(torch.mul(y, b), 6)
      else:
        py = torch.mul_(torch.to(y, 6), b)
      s = torch.add_(px, py)
    return torch.to(s, 15)

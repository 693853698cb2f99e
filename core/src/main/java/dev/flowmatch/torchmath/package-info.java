/**
 * Host-side scalar math exactly as torch 1.13 computes it on the CPU for float32 0-dim and tiny tensors: what
 * diffusers' flow schedulers ({@code FlowMatchHeunDiscreteScheduler}, {@code FlowMatchLCMScheduler},
 * {@code DPMSolverMultistepScheduler} and {@code UniPCMultistepScheduler} with {@code use_flow_sigmas},
 * {@code LTXEulerAncestralRFScheduler}; diffusers v0.40.0) compute between model calls, reproduced bit for bit.
 *
 * <h2>Entry points</h2>
 * <ul>
 *   <li>{@link dev.flowmatch.torchmath.TorchFloatMath}: {@code torch.exp}, {@code torch.log}, {@code torch.expm1}
 *       per CPU kernel ({@link dev.flowmatch.noise.TorchCpuKernel}: {@code AVX2} runs SLEEF, {@code DEFAULT} runs
 *       glibc); {@code torch.pow} with the integer exponents -2..3; Python-number {@code /} tensor.</li>
 *   <li>{@link dev.flowmatch.torchmath.TorchLinalg#solve}: {@code torch.linalg.solve} of UniPC's 1x1 to 4x4
 *       systems over OpenBLAS 0.3.21, for a contiguous {@code A} (the corrector's {@code R}) or a strided view
 *       (the predictor's {@code R[:-1, :-1]}).</li>
 *   <li>{@link dev.flowmatch.torchmath.GlibcFloatMath}: glibc's {@code expf}, {@code logf}, {@code expm1f},
 *       {@code sinf}, {@code cosf} (also used by the noise generator's portable kernel).</li>
 * </ul>
 *
 * <h2>How each function was verified</h2>
 * Reference: Debian 12's {@code python3-torch} 1.13.1 ({@code torch.__version__} 1.13.0a0) with Debian's SLEEF
 * 3.5.1, glibc 2.36 and OpenBLAS 0.3.21, one thread, the build that made the sampler goldens. "Exhaustive" means
 * all 2^32 float32 bit patterns ({@code tools/reference/torch_unary_stream.py} piped into
 * {@code ExhaustiveUnaryCheck} in the test sources); a NaN result counts as a match when torch's is a NaN too. (NaN
 * bit patterns match as well, except glibc {@code logf}'s: it returns the x86 default NaN {@code 0xffc00000} for
 * negative arguments and the quieted input for NaN ones, this port {@link java.lang.Float#NaN}.) The unit tests run on committed samples of the same torch data
 * ({@code tools/reference/torch_unary_cases.py}, {@code torch_linalg_solve_cases.py}).
 * <table>
 *   <caption>Verification against torch 1.13</caption>
 *   <tr><th>Function</th><th>Kernel</th><th>Reproduces</th><th>Verified</th><th>Mismatches</th></tr>
 *   <tr><td>{@code exp}</td><td>AVX2</td><td>SLEEF {@code Sleef_expf8_u10}</td>
 *       <td>exhaustive (4,294,967,296 inputs); 3,332 samples in the tests</td><td>0</td></tr>
 *   <tr><td>{@code exp}</td><td>DEFAULT</td><td>glibc {@code expf} (FMA build)</td>
 *       <td>exhaustive; 3,332 samples in the tests</td><td>0</td></tr>
 *   <tr><td>{@code log}</td><td>AVX2</td><td>SLEEF {@code Sleef_logf8_u10}</td>
 *       <td>exhaustive; 3,090 samples in the tests</td><td>0</td></tr>
 *   <tr><td>{@code log}</td><td>DEFAULT</td><td>glibc {@code logf} (FMA build)</td>
 *       <td>exhaustive; 3,090 samples in the tests</td><td>0</td></tr>
 *   <tr><td>{@code expm1}</td><td>AVX2</td><td>SLEEF {@code Sleef_expm1f8_u10}</td>
 *       <td>exhaustive; 3,312 samples in the tests</td><td>0</td></tr>
 *   <tr><td>{@code expm1}</td><td>DEFAULT</td><td>glibc {@code expm1f}</td>
 *       <td>exhaustive; 3,312 samples in the tests</td><td>0</td></tr>
 *   <tr><td>{@code pow(x, k)}, k in -2..3</td><td>both</td><td>{@code pow_tensor_scalar} special cases</td>
 *       <td>1,854 samples (309 inputs x 6 exponents, 0-dim and 1-d)</td><td>0</td></tr>
 *   <tr><td>{@code scalarDivide}</td><td>both</td><td>{@code Tensor.__rtruediv__}</td>
 *       <td>1,080 samples</td><td>0</td></tr>
 *   <tr><td>{@code t - s}, {@code s - t}, {@code t + s}, {@code t * s}, {@code t / s}, {@code sqrt},
 *       {@code ** 0.5}, {@code clamp(min=0)}</td><td>both</td><td>one float32 operation in Java</td>
 *       <td>2,440 samples (0-dim tensors, Python numbers)</td><td>0</td></tr>
 *   <tr><td>{@code TorchLinalg.solve}</td><td>both</td><td>{@code sgetrf} + {@code sgetrs}, OpenBLAS 0.3.21</td>
 *       <td>all 294 UniPC calls of {@code sampler-goldens.json}; 1,500 generated cases (n = 1..4, both layouts,
 *       11 singular) in the tests; 1,000,000 generated cases locally (7,599 singular: torch raises, so does
 *       {@code solve})</td><td>0</td></tr>
 * </table>
 * Each of the six is monotone over all floats ({@code MonotonicityScan} over the ports, which equal torch on every
 * input), which the unit tests' monotonicity property relies on. The tensor size never matters: torch maps SLEEF or libm over every element, the tail and 0-dim tensors included
 * (checked: each sample also computed on a 0-dim tensor). The two kernels disagree often: {@code exp} on 9.5% of
 * uniform arguments in [-4, 0] (where DPM-Solver's {@code exp(-h)} lives) and in [-20, 20], {@code expm1} on 8.8%
 * in [-4, 0] (UniPC's {@code expm1(-h)}) and 7.6% in [-20, 20], {@code log} on 1.5% of (0, 1) (2 million
 * arguments each). SLEEF's AVX-512F build, which torch's {@code avx512} kernel runs, equals its AVX2 build on all
 * 2^32 inputs of each function.
 *
 * <h2>The torch operations of the flow schedulers, and what reproduces each</h2>
 * In {@code set_timesteps} the schedulers compute in numpy float64 (or float32 numpy, for LCM's custom sigmas) and
 * then cast; that is schedule math, not torch. In {@code step}, {@code scale_noise} and {@code add_noise} they
 * compute 0-dim float32 coefficients from {@code self.sigmas[i]}, then apply them to tensors. Python evaluates left
 * to right, so {@code a / b * x} and {@code a * b * x} first form the 0-dim {@code a / b}, {@code a * b}, then
 * multiply the tensor. Each coefficient operation is:
 * <ul>
 *   <li>{@code 1 - sigma}, {@code 1.0 - t}, {@code t - 1.0}, {@code 1.0 + t}, {@code -h}, {@code a + b},
 *       {@code a - b}, {@code a * b}, {@code a / b}, {@code 0.5 * t}, {@code 2.0 * h}, {@code -2.0 * h},
 *       {@code t * factorial_i}, {@code t + 1e-12}: one IEEE float32 operation; a Python number is rounded to float32
 *       first ({@code (float) 1e-12}, {@code (float) (1.0 / factorial_i)}, {@code (float) eta}); Java's
 *       {@code float} arithmetic is exactly this (it never fuses or reorders). Checked on 0-dim tensors against
 *       torch under both kernels (computing in double and rounding once instead gives other bits in 19% of such
 *       probes).</li>
 *   <li>{@code number / t}, e.g. {@code 1.0 / r0}: {@link dev.flowmatch.torchmath.TorchFloatMath#scalarDivide}
 *       ({@code t.reciprocal() * number}; equal to a plain division when the number is 1).</li>
 *   <li>{@code t ** 2}, {@code h**2}, {@code (2.0 * h) ** 2}, {@code torch.pow(rks, i - 1)}:
 *       {@link dev.flowmatch.torchmath.TorchFloatMath#pow} ({@code x * x} and so on).</li>
 *   <li>{@code t ** 0.5}, {@code torch.sqrt(t)}, {@code .sqrt()}: {@code (float) Math.sqrt(x)} (correctly rounded
 *       both ways).</li>
 *   <li>{@code .clamp(min=0.0)}: {@code x < 0f ? 0f : x} (torch keeps -0.0 and NaN; checked).</li>
 *   <li>{@code torch.log(alpha_t) - torch.log(sigma_t)} (DPM-Solver, UniPC: lambda):
 *       {@link dev.flowmatch.torchmath.TorchFloatMath#log}.</li>
 *   <li>{@code torch.exp(-h)}, {@code torch.exp(h)}, {@code torch.exp(-2.0 * h)} (DPM-Solver):
 *       {@link dev.flowmatch.torchmath.TorchFloatMath#exp}.</li>
 *   <li>{@code torch.expm1(hh)} (UniPC: {@code h_phi_1}, and {@code B_h} for {@code bh2}):
 *       {@link dev.flowmatch.torchmath.TorchFloatMath#expm1}.</li>
 *   <li>{@code torch.linalg.solve(R, b)} (UniPC corrector, order 2 and up) and
 *       {@code torch.linalg.solve(R[:-1, :-1], b[:-1])} (predictor, order 3 and up):
 *       {@link dev.flowmatch.torchmath.TorchLinalg#solve} with {@code CONTIGUOUS} and {@code NON_CONTIGUOUS}. The
 *       result is then cast to the sample's dtype ({@code .to(x.dtype)}: bf16 when the sample is bf16).</li>
 *   <li>{@code torch.stack}, {@code torch.cat}, {@code torch.ones(())}, {@code repeat_interleave}, indexing,
 *       {@code .view}, {@code torch.from_numpy(...).to(torch.float32)} (round to nearest float), {@code .item()}
 *       (exact widening to double): no arithmetic.</li>
 * </ul>
 * Per scheduler (flow mode):
 * <ul>
 *   <li>FlowMatchHeun: {@code sigma * (gamma + 1)}, {@code (sigma_hat**2 - sigma**2) ** 0.5},
 *       {@code sigma_next - sigma_hat}, {@code 1.0 - sigma}; the tensor-by-0-dim divisions
 *       {@code (sample - denoised) / sigma_hat} are per-element IEEE divisions (checked: torch does not multiply by
 *       a reciprocal there).</li>
 *   <li>FlowMatchLCM: {@code 1 - sigma_next}, {@code 1.0 - sigma} ({@code scale_noise}), {@code 1.0 - sigmas}
 *       ({@code invert_sigmas}), {@code sigmas * num_train_timesteps}.</li>
 *   <li>DPMSolverMultistep: {@code 1 - sigma}, lambda by {@code log}, {@code h}, {@code r0 = h_0 / h},
 *       {@code 1.0 / r0}, {@code r0 / (r0 + r1)}, {@code 1.0 / (r0 + r1)}, {@code sigma_t / sigma_s0},
 *       {@code alpha_t * (torch.exp(-h) - 1.0)}, {@code 0.5 * (...)}, {@code ((torch.exp(-h) - 1.0) / h + 1.0)},
 *       {@code ((torch.exp(-h) - 1.0 + h) / h**2 - 0.5)}; the SDE variants add {@code torch.exp(-2.0 * h)},
 *       {@code 1 - ...}, {@code torch.sqrt(1.0 - torch.exp(-2 * h))}, {@code (-2.0 * h)}, {@code (2.0 * h) ** 2}.</li>
 *   <li>UniPCMultistep: {@code 1 - sigma}, lambda by {@code log}, {@code rk = (lambda_si - lambda_s0) / h},
 *       {@code hh = -h}, {@code torch.expm1(hh)}, {@code h_phi_1 / hh - 1}, {@code h_phi_k * factorial_i / B_h},
 *       {@code h_phi_k / hh - 1 / factorial_i}, {@code torch.pow(rks, i - 1)}, the solves,
 *       {@code sigma_t / sigma_s0}, {@code alpha_t * h_phi_1}, {@code alpha_t * B_h}; order 2 uses
 *       {@code rhos = 0.5} instead of a solve.</li>
 *   <li>LTXEulerAncestralRF: {@code 1.0 + (sigma_next / sigma - 1.0) * eta}, {@code sigma_next * downstep_ratio},
 *       {@code 1.0 - sigma_next}, {@code 1.0 - sigma_down}, {@code sigma_down / sigma}, {@code 1.0 - sigma_ratio},
 *       {@code (sigma_next**2 - sigma_down**2 * alpha_ip1**2 / (alpha_down**2 + 1e-12)).clamp(min=0.0).sqrt()},
 *       {@code alpha_ip1 / (alpha_down + 1e-12)}.</li>
 * </ul>
 */
package dev.flowmatch.torchmath;

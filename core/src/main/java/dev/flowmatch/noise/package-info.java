/**
 * Reproducible noise: PyTorch's CPU generator in plain Java, so that a seed means the same latent on every backend
 * and machine, and the same latent a diffusers pipeline starts from.
 *
 * <h2>Entry points</h2>
 * <ul>
 *   <li>{@link dev.flowmatch.noise.Noise#initNoise(dev.flowmatch.tensor.TensorBackend, dev.flowmatch.tensor.Shape,
 *       long, dev.flowmatch.tensor.DType) Noise.initNoise(backend, shape, seed, dtype)}:
 *       {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)}, computed in Java and
 *       placed on the backend with {@code fromBits}, so every backend holds identical bits.</li>
 *   <li>{@link dev.flowmatch.noise.TorchGenerator}: the generator itself, a stream
 *       ({@link dev.flowmatch.noise.NoiseSource}) that continues across calls exactly like a {@code torch.Generator}
 *       passed to consecutive {@code torch.randn} calls (for stochastic samplers).</li>
 *   <li>{@link dev.flowmatch.noise.Flux2Latents}: the packed {@code [B, (H/16)*(W/16), 128]} latents of diffusers'
 *       FLUX.2 pipelines ({@code prepare_latents} + {@code _pack_latents}).</li>
 *   <li>{@link dev.flowmatch.noise.NoiseGenerator#NATIVE}: the backend's own generator instead (MLX, DJL):
 *       deterministic per backend, not portable.</li>
 * </ul>
 *
 * <h2>Seeds</h2>
 * A seed is any {@code long}, with torch's meaning: Python's {@code manual_seed} stores a 64-bit unsigned value and
 * reads a negative int as its two's complement, so {@code -1} here is {@code manual_seed(-1)} (and
 * {@code manual_seed(2**64 - 1)}); Python seeds from 2^63 to 2^64 - 1 are the negative longs with the same bits.
 * The Mersenne Twister takes only the low 32 bits ({@code init_with_uint32}), so seeds that agree modulo 2^32 draw
 * the same numbers, in torch as here; {@link dev.flowmatch.noise.TorchGenerator#initialSeed()} still reports all 64.
 *
 * <h2>How torch draws {@code randn} on the CPU</h2>
 * {@code normal_kernel} in {@code aten/src/ATen/native/cpu/DistributionTemplates.h} picks one of three paths, all
 * fed by one {@code mt19937} (uniforms use 24, 8 or 11 bits of a 32-bit word for float32, bfloat16, float16, or 53
 * bits of two words for double):
 * <ol>
 *   <li><b>float32, 16 or more elements</b>: all uniforms first, then Box-Muller on blocks of 16 (element
 *       {@code j} with {@code j + 8}); a partial last block is drawn again as the last 16 elements. The math depends
 *       on the CPU kernel: {@code normal_fill_16_AVX2} with {@code avx_mathfun.h}'s {@code log256_ps} /
 *       {@code sincos256_ps} (cephes polynomials, multiply-adds fused by GCC), or the portable
 *       {@code normal_fill_16<float>} with libm's {@code logf}, {@code sinf}, {@code cosf}. About 4 values in 10
 *       differ between the two, by at most about 2e-6 ({@link dev.flowmatch.noise.TorchCpuKernel}).</li>
 *   <li><b>bfloat16, float16, 16 or more elements</b>: the same blocks in the 16-bit type, rounded where C++ rounds
 *       ({@code normal_fill<scalar_t>}); the same on every CPU kernel.</li>
 *   <li><b>fewer than 16 elements</b> (any dtype): {@code at::normal_distribution<double>} per element; each pair
 *       yields two values and the second is cached in the generator, also across other calls.</li>
 * </ol>
 * So a dtype is part of a seed's meaning: the same seed gives unrelated float32 and bfloat16 noise, as in torch.
 *
 * <h2>Which machines draw which values</h2>
 * <ul>
 *   <li><b>x86-64 with AVX2 and FMA</b> (Intel since Haswell, 2013; AMD since Excavator / all Zen), AVX-512 CPUs
 *       included: the AVX2 kernel, {@link dev.flowmatch.noise.TorchCpuKernel#AVX2}. torch only builds the normal
 *       kernel for AVX2: on an AVX-512 capability its dispatch slot is empty and torch falls back to AVX2 (checked in
 *       the 1.13.1 and 2.7.1 binaries, and by drawing with {@code ATEN_CPU_CAPABILITY=avx512}). This is the
 *       default, {@link dev.flowmatch.noise.TorchBuild#STANDARD}: what Linux x86 wheels (built with GCC) draw on
 *       practically every desktop and server of the last ten years, and what the golden files hold.</li>
 *   <li><b>Linux on ARM64</b> (Graviton, Ampere, Grace; SVE capabilities included, the kernel has no SVE code) and
 *       <b>x86-64 without AVX2</b>: the portable kernel over glibc, {@link dev.flowmatch.noise.TorchCpuKernel#DEFAULT}.
 *       Checked on x86-64 with {@code ATEN_CPU_CAPABILITY=default}; glibc's FMA and SSE2 builds of {@code logf},
 *       {@code sinf}, {@code cosf} return the same float for all 2^24 arguments each receives here, and AArch64
 *       glibc compiles the same C code with fused multiply-adds, so ARM64 Linux is expected to match (not run on
 *       ARM hardware).</li>
 *   <li><b>macOS on Apple silicon</b>: the portable kernel over Apple's libm, whose {@code logf} / {@code sinf} /
 *       {@code cosf} are other code. float32 tensors of 16+ elements may differ from {@code DEFAULT} in last bits
 *       (16-bit and small tensors very likely match); not reproduced.</li>
 *   <li><b>Windows x86-64, and Intel Macs</b> (wheels up to torch 2.2): the AVX2 kernel, but compiled by MSVC or
 *       clang, which do not fuse a multiply in one intrinsic with the add in the next. Compiled that way, the same
 *       source gives other last bits for about 1% of sines and cosines and 0.1% of logarithms (checked with GCC and
 *       {@code -ffp-contract=off}). Not verified against such a build and not reproduced.</li>
 *   <li>POWER ({@code vsx}) and IBM Z ({@code zvector}) have kernels of their own; CUDA, ROCm and MPS generators are
 *       different algorithms altogether (use {@link dev.flowmatch.noise.NoiseGenerator#NATIVE} on such a backend, or
 *       keep the default: diffusers' {@code randn_tensor} with a CPU generator draws on the CPU whatever the
 *       device).</li>
 * </ul>
 *
 * <h2>Which torch releases</h2>
 * The generator, seeding, float32, bfloat16 and small-tensor values are identical in torch 1.13.1 and 2.7.1
 * (checked bit for bit, both kernels). float16 tensors of 16+ elements changed in torch 2.1, when
 * {@code c10::Half} gained the math overloads {@code c10::BFloat16} had (pytorch#98493): since then every step is
 * rounded to float16. {@link dev.flowmatch.noise.TorchRelease} selects the behaviour, {@code TORCH_2_7} by default.
 * Newer torch writes {@code log1p(-u2)} for {@code log(1 - u2)} in the small-tensor path; the argument is exact
 * either way and no difference appears at float precision. Changes proposed in 2026 (pytorch#166854, #179834:
 * bfloat16/float16 blocks computed in float32) would change 16-bit values if released; they are not reproduced.
 *
 * <h2>Checked how</h2>
 * The golden file's {@code torch_randn} and {@code flux2_latents} sections (torch 1.13), recorded streams from torch
 * 1.13.1 and 2.7.1 in the test resources, and outside the build: 80 million float32 values per kernel, 300 mixed
 * streams, the ports of {@code log256_ps} / {@code sincos256_ps} and of glibc's functions against the C originals
 * for all 2^24 inputs each.
 *
 * <h2>Speed</h2>
 * One {@code [1, 4096, 128]} draw, best CPU time of one thread on the development machine (AMD Zen 5, shared):
 * float32 (AVX2) about 1.1 to 1.4 ms here against 1.6 to 1.7 ms for torch 1.13.1's own {@code randn} and 1.9 ms for
 * torch 2.7.1's; bfloat16 3.3 ms against 10.3 ms; float16 about 2 ms against 11 to 15 ms; the portable float32
 * kernel 4.6 ms against 5.3 ms. The AVX2 math runs in chunked loops the JIT vectorises, with the same operations and
 * so the same bits; 16-bit values come from tables of the 2^8 or 2^11 possible uniforms.
 */
package dev.flowmatch.noise;

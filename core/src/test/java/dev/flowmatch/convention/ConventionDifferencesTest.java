package dev.flowmatch.convention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.schedule.ImageSize;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.MlxRandom;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import org.junit.jupiter.api.Test;

/**
 * How often the engines' numbers differ, measured on the golden cases (the README's table of conventions quotes
 * these counts; the goldens pin each engine's side, so a count changes only with the goldens).
 */
class ConventionDifferencesTest {
    private static final JsonNode GOLDENS = Goldens.bundled("conventions-goldens.json").root();

    /** Differing schedules and the largest sigma distance in float32 ulps. */
    record Tally(int differing, int total, long maxUlp) {
        @Override
        public String toString() {
            return differing + " of " + total + " (max " + maxUlp + " ulp)";
        }
    }

    private static long ulps(float a, float b) {
        return Math.abs((long) Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }

    private static long maxUlp(float[] a, float[] b) {
        long max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, ulps(a[i], b[i]));
        }
        return max;
    }

    private static Schedule diffusers(SchedulerConfig config, int steps, double mu) {
        ScheduleRequest request = ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(steps));
        if (mu != 0 && config.useDynamicShifting()) {
            return Schedules.compute(config, request.withMu(mu));
        }
        return Schedules.compute(config.toBuilder().useDynamicShifting(false).build(), request);
    }

    /** Ollama (amd64) against diffusers for the same request: each engine's own sequence length and mu. */
    static Tally ollamaVersusDiffusers() {
        int differing = 0;
        int total = 0;
        long max = 0;
        for (JsonNode n : GOLDENS.get("ollama_amd64").get("schedules")) {
            JsonNode request = n.get("request");
            int steps = request.get("num_steps").asInt();
            SchedulerConfig config = SchedulerConfigJson.fromTree(n.get("config"));
            double mu = switch (request.get("mu").asText()) {
                case "calculate_shift" -> Flux2.computeEmpiricalMu(
                        Flux2.imageSeqLen(ImageSize.of(request.get("height").asInt(), request.get("width").asInt())), steps);
                case "zero" -> 0;
                default -> Float.intBitsToFloat(request.get("mu_bits").asInt());
            };
            float[] theirs = diffusers(config, steps, mu).sigmas();
            float[] ollama = floats(n.get("sigmas_bits"));
            total++;
            long ulp = maxUlp(theirs, ollama);
            if (ulp > 0) {
                differing++;
                max = Math.max(max, ulp);
            }
        }
        return new Tally(differing, total, max);
    }

    /** Ollama's float32 CalculateShift against diffusers' float64 mu rounded to float32. */
    static Tally calculateShiftVersusDiffusers() {
        int differing = 0;
        int total = 0;
        long max = 0;
        for (JsonNode n : GOLDENS.get("ollama_amd64").get("calculate_shift")) {
            float ollama = Float.intBitsToFloat(n.get("mu_bits").asInt());
            float diffusers = (float) Flux2.computeEmpiricalMu(n.get("image_seq_len").asInt(), n.get("num_steps").asInt());
            total++;
            if (ollama != diffusers) {
                differing++;
                max = Math.max(max, ulps(ollama, diffusers));
            }
        }
        return new Tally(differing, total, max);
    }

    /** Ollama on arm64 against Ollama on amd64 (schedules: sigmas; calculate_shift: mu). */
    static Tally[] arm64VersusAmd64() {
        JsonNode amd = GOLDENS.get("ollama_amd64");
        JsonNode arm = GOLDENS.get("ollama_arm64");
        int differing = 0;
        long max = 0;
        int total = arm.get("schedules").size();
        for (int i = 0; i < total; i++) {
            long ulp = maxUlp(floats(amd.get("schedules").get(i).get("sigmas_bits")),
                    floats(arm.get("schedules").get(i).get("sigmas_bits")));
            if (ulp > 0 || amd.get("schedules").get(i).get("mu_bits").asInt()
                    != arm.get("schedules").get(i).get("mu_bits").asInt()) {
                differing++;
                max = Math.max(max, ulp);
            }
        }
        int muDiffering = 0;
        long muMax = 0;
        int muTotal = arm.get("calculate_shift").size();
        for (int i = 0; i < muTotal; i++) {
            float a = Float.intBitsToFloat(amd.get("calculate_shift").get(i).get("mu_bits").asInt());
            float b = Float.intBitsToFloat(arm.get("calculate_shift").get(i).get("mu_bits").asInt());
            if (a != b) {
                muDiffering++;
                muMax = Math.max(muMax, ulps(a, b));
            }
        }
        return new Tally[] {new Tally(differing, total, max), new Tally(muDiffering, muTotal, muMax)};
    }

    /** ComfyUI's Flux2Scheduler (avx2, torch 1.13) against diffusers for the same steps and size. */
    static Tally comfyVersusDiffusers() {
        int differing = 0;
        int total = 0;
        long max = 0;
        for (JsonNode n : GOLDENS.get("comfyui_flux2_scheduler")) {
            int steps = n.get("steps").asInt();
            int seq = Flux2.imageSeqLen(ImageSize.of(n.get("height").asInt(), n.get("width").asInt()));
            float[] theirs = diffusers(SchedulerConfig.flux2Klein(), steps, Flux2.computeEmpiricalMu(seq, steps)).sigmas();
            long ulp = maxUlp(theirs, floats(n.get("sigmas_bits")));
            total++;
            if (ulp > 0) {
                differing++;
                max = Math.max(max, ulp);
            }
        }
        return new Tally(differing, total, max);
    }

    /** ComfyUI's schedule under the default kernel against avx2, and torch 2.7's linspace against 1.13's. */
    static Tally[] comfyKernelsAndReleases() {
        int kernels = 0;
        int releases = 0;
        long kernelMax = 0;
        long releaseMax = 0;
        int total = 0;
        for (JsonNode n : GOLDENS.get("comfyui_flux2_scheduler")) {
            int steps = n.get("steps").asInt();
            ImageSize size = ImageSize.of(n.get("height").asInt(), n.get("width").asInt());
            float[] avx2 = floats(n.get("sigmas_bits"));
            long k = maxUlp(avx2, floats(n.get("sigmas_bits_default_kernel")));
            long r = maxUlp(avx2, ComfyUiSchedule.flux2Scheduler(steps, size,
                    new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_2_7)).sigmas());
            total++;
            if (k > 0) {
                kernels++;
                kernelMax = Math.max(kernelMax, k);
            }
            if (r > 0) {
                releases++;
                releaseMax = Math.max(releaseMax, r);
            }
        }
        return new Tally[] {new Tally(kernels, total, kernelMax), new Tally(releases, total, releaseMax)};
    }

    /** MLX's bfloat16 noise against its float32 noise rounded to bfloat16, over the golden seeds and shapes. */
    static Tally mlxBf16VersusRoundedFloat32() {
        int differing = 0;
        int total = 0;
        long max = 0;
        JsonNode root = Goldens.bundled("mlx-noise-goldens.json").root();
        for (JsonNode n : root.get("mlx_normal")) {
            if (!n.get("dtype").asText().equals("bfloat16")) {
                continue;
            }
            long seed = n.get("seed").bigIntegerValue().longValue();
            Shape shape = Shape.of(Goldens.longs(n.get("shape")));
            int[] bf16 = Goldens.ints(n.get("bits"));
            int[] f32 = MlxRandom.normalBits(seed, shape, DType.FLOAT32);
            for (int i = 0; i < bf16.length; i++) {
                int rounded = DType.BFLOAT16.floatToBits(Float.intBitsToFloat(f32[i]));
                total++;
                if (rounded != bf16[i]) {
                    differing++;
                    max = Math.max(max, Math.abs(rounded - bf16[i]));
                }
            }
        }
        return new Tally(differing, total, max);
    }

    @Test
    void measuredDifferencesAreTheReadmes() {
        Tally ollama = ollamaVersusDiffusers();
        Tally shift = calculateShiftVersusDiffusers();
        Tally[] arm = arm64VersusAmd64();
        Tally comfy = comfyVersusDiffusers();
        Tally[] comfyBuilds = comfyKernelsAndReleases();
        Tally mlx = mlxBf16VersusRoundedFloat32();
        assertEquals("93 of 145 (max 16 ulp)", ollama.toString(), "Ollama vs diffusers, sigmas");
        assertEquals("37 of 84 (max 3 ulp)", shift.toString(), "CalculateShift vs diffusers' mu in float32");
        assertEquals("78 of 145 (max 6 ulp)", arm[0].toString(), "arm64 vs amd64, sigmas and mu");
        assertEquals("17 of 84 (max 3 ulp)", arm[1].toString(), "arm64 vs amd64, CalculateShift");
        assertEquals("55 of 70 (max 2 ulp)", comfy.toString(), "ComfyUI vs diffusers, sigmas");
        assertEquals("4 of 70 (max 2 ulp)", comfyBuilds[0].toString(), "ComfyUI, default vs avx2 kernel");
        assertEquals("15 of 70 (max 3 ulp)", comfyBuilds[1].toString(), "ComfyUI, torch 2.7 vs 1.13 (avx2)");
        assertEquals("2911 of 10845 (max 1 ulp)", mlx.toString(), "MLX bf16 noise vs rounded float32 noise");
    }

    private static float[] floats(JsonNode bits) {
        int[] ints = Goldens.ints(bits);
        float[] out = new float[ints.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.intBitsToFloat(ints[i]);
        }
        return out;
    }
}

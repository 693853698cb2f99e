package dev.flowmatch.scheduler;

import dev.flowmatch.convention.TorchLinspace;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.Shifts;
import dev.flowmatch.schedule.Spacings;
import dev.flowmatch.schedule.TimeShiftType;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import dev.flowmatch.torchmath.GlibcDoubleMath;
import dev.flowmatch.torchmath.TorchFloatMath;
import dev.flowmatch.torchmath.TorchLinalg;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * diffusers' {@code UniPCMultistepScheduler} in flow mode ({@code use_flow_sigmas=True},
 * {@code prediction_type="flow_prediction"}), bit for bit with diffusers v0.40.0
 * ({@code src/diffusers/schedulers/scheduling_unipc_multistep.py}) under torch 1.13 on the CPU: the multistep
 * UniPC predictor (UniP) and corrector (UniC) of Zhao et al. 2023, B(h) variants {@code bh1} and {@code bh2},
 * orders 1 to 3. The scheduler Wan 2.1, SkyReels-V2 and Cosmos 2.5 ship with.
 *
 * <p><b>What a step does</b> ({@code step}, line numbers of v0.40.0's file): the model output {@code v} becomes the
 * data prediction {@code x0 = sample - sigma * v} ({@code convert_model_output}, l. 805); unless disabled, the
 * corrector first refines the sample using this new {@code x0} and the previous step's sample
 * ({@code multistep_uni_c_bh_update}, l. 1013-1097); then the predictor moves the (corrected) sample to the next
 * sigma from the last {@code order} data predictions ({@code multistep_uni_p_bh_update}, l. 875-960). Both work in
 * {@code lambda = log(alpha) - log(sigma)} with {@code alpha = 1 - sigma}; their coefficients are float32 0-dim
 * tensor arithmetic on the host, with torch's own {@code log}, {@code expm1} and {@code linalg.solve}
 * ({@code HostMath}); the tensor work is one {@link TensorBackend#elementwise} call each for the data prediction,
 * the corrector and the predictor, every operation rounded as torch rounds it.
 *
 * <p><b>History.</b> The instance keeps diffusers' multistep state: the last {@code solver_order} data predictions
 * ({@code model_outputs}), the timesteps they were made at ({@code timestep_list}), the sample the corrector
 * starts from ({@code last_sample}), the warm-up counter ({@code lower_order_nums}) and the order of the last
 * predictor ({@code this_order}). {@link #setTimesteps} clears them as diffusers does. The tensors it keeps are its
 * own (copies where diffusers would keep the caller's tensor, and only while a later step reads them) and are closed
 * when dropped, after the schedule's last step, or by {@link #close()}.
 *
 * <p><b>Dtypes.</b> UniPC never upcasts: a bfloat16 sample and model output are computed in bfloat16 (each 0-dim
 * float32 coefficient rounded to bfloat16 before it multiplies, as torch 1.13 does); a bfloat16 model output with a
 * float32 sample (the Wan pipelines) makes a float32 data prediction from the bfloat16 product
 * {@code sigma * v}. The result has the sample's dtype.
 *
 * <p><b>Summation order.</b> The history sums ({@code torch.einsum("k,bkc...->bc...", rhos, D1s)}) of order 3
 * add two products, and torch sums them three ways ({@code einsum}): in its own loop (product, product, add, each
 * rounded); in float32 from 200 elements on through OpenBLAS's {@code sgemm}, whose kernel fuses the second product
 * into the addition; in bfloat16 above 2048 elements on a CPU with AVX-512 through oneDNN, which adds in float32 and
 * rounds once. The backend SPI has no fused multiply-add, so in the {@code sgemm} case (float32, order-3 updates,
 * at least 200 elements) this class emulates it with float32 operations ({@code fusedMultiplyAdd}): exact except
 * where the emulated sum lands exactly halfway between two floats, about one element in 2^22, then one ulp apart.
 * Everywhere else the arithmetic is torch's, operation by operation.
 *
 * <p><b>Not reproduced, refused</b> with an {@link IllegalArgumentException} naming the key or argument: the
 * non-flow modes (epsilon / sample / v prediction, the VP noise schedule), {@code predict_x0=False} (diffusers
 * raises for flow predictions), thresholding, {@code solver_p}, exponential and beta sigmas (in flow mode they give
 * sigmas above 1 and NaN), {@code solver_order} above 3, and every combination for which diffusers returns
 * non-finite values (see {@link Config} and {@link #step}).
 *
 * <p>An instance holds one generation's state and is not thread-safe.
 */
public final class UniPCMultistepScheduler implements Scheduler, AutoCloseable {
    /** diffusers' class name ({@code _class_name}). */
    public static final String CLASS_NAME = "UniPCMultistepScheduler";
    /**
     * The highest {@code solver_order} reproduced: higher orders sum three or more history terms, whose order in
     * torch's BLAS and oneDNN paths is not verified.
     */
    public static final int MAX_SOLVER_ORDER = 3;
    /**
     * torch's batched matrix product runs its own loop below this many products and OpenBLAS's {@code sgemm}
     * from it ({@code bmm_out_or_baddbmm_} in torch 1.13's {@code aten/src/ATen/native/LinearAlgebra.cpp}:
     * {@code contraction_size * res_rows * res_cols < 400}).
     */
    public static final long BMM_BLAS_THRESHOLD = 400;
    /**
     * On CPUs with AVX-512 BW/VL/DQ torch sends bfloat16 batched matrix products with more than this many products
     * to oneDNN ({@code checksize} in torch 1.13's {@code LinearAlgebra.cpp}: {@code mkldnn_gemm_min_size}).
     */
    public static final long ONEDNN_BF16_MIN_PRODUCTS = 16 * 16 * 16;

    /** diffusers' {@code solver_type}. */
    public enum SolverType {
        /** {@code B(h) = h}: recommended by the UniPC authors for unconditional sampling with fewer than 10 steps. */
        BH1,
        /** {@code B(h) = e^h - 1}: diffusers' default. */
        BH2
    }

    /** diffusers' {@code final_sigmas_type}: the sigma appended after the schedule. */
    public enum FinalSigmasType {
        /** 0: the last step lands on the data. */
        ZERO,
        /** The last schedule sigma again: the last step does not move the sample. */
        SIGMA_MIN
    }

    /** diffusers' {@code beta_schedule}: the training betas (used in flow mode only by Karras sigmas without bounds). */
    public enum BetaSchedule {
        /** {@code torch.linspace(beta_start, beta_end, T)}. */
        LINEAR,
        /** {@code torch.linspace(beta_start ** 0.5, beta_end ** 0.5, T) ** 2}. */
        SCALED_LINEAR,
        /** {@code betas_for_alpha_bar(T)}: the Glide cosine schedule. */
        SQUAREDCOS_CAP_V2
    }

    /**
     * The keys of {@code UniPCMultistepScheduler.__init__} flowmatch honours, each with diffusers' key and default
     * (l. 199-230). Keys with a single accepted value ({@code use_flow_sigmas}, {@code prediction_type},
     * {@code predict_x0}, {@code thresholding}, {@code solver_p}, {@code use_exponential_sigmas},
     * {@code use_beta_sigmas}) are checked by {@link #from} and not stored.
     *
     * @param numTrainTimesteps   {@code num_train_timesteps} (1000): timesteps are {@code sigma * T} truncated
     * @param solverOrder         {@code solver_order} (2): the UniPC order, 1 to {@value #MAX_SOLVER_ORDER}
     * @param solverType          {@code solver_type} ({@code "bh2"}); diffusers maps {@code midpoint}, {@code heun}
     *                            and {@code logrho} to {@code bh2}
     * @param lowerOrderFinal     {@code lower_order_final} (true): the last steps use order
     *                            {@code min(solver_order, steps left)}
     * @param disableCorrector    {@code disable_corrector} ([]): step indices after which the corrector is skipped
     *                            (the corrector of step {@code i} is skipped when {@code i - 1} is listed)
     * @param flowShift           {@code flow_shift} (1.0): {@code s * t / (1 + (s - 1) * t)} without dynamic shifting
     * @param useDynamicShifting  {@code use_dynamic_shifting} (false): {@code set_timesteps} requires {@code mu}
     * @param timeShiftType       {@code time_shift_type} ({@code "exponential"}); {@code "linear"} as diffusers'
     *                            {@code time_shift} computes it
     * @param shiftTerminal       {@code shift_terminal} (None): stretch the shifted sigmas to end here (0 = off, as
     *                            Python's truth test)
     * @param useKarrasSigmas     {@code use_karras_sigmas} (false): Karras spacing mapped to flow sigmas
     *                            {@code s / (s + 1)}; ignores {@code flow_shift}, {@code mu} and
     *                            {@code shift_terminal}, as diffusers does
     * @param sigmaMin            {@code sigma_min} (None): Karras' lowest sigma, else the training schedule's
     * @param sigmaMax            {@code sigma_max} (None): Karras' highest sigma, else the training schedule's
     * @param finalSigmasType     {@code final_sigmas_type} ({@code "zero"})
     * @param betaStart           {@code beta_start} (0.0001)
     * @param betaEnd             {@code beta_end} (0.02)
     * @param betaSchedule        {@code beta_schedule} ({@code "linear"})
     * @param trainedBetas        {@code trained_betas} (None): the training betas, replacing the schedule
     * @param rescaleBetasZeroSnr {@code rescale_betas_zero_snr} (false)
     */
    public record Config(int numTrainTimesteps, int solverOrder, SolverType solverType, boolean lowerOrderFinal,
                         List<Integer> disableCorrector, double flowShift, boolean useDynamicShifting,
                         TimeShiftType timeShiftType, Double shiftTerminal, boolean useKarrasSigmas, Double sigmaMin,
                         Double sigmaMax, FinalSigmasType finalSigmasType, double betaStart, double betaEnd,
                         BetaSchedule betaSchedule, double[] trainedBetas, boolean rescaleBetasZeroSnr) {

        /**
         * Checks the values and refuses the combinations for which diffusers returns non-finite values on every
         * run of more than a step or two. The reasons, from the arithmetic of v0.40.0 (l. 886-960):
         * <ul>
         *   <li>A final sigma of 0 has {@code lambda = log(1) - log(0) = +inf}, so the last step has an infinite
         *       {@code h}. With {@code bh1}, {@code B(h) = -h} is infinite and the update {@code alpha_t * B_h * pred_res}
         *       is {@code inf * 0 = NaN} (order 1) or infinite: {@code solver_type="bh1"} with
         *       {@code final_sigmas_type="zero"} is refused.</li>
         *   <li>With {@code bh2} the last step is finite at order 1 only: at order 2 and up,
         *       {@code rk = (lambda_si - lambda_s0) / h = 0} and {@code D1 = (m_i - m0) / rk} is infinite. Without
         *       {@code lower_order_final} the last step has order {@code solver_order} once enough steps were taken,
         *       so {@code lower_order_final=False} with a final 0 and {@code solver_order >= 2} is refused.</li>
         *   <li>{@code final_sigmas_type="sigma_min"} repeats the last sigma: the last step has {@code h = 0}, its
         *       {@code rk} are infinite and its {@code h_phi_k = h_phi_1 / hh - 1 = 0 / 0}. Orders 1 and 2 survive
         *       (their coefficients do not use them), order 3 solves a system with infinite and NaN entries:
         *       {@code lower_order_final=False} with {@code sigma_min} and {@code solver_order = 3} is refused.</li>
         * </ul>
         * (diffusers still gives finite values for a one-step run of the last two, and a two-step run of the third:
         * flowmatch refuses these configs outright.) Anything else non-finite is caught per step
         * ({@link UniPCMultistepScheduler#step(Tensor, float, Tensor)}).
         */
        public Config {
            if (numTrainTimesteps < 1) {
                throw new IllegalArgumentException("num_train_timesteps: " + numTrainTimesteps + " must be >= 1");
            }
            if (solverOrder < 1 || solverOrder > MAX_SOLVER_ORDER) {
                throw new IllegalArgumentException("solver_order: " + solverOrder + " is not supported by flowmatch's "
                        + CLASS_NAME + "; accepted: 1 to " + MAX_SOLVER_ORDER);
            }
            Objects.requireNonNull(solverType, "solverType");
            Objects.requireNonNull(timeShiftType, "timeShiftType");
            Objects.requireNonNull(finalSigmasType, "finalSigmasType");
            Objects.requireNonNull(betaSchedule, "betaSchedule");
            disableCorrector = List.copyOf(Objects.requireNonNull(disableCorrector, "disableCorrector"));
            trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
            requireFinite("flow_shift", flowShift);
            requireFinite("beta_start", betaStart);
            requireFinite("beta_end", betaEnd);
            if (shiftTerminal != null) {
                requireFinite("shift_terminal", shiftTerminal);
            }
            if (sigmaMin != null) {
                requireFinite("sigma_min", sigmaMin);
            }
            if (sigmaMax != null) {
                requireFinite("sigma_max", sigmaMax);
            }
            if (trainedBetas != null) {
                for (int i = 0; i < trainedBetas.length; i++) {
                    requireFinite("trained_betas[" + i + "]", trainedBetas[i]);
                }
            }
            boolean finalZero = finalSigmasType == FinalSigmasType.ZERO;
            if (solverType == SolverType.BH1 && finalZero) {
                throw new IllegalArgumentException("solver_type: 'bh1' with final_sigmas_type 'zero' is refused:"
                        + " the last step into sigma 0 has an infinite B(h) = -h and diffusers returns NaN/inf;"
                        + " use solver_type 'bh2' or final_sigmas_type 'sigma_min'");
            }
            if (!lowerOrderFinal && finalZero && solverOrder >= 2) {
                throw new IllegalArgumentException("lower_order_final: false with final_sigmas_type 'zero' and"
                        + " solver_order " + solverOrder + " is refused: the last step into sigma 0 at order >= 2"
                        + " divides by rk = 0 and diffusers returns NaN/inf; use lower_order_final true,"
                        + " final_sigmas_type 'sigma_min' or solver_order 1");
            }
            if (!lowerOrderFinal && !finalZero && solverOrder >= 3) {
                throw new IllegalArgumentException("lower_order_final: false with final_sigmas_type 'sigma_min' and"
                        + " solver_order " + solverOrder + " is refused: the last step (h = 0) at order 3 solves a"
                        + " system with infinite and NaN entries and diffusers returns NaN/inf; use"
                        + " lower_order_final true or solver_order <= 2");
            }
        }

        private static void requireFinite(String key, double value) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException(key + ": " + value + " must be finite");
            }
        }

        /**
         * {@code trained_betas}.
         *
         * @return a copy, or null
         */
        @Override
        public double[] trainedBetas() {
            return trainedBetas == null ? null : trainedBetas.clone();
        }

        /**
         * The flow-mode config with every other key at diffusers' default: what
         * {@code UniPCMultistepScheduler(use_flow_sigmas=True, prediction_type="flow_prediction")} builds.
         *
         * @return the config
         */
        public static Config flowDefaults() {
            return new Config(1000, 2, SolverType.BH2, true, List.of(), 1.0, false, TimeShiftType.EXPONENTIAL, null,
                    false, null, null, FinalSigmasType.ZERO, 0.0001, 0.02, BetaSchedule.LINEAR, null, false);
        }

        /**
         * Reads a {@code scheduler_config.json} (diffusers' {@code from_config}): absent keys take diffusers'
         * defaults (l. 199-230), which are not flow mode: a config must say {@code use_flow_sigmas: true} and
         * {@code prediction_type: "flow_prediction"} (as Wan's, SkyReels' and Cosmos' configs do).
         *
         * @param keys the config's keys
         * @return the config
         * @throws IllegalArgumentException naming the key and value for anything flowmatch does not reproduce
         */
        public static Config from(ConfigKeys keys) {
            // diffusers' defaults (use_flow_sigmas False, prediction_type "epsilon") are the VP mode: an absent key
            // means that mode and is refused like an explicit one
            if (!keys.flag("use_flow_sigmas", false)) {
                throw new IllegalArgumentException("use_flow_sigmas: " + keys.object().get("use_flow_sigmas")
                        + " (absent: diffusers' default false) is not supported by flowmatch's " + CLASS_NAME
                        + " (only true): flowmatch reproduces UniPC's flow mode only");
            }
            keys.choice("prediction_type", "epsilon", "flow_prediction");
            keys.requireValue("predict_x0", true, "with flow_prediction, diffusers' convert_model_output raises"
                    + " (\"prediction_type given as flow_prediction must be one of epsilon, sample, or v_prediction\")");
            keys.requireValue("thresholding", false, "dynamic thresholding is not reproduced");
            keys.requireValue("solver_p", null, "an external predictor is not reproduced");
            keys.requireValue("use_exponential_sigmas", false, "in flow mode diffusers keeps these sigmas above 1,"
                    + " so alpha = 1 - sigma < 0 and the step returns NaN");
            keys.requireValue("use_beta_sigmas", false, "in flow mode diffusers keeps these sigmas above 1,"
                    + " so alpha = 1 - sigma < 0 and the step returns NaN");
            // read for validation only: they matter only with thresholding
            keys.number("dynamic_thresholding_ratio", 0.995);
            keys.number("sample_max_value", 1.0);
            // no effect in flow mode (the flow branch replaces the spaced timesteps), but diffusers raises for others
            keys.choice("timestep_spacing", "linspace", "linspace", "leading", "trailing");
            keys.integer("steps_offset", 0);

            Config d = flowDefaults();
            String solverType = keys.choice("solver_type", "bh2", "bh1", "bh2", "midpoint", "heun", "logrho");
            String finalSigmas = keys.choice("final_sigmas_type", "zero", "zero", "sigma_min");
            String betaSchedule = keys.choice("beta_schedule", "linear", "linear", "scaled_linear",
                    "squaredcos_cap_v2");
            return new Config(
                    keys.integer("num_train_timesteps", d.numTrainTimesteps()),
                    keys.integer("solver_order", d.solverOrder()),
                    solverType.equals("bh1") ? SolverType.BH1 : SolverType.BH2,
                    keys.flag("lower_order_final", d.lowerOrderFinal()),
                    keys.integers("disable_corrector", d.disableCorrector()),
                    keys.number("flow_shift", d.flowShift()),
                    keys.flag("use_dynamic_shifting", d.useDynamicShifting()),
                    TimeShiftType.parse(keys.nullableText("time_shift_type", "exponential")),
                    keys.nullableNumber("shift_terminal", null),
                    keys.flag("use_karras_sigmas", d.useKarrasSigmas()),
                    keys.nullableNumber("sigma_min", null),
                    keys.nullableNumber("sigma_max", null),
                    finalSigmas.equals("zero") ? FinalSigmasType.ZERO : FinalSigmasType.SIGMA_MIN,
                    keys.number("beta_start", d.betaStart()),
                    keys.number("beta_end", d.betaEnd()),
                    switch (betaSchedule) {
                        case "scaled_linear" -> BetaSchedule.SCALED_LINEAR;
                        case "squaredcos_cap_v2" -> BetaSchedule.SQUAREDCOS_CAP_V2;
                        default -> BetaSchedule.LINEAR;
                    },
                    keys.numbers("trained_betas", null),
                    keys.flag("rescale_betas_zero_snr", d.rescaleBetasZeroSnr()));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && numTrainTimesteps == c.numTrainTimesteps && solverOrder == c.solverOrder
                    && solverType == c.solverType && lowerOrderFinal == c.lowerOrderFinal
                    && disableCorrector.equals(c.disableCorrector)
                    && Double.compare(flowShift, c.flowShift) == 0 && useDynamicShifting == c.useDynamicShifting
                    && timeShiftType == c.timeShiftType && Objects.equals(shiftTerminal, c.shiftTerminal)
                    && useKarrasSigmas == c.useKarrasSigmas && Objects.equals(sigmaMin, c.sigmaMin)
                    && Objects.equals(sigmaMax, c.sigmaMax) && finalSigmasType == c.finalSigmasType
                    && Double.compare(betaStart, c.betaStart) == 0 && Double.compare(betaEnd, c.betaEnd) == 0
                    && betaSchedule == c.betaSchedule && Arrays.equals(trainedBetas, c.trainedBetas)
                    && rescaleBetasZeroSnr == c.rescaleBetasZeroSnr;
        }

        @Override
        public int hashCode() {
            return Objects.hash(numTrainTimesteps, solverOrder, solverType, lowerOrderFinal, disableCorrector,
                    flowShift, useDynamicShifting, timeShiftType, shiftTerminal, useKarrasSigmas, sigmaMin, sigmaMax,
                    finalSigmasType, betaStart, betaEnd, betaSchedule, Arrays.hashCode(trainedBetas),
                    rescaleBetasZeroSnr);
        }

        @Override
        public String toString() {
            return "UniPCMultistepScheduler.Config[num_train_timesteps=" + numTrainTimesteps + ", solver_order="
                    + solverOrder + ", solver_type=" + solverType + ", lower_order_final=" + lowerOrderFinal
                    + ", disable_corrector=" + disableCorrector + ", flow_shift=" + flowShift
                    + ", use_dynamic_shifting=" + useDynamicShifting + ", time_shift_type=" + timeShiftType
                    + ", shift_terminal=" + shiftTerminal + ", use_karras_sigmas=" + useKarrasSigmas
                    + ", sigma_min=" + sigmaMin + ", sigma_max=" + sigmaMax + ", final_sigmas_type="
                    + finalSigmasType + ", beta_start=" + betaStart + ", beta_end=" + betaEnd + ", beta_schedule="
                    + betaSchedule + ", trained_betas=" + Arrays.toString(trainedBetas)
                    + ", rescale_betas_zero_snr=" + rescaleBetasZeroSnr + "]";
        }
    }

    private final Config config;
    private final TorchCpuKernel kernel;
    /** Whether torch's bfloat16 batched matrix products above {@value #ONEDNN_BF16_MIN_PRODUCTS} products go to oneDNN. */
    private final boolean oneDnnBf16;

    private float[] sigmas;
    private float[] timesteps;
    private Integer stepIndex;
    private Integer beginIndex;

    /** {@code model_outputs}: the data predictions of the last steps, oldest first; null where none yet. */
    private final Tensor[] modelOutputs;
    /** {@code timestep_list}: the timestep of each entry of {@link #modelOutputs} (kept across setTimesteps, as diffusers does). */
    private final Float[] timestepList;
    /** {@code last_sample}: the sample the last predictor started from, or null. */
    private Tensor lastSample;
    private int lowerOrderNums;
    private int thisOrder;

    /**
     * A scheduler for {@code config} computing its host coefficients as torch's AVX2 CPU kernel does.
     *
     * @param config the scheduler config
     */
    public UniPCMultistepScheduler(Config config) {
        this(config, TorchCpuKernel.AVX2);
    }

    /**
     * A scheduler for {@code config} whose host {@code log} and {@code expm1} (and the training betas' float32
     * {@code linspace}) are those of torch's {@code kernel}.
     *
     * @param config the scheduler config
     * @param kernel the torch CPU kernel to reproduce ({@code avx2}: SLEEF; {@code default}: glibc)
     */
    public UniPCMultistepScheduler(Config config, TorchCpuKernel kernel) {
        this(config, kernel, true);
    }

    /**
     * A scheduler for {@code config} reproducing torch on a given CPU: the {@code kernel} of its host {@code log},
     * {@code expm1} and {@code linspace}, and whether the CPU has AVX-512 (BW, VL and DQ), on which torch sends
     * bfloat16 batched matrix products of more than {@value #ONEDNN_BF16_MIN_PRODUCTS} products to oneDNN
     * ({@code use_mkldnn_bf16_matmul} in torch 1.13's {@code aten/src/ATen/native/LinearAlgebra.cpp}): an order-3
     * bfloat16 history sum of more than 2048 elements is then summed in float32 and rounded once, not rounded after
     * each product and sum.
     *
     * @param config the scheduler config
     * @param kernel the torch CPU kernel to reproduce ({@code avx2}: SLEEF; {@code default}: glibc)
     * @param avx512 whether the CPU torch ran on has AVX-512 BW/VL/DQ (the reference machine did)
     */
    public UniPCMultistepScheduler(Config config, TorchCpuKernel kernel, boolean avx512) {
        this.config = Objects.requireNonNull(config, "config");
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.oneDnnBf16 = avx512;
        this.modelOutputs = new Tensor[config.solverOrder()];
        this.timestepList = new Float[config.solverOrder()];
    }

    /**
     * The config this scheduler was built with.
     *
     * @return the config
     */
    public Config config() {
        return config;
    }

    /**
     * The torch CPU kernel whose host math this scheduler reproduces.
     *
     * @return the kernel
     */
    public TorchCpuKernel kernel() {
        return kernel;
    }

    /**
     * Whether this scheduler reproduces torch on a CPU with AVX-512 (see the three-argument constructor).
     *
     * @return true for torch's oneDNN path of large bfloat16 history sums
     */
    public boolean avx512() {
        return oneDnnBf16;
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    @Override
    public TimestepType timestepType() {
        return TimestepType.INT64;
    }

    // ---- set_timesteps (l. 318-481) -----------------------------------------------------------------------------

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, sigmas=..., mu=...)}: the flow branch (l. 428-450) or,
     * with {@code use_karras_sigmas}, the Karras branch (l. 375-395). UniPC's {@code set_timesteps} takes no
     * {@code timesteps}; {@code mu} is required with {@code use_dynamic_shifting} and ignored without it, as in
     * diffusers. Clears the history, the step index and the begin index.
     *
     * @throws IllegalArgumentException for {@code timesteps}, a missing {@code mu}, or a schedule whose sigmas leave
     *     (0, 1) (their {@code log(1 - sigma) - log(sigma)} is not finite: diffusers returns NaN/inf)
     */
    @Override
    public void setTimesteps(ScheduleRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.timesteps() != null) {
            throw new IllegalArgumentException("timesteps: " + Arrays.toString(request.timesteps())
                    + " is not an argument of " + CLASS_NAME + ".set_timesteps (it takes num_inference_steps,"
                    + " sigmas and mu)");
        }
        if (config.useDynamicShifting() && request.mu() == null) {
            throw new IllegalArgumentException("mu: null; it must be passed when use_dynamic_shifting is true"
                    + " (diffusers raises)");
        }
        // the domain every class of the family shares (Limits): custom sigmas in [0, 1], not increasing; a positive
        // mu for the linear shift
        if (request.sigmas() != null && !config.useKarrasSigmas()) {
            // (with use_karras_sigmas the custom sigmas are Karras sigmas, not flow sigmas: checked after conversion)
            dev.flowmatch.schedule.Schedules.requireFlowSigmas("sigmas", request.sigmas());
        }
        if (config.useDynamicShifting() && config.timeShiftType() == TimeShiftType.LINEAR) {
            dev.flowmatch.Limits.requireLinearMu("mu", request.mu());
        }
        double[] schedule = config.useKarrasSigmas() ? karrasSigmas(request) : flowSigmas(request);
        int n = schedule.length;
        float[] newSigmas = new float[n + 1];
        float[] newTimesteps = new float[n];
        for (int i = 0; i < n; i++) {
            newSigmas[i] = (float) schedule[i];
            // timesteps = sigmas * num_train_timesteps (float64), then torch's .to(int64) truncates
            newTimesteps[i] = (float) (long) (schedule[i] * config.numTrainTimesteps());
        }
        newSigmas[n] = config.finalSigmasType() == FinalSigmasType.ZERO ? 0f : (float) schedule[n - 1];
        for (int i = 0; i < n; i++) {
            float s = newSigmas[i];
            if (!(s > 0f && s < 1f)) {
                throw new IllegalArgumentException("sigmas[" + i + "]: " + s + " (the schedule of " + request + " with "
                        + config + ") must lie strictly between 0 and 1: UniPC's lambda = log(1 - sigma) - log(sigma)"
                        + " is not finite there and diffusers returns NaN/inf");
            }
        }
        resetHistory();
        sigmas = newSigmas;
        timesteps = newTimesteps;
        stepIndex = null;
        beginIndex = null;
    }

    /**
     * The flow branch (l. 428-441), float64 as numpy computes it: {@code linspace(1, 1/T, N + 1)[:-1]} or the
     * custom sigmas, the fixed or dynamic shift, the optional stretch to {@code shift_terminal}, and the first sigma
     * lowered by 1e-6 when it is within 1e-6 of 1 ("to avoid inf torch.log(alpha_si)").
     */
    private double[] flowSigmas(ScheduleRequest request) {
        double[] s;
        if (request.sigmas() != null) {
            s = request.sigmas();
        } else {
            int n = request.resolvedSteps();
            double[] spaced = Spacings.linspace(1, 1.0 / config.numTrainTimesteps(), n + 1);
            s = Arrays.copyOf(spaced, n);
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = config.useDynamicShifting()
                    ? Shifts.timeShift(config.timeShiftType(), request.mu(), s[i])
                    : Shifts.fixed(config.flowShift(), s[i]);
        }
        if (config.shiftTerminal() != null && config.shiftTerminal() != 0) {
            Shifts.stretchToTerminal(s, config.shiftTerminal());
        }
        double eps = 1e-6;
        if (Math.abs(s[0] - 1) < eps) {
            s[0] -= eps;
        }
        return s;
    }

    /**
     * The Karras branch with flow sigmas (l. 375-395): Karras spacing between {@code sigma_min} and
     * {@code sigma_max} (from the config, else the ends of the custom sigmas or of the training schedule, read after
     * {@code np.flip}), then {@code s / (s + 1)}. No shift, no stretch, no 1e-6 adjustment, as in diffusers.
     */
    private double[] karrasSigmas(ScheduleRequest request) {
        int n = request.resolvedSteps();
        double low;
        double high;
        if (request.sigmas() != null) {
            double[] custom = request.sigmas();
            // in_sigmas = np.flip(sigmas): in_sigmas[-1] is the first given sigma, in_sigmas[0] the last
            low = custom[0];
            high = custom[custom.length - 1];
        } else {
            float[] range = TrainingSigmas.range(config, kernel);
            low = range[0];
            high = range[1];
        }
        double sigmaMin = config.sigmaMin() != null ? config.sigmaMin() : low;
        double sigmaMax = config.sigmaMax() != null ? config.sigmaMax() : high;
        double[] s = Spacings.karras(sigmaMin, sigmaMax, n);
        for (int i = 0; i < n; i++) {
            s[i] = s[i] / (s[i] + 1);
        }
        return s;
    }

    /**
     * The request diffusers' FLUX.2 klein pipeline makes for this class ({@code pipeline_flux2_klein.py}, l.
     * 812-822): a class with {@code use_flow_sigmas} gets {@code sigmas=None}, so {@code retrieve_timesteps} calls
     * {@code set_timesteps(num_inference_steps, mu=mu)}. UniPC ignores {@code mu} unless {@code use_dynamic_shifting}
     * is on, so {@code mu} is passed only then (the same schedule either way).
     */
    @Override
    public ScheduleRequest flux2PipelineRequest(int numSteps, double mu) {
        ScheduleRequest request = ScheduleRequest.steps(numSteps);
        return config.useDynamicShifting() ? request.withMu(mu) : request;
    }

    private float[] requireSigmas() {
        if (sigmas == null) {
            throw new IllegalStateException(CLASS_NAME + ": no schedule; call setTimesteps(...) first");
        }
        return sigmas;
    }

    @Override
    public float[] sigmas() {
        return requireSigmas().clone();
    }

    @Override
    public float[] timesteps() {
        requireSigmas();
        return timesteps.clone();
    }

    @Override
    public int numInferenceSteps() {
        requireSigmas();
        return timesteps.length;
    }

    // ---- step index rules (l. 1100-1151) -----------------------------------------------------------------------

    @Override
    public Integer stepIndex() {
        return stepIndex;
    }

    @Override
    public Integer beginIndex() {
        return beginIndex;
    }

    @Override
    public void setBeginIndex(int beginIndex) {
        int n = numInferenceSteps();
        if (beginIndex < 0 || beginIndex >= n) {
            throw new IllegalArgumentException("beginIndex: " + beginIndex + " is outside 0.." + (n - 1)
                    + " (the indices of the " + n + " timesteps)");
        }
        this.beginIndex = beginIndex;
    }

    /**
     * diffusers' {@code index_for_timestep} (l. 1100-1134): the index of {@code timestep} in the timesteps, the
     * second one when it occurs more than once, and the last index when it does not occur (diffusers does not
     * raise here).
     */
    @Override
    public int indexForTimestep(float timestep) {
        requireSigmas();
        float[] t = timesteps;
        int first = -1;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == timestep) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        return first >= 0 ? first : t.length - 1;
    }

    // ---- history -----------------------------------------------------------------------------------------------

    /**
     * {@code lower_order_nums}: how many steps the warm-up has counted.
     *
     * @return 0 to {@code solver_order}
     */
    public int lowerOrderNums() {
        return lowerOrderNums;
    }

    /**
     * {@code this_order}: the order of the last predictor, which the next corrector uses.
     *
     * @return 1 to {@code solver_order}, 0 before any step
     */
    public int thisOrder() {
        return thisOrder;
    }

    /**
     * How many data predictions the history holds ({@code model_outputs} entries that are not None).
     *
     * @return 0 to {@code solver_order}
     */
    public int historySize() {
        int count = 0;
        for (Tensor t : modelOutputs) {
            if (t != null) {
                count++;
            }
        }
        return count;
    }

    /**
     * {@code timestep_list}: the timesteps of the history entries.
     *
     * @return a copy, oldest first, null where none
     */
    public Float[] timestepList() {
        return timestepList.clone();
    }

    /**
     * Whether a sample for the next corrector is kept ({@code last_sample}; kept only while a step will read it).
     *
     * @return true when the next step's corrector has its sample
     */
    public boolean hasLastSample() {
        return lastSample != null;
    }

    /**
     * Frees the tensors the history holds (the last step of a schedule frees them too); the schedule stays, and the
     * next step starts a new warm-up.
     */
    @Override
    public void close() {
        resetHistory();
    }

    /** What {@code set_timesteps} clears (l. 470-474); {@code timestep_list} and {@code this_order} stay, as there. */
    private void resetHistory() {
        releaseTensors();
        lowerOrderNums = 0;
    }

    private void releaseTensors() {
        for (int i = 0; i < modelOutputs.length; i++) {
            if (modelOutputs[i] != null) {
                modelOutputs[i].close();
                modelOutputs[i] = null;
            }
        }
        if (lastSample != null) {
            lastSample.close();
            lastSample = null;
        }
    }

    // ---- step (l. 1153-1232) -----------------------------------------------------------------------------------

    /**
     * diffusers' {@code step}: data prediction, corrector (UniC) when a previous sample is kept and not disabled,
     * then predictor (UniP). Returns a new tensor of the sample's dtype.
     *
     * @throws IllegalArgumentException where diffusers raises or returns non-finite values for this step: a
     *     coefficient of the update that is not finite (e.g. {@code h = 0} from two equal sigmas at order 3), a
     *     singular system, or dtypes torch's {@code einsum} refuses (a model output wider than the sample at order
     *     3; float16 at order 3, which torch's CPU {@code bmm} lacks)
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample) {
        TensorBackend backend = checkPair(modelOutput, sample);
        float[] s = requireSigmas();
        int n = timesteps.length;
        int i = stepIndex != null ? stepIndex : beginIndex != null ? beginIndex : indexForTimestep(timestep);
        if (i >= n) {
            throw new IllegalStateException(CLASS_NAME + ": step index " + i + " is past the last of the " + n
                    + " timesteps; call setTimesteps again to start a new generation");
        }
        boolean useCorrector = i > 0 && !config.disableCorrector().contains(i - 1) && lastSample != null;
        int order = nextOrder(i, n);
        long numel = sample.shape().numel();

        // every host coefficient and dtype rule first: a refused step leaves the state as it was
        DType x0Type = DType.promote(sample.dtype(), modelOutput.dtype());
        Update corrector = null;
        if (useCorrector) {
            corrector = corrector(s, i, thisOrder, lastSample.dtype());
            checkEinsum(corrector, lastSample.dtype(), modelOutputs[modelOutputs.length - 1].dtype(), i);
        }
        DType xType = useCorrector ? lastSample.dtype() : sample.dtype();
        Update predictor = predictor(s, i, order, xType);
        checkEinsum(predictor, xType, x0Type, i);

        Tensor x0 = backend.elementwise(dataPrediction(s[i], sample.dtype(), modelOutput.dtype()), sample,
                modelOutput);
        Tensor corrected = null;
        try {
            if (corrector != null) {
                corrected = applyCorrector(backend, corrector, x0, numel);
            }
        } catch (RuntimeException e) {
            x0.close();
            throw e;
        }
        // model_outputs[i] = model_outputs[i + 1]; model_outputs[-1] = model_output_convert (l. 1201-1206)
        if (modelOutputs[0] != null) {
            modelOutputs[0].close();
        }
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, modelOutputs.length - 1);
        System.arraycopy(timestepList, 1, timestepList, 0, timestepList.length - 1);
        modelOutputs[modelOutputs.length - 1] = x0;
        timestepList[timestepList.length - 1] = timestep;
        thisOrder = order;
        // last_sample = sample (l. 1216): the corrected sample is this scheduler's; the caller's sample is copied,
        // and only when the next step's corrector will read it
        if (lastSample != null) {
            lastSample.close();
        }
        boolean nextReadsIt = i + 1 < n && !config.disableCorrector().contains(i);
        lastSample = corrected != null ? corrected : nextReadsIt ? backend.convert(sample, sample.dtype()) : null;
        Tensor prev = applyPredictor(backend, predictor, corrected != null ? corrected : sample, numel);
        if (lowerOrderNums < config.solverOrder()) {
            lowerOrderNums++;
        }
        stepIndex = i + 1;
        if (stepIndex == n) {
            // no step can follow the last one (diffusers would index past its sigmas), and the family's Sampler does
            // not close schedulers: free the kept tensors now; the counters stay as diffusers leaves them
            releaseTensors();
        }
        return prev;
    }

    /** UniPC has no stochastic step: the noise source is not used. */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise) {
        return step(modelOutput, timestep, sample);
    }

    /** The order of the predictor at step {@code i} (l. 1208-1213): the final-step cap, then the warm-up. */
    private int nextOrder(int i, int n) {
        int order = config.lowerOrderFinal() ? Math.min(config.solverOrder(), n - i) : config.solverOrder();
        return Math.min(order, lowerOrderNums + 1);
    }

    /** {@code x0_pred = sample - sigma_t * model_output} (l. 806-807). */
    private static Expr dataPrediction(float sigma, DType sampleType, DType modelType) {
        Expr product = Expr.mul(Expr.scalar(modelType.round(sigma)), Expr.input(1), modelType);
        return Expr.sub(Expr.input(0), product, DType.promote(sampleType, modelType));
    }

    // ---- coefficients: float32 0-dim tensor arithmetic (l. 886-940, 1021-1078) ----------------------------------

    /**
     * The host side of one update: {@code c1 = sigma_t / sigma_s0}, {@code c2 = alpha_t * h_phi_1},
     * {@code c3 = alpha_t * B_h}, the {@code rk} of each older data prediction, and the {@code rhos} (rounded to
     * the sample's dtype, as {@code .to(x.dtype)} does).
     */
    private record Update(boolean isCorrector, int index, int order, float c1, float c2, float c3, float[] rks,
                          float[] rhos) {}

    /** torch's {@code log(alpha) - log(sigma)} with {@code alpha = 1 - sigma}, all float32 0-dim tensors. */
    private float lambda(float sigma) {
        float alpha = 1f - sigma;
        return HostMath.log(alpha, kernel) - HostMath.log(sigma, kernel);
    }

    /** The predictor's coefficients at step {@code i} (sigma {@code i} to {@code i + 1}), l. 886-940. */
    private Update predictor(float[] s, int i, int order, DType sampleType) {
        float[] olderSigmas = new float[order - 1];
        for (int k = 1; k < order; k++) {
            olderSigmas[k - 1] = s[i - k]; // si = step_index - i
        }
        return update(false, i, order, s[i + 1], s[i], olderSigmas, sampleType);
    }

    /** The corrector's coefficients at step {@code i} (sigma {@code i - 1} to {@code i}), l. 1021-1078. */
    private Update corrector(float[] s, int i, int order, DType lastSampleType) {
        float[] olderSigmas = new float[order - 1];
        for (int k = 1; k < order; k++) {
            olderSigmas[k - 1] = s[i - (k + 1)]; // si = step_index - (i + 1)
        }
        return update(true, i, order, s[i], s[i - 1], olderSigmas, lastSampleType);
    }

    private Update update(boolean isCorrector, int i, int order, float sigmaT, float sigmaS0, float[] olderSigmas,
                          DType sampleType) {
        float alphaT = 1f - sigmaT;
        float lambdaT = lambda(sigmaT);
        float lambdaS0 = lambda(sigmaS0);
        float h = lambdaT - lambdaS0;
        float[] rks = new float[order];
        for (int k = 0; k < order - 1; k++) {
            rks[k] = (lambda(olderSigmas[k]) - lambdaS0) / h;
        }
        rks[order - 1] = 1f; // rks.append(torch.ones(()))
        float hh = -h; // predict_x0
        float hPhi1 = HostMath.expm1(hh, kernel);
        float hPhiK = hPhi1 / hh - 1f;
        float bh = config.solverType() == SolverType.BH1 ? hh : HostMath.expm1(hh, kernel);
        float[][] r = new float[order][order];
        float[] b = new float[order];
        int factorial = 1;
        for (int row = 1; row <= order; row++) {
            for (int col = 0; col < order; col++) {
                r[row - 1][col] = HostMath.pow(rks[col], row - 1); // torch.pow(rks, i - 1)
            }
            b[row - 1] = hPhiK * (float) factorial / bh;
            factorial *= row + 1;
            hPhiK = hPhiK / hh - (float) (1.0 / factorial);
        }
        float[] rhos;
        if (isCorrector) {
            // order 1: torch.ones(1) * 0.5; else torch.linalg.solve(R, b), R a fresh stack (contiguous)
            rhos = order == 1 ? new float[] {0.5f} : solve(r, b, order, TorchLinalg.Layout.CONTIGUOUS, true, i, order);
        } else if (order == 1) {
            rhos = new float[0];
        } else if (order == 2) {
            rhos = new float[] {0.5f};
        } else {
            // torch.linalg.solve(R[:-1, :-1], b[:-1]): a strided view
            rhos = solve(r, b, order - 1, TorchLinalg.Layout.NON_CONTIGUOUS, false, i, order);
        }
        for (int k = 0; k < rhos.length; k++) {
            rhos[k] = sampleType.round(rhos[k]); // .to(x.dtype)
        }
        Update u = new Update(isCorrector, i, order, sigmaT / sigmaS0, alphaT * hPhi1, alphaT * bh,
                Arrays.copyOf(rks, order - 1), rhos);
        requireFinite(u, sigmaS0, sigmaT);
        return u;
    }

    private float[] solve(float[][] r, float[] b, int size, TorchLinalg.Layout layout, boolean isCorrector, int i,
                          int order) {
        float[][] a = new float[size][];
        for (int row = 0; row < size; row++) {
            a[row] = Arrays.copyOf(r[row], size);
        }
        float[] rhs = Arrays.copyOf(b, size);
        for (int row = 0; row < size; row++) {
            for (int col = 0; col < size; col++) {
                if (!Float.isFinite(a[row][col]) || !Float.isFinite(rhs[row])) {
                    throw nonFinite(isCorrector, i, order, "its linear system R x = b has a non-finite entry (R = " + Arrays.deepToString(a)
                                    + ", b = " + Arrays.toString(rhs) + ")");
                }
            }
        }
        try {
            return HostMath.solve(a, rhs, layout);
        } catch (IllegalArgumentException singular) {
            throw nonFinite(isCorrector, i, order, "its linear system R x = b is singular"
                    + " (torch.linalg.solve raises): " + singular.getMessage());
        }
    }

    /** Every coefficient the tensor arithmetic uses must be finite (a zero or NaN {@code rk} divides by it). */
    private void requireFinite(Update u, float sigmaS0, float sigmaT) {
        String bad = null;
        if (!Float.isFinite(u.c1())) {
            bad = "sigma_t / sigma_s0 = " + u.c1();
        } else if (!Float.isFinite(u.c2())) {
            bad = "alpha_t * h_phi_1 = " + u.c2();
        } else if (!Float.isFinite(u.c3())) {
            bad = "alpha_t * B(h) = " + u.c3();
        }
        for (int k = 0; bad == null && k < u.rks().length; k++) {
            float rk = u.rks()[k];
            if (rk == 0f || Float.isNaN(rk)) {
                bad = "rk = " + rk + " (D1 = (m_i - m0) / rk)";
            }
        }
        for (int k = 0; bad == null && k < u.rhos().length; k++) {
            if (!Float.isFinite(u.rhos()[k])) {
                bad = "rhos = " + Arrays.toString(u.rhos());
            }
        }
        if (bad != null) {
            throw nonFinite(u.isCorrector(), u.index(), u.order(), bad + " going from sigma " + sigmaS0 + " to "
                    + sigmaT);
        }
    }

    private IllegalArgumentException nonFinite(boolean isCorrector, int i, int order, String why) {
        return new IllegalArgumentException("sigmas: the " + (isCorrector ? "corrector" : "predictor") + " of step "
                + i + " (order " + order + ") is not finite in diffusers (it returns NaN/inf or raises): " + why
                + "; config: solver_order " + config.solverOrder() + ", solver_type " + config.solverType()
                + ", lower_order_final " + config.lowerOrderFinal() + ", final_sigmas_type "
                + config.finalSigmasType() + ", sigmas " + Arrays.toString(sigmas));
    }

    /**
     * The dtype rules of torch's {@code einsum} over the history: with two terms (order 3) it is a batched matrix
     * product, which needs the {@code rhos} (the sample's dtype) and the {@code D1s} (the data predictions') to
     * have one dtype, and has no float16 CPU kernel in torch 1.13.
     */
    private static void checkEinsum(Update u, DType rhoType, DType d1Type, int i) {
        int terms = u.isCorrector() ? u.order() - 1 : u.rhos().length;
        if (terms < 2) {
            return;
        }
        if (rhoType != d1Type) {
            throw new IllegalArgumentException("modelOutput: a " + d1Type.torchName() + " data prediction with a "
                    + rhoType.torchName() + " sample at order " + u.order() + " (step " + i + "): diffusers' einsum"
                    + " raises (\"expected scalar type\"); give the model output the sample's dtype or a narrower one");
        }
        if (rhoType == DType.FLOAT16) {
            throw new IllegalArgumentException("sample: float16 at order " + u.order() + " (step " + i + ") is"
                    + " refused: torch's CPU bmm has no float16 kernel and diffusers raises; use solver_order <= 2");
        }
    }

    // ---- tensor arithmetic -------------------------------------------------------------------------------------

    /** An expression and the dtype torch gives its value. */
    private record Typed(Expr expr, DType dtype) {}

    /**
     * One {@link TensorBackend#elementwise} call being built: its input tensors (each once) and the float32
     * intermediates computed ahead of it, which it reads as inputs and which are closed after it.
     */
    private static final class Call implements AutoCloseable {
        private final TensorBackend backend;
        private final List<Tensor> inputs = new ArrayList<>();
        private final List<Tensor> temporaries = new ArrayList<>();

        Call(TensorBackend backend) {
            this.backend = backend;
        }

        /** {@code tensor} as an input of this call. */
        Typed input(Tensor tensor) {
            int index = -1;
            for (int i = 0; i < inputs.size(); i++) {
                if (inputs.get(i) == tensor) {
                    index = i;
                }
            }
            if (index < 0) {
                inputs.add(tensor);
                index = inputs.size() - 1;
            }
            return new Typed(Expr.input(index), tensor.dtype());
        }

        /**
         * A value of this call computed ahead by its own call: an expression over {@code over} (its inputs 0, 1,
         * ...) stored as a tensor of its dtype, then read back exactly. The arithmetic is the same; an intermediate
         * read many times by the expression tree is then computed once.
         */
        Typed ahead(Typed value, Tensor... over) {
            Tensor t = backend.elementwise(value.expr(), over);
            temporaries.add(t);
            return input(t);
        }

        Tensor run(Typed result, DType out) {
            return backend.elementwise(Expr.cast(result.expr(), out), inputs.toArray(Tensor[]::new));
        }

        @Override
        public void close() {
            temporaries.forEach(Tensor::close);
        }
    }

    /**
     * The corrector's tensor part (l. 1080-1096): {@code x_t_ = c1 * x - c2 * m0},
     * {@code x_t = x_t_ - c3 * (corr_res + rhos[-1] * (model_t - m0))} with {@code x = last_sample}, then
     * {@code .to(x.dtype)}.
     */
    private Tensor applyCorrector(TensorBackend backend, Update u, Tensor modelT, long numel) {
        // model_output_list is self.model_outputs before this step's x0 joins it: m0 = [-1], m_k = [-(k + 1)]
        int last = modelOutputs.length - 1;
        List<Tensor> older = new ArrayList<>();
        for (int k = 1; k < u.order(); k++) {
            older.add(modelOutputs[last - k]);
        }
        try (Call call = new Call(backend)) {
            Typed x = call.input(lastSample);
            Typed m0 = call.input(modelOutputs[last]);
            Typed base = base(u, x, m0);
            Typed d1t = sub(call.input(modelT), m0); // D1_t = model_t - m0
            // rhos_c[-1] is a 0-dim tensor of x's dtype, rounded once more to D1_t's dtype as it multiplies
            Typed lastTerm = scale(u.rhos()[u.order() - 1], d1t);
            Typed inner;
            if (u.order() == 1) {
                // corr_res = 0, a Python int: 0 + tensor is tensor + 0 (which turns -0 into +0)
                inner = new Typed(Expr.add(lastTerm.expr(), Expr.scalar(0f), lastTerm.dtype()), lastTerm.dtype());
            } else {
                float[] rhos = Arrays.copyOf(u.rhos(), u.order() - 1); // rhos_c[:-1]
                inner = add(einsum(call, rhos, x.dtype(), older, modelOutputs[last], u.rks(), numel), lastTerm);
            }
            return call.run(sub(base, scale(u.c3(), inner)), x.dtype());
        }
    }

    /**
     * The predictor's tensor part (l. 944-959): {@code x_t_ = c1 * x - c2 * m0},
     * {@code x_t = x_t_ - c3 * pred_res}, then {@code .to(x.dtype)}.
     */
    private Tensor applyPredictor(TensorBackend backend, Update u, Tensor sample, long numel) {
        // after the shift: m0 = model_outputs[-1] (this step's x0), m_k = model_outputs[-(k + 1)]
        int last = modelOutputs.length - 1;
        List<Tensor> older = new ArrayList<>();
        for (int k = 1; k < u.order(); k++) {
            older.add(modelOutputs[last - k]);
        }
        try (Call call = new Call(backend)) {
            Typed x = call.input(sample);
            Typed m0 = call.input(modelOutputs[last]);
            Typed base = base(u, x, m0);
            Typed result;
            if (u.order() == 1) {
                // pred_res = 0, a Python int: (alpha_t * B_h) * 0 is a float32 0-dim tensor subtracted from x_t_
                Expr zero = Expr.scalar(base.dtype().round(u.c3() * 0f));
                result = new Typed(Expr.sub(base.expr(), zero, base.dtype()), base.dtype());
            } else {
                Typed predRes = einsum(call, u.rhos(), x.dtype(), older, modelOutputs[last], u.rks(), numel);
                result = sub(base, scale(u.c3(), predRes));
            }
            return call.run(result, x.dtype());
        }
    }

    /** {@code sigma_t / sigma_s0 * x - alpha_t * h_phi_1 * m0}. */
    private static Typed base(Update u, Typed x, Typed m0) {
        return sub(scale(u.c1(), x), scale(u.c2(), m0));
    }

    /** {@code D1 = (m_k - m0) / rk}: the 0-dim {@code rk} rounded to the difference's dtype. */
    private static Typed d1(Typed mk, Typed m0, float rk) {
        Typed difference = sub(mk, m0);
        DType d = difference.dtype();
        return new Typed(Expr.div(difference.expr(), Expr.scalar(d.round(rk)), d), d);
    }

    /** A float32 0-dim tensor times a tensor: torch rounds the coefficient to the tensor's dtype first. */
    private static Typed scale(float coefficient, Typed t) {
        DType d = t.dtype();
        return new Typed(Expr.mul(Expr.scalar(d.round(coefficient)), t.expr(), d), d);
    }

    private static Typed sub(Typed a, Typed b) {
        DType d = DType.promote(a.dtype(), b.dtype());
        return new Typed(Expr.sub(a.expr(), b.expr(), d), d);
    }

    private static Typed add(Typed a, Typed b) {
        DType d = DType.promote(a.dtype(), b.dtype());
        return new Typed(Expr.add(a.expr(), b.expr(), d), d);
    }

    /**
     * {@code torch.einsum("k,bkc...->bc...", rhos, D1s)} with {@code D1s[k] = (m_k - m0) / rk[k]}, as torch 1.13
     * computes it on the CPU. One term is a plain product ({@code rhos}, a 1-element tensor of the sample's dtype,
     * promoted with {@code D1}). Two terms (order 3) are a batched matrix product of {@code 2 * numel} products, one
     * dtype on both sides (checked by {@code checkEinsum}):
     * <ul>
     *   <li>below {@value #BMM_BLAS_THRESHOLD} products, torch's own loop sums {@code 0 + p0 + p1}, each product and
     *       sum rounded to that dtype;</li>
     *   <li>float32 from {@value #BMM_BLAS_THRESHOLD} on: OpenBLAS's {@code sgemm}, whose Haswell/Zen kernel
     *       accumulates with fused multiply-adds, {@code fma(rho1, D1_1, fma(rho0, D1_0, +0))}
     *       ({@code fusedMultiplyAdd}; its operands are computed ahead, as the emulation reads them many
     *       times);</li>
     *   <li>bfloat16 above {@value #ONEDNN_BF16_MIN_PRODUCTS} products on an AVX-512 CPU: oneDNN, which sums the
     *       (exact) float32 products in float32 and rounds once to bfloat16; otherwise torch's bfloat16 gemm
     *       loop, rounding as its own loop does.</li>
     * </ul>
     */
    private Typed einsum(Call call, float[] rhos, DType rhoType, List<Tensor> older, Tensor m0, float[] rks,
                         long numel) {
        DType d = rhoType;
        long products = rhos.length * numel;
        if (rhos.length == 2 && d == DType.FLOAT32 && products >= BMM_BLAS_THRESHOLD) {
            Typed ownM0 = new Typed(Expr.input(1), m0.dtype());
            Typed first = call.ahead(accumulate(new Typed(Expr.scalar(0f), d), rhos[0],
                    d1(new Typed(Expr.input(0), older.get(0).dtype()), ownM0, rks[0])), older.get(0), m0);
            Typed second = call.ahead(d1(new Typed(Expr.input(0), older.get(1).dtype()), ownM0, rks[1]),
                    older.get(1), m0);
            return new Typed(fusedMultiplyAdd(rhos[1], second.expr(), first.expr()), d);
        }
        List<Typed> d1s = new ArrayList<>();
        for (int k = 0; k < rhos.length; k++) {
            d1s.add(d1(call.input(older.get(k)), call.input(m0), rks[k]));
        }
        if (rhos.length == 1) {
            DType promoted = DType.promote(rhoType, d1s.get(0).dtype());
            return new Typed(Expr.mul(Expr.scalar(rhos[0]), d1s.get(0).expr(), promoted), promoted);
        }
        if (d == DType.BFLOAT16 && oneDnnBf16 && products > ONEDNN_BF16_MIN_PRODUCTS) {
            DType f = DType.FLOAT32;
            Expr sum = Expr.add(Expr.add(Expr.scalar(0f), Expr.mul(Expr.scalar(rhos[0]), d1s.get(0).expr(), f), f),
                    Expr.mul(Expr.scalar(rhos[1]), d1s.get(1).expr(), f), f);
            return new Typed(Expr.cast(sum, d), d);
        }
        return accumulate(accumulate(new Typed(Expr.scalar(0f), d), rhos[0], d1s.get(0)), rhos[1], d1s.get(1));
    }

    /** {@code sum + rho * d1}: the product and the sum each rounded to the sum's dtype (torch's bmm loop). */
    private static Typed accumulate(Typed sum, float rho, Typed d1) {
        DType d = sum.dtype();
        return new Typed(Expr.add(sum.expr(), Expr.mul(Expr.scalar(rho), d1.expr(), d), d), d);
    }

    /**
     * {@code fma(a, b, c)}, the exact {@code a * b + c} rounded once, from float32 operations that each round
     * (the SPI has no fused multiply-add): Dekker's product {@code a * b = p + e} (a split on the host, {@code b}
     * split by Veltkamp's 4097), Knuth's sum {@code c + p = s + t}, then {@code s + (t + e)}. The two-float parts
     * are exact, so the result is the correctly rounded {@code a * b + c} except when {@code s + RN(t + e)} lands
     * exactly halfway between two floats while {@code t + e} itself does not (about one element in 2^22, then one
     * ulp of the sum apart), or when {@code a * b} is below about 2^-100 (its error term underflows). The
     * conformance suite allows one ulp for exactly these float32 order-3 sums (see {@code SamplerGoldens}).
     */
    static Expr fusedMultiplyAdd(float a, Expr b, Expr c) {
        DType f = DType.FLOAT32;
        float gammaA = 4097f * a;
        float aHi = gammaA - (gammaA - a);
        float aLo = a - aHi;
        Expr p = Expr.mul(Expr.scalar(a), b, f);
        Expr gammaB = Expr.mul(Expr.scalar(4097f), b, f);
        Expr bHi = Expr.sub(gammaB, Expr.sub(gammaB, b, f), f);
        Expr bLo = Expr.sub(b, bHi, f);
        // e = aLo*bLo - (((p - aHi*bHi) - aLo*bHi) - aHi*bLo): the rounding error of p, exact
        Expr e = Expr.sub(Expr.mul(Expr.scalar(aLo), bLo, f),
                Expr.sub(Expr.sub(Expr.sub(p, Expr.mul(Expr.scalar(aHi), bHi, f), f),
                        Expr.mul(Expr.scalar(aLo), bHi, f), f), Expr.mul(Expr.scalar(aHi), bLo, f), f), f);
        // s + t = c + p exactly
        Expr s = Expr.add(c, p, f);
        Expr bb = Expr.sub(s, c, f);
        Expr t = Expr.add(Expr.sub(c, Expr.sub(s, bb, f), f), Expr.sub(p, bb, f), f);
        return Expr.add(s, Expr.add(t, e, f), f);
    }

    // ---- add_noise (l. 1250-1297) --------------------------------------------------------------------------------

    /**
     * diffusers' {@code add_noise(original_samples, noise, timesteps)} with every batch entry at {@code timestep}:
     * {@code (1 - sigma) * sample + sigma * noise}, sigma taken from {@code sigmas.to(sample.dtype)} at the
     * timestep's index (no begin index), the step index (after a step) or the begin index; {@code 1 - sigma} is a
     * tensor of the sample's dtype. Does not change the step index.
     */
    @Override
    public Tensor scaleNoise(Tensor sample, float timestep, Tensor noise) {
        TensorBackend backend = checkPair("noise", noise, "sample", sample);
        float[] s = requireSigmas();
        int index = beginIndex == null ? indexForTimestep(timestep) : stepIndex != null ? stepIndex : beginIndex;
        DType d = sample.dtype();
        float sigma = d.round(s[index]);
        float alpha = d.round(1f - sigma);
        DType noisy = DType.promote(d, noise.dtype());
        Expr expr = Expr.add(Expr.mul(Expr.scalar(alpha), Expr.input(0), d),
                Expr.mul(Expr.scalar(sigma), Expr.input(1), noisy), noisy);
        return backend.elementwise(expr, sample, noise);
    }

    private static TensorBackend checkPair(Tensor modelOutput, Tensor sample) {
        return checkPair("modelOutput", modelOutput, "sample", sample);
    }

    private static TensorBackend checkPair(String roleA, Tensor a, String roleB, Tensor b) {
        Objects.requireNonNull(a, roleA);
        Objects.requireNonNull(b, roleB);
        a.requireOpen(roleA);
        b.requireOpen(roleB);
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(roleA + " is on backend '" + a.backend().name() + "' but " + roleB
                    + " is on backend '" + b.backend().name() + "'; move one with Tensors.transfer");
        }
        Tensors.requireSameShape(roleA, a, roleB, b);
        return b.backend();
    }

    // ---- host math: the one place that calls torch's float32 kernels -------------------------------------------

    /**
     * torch 1.13's CPU float32 operations on 0-dim tensors that Java's float arithmetic does not give by itself:
     * {@code torch.log}, {@code torch.expm1} (SLEEF under AVX2, glibc under the portable kernel),
     * {@code torch.pow} with a small integer exponent and {@code torch.linalg.solve} (OpenBLAS 0.3.21's
     * {@code sgetrf}/{@code sgetrs}), from {@code dev.flowmatch.torchmath}.
     */
    static final class HostMath {
        private HostMath() {}

        static float log(float x, TorchCpuKernel kernel) {
            return TorchFloatMath.log(x, kernel);
        }

        static float expm1(float x, TorchCpuKernel kernel) {
            return TorchFloatMath.expm1(x, kernel);
        }

        static float pow(float x, int exponent) {
            return TorchFloatMath.pow(x, exponent);
        }

        static float[] solve(float[][] a, float[] b, TorchLinalg.Layout layout) {
            return TorchLinalg.solve(a, b, layout);
        }
    }

    // ---- the training schedule's sigma range (l. 237-267), for Karras sigmas without bounds ----------------------

    /**
     * The VP training schedule's lowest and highest sigma, {@code ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5}
     * at the first and last training step, as diffusers' constructor computes it in float32 torch: betas from
     * {@code torch.linspace} (or the cosine schedule, or {@code trained_betas}), {@code alphas = 1 - betas},
     * {@code torch.cumprod} (a float64 running product, each value stored as float32), optionally rescaled to zero
     * terminal SNR.
     */
    static final class TrainingSigmas {
        private TrainingSigmas() {}

        /** {@code {sigma at step 0, sigma at step T - 1}}. */
        static float[] range(Config c, TorchCpuKernel kernel) {
            float[] betas = betas(c, kernel);
            if (c.rescaleBetasZeroSnr()) {
                betas = rescaleZeroTerminalSnr(betas);
            }
            float[] alphasCumprod = cumprod(oneMinus(betas));
            if (c.rescaleBetasZeroSnr()) {
                alphasCumprod[alphasCumprod.length - 1] = 0x1p-24f; // "FP16 smallest positive subnormal"
            }
            return new float[] {sigma(alphasCumprod[0]), sigma(alphasCumprod[alphasCumprod.length - 1])};
        }

        private static float sigma(float alphaCumprod) {
            return (float) Math.sqrt((1f - alphaCumprod) / alphaCumprod); // ** 0.5 is torch's sqrt
        }

        private static float[] betas(Config c, TorchCpuKernel kernel) {
            int t = c.numTrainTimesteps();
            if (c.trainedBetas() != null) {
                double[] given = c.trainedBetas();
                float[] betas = new float[given.length];
                for (int i = 0; i < given.length; i++) {
                    betas[i] = (float) given[i];
                }
                if (betas.length == 0) {
                    throw new IllegalArgumentException("trained_betas: [] must not be empty");
                }
                return betas;
            }
            TorchBuild build = new TorchBuild(kernel, TorchRelease.TORCH_1_13);
            return switch (c.betaSchedule()) {
                case LINEAR -> TorchLinspace.linspace((float) c.betaStart(), (float) c.betaEnd(), t, build);
                case SCALED_LINEAR -> {
                    // beta_start**0.5, beta_end**0.5 (l. 243): Python float powers, glibc's pow
                    float[] roots = TorchLinspace.linspace((float) GlibcDoubleMath.pow(c.betaStart(), 0.5),
                            (float) GlibcDoubleMath.pow(c.betaEnd(), 0.5), t, build);
                    for (int i = 0; i < t; i++) {
                        roots[i] = roots[i] * roots[i]; // ** 2
                    }
                    yield roots;
                }
                case SQUAREDCOS_CAP_V2 -> cosineBetas(t);
            };
        }

        /** {@code betas_for_alpha_bar(T)} (l. 34-83), cosine: Python floats, then {@code torch.tensor(float32)}. */
        static float[] cosineBetas(int t) {
            float[] betas = new float[t];
            for (int i = 0; i < t; i++) {
                double t1 = (double) i / t;
                double t2 = (double) (i + 1) / t;
                betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
            }
            return betas;
        }

        /**
         * {@code math.cos(...) ** 2} (l. 61): glibc's {@code pow(c, 2.0)}; the cosine is Java's {@link StrictMath#cos} (fdlibm) where Python calls glibc's {@code cos}, which is not
         * reproduced: the two differ in the last bit on about 3% of arguments (714 of the 22,108 arguments of eight
         * {@code num_train_timesteps} from 100 to 10000), but no float32 beta changes (checked: every beta for ten
         * {@code num_train_timesteps} from 100 to 10000, and the first beta for each of 1 to 20000, against Python;
         * {@code tools/reference/cosine_betas_stream.py} with {@code CosineBetasStreamCheck} in the test sources).
         */
        private static double alphaBar(double t) {
            double c = StrictMath.cos((t + 0.008) / 1.008 * Math.PI / 2);
            return GlibcDoubleMath.pow(c, 2.0);
        }

        private static float[] oneMinus(float[] values) {
            float[] out = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = 1f - values[i];
            }
            return out;
        }

        private static float[] cumprod(float[] values) {
            float[] out = new float[values.length];
            double running = 1;
            for (int i = 0; i < values.length; i++) {
                running *= values[i];
                out[i] = (float) running;
            }
            return out;
        }

        /** {@code rescale_zero_terminal_snr(betas)} (l. 87-120), float32 torch arithmetic. */
        private static float[] rescaleZeroTerminalSnr(float[] betas) {
            float[] alphasCumprod = cumprod(oneMinus(betas));
            int n = alphasCumprod.length;
            float[] sqrt = new float[n];
            for (int i = 0; i < n; i++) {
                sqrt[i] = (float) Math.sqrt(alphasCumprod[i]);
            }
            float first = sqrt[0];
            float last = sqrt[n - 1];
            float scale = first / (first - last);
            float[] alphasBar = new float[n];
            for (int i = 0; i < n; i++) {
                float shifted = (sqrt[i] - last) * scale;
                alphasBar[i] = shifted * shifted;
            }
            float[] rescaled = new float[n];
            rescaled[0] = 1f - alphasBar[0];
            for (int i = 1; i < n; i++) {
                rescaled[i] = 1f - alphasBar[i] / alphasBar[i - 1];
            }
            return rescaled;
        }
    }
}

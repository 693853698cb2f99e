package dev.flowmatch.convention;

import dev.flowmatch.Limits;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import java.util.Objects;
import java.util.Optional;

/**
 * Whose arithmetic a FLUX.2 schedule reproduces. The engines agree on the formulas and differ in the last bits
 * (and in the image sequence length): each convention is bit-exact to its engine.
 *
 * <table>
 *   <caption>What each engine computes for {@code setTimestepsWithMu(N, mu)} of a {@code W x H} image</caption>
 *   <tr><th>convention</th><th>sequence length</th><th>mu</th><th>sigmas</th></tr>
 *   <tr><td>{@link #DIFFUSERS}</td><td>{@code (H // 16) * (W // 16)}</td><td>float64</td>
 *       <td>numpy float64 {@code linspace(1, 1/N, N)}, cast to float32, shifted in float32</td></tr>
 *   <tr><td>{@link #OLLAMA}, {@link #OLLAMA_ARM64}</td><td>each side rounded to 16, 4-megapixel cap</td>
 *       <td>float32</td><td>all float32 Go ({@link OllamaSchedule}); arm64 fuses multiply-adds</td></tr>
 *   <tr><td>{@link #COMFYUI}</td><td>{@code round(W * H / 256)}</td><td>float64</td>
 *       <td>torch float32 {@code linspace(1, 0, N + 1)}, shifted with torch's reciprocals
 *       ({@link ComfyUiSchedule})</td></tr>
 * </table>
 */
public enum Convention {
    /** diffusers v0.40.0 ({@code FlowMatchEulerDiscreteScheduler} and the FLUX.2 pipelines): the default. */
    DIFFUSERS("diffusers"),
    /** Ollama's FLUX.2 engine built for amd64 ({@link OllamaSchedule#AMD64}). */
    OLLAMA("ollama"),
    /** Ollama's FLUX.2 engine built for arm64, Apple silicon included ({@link OllamaSchedule#ARM64}). */
    OLLAMA_ARM64("ollama-arm64"),
    /** ComfyUI's {@code Flux2Scheduler} node under torch's CPU kernels ({@link ComfyUiSchedule}). */
    COMFYUI("comfyui");

    private final String cliName;

    Convention(String cliName) {
        this.cliName = cliName;
    }

    /**
     * The name the CLI uses: {@code diffusers}, {@code ollama}, {@code ollama-arm64}, {@code comfyui}.
     *
     * @return the name
     */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses a CLI name or an enum name, case-insensitively.
     *
     * @param name a CLI name or enum name
     * @return the convention
     * @throws IllegalArgumentException for any other name
     */
    public static Convention parse(String name) {
        Objects.requireNonNull(name, "name");
        for (Convention c : values()) {
            if (c.cliName.equalsIgnoreCase(name.trim()) || c.name().equalsIgnoreCase(name.trim())) {
                return c;
            }
        }
        throw new IllegalArgumentException("convention: '" + name + "' is not one of diffusers, ollama, ollama-arm64,"
                + " comfyui");
    }

    /**
     * Ollama's engine for {@link #OLLAMA} and {@link #OLLAMA_ARM64}; empty for the others.
     *
     * @return the engine, or empty
     */
    public Optional<OllamaSchedule> ollama() {
        return switch (this) {
            case OLLAMA -> Optional.of(OllamaSchedule.AMD64);
            case OLLAMA_ARM64 -> Optional.of(OllamaSchedule.ARM64);
            case DIFFUSERS, COMFYUI -> Optional.empty();
        };
    }

    /**
     * The image sequence length the engine computes for a request of {@code size}.
     *
     * @param size the requested image size
     * @return the number of packed latent tokens
     * @throws IllegalArgumentException if the engine cannot make a latent of that size
     */
    public int imageSeqLen(ImageSize size) {
        return switch (this) {
            case DIFFUSERS -> Flux2.imageSeqLen(size);
            case OLLAMA, OLLAMA_ARM64 -> OllamaSchedule.imageSeqLen(size);
            case COMFYUI -> ComfyUiSchedule.imageSeqLen(size);
        };
    }

    /**
     * FLUX.2's empirical mu as the engine computes it: float64 in diffusers and ComfyUI
     * ({@link Flux2#computeEmpiricalMu}), float32 {@code CalculateShift} in Ollama (returned exactly).
     *
     * @param imageSeqLen the image sequence length ({@link #imageSeqLen(ImageSize)})
     * @param numSteps    the number of steps
     * @return mu
     */
    public double empiricalMu(int imageSeqLen, int numSteps) {
        return switch (this) {
            case DIFFUSERS, COMFYUI -> Flux2.computeEmpiricalMu(imageSeqLen, numSteps);
            case OLLAMA, OLLAMA_ARM64 -> {
                Limits.requireTokens("imageSeqLen", imageSeqLen);
                Limits.requireSteps("numSteps", numSteps);
                yield ollama().orElseThrow().calculateShift(imageSeqLen, numSteps);
            }
        };
    }

    /**
     * The FLUX.2 pipeline schedule of {@code numSteps} steps with {@code mu}, as the engine computes it:
     * <ul>
     *   <li>{@link #DIFFUSERS}: {@code set_timesteps(sigmas=linspace(1, 1/N, N), mu=mu)}, or the fixed shift when
     *       dynamic shifting is off or {@code mu == 0} (the seed's {@code SetTimestepsWithMu} rule);</li>
     *   <li>{@link #OLLAMA}, {@link #OLLAMA_ARM64}: {@code SetTimestepsWithMu(N, float32(mu))} with the config's
     *       four fields Ollama reads ({@link OllamaSchedule.Config#of});</li>
     *   <li>{@link #COMFYUI}: {@code get_schedule} with this mu (the node ignores the config and the shift).</li>
     * </ul>
     *
     * @param shift the scheduler's current fixed shift (diffusers' {@code set_shift}; Ollama reads the config's)
     * @param torch the torch build whose {@code linspace} ComfyUI runs on (only {@link #COMFYUI} uses it)
     *
     * @param config   the scheduler config
     * @param numSteps the number of steps, {@code >= 1}
     * @param mu       the dynamic-shift mu
     * @return the schedule
     */
    public Schedule flux2Schedule(SchedulerConfig config, double shift, int numSteps, double mu, TorchBuild torch) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(torch, "torch");
        Limits.requireSteps("numSteps", numSteps);
        Limits.requireMu("mu", mu);
        return switch (this) {
            case DIFFUSERS -> {
                ScheduleRequest request = ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(numSteps));
                if (mu != 0 && config.useDynamicShifting()) {
                    yield Schedules.compute(config, shift, request.withMu(mu));
                }
                yield Schedules.compute(config.toBuilder().useDynamicShifting(false).build(), shift, request);
            }
            case OLLAMA, OLLAMA_ARM64 -> ollama().orElseThrow()
                    .setTimestepsWithMu(OllamaSchedule.Config.of(config), numSteps, (float) mu).schedule();
            case COMFYUI -> ComfyUiSchedule.flux2Schedule(numSteps, mu, torch);
        };
    }
}

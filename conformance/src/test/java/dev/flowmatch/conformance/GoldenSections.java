package dev.flowmatch.conformance;

import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.golden.Goldens;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Every golden-file section this build can replay, by section name. A golden file's sections are its top-level
 * keys except {@link #NOT_SECTIONS}; a section present in a file but missing here is still reported, with each of
 * its cases failing as "not implemented in this build" (so it counts as not passed, never as absent).
 */
final class GoldenSections {
    /** Top-level keys of golden files that describe the file rather than hold cases. */
    static final Set<String> NOT_SECTIONS = Set.of("source", "schema", "environment", "excluded", "conventions");

    private static final Map<String, GoldenSection<?>> SECTIONS = new LinkedHashMap<>();

    static {
        // diffusers-goldens.json: diffusers' FlowMatchEulerDiscreteScheduler and torch's CPU generator.
        register(GoldenSection.ofArray("schedules", Goldens.ScheduleCase::of, EulerGoldens::schedule));
        register(GoldenSection.ofArray("empirical_mu", Goldens.EmpiricalMuCase::of, EulerGoldens::empiricalMu));
        register(GoldenSection.ofArray("steps", Goldens.StepCase::of, EulerGoldens::step));
        register(GoldenSection.ofArray("torch_randn", Goldens.RandnCase::of, NoiseGoldens::randn));
        register(GoldenSection.ofArray("flux2_latents", Goldens.LatentsCase::of, NoiseGoldens::latents));
        // sampler-goldens.json: diffusers v0.40.0's flow sampler family, whole runs step by step.
        register(GoldenSection.ofArray("sampler_runs", SamplerGoldens.Run::of, SamplerGoldens::run));
        register(GoldenSection.ofArray("scale_noise", SamplerGoldens.ScaleNoise::of, SamplerGoldens::scaleNoise));
        // klein-goldens.json: the FLUX.2 klein pipelines' arithmetic around the scheduler.
        register(GoldenSection.ofArray("klein_cfg", KleinGoldens.Case::of, KleinGoldens::cfg));
        register(GoldenSection.ofArray("klein_inpaint_get_timesteps", KleinGoldens.Case::of, KleinGoldens::getTimesteps));
        register(GoldenSection.ofArray("klein_inpaint_blend", KleinGoldens.Case::of, KleinGoldens::blend));
        register(GoldenSection.ofArray("klein_inpaint_initial_latents", KleinGoldens.Case::of,
                KleinGoldens::initialLatents));
        register(GoldenSection.ofArray("klein_model_timestep", KleinGoldens.Case::of, KleinGoldens::modelTimestep));
        // conventions-goldens.json: Ollama's scheduler per architecture (schedules[] and calculate_shift[] of one
        // object each), ComfyUI's schedules.
        register(new GoldenSection<>("ollama_amd64", ConventionGoldens::ollamaCases,
                ConventionGoldens.ollamaParser(OllamaSchedule.AMD64), (file, c, backend) -> ConventionGoldens.ollama(c, backend)));
        register(new GoldenSection<>("ollama_arm64", ConventionGoldens::ollamaCases,
                ConventionGoldens.ollamaParser(OllamaSchedule.ARM64), (file, c, backend) -> ConventionGoldens.ollama(c, backend)));
        register(new GoldenSection<>("comfyui_flux2_scheduler", GoldenSection::elements, node -> node,
                ConventionGoldens::comfyFlux2));
        register(GoldenSection.ofArray("comfyui_simple_flux", node -> node, ConventionGoldens::comfySimple));
        // mlx-noise-goldens.json: MLX 0.31.2's random.normal with random.key(seed).
        register(GoldenSection.ofArray("mlx_normal", ConventionGoldens.MlxNormalCase::of, ConventionGoldens::mlxNormal));
    }

    private GoldenSections() {}

    private static void register(GoldenSection<?> section) {
        SECTIONS.put(section.name(), section);
    }

    /** The handler of a section, or null when this build cannot replay it. */
    static GoldenSection<?> find(String name) {
        return SECTIONS.get(name);
    }
}

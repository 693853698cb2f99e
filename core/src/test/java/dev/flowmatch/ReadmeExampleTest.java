package dev.flowmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.VelocityModel;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import org.junit.jupiter.api.Test;

/** The README's API example, as written there (with an analytic model standing in for "your model"). */
class ReadmeExampleTest {

    @Test
    void theReadmeLoopRuns() {
        VelocityModel model = new GaussianFlow(new float[128], 0.5);
        // --- as in README.md ---
        TensorBackend backend = Backends.select();
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        int steps = 4;
        double mu = Flux2.computeEmpiricalMu(Flux2.imageSeqLen(ImageSize.square(1024)), steps);
        scheduler.setTimestepsWithMu(steps, mu);

        Tensor latents = Flux2Latents.initLatents(backend, 1, ImageSize.square(1024), 42, DType.BFLOAT16);
        for (int i = 0; i < scheduler.numSteps(); i++) {
            try (Tensor velocity = model.velocity(latents, scheduler.timestep(i) / 1000f);
                 Tensor previous = latents) {
                latents = scheduler.step(velocity, previous, i);
            }
        }
        // --- end ---
        assertEquals(Shape.of(1, 4096, 128), latents.shape());
        assertEquals(DType.BFLOAT16, latents.dtype());
        latents.close();
    }
}

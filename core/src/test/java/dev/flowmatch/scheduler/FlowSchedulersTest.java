package dev.flowmatch.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FlowSchedulersTest {

    @Test
    void everyClassTakesEveryKeyOfItsFlowConfigs() {
        for (SchedulerType type : SchedulerType.values()) {
            for (ObjectNode config : List.of(FlowSchedulers.flowConfig(type, 2.0), FlowSchedulers.flux2Klein(type))) {
                ConfigKeys keys = new ConfigKeys(config, type.className());
                assertEquals(type.className(), type.create(keys).className());
                assertEquals(List.of(), keys.unusedKeys(), type + ": " + config);
            }
            assertEquals(type.className(), FlowSchedulers.flux2Klein(type).get("_class_name").textValue());
        }
    }

    @Test
    void kleinsConfigAsEulerIsKleinsConfigAndTheMultistepClassesGetTheFlowKeys() {
        FlowMatchScheduler euler = (FlowMatchScheduler) Schedulers.fromConfig(
                FlowSchedulers.flux2Klein(SchedulerType.FLOW_MATCH_EULER));
        assertEquals(SchedulerConfig.flux2Klein(), euler.config());
        for (SchedulerType type : List.of(SchedulerType.DPM_SOLVER_MULTISTEP, SchedulerType.UNIPC)) {
            ObjectNode klein = FlowSchedulers.flux2Klein(type);
            assertTrue(klein.get("use_flow_sigmas").booleanValue(), klein.toString());
            assertEquals("flow_prediction", klein.get("prediction_type").textValue());
            assertTrue(klein.get("use_dynamic_shifting").booleanValue(), klein.toString());
            // the FLUX.2 pipelines pass mu to a class with dynamic shifting; flow_shift becomes exp(mu)
            Scheduler s = Schedulers.fromConfig(klein);
            ScheduleRequest request = FlowSchedulers.request(s, 4, 1.15);
            assertEquals(1.15, request.mu());
            s.setTimesteps(request);
            assertEquals(5, s.sigmas().length);
        }
        ObjectNode heun = FlowSchedulers.flux2Klein(SchedulerType.FLOW_MATCH_HEUN);
        assertEquals(3.0, heun.get("shift").doubleValue());
        assertEquals(null, heun.get("use_dynamic_shifting"));
    }

    @Test
    void ltxGetsEulersSigmasWithTheTerminalZero() {
        Scheduler ltx = Schedulers.fromConfig(FlowSchedulers.flux2Klein(SchedulerType.LTX_EULER_ANCESTRAL_RF));
        double mu = Flux2.computeEmpiricalMu(4096, 4);
        ScheduleRequest request = FlowSchedulers.request(ltx, 4, mu);
        FlowMatchScheduler euler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        euler.setTimesteps(euler.flux2PipelineRequest(4, mu));
        double[] sigmas = request.sigmas();
        assertEquals(5, sigmas.length);
        for (int i = 0; i < sigmas.length; i++) {
            assertEquals(euler.sigmas()[i], (float) sigmas[i]);
        }
        ltx.setTimesteps(request);
        assertEquals(5, ltx.timesteps().length);
        assertEquals(0f, ltx.timesteps()[4]);
    }

    /**
     * The LTX schedule's last model call is at t = 0, where the analytic flow's velocity is its limit -x; with
     * {@code eta = 0} the sampler is deterministic Euler and ends near the exact endpoint.
     */
    @Test
    void ltxWithoutNoiseRunsThroughTheCallAtTimeZero() {
        JavaBackend backend = new JavaBackend();
        Random random = new Random(3);
        int n = 1024;
        float[] mean = new float[n];
        float[] noise = new float[n];
        for (int i = 0; i < n; i++) {
            mean[i] = (float) random.nextGaussian();
            noise[i] = (float) random.nextGaussian();
        }
        GaussianFlow flow = new GaussianFlow(mean, 0.5);
        ObjectNode config = FlowSchedulers.flowConfig(SchedulerType.LTX_EULER_ANCESTRAL_RF, 1.0).put("eta", 0.0);
        Scheduler probe = Schedulers.fromConfig(config, SchedulerType.LTX_EULER_ANCESTRAL_RF);
        Sampler sampler = Sampler.builder()
                .scheduler(() -> Schedulers.fromConfig(config, SchedulerType.LTX_EULER_ANCESTRAL_RF))
                .schedule(FlowSchedulers.request(probe, 32, 0.0)).build();
        float[] times = new float[34];
        int[] calls = {0};
        try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, n / 128, 128));
             Tensor out = sampler.run(z, (latents, t) -> {
                 times[calls[0]++] = t;
                 return flow.velocity(latents, t);
             }, new TorchGenerator(1))) {
            assertEquals(33, calls[0]);
            assertEquals(0f, times[32]);
            double error = GaussianFlow.relativeL2(backend.toFloats(out), flow.exactEndpoint(noise));
            assertTrue(error < 0.03, "error " + error); // Euler's first order: 0.020 at 32 steps
        }
    }
}

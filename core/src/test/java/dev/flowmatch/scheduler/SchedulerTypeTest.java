package dev.flowmatch.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

class SchedulerTypeTest {

    @Test
    void eachClassLoadsFromItsConfigByClassNameOrCliName() {
        for (SchedulerType type : SchedulerType.values()) {
            assertEquals(type, SchedulerType.parse(type.className()));
            assertEquals(type, SchedulerType.parse(type.cliName()));
            // the flow keys DPM-Solver and UniPC need (their diffusers defaults are the VP mode); the others ignore them
            Scheduler s = Schedulers.fromConfig(Schedulers.parseJson("{\"_class_name\": \"" + type.className()
                    + "\", \"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\"}"));
            assertEquals(type.className(), s.className());
        }
        assertInstanceOf(FlowMatchHeunDiscreteScheduler.class, Schedulers.create(SchedulerType.FLOW_MATCH_HEUN));
        assertInstanceOf(FlowMatchLCMScheduler.class, Schedulers.create(SchedulerType.FLOW_MATCH_LCM));
        assertInstanceOf(LTXEulerAncestralRFScheduler.class, Schedulers.create(SchedulerType.LTX_EULER_ANCESTRAL_RF));
    }

    @Test
    void aFlowMatchEulerConfigLoadsAsLtxWithItsScheduleKeys() {
        LTXEulerAncestralRFScheduler s = (LTXEulerAncestralRFScheduler) Schedulers.fromConfig(Schedulers.parseJson(
                "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 3.0, \"use_karras_sigmas\": true}"),
                SchedulerType.LTX_EULER_ANCESTRAL_RF);
        assertEquals(3.0, s.config().flowMatchEuler().shift());
        assertEquals(true, s.config().flowMatchEuler().useKarrasSigmas());
    }
}

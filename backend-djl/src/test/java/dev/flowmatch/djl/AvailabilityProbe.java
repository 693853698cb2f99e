package dev.flowmatch.djl;

import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;

/** Run in a separate JVM by {@link UnavailableEngineTest}: prints what the backend and the selection say. */
public final class AvailabilityProbe {
    private AvailabilityProbe() {}

    public static void main(String[] args) {
        TensorBackend djl = Backends.find("djl").orElseThrow();
        Availability availability = djl.availability();
        System.out.println("available=" + availability.available());
        System.out.println("device=" + availability.device());
        System.out.println("cause=" + availability.cause());
        for (Throwable t = availability.cause(); t != null && t.getCause() != t; t = t.getCause()) {
            System.out.println("caused by: " + t);
        }
        System.out.println("priority=" + djl.priority());
        System.out.println("selected=" + Backends.select().name());
        System.out.println("offline=" + System.getProperty("ai.djl.offline"));
        try {
            Backends.named("djl");
            System.out.println("named=ok");
        } catch (IllegalStateException e) {
            System.out.println("named=" + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}

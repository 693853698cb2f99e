package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The djl safety net: a tensor dropped without {@code close()} has its native array freed by a cleaner once the
 * garbage collector finds it, and the first such tensor in the JVM logs one warning naming how to close tensors.
 * (Issue 16: 400 unclosed steps on {@code [1, 4096, 128]} grew RSS from 182 MB to 973 MB before.)
 */
@Isolated
class LeakSafetyNetTest {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final DjlBackend DJL = DjlBackend.instance();
    private static final Shape LATENT = Shape.of(1, 4096, 128); // 2 MiB as float32
    private static final AffineSpec SPEC = AffineSpec.float32(DType.FLOAT32);

    private final Logger logger = Logger.getLogger("dev.flowmatch.djl");
    private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(record);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void captureWarnings() {
        assumeTrue(DJL.isAvailable(), () -> "djl unavailable: " + DJL.availability().describe());
        logger.addHandler(capture);
        DjlTensor.WARNED.set(false);
        collect(); // earlier tests' dropped tensors, so that they do not count here
    }

    @AfterEach
    void stopCapturing() {
        logger.removeHandler(capture);
    }

    @Test
    void closedTensorsAreNeitherFreedTwiceNorWarnedAbout() {
        long before = DjlTensor.FREED_BY_CLEANER.get();
        try (Tensor x = DJL.fromFloats(new float[LATENT.numelAsInt()], DType.FLOAT32, LATENT)) {
            for (int i = 0; i < 100; i++) {
                DJL.affine(1f, x, -0.25f, x, SPEC).close();
            }
        }
        collect();
        assertEquals(before, DjlTensor.FREED_BY_CLEANER.get(), "the cleaner freed closed tensors");
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
    }

    @Test
    void droppedTensorsAreFreedAndWarnedAboutOnce() throws IOException, InterruptedException {
        assumeTrue(Files.isReadable(STATUS), "needs /proc/self/status (Linux)");
        int steps = 400;
        long freedBefore = DjlTensor.FREED_BY_CLEANER.get();
        try (Tensor velocity = DJL.fromFloats(new float[LATENT.numelAsInt()], DType.FLOAT32, LATENT)) {
            Tensor x = warmUp(velocity);
            long rssBefore = residentKb();
            for (int i = 0; i < steps; i++) {
                x = DJL.affine(1f, x, -0.01f, velocity, SPEC); // the previous x is dropped, never closed
                if (i % 50 == 49) {
                    System.gc(); // what an application's own allocations would do now and then
                }
            }
            x.close();
            waitForCleaner(freedBefore + steps);
            long rssAfter = residentKb();
            long growthKb = rssAfter - rssBefore;
            System.out.printf("djl safety net: %d dropped tensors of 2 MiB, VmRSS %d kB -> %d kB (%+d kB), %d freed"
                    + " by the cleaner%n", steps, rssBefore, rssAfter, growthKb,
                    DjlTensor.FREED_BY_CLEANER.get() - freedBefore);
            // Without the net the 400 arrays stay attached to the backend's manager: about 800 MiB more.
            assertTrue(growthKb < 300 * 1024, "resident memory grew by " + growthKb + " kB");
        }
        assertTrue(DjlTensor.FREED_BY_CLEANER.get() - freedBefore >= steps, "every dropped tensor is freed");
        assertEquals(1, warnings.size(), "one warning per JVM, not one per tensor");
        String message = warnings.get(0).getMessage();
        assertTrue(message.contains("never closed") && message.contains("try-with-resources")
                && message.contains("close()"), message);
    }

    /** 20 closed steps (PyTorch's allocator, DJL's caches); no local keeps a reference to the result. */
    private static Tensor warmUp(Tensor velocity) {
        Tensor x = DJL.fromFloats(new float[LATENT.numelAsInt()], DType.FLOAT32, LATENT);
        for (int i = 0; i < 20; i++) {
            Tensor next = DJL.affine(1f, x, -0.01f, velocity, SPEC);
            x.close();
            x = next;
        }
        return x;
    }

    private static void waitForCleaner(long expectedFreed) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (DjlTensor.FREED_BY_CLEANER.get() < expectedFreed && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
    }

    private static void collect() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long residentKb() throws IOException {
        for (String line : Files.readAllLines(STATUS)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in " + STATUS);
    }
}

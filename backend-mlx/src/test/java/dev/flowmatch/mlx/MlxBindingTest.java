package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bindings themselves, called directly; and failures inside MLX becoming Java exceptions. */
class MlxBindingTest {

    @Test
    void versionIsSupportedAndReported() {
        MlxRuntime runtime = MlxTests.runtime();
        assertEquals(runtime.version, MlxVersion.parse(runtime.c.version()));
        assertTrue(runtime.version.supported(), runtime.version.toString());
        System.out.println("[mlx] " + MlxTests.backend().describe());
    }

    @Test
    void anUnsupportedVersionIsAClearCause() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MlxRuntime.checkVersion(Path.of("libmlxc.so"), "0.29.1"));
        assertTrue(e.getMessage().contains("MLX 0.29.1") && e.getMessage().contains("0.30.5"), e.getMessage());
        assertEquals(MlxVersion.parse("0.31.2"), MlxRuntime.checkVersion(Path.of("x"), "0.31.2"));
    }

    @Test
    void aFileThatIsNoLibraryOrLacksMlxIsAClearCause(@TempDir Path folder) throws IOException {
        Path junk = Files.writeString(folder.resolve("libmlxc.so"), "not a library");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MlxRuntime.load(junk));
        assertTrue(e.getMessage().startsWith("cannot load " + junk), e.getMessage());

        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        if (Files.exists(libm)) {
            IllegalStateException missing = assertThrows(IllegalStateException.class, () -> MlxRuntime.load(libm));
            assertTrue(missing.getMessage().contains("lacks mlx-c functions [mlx_version"), missing.getMessage());
        }
    }

    @Test
    void aFailureInsideMlxBecomesABackendExceptionWithMlxsMessage() {
        MlxRuntime runtime = MlxTests.runtime();
        try (Graph g = runtime.graph(); Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(JAVA_FLOAT, 20);
            MemorySegment a = g.fromData(data, new int[] {2, 3}, MlxC.MLX_FLOAT32);
            MemorySegment b = g.fromData(data, new int[] {4, 5}, MlxC.MLX_FLOAT32);

            // mlx_add of shapes that do not broadcast: MLX throws inside, mlx-c calls the error handler.
            BackendException add = assertThrows(BackendException.class, () -> g.add(a, b));
            assertTrue(add.getMessage().startsWith("mlx: mlx_add failed"), add.getMessage());
            assertTrue(add.getMessage().contains("(2,3)") && add.getMessage().contains("(4,5)")
                    && add.getMessage().contains("broadcast"), add.getMessage());
            assertNull(MlxC.takeError(), "the message is consumed by the exception");

            // random.normal of an integer dtype (an mlx_dtype out of range would be an out-of-bounds read in
            // mlx-c's table, not an error: the bindings only ever pass the dtypes they define)
            try (Arena shapes = Arena.ofConfined()) {
                MemorySegment dims = shapes.allocate(JAVA_INT, 1);
                dims.set(JAVA_INT, 0, 4);
                MemorySegment key = g.temp(g.c().randomKey(1));
                BackendException normal = assertThrows(BackendException.class,
                        () -> g.c().randomNormal(dims, 1, MlxC.MLX_UINT32, key, g.stream()));
                assertTrue(normal.getMessage().startsWith("mlx: mlx_random_normal failed"), normal.getMessage());
            }

            // a view that cannot reinterpret the last axis (3 float32 as 16-bit: fine; as complex64: not)
            BackendException view = assertThrows(BackendException.class,
                    () -> g.c().view(a, MlxC.MLX_COMPLEX64, g.stream()));
            assertTrue(view.getMessage().startsWith("mlx: mlx_view failed"), view.getMessage());

            // MLX goes on working afterwards
            MemorySegment sum = g.add(a, a);
            g.c().eval(sum);
            assertArrayEquals(new long[] {2, 3}, g.c().shape(sum));
        }
    }

    @Test
    void errorsStayOnTheThreadThatCausedThemPlatformOrVirtual() throws InterruptedException {
        MlxRuntime runtime = MlxTests.runtime();
        for (Thread.Builder builder : new Thread.Builder[] {Thread.ofPlatform(), Thread.ofVirtual()}) {
            AtomicReference<Throwable> other = new AtomicReference<>();
            Thread thread = builder.start(() -> {
                try (Graph g = runtime.graph(); Arena arena = Arena.ofConfined()) {
                    MemorySegment data = arena.allocate(JAVA_FLOAT, 6);
                    g.add(g.fromData(data, new int[] {2, 3}, MlxC.MLX_FLOAT32),
                            g.fromData(data, new int[] {3, 2}, MlxC.MLX_FLOAT32));
                } catch (Throwable t) {
                    other.set(t);
                }
            });
            thread.join();
            assertTrue(other.get() instanceof BackendException, String.valueOf(other.get()));
            assertTrue(other.get().getMessage().contains("broadcast"), other.get().getMessage());
            assertNull(MlxC.takeError(), "another thread's MLX error must not show up here");
        }
    }

    @Test
    void everyOperationTakesTheLockSoAClosedTensorCannotBeFreedUnderAnotherThread() throws Exception {
        MlxBackend mlx = MlxTests.backend();
        Tensor x = mlx.fromFloats(new float[4096], DType.FLOAT32, Shape.of(4096));
        Thread reader = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 200; i++) {
                try {
                    mlx.toBits(x);
                } catch (IllegalStateException closed) {
                    return; // closed while reading: an exception, never a crash
                }
            }
        });
        Thread.sleep(5);
        x.close();
        reader.join();
        assertTrue(x.isClosed());
    }

    @Test
    void devicesAndStreams() {
        MlxRuntime runtime = MlxTests.runtime();
        try (Graph g = runtime.graph()) {
            assertTrue(g.stream().address() != 0);
        }
        MemorySegment cpu = runtime.c.deviceNew(MlxC.MLX_CPU, 0);
        try {
            assertEquals("Device(cpu, 0)", runtime.c.deviceToString(cpu));
        } finally {
            runtime.c.deviceFree(cpu);
        }
        assertEquals(runtime.gpu, runtime.c.deviceCount(MlxC.MLX_GPU) > 0);
        assertEquals(runtime.gpu ? "gpu:0" : "cpu", MlxTests.backend().availability().device());
    }
}

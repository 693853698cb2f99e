package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Misuse raises the same exceptions, with the same messages, as the reference backend. */
class MlxErrorsTest {

    /** Runs {@code misuse} on both backends and compares the exceptions (messages name the backend). */
    private static void sameFailure(Function<TensorBackend, Executable> misuse) {
        MlxBackend mlx = MlxTests.backend();
        JavaBackend java = MlxTests.reference();
        Throwable expected = assertThrows(Throwable.class, misuse.apply(java));
        Throwable actual = assertThrows(Throwable.class, misuse.apply(mlx));
        assertEquals(expected.getClass(), actual.getClass(), () -> "mlx threw " + actual);
        assertEquals(String.valueOf(expected.getMessage()).replace("'java'", "'mlx'"),
                String.valueOf(actual.getMessage()).replace("'java'", "'mlx'"));
    }

    private static final AffineSpec F32 = AffineSpec.float32(DType.FLOAT32);

    @Test
    void shapeMismatch() {
        sameFailure(b -> () -> {
            Tensor x = b.fromFloats(new float[6], DType.FLOAT32, Shape.of(2, 3));
            Tensor y = b.fromFloats(new float[6], DType.FLOAT32, Shape.of(3, 2));
            b.affine(1, x, 1, y, F32);
        });
    }

    @Test
    void lengthAndPatternMismatches() {
        sameFailure(b -> () -> b.fromFloats(new float[5], DType.FLOAT32, Shape.of(2, 3)));
        sameFailure(b -> () -> b.fromBits(new int[5], DType.BFLOAT16, Shape.of(2, 3)));
        sameFailure(b -> () -> b.fromBits(new int[] {0x10000}, DType.FLOAT16, Shape.of(1)));
        sameFailure(b -> () -> b.fromBits(new int[] {-1}, DType.BFLOAT16, Shape.of(1)));
        sameFailure(b -> () -> b.fromFloats(null, DType.FLOAT32, Shape.of(1)));
        sameFailure(b -> () -> b.fromFloats(new float[1], null, Shape.of(1)));
    }

    @Test
    void closedTensors() {
        sameFailure(b -> () -> {
            Tensor x = b.fromFloats(new float[2], DType.FLOAT32, Shape.of(2));
            x.close();
            x.close(); // idempotent
            b.toFloats(x);
        });
        sameFailure(b -> () -> {
            Tensor x = b.fromFloats(new float[2], DType.FLOAT32, Shape.of(2));
            Tensor y = b.fromFloats(new float[2], DType.BFLOAT16, Shape.of(2));
            y.close();
            b.affine(1, x, 1, y, F32);
        });
        sameFailure(b -> () -> {
            Tensor x = b.fromFloats(new float[2], DType.FLOAT16, Shape.of(2));
            x.close();
            b.convert(x, DType.FLOAT32);
        });
    }

    @Test
    void tensorsOfAnotherBackend() {
        MlxBackend mlx = MlxTests.backend();
        JavaBackend java = MlxTests.reference();
        sameFailure(b -> () -> {
            TensorBackend other = b == java ? mlx : java;
            Tensor foreign = other.fromFloats(new float[2], DType.FLOAT32, Shape.of(2));
            Tensor own = b.fromFloats(new float[2], DType.FLOAT32, Shape.of(2));
            b.affine(1, own, 1, foreign, F32);
        });
        sameFailure(b -> () -> b.toBits((b == java ? mlx : java).fromFloats(new float[1], DType.FLOAT32, Shape.of(1))));
        assertThrows(IllegalArgumentException.class,
                () -> mlx.eval(java.fromFloats(new float[1], DType.FLOAT32, Shape.of(1))));
    }

    @Test
    void nullArguments() {
        sameFailure(b -> () -> b.affine(1, null, 1, b.fromFloats(new float[1], DType.FLOAT32, Shape.of(1)), F32));
        sameFailure(b -> () -> {
            Tensor x = b.fromFloats(new float[1], DType.FLOAT32, Shape.of(1));
            b.affine(1, x, 1, x, null);
        });
        sameFailure(b -> () -> b.convert(b.fromFloats(new float[1], DType.FLOAT32, Shape.of(1)), null));
    }

    @Test
    void shapesMlxCannotHoldAreRefusedBeforeReachingIt() {
        MlxBackend mlx = MlxTests.backend();
        assertThrows(IllegalArgumentException.class,
                () -> mlx.nativeNormal(1, DType.FLOAT32, Shape.of(1L << 31, 1)));
        assertDoesNotThrow(() -> mlx.nativeNormal(1, DType.FLOAT32, Shape.of(0, 3)).close());
    }
}

package dev.flowmatch.bench;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;

/**
 * A backend that computes with another one and counts the bytes each computing call moves: for {@link #affine},
 * {@link #elementwise} and {@link #convert}, the bytes of every tensor argument (read once, at its own size: a
 * broadcast mask counts what it holds) plus the bytes of the result (written once), at the dtype's width (4 bytes
 * for float32, 2 for bfloat16 / float16, whatever a backend stores them in). Host transfers ({@link #fromFloats},
 * {@link #fromBits}, reads) are not counted: they are the caller's, not a step's.
 *
 * <p>This is the traffic of a step as the schedulers write it (each SPI call streams its inputs and its output
 * once), the bytes a memory-bound implementation of each call cannot avoid.
 */
final class CountingBackend implements TensorBackend {
    private final TensorBackend inner;
    private long bytes;

    CountingBackend(TensorBackend inner) {
        this.inner = inner;
    }

    /** The bytes counted since the last reset. */
    long bytes() {
        return bytes;
    }

    void reset() {
        bytes = 0;
    }

    /** A tensor of this backend: the inner backend's tensor, unwrapped for every call. */
    private record Counted(Tensor inner, CountingBackend backend) implements Tensor {
        @Override
        public Shape shape() {
            return inner.shape();
        }

        @Override
        public DType dtype() {
            return inner.dtype();
        }

        @Override
        public boolean isClosed() {
            return inner.isClosed();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private Tensor wrap(Tensor t) {
        return new Counted(t, this);
    }

    private Tensor unwrap(Tensor t, String role) {
        return ((Counted) Tensors.requireOwned(this, t, role)).inner();
    }

    private static long size(Tensor t) {
        return t.shape().numel() * t.dtype().byteSize();
    }

    @Override
    public String name() {
        return "counting(" + inner.name() + ")";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability availability() {
        return inner.availability();
    }

    @Override
    public Tensor fromFloats(float[] values, DType dtype, Shape shape) {
        return wrap(inner.fromFloats(values, dtype, shape));
    }

    @Override
    public Tensor fromBits(int[] bits, DType dtype, Shape shape) {
        return wrap(inner.fromBits(bits, dtype, shape));
    }

    @Override
    public float[] toFloats(Tensor tensor) {
        return inner.toFloats(unwrap(tensor, "tensor"));
    }

    @Override
    public int[] toBits(Tensor tensor) {
        return inner.toBits(unwrap(tensor, "tensor"));
    }

    @Override
    public Tensor convert(Tensor tensor, DType dtype) {
        Tensor out = inner.convert(unwrap(tensor, "tensor"), dtype);
        bytes += size(tensor) + size(out);
        return wrap(out);
    }

    @Override
    public Tensor affine(float a, Tensor x, float b, Tensor y, AffineSpec spec) {
        Tensor out = inner.affine(a, unwrap(x, "x"), b, unwrap(y, "y"), spec);
        bytes += size(x) + size(y) + size(out);
        return wrap(out);
    }

    @Override
    public Tensor elementwise(Expr expression, Tensor... inputs) {
        Tensor[] unwrapped = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            unwrapped[i] = unwrap(inputs[i], "inputs[" + i + "]");
            bytes += size(inputs[i]);
        }
        Tensor out = inner.elementwise(expression, unwrapped);
        bytes += size(out);
        return wrap(out);
    }

    @Override
    public void evaluate(Tensor tensor) {
        inner.evaluate(unwrap(tensor, "tensor"));
    }
}

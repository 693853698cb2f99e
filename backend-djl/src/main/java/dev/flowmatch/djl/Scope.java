package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;

/**
 * The intermediate NDArrays of one backend call: each is registered as it is made and closed when the scope
 * closes, whatever happened in between; the one result is taken out with {@link #keep}.
 *
 * <p>Not DJL's {@code tempAttach}: that would re-parent the caller's input arrays, which other threads may be
 * reading at the same time.
 */
final class Scope implements AutoCloseable {
    private final ArrayList<NDArray> temporaries = new ArrayList<>(32);

    /** Registers a new intermediate (never an input: inputs are not ours to close). */
    NDArray add(NDArray array) {
        temporaries.add(array);
        return array;
    }

    /** Takes {@code array} out of the scope: the caller owns it now. */
    NDArray keep(NDArray array) {
        for (int i = temporaries.size() - 1; i >= 0; i--) {
            if (temporaries.get(i) == array) {
                temporaries.remove(i);
                break;
            }
        }
        return array;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = temporaries.size() - 1; i >= 0; i--) {
            try {
                temporaries.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        temporaries.clear();
        if (failure != null) {
            throw failure;
        }
    }
}

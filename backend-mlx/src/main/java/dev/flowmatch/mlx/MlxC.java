package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.flowmatch.tensor.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * The mlx-c functions this backend calls, bound once with the FFM API ({@code java.lang.foreign}).
 *
 * <p>Every function bound here has the same signature in mlx-c 0.5.0 (Homebrew's, over MLX 0.30.x) and in
 * mlx-c 0.6.x / HEAD (over MLX 0.31.x). mlx-c's object types ({@code mlx_array}, {@code mlx_stream},
 * {@code mlx_device}, {@code mlx_string}) are all {@code struct { void* ctx; }} passed by value; a struct holding
 * one pointer is passed and returned exactly like a pointer on every 64-bit ABI MLX runs on (SysV x86-64, AAPCS64,
 * Windows x64), so they are bound as {@link java.lang.foreign.ValueLayout#ADDRESS} and held as zero-length
 * {@link MemorySegment}s whose address is the {@code ctx}. An "out" parameter ({@code mlx_array* res}) is an
 * 8-byte slot set to {@code NULL} (what {@code mlx_array_new()} returns), which mlx-c fills with a new object.
 *
 * <p><b>Errors.</b> mlx-c reports a failure by calling its error handler and returning a non-zero code (or a
 * {@code NULL} object). Its default handler prints and calls {@code exit(-1)}. This class installs an upcall
 * that only stores MLX's message in a thread local and returns to C; the Java wrapper then sees the error code
 * and throws {@link BackendException} with that message. Nothing is ever thrown through native frames.
 *
 * <p>This class is not thread-safe by itself: {@link MlxRuntime} serialises every call with one lock. Every
 * method returning an object hands over ownership: the caller frees it ({@link #arrayFree} etc.).
 */
final class MlxC {

    // mlx_dtype (array.h), identical in every mlx-c release since 0.1.
    static final int MLX_BOOL = 0;
    static final int MLX_UINT16 = 2;
    static final int MLX_UINT32 = 3;
    static final int MLX_FLOAT16 = 9;
    static final int MLX_FLOAT32 = 10;
    static final int MLX_FLOAT64 = 11;
    static final int MLX_BFLOAT16 = 12;
    static final int MLX_COMPLEX64 = 13;

    // mlx_device_type (device.h)
    static final int MLX_CPU = 0;
    static final int MLX_GPU = 1;

    /** Every symbol bound below, so a library missing one is reported with all the missing names at once. */
    static final List<String> SYMBOLS = List.of(
            "mlx_version", "mlx_string_data", "mlx_string_free", "mlx_set_error_handler",
            "mlx_array_free", "mlx_array_set", "mlx_array_new_data", "mlx_array_new_float32",
            "mlx_array_ndim", "mlx_array_shape", "mlx_array_dtype", "mlx_array_size", "mlx_array_eval",
            "mlx_array_data_float32", "mlx_array_data_uint16",
            "mlx_astype", "mlx_multiply", "mlx_add", "mlx_subtract", "mlx_divide", "mlx_broadcast_to", "mlx_contiguous", "mlx_isnan", "mlx_where", "mlx_view",
            "mlx_bitwise_and", "mlx_bitwise_or", "mlx_left_shift", "mlx_right_shift",
            "mlx_random_key", "mlx_random_normal",
            "mlx_device_new_type", "mlx_device_free", "mlx_device_count", "mlx_device_tostring",
            "mlx_get_default_stream", "mlx_stream_free", "mlx_synchronize",
            "mlx_get_active_memory", "mlx_get_peak_memory", "mlx_get_cache_memory", "mlx_reset_peak_memory",
            "mlx_clear_cache");

    /** {@code mlx_array}, {@code mlx_stream}, {@code mlx_device}, {@code mlx_string}: one pointer by value. */
    private static final MemoryLayout OBJ = ADDRESS;
    private static final MemoryLayout SIZE_T = JAVA_LONG;

    private static final ThreadLocal<String> LAST_ERROR = new ThreadLocal<>();

    private final MethodHandle version;
    private final MethodHandle stringData;
    private final MethodHandle stringFree;
    private final MethodHandle setErrorHandler;
    private final MethodHandle arrayFree;
    private final MethodHandle arraySet;
    private final MethodHandle arrayNewData;
    private final MethodHandle arrayNewFloat32;
    private final MethodHandle arrayNdim;
    private final MethodHandle arrayShape;
    private final MethodHandle arrayDtype;
    private final MethodHandle arraySize;
    private final MethodHandle arrayEval;
    private final MethodHandle arrayDataFloat32;
    private final MethodHandle arrayDataUint16;
    private final MethodHandle astype;
    private final MethodHandle multiply;
    private final MethodHandle add;
    private final MethodHandle subtract;
    private final MethodHandle divide;
    private final MethodHandle broadcastTo;
    private final MethodHandle contiguous;
    private final MethodHandle isnan;
    private final MethodHandle where;
    private final MethodHandle view;
    private final MethodHandle bitwiseAnd;
    private final MethodHandle bitwiseOr;
    private final MethodHandle leftShift;
    private final MethodHandle rightShift;
    private final MethodHandle randomKey;
    private final MethodHandle randomNormal;
    private final MethodHandle deviceNewType;
    private final MethodHandle deviceFree;
    private final MethodHandle deviceCount;
    private final MethodHandle deviceToString;
    private final MethodHandle getDefaultStream;
    private final MethodHandle streamFree;
    private final MethodHandle synchronize;
    private final MethodHandle getActiveMemory;
    private final MethodHandle getPeakMemory;
    private final MethodHandle getCacheMemory;
    private final MethodHandle resetPeakMemory;
    private final MethodHandle clearCache;

    /**
     * Binds every function from {@code lookup} and installs the error handler. Throws
     * {@link IllegalStateException} naming every missing symbol if the library lacks any.
     */
    MlxC(SymbolLookup lookup) {
        if (Linker.nativeLinker().canonicalLayouts().get("size_t").byteSize() != 8) {
            throw new IllegalStateException("mlx: only 64-bit platforms are supported");
        }
        List<String> missing = new ArrayList<>();
        for (String name : SYMBOLS) {
            if (lookup.find(name).isEmpty()) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the library lacks mlx-c functions " + missing
                    + " (flowmatch needs mlx-c 0.5.0 or newer)");
        }
        Binder b = new Binder(lookup);
        version = b.bind("mlx_version", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        stringData = b.bind("mlx_string_data", FunctionDescriptor.of(ADDRESS, OBJ));
        stringFree = b.bind("mlx_string_free", FunctionDescriptor.of(JAVA_INT, OBJ));
        setErrorHandler = b.bind("mlx_set_error_handler", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));

        arrayFree = b.bind("mlx_array_free", FunctionDescriptor.of(JAVA_INT, OBJ));
        arraySet = b.bind("mlx_array_set", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ));
        arrayNewData = b.bind("mlx_array_new_data",
                FunctionDescriptor.of(OBJ, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        arrayNewFloat32 = b.bind("mlx_array_new_float32", FunctionDescriptor.of(OBJ, JAVA_FLOAT));
        arrayNdim = b.bind("mlx_array_ndim", FunctionDescriptor.of(SIZE_T, OBJ));
        arrayShape = b.bind("mlx_array_shape", FunctionDescriptor.of(ADDRESS, OBJ));
        arrayDtype = b.bind("mlx_array_dtype", FunctionDescriptor.of(JAVA_INT, OBJ));
        arraySize = b.bind("mlx_array_size", FunctionDescriptor.of(SIZE_T, OBJ));
        arrayEval = b.bind("mlx_array_eval", FunctionDescriptor.of(JAVA_INT, OBJ));
        arrayDataFloat32 = b.bind("mlx_array_data_float32", FunctionDescriptor.of(ADDRESS, OBJ));
        arrayDataUint16 = b.bind("mlx_array_data_uint16", FunctionDescriptor.of(ADDRESS, OBJ));

        FunctionDescriptor unary = FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, OBJ);
        FunctionDescriptor binary = FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, OBJ, OBJ);
        astype = b.bind("mlx_astype", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, JAVA_INT, OBJ));
        multiply = b.bind("mlx_multiply", binary);
        add = b.bind("mlx_add", binary);
        subtract = b.bind("mlx_subtract", binary);
        divide = b.bind("mlx_divide", binary);
        broadcastTo = b.bind("mlx_broadcast_to", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, ADDRESS, SIZE_T, OBJ));
        contiguous = b.bind("mlx_contiguous", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, JAVA_BOOLEAN, OBJ));
        isnan = b.bind("mlx_isnan", unary);
        where = b.bind("mlx_where", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, OBJ, OBJ, OBJ));
        view = b.bind("mlx_view", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ, JAVA_INT, OBJ));
        bitwiseAnd = b.bind("mlx_bitwise_and", binary);
        bitwiseOr = b.bind("mlx_bitwise_or", binary);
        leftShift = b.bind("mlx_left_shift", binary);
        rightShift = b.bind("mlx_right_shift", binary);

        randomKey = b.bind("mlx_random_key", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        randomNormal = b.bind("mlx_random_normal", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, SIZE_T, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, OBJ, OBJ));

        deviceNewType = b.bind("mlx_device_new_type", FunctionDescriptor.of(OBJ, JAVA_INT, JAVA_INT));
        deviceFree = b.bind("mlx_device_free", FunctionDescriptor.of(JAVA_INT, OBJ));
        deviceCount = b.bind("mlx_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        deviceToString = b.bind("mlx_device_tostring", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ));
        getDefaultStream = b.bind("mlx_get_default_stream", FunctionDescriptor.of(JAVA_INT, ADDRESS, OBJ));
        streamFree = b.bind("mlx_stream_free", FunctionDescriptor.of(JAVA_INT, OBJ));
        synchronize = b.bind("mlx_synchronize", FunctionDescriptor.of(JAVA_INT, OBJ));

        FunctionDescriptor sizeOut = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        getActiveMemory = b.bind("mlx_get_active_memory", sizeOut);
        getPeakMemory = b.bind("mlx_get_peak_memory", sizeOut);
        getCacheMemory = b.bind("mlx_get_cache_memory", sizeOut);
        resetPeakMemory = b.bind("mlx_reset_peak_memory", FunctionDescriptor.of(JAVA_INT));
        clearCache = b.bind("mlx_clear_cache", FunctionDescriptor.of(JAVA_INT));

        installErrorHandler();
    }

    // ---------------------------------------------------------------- errors

    private void installErrorHandler() {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(MlxC.class, "onError",
                    MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class));
            // The stub lives as long as the process: mlx-c keeps the pointer in a global.
            MemorySegment stub = Linker.nativeLinker().upcallStub(target,
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), Arena.global());
            setErrorHandler.invokeExact(stub, MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("mlx: cannot install the error handler", t);
        }
    }

    /**
     * The upcall mlx-c makes on every failure ({@code void (*)(const char* msg, void* data)}). It must return
     * normally (an exception here would crash the JVM), so it only keeps the message for {@link #check}.
     */
    private static void onError(MemorySegment message, MemorySegment data) {
        try {
            LAST_ERROR.set(message.equals(MemorySegment.NULL)
                    ? "(no message)" : message.reinterpret(1 << 16).getString(0));
        } catch (Throwable t) {
            LAST_ERROR.set("(MLX error message unreadable: " + t + ")");
        }
    }

    /** The message of the last MLX failure on this thread, cleared; {@code null} if none. */
    static String takeError() {
        String message = LAST_ERROR.get();
        LAST_ERROR.remove();
        return message;
    }

    private static BackendException failure(String function, String detail) {
        String message = takeError();
        return new BackendException("mlx: " + function + " failed" + (detail == null ? "" : " (" + detail + ")")
                + ": " + (message == null ? "no message from MLX" : message));
    }

    private static void check(int code, String function) {
        if (code != 0) {
            throw failure(function, "error code " + code);
        }
    }

    private static MemorySegment checkObject(MemorySegment object, String function) {
        if (object.equals(MemorySegment.NULL)) {
            throw failure(function, "returned an empty object");
        }
        return object;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new BackendException("mlx: unexpected " + t, t);
    }

    // ---------------------------------------------------------------- out parameters

    /** Calls {@code call} with a fresh NULL slot and returns the object mlx-c stored in it. */
    private static MemorySegment out(String function, OutCall call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ADDRESS);
            slot.set(ADDRESS, 0, MemorySegment.NULL);
            int code;
            try {
                code = call.invoke(slot);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            // mlx-c stores the result only on success, so a failed call leaves nothing to free.
            check(code, function);
            return checkObject(slot.get(ADDRESS, 0), function);
        }
    }

    @FunctionalInterface
    private interface OutCall {
        int invoke(MemorySegment slot) throws Throwable;
    }

    // ---------------------------------------------------------------- version, strings, devices, streams

    /** {@code mlx_version}: MLX's version (e.g. {@code 0.31.2}); mlx-c has no version function of its own. */
    String version() {
        MemorySegment string = out("mlx_version", slot -> (int) version.invokeExact(slot));
        try {
            return stringValue(string);
        } finally {
            freeString(string);
        }
    }

    private String stringValue(MemorySegment string) {
        try {
            MemorySegment chars = (MemorySegment) stringData.invokeExact(string);
            return chars.equals(MemorySegment.NULL) ? "" : chars.reinterpret(1 << 16).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void freeString(MemorySegment string) {
        try {
            check((int) stringFree.invokeExact(string), "mlx_string_free");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mlx_device_count(&n, type)}. */
    int deviceCount(int type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(JAVA_INT);
            check((int) deviceCount.invokeExact(n, type), "mlx_device_count");
            return n.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mlx_device_new_type(type, index)}; free with {@link #deviceFree}. */
    MemorySegment deviceNew(int type, int index) {
        try {
            return checkObject((MemorySegment) deviceNewType.invokeExact(type, index), "mlx_device_new_type");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void deviceFree(MemorySegment device) {
        try {
            check((int) deviceFree.invokeExact(device), "mlx_device_free");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mlx_device_tostring}, e.g. {@code Device(gpu, 0)}. */
    String deviceToString(MemorySegment device) {
        MemorySegment string = out("mlx_device_tostring", slot -> (int) deviceToString.invokeExact(slot, device));
        try {
            return stringValue(string);
        } finally {
            freeString(string);
        }
    }

    /** {@code mlx_get_default_stream}: this OS thread's default stream on {@code device}; free it. */
    MemorySegment defaultStream(MemorySegment device) {
        return out("mlx_get_default_stream", slot -> (int) getDefaultStream.invokeExact(slot, device));
    }

    void streamFree(MemorySegment stream) {
        try {
            check((int) streamFree.invokeExact(stream), "mlx_stream_free");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mlx_synchronize}: waits until everything queued on {@code stream} has run. */
    void synchronize(MemorySegment stream) {
        try {
            check((int) synchronize.invokeExact(stream), "mlx_synchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- arrays

    /** {@code mlx_array_free}. */
    void arrayFree(MemorySegment array) {
        try {
            check((int) arrayFree.invokeExact(array), "mlx_array_free");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A new handle on the same array ({@code mlx_array_set} into an empty one): no data is copied. */
    MemorySegment arrayRetain(MemorySegment source) {
        return out("mlx_array_set", slot -> (int) arraySet.invokeExact(slot, source));
    }

    /** {@code mlx_array_new_data}: copies {@code data} (native memory) into a new array. */
    MemorySegment arrayNewData(MemorySegment data, MemorySegment shape, int ndim, int dtype) {
        try {
            return checkObject((MemorySegment) arrayNewData.invokeExact(data, shape, ndim, dtype),
                    "mlx_array_new_data");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A 0-dimensional float32 array. */
    MemorySegment scalar(float value) {
        try {
            return checkObject((MemorySegment) arrayNewFloat32.invokeExact(value), "mlx_array_new_float32");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int ndim(MemorySegment array) {
        try {
            return Math.toIntExact((long) arrayNdim.invokeExact(array));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long[] shape(MemorySegment array) {
        try {
            int ndim = ndim(array);
            long[] dims = new long[ndim];
            if (ndim > 0) {
                MemorySegment p = ((MemorySegment) arrayShape.invokeExact(array)).reinterpret(4L * ndim);
                for (int i = 0; i < ndim; i++) {
                    dims[i] = p.getAtIndex(JAVA_INT, i);
                }
            }
            return dims;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int dtype(MemorySegment array) {
        try {
            return (int) arrayDtype.invokeExact(array);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long size(MemorySegment array) {
        try {
            return (long) arraySize.invokeExact(array);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mlx_array_eval}: computes the array (and whatever it depends on) now. */
    void eval(MemorySegment array) {
        try {
            check((int) arrayEval.invokeExact(array), "mlx_array_eval");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The data of an evaluated array as {@code byteSize} bytes: {@code mlx_array_data_float32} for 4-byte and
     * {@code mlx_array_data_uint16} for 2-byte elements (MLX does not check the element type; the bf16/f16
     * accessors only exist where the C compiler has those types, so they are not used).
     */
    MemorySegment data(MemorySegment array, int elementBytes, long byteSize) {
        try {
            MemorySegment p = elementBytes == 4
                    ? (MemorySegment) arrayDataFloat32.invokeExact(array)
                    : (MemorySegment) arrayDataUint16.invokeExact(array);
            return checkObject(p, elementBytes == 4 ? "mlx_array_data_float32" : "mlx_array_data_uint16")
                    .reinterpret(byteSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- ops (lazy: they build the graph)

    MemorySegment astype(MemorySegment a, int dtype, MemorySegment stream) {
        return out("mlx_astype", slot -> (int) astype.invokeExact(slot, a, dtype, stream));
    }

    MemorySegment multiply(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_multiply", slot -> (int) multiply.invokeExact(slot, a, b, stream));
    }

    MemorySegment add(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_add", slot -> (int) add.invokeExact(slot, a, b, stream));
    }

    MemorySegment subtract(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_subtract", slot -> (int) subtract.invokeExact(slot, a, b, stream));
    }

    MemorySegment divide(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_divide", slot -> (int) divide.invokeExact(slot, a, b, stream));
    }

    /** {@code mlx_broadcast_to(a, shape, ndim)}: {@code a} repeated to {@code shape} ({@code ndim} ints). */
    MemorySegment broadcastTo(MemorySegment a, MemorySegment shape, int ndim, MemorySegment stream) {
        return out("mlx_broadcast_to", slot -> (int) broadcastTo.invokeExact(slot, a, shape, (long) ndim, stream));
    }

    /** {@code mlx_contiguous(a, allow_col_major = false)}: a row-major copy, or {@code a} itself if it is one. */
    MemorySegment contiguous(MemorySegment a, MemorySegment stream) {
        return out("mlx_contiguous", slot -> (int) contiguous.invokeExact(slot, a, false, stream));
    }

    MemorySegment isnan(MemorySegment a, MemorySegment stream) {
        return out("mlx_isnan", slot -> (int) isnan.invokeExact(slot, a, stream));
    }

    MemorySegment where(MemorySegment condition, MemorySegment x, MemorySegment y, MemorySegment stream) {
        return out("mlx_where", slot -> (int) where.invokeExact(slot, condition, x, y, stream));
    }

    /** {@code mlx_view}: the same bytes read as another dtype (a bit cast). */
    MemorySegment view(MemorySegment a, int dtype, MemorySegment stream) {
        return out("mlx_view", slot -> (int) view.invokeExact(slot, a, dtype, stream));
    }

    MemorySegment bitwiseAnd(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_bitwise_and", slot -> (int) bitwiseAnd.invokeExact(slot, a, b, stream));
    }

    MemorySegment bitwiseOr(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_bitwise_or", slot -> (int) bitwiseOr.invokeExact(slot, a, b, stream));
    }

    MemorySegment leftShift(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_left_shift", slot -> (int) leftShift.invokeExact(slot, a, b, stream));
    }

    MemorySegment rightShift(MemorySegment a, MemorySegment b, MemorySegment stream) {
        return out("mlx_right_shift", slot -> (int) rightShift.invokeExact(slot, a, b, stream));
    }

    // ---------------------------------------------------------------- random

    /** {@code mlx_random_key(seed)}: a threefry key. */
    MemorySegment randomKey(long seed) {
        return out("mlx_random_key", slot -> (int) randomKey.invokeExact(slot, seed));
    }

    /** {@code mlx_random_normal(shape, dtype, loc = 0, scale = 1, key, stream)}. */
    MemorySegment randomNormal(MemorySegment shape, int ndim, int dtype, MemorySegment key, MemorySegment stream) {
        return out("mlx_random_normal", slot -> (int) randomNormal.invokeExact(
                slot, shape, (long) ndim, dtype, 0.0f, 1.0f, key, stream));
    }

    // ---------------------------------------------------------------- memory

    private long sizeOut(MethodHandle function, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(JAVA_LONG);
            check((int) function.invokeExact(n), name);
            return n.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mlx_get_active_memory}: bytes held by live arrays (not the allocator's cache). */
    long activeMemory() {
        return sizeOut(getActiveMemory, "mlx_get_active_memory");
    }

    long peakMemory() {
        return sizeOut(getPeakMemory, "mlx_get_peak_memory");
    }

    long cacheMemory() {
        return sizeOut(getCacheMemory, "mlx_get_cache_memory");
    }

    void resetPeakMemory() {
        try {
            check((int) resetPeakMemory.invokeExact(), "mlx_reset_peak_memory");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void clearCache() {
        try {
            check((int) clearCache.invokeExact(), "mlx_clear_cache");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- binding

    private static final class Binder {
        private final SymbolLookup lookup;
        private final Linker linker = Linker.nativeLinker();

        Binder(SymbolLookup lookup) {
            this.lookup = lookup;
        }

        MethodHandle bind(String name, FunctionDescriptor descriptor) {
            return linker.downcallHandle(lookup.findOrThrow(name), descriptor);
        }
    }
}

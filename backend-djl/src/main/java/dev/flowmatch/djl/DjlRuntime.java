package dev.flowmatch.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.NativeHeap;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The PyTorch engine as this backend sees it: loaded once per JVM, lazily, never throwing out of
 * {@link #availability()}.
 *
 * <p>Loading sets {@code ai.djl.offline=true} unless the user chose (system property {@code ai.djl.offline} or
 * environment {@code DJL_OFFLINE}): the natives come from the class path ({@code pytorch-native-cpu}) or from
 * {@code PYTORCH_LIBRARY_PATH}, never from the network.
 *
 * <p>The device is {@code gpu:0} when the engine sees a GPU, else the CPU; the system property
 * {@value #DEVICE_PROPERTY} (e.g. {@code cpu}, {@code gpu:1}) overrides it.
 */
final class DjlRuntime {
    static final String ENGINE = "PyTorch";
    static final String DEVICE_PROPERTY = "flowmatch.djl.device";

    private final Engine engine;
    private final Device device;
    /** One long-lived manager per device: every tensor this backend returns is attached to one of them. */
    private final ConcurrentHashMap<Device, NDManager> roots = new ConcurrentHashMap<>();
    /** The bfloat16 kernels (TorchScript), loaded with the engine. */
    private TorchScriptKernels bf16;

    private DjlRuntime(Engine engine, Device device) {
        this.engine = engine;
        this.device = device;
    }

    private static final class Holder {
        static final Availability AVAILABILITY;
        static final DjlRuntime RUNTIME;

        static {
            DjlRuntime runtime = null;
            Availability availability;
            try {
                runtime = load();
                availability = Availability.available(describe(runtime.device));
            } catch (BackendException e) {
                availability = Availability.unavailable(e);
            } catch (Throwable t) {
                availability = Availability.unavailable(explain(t, null));
            }
            RUNTIME = runtime;
            AVAILABILITY = availability;
        }
    }

    static Availability availability() {
        try {
            return Holder.AVAILABILITY;
        } catch (Throwable t) { // only if the holder itself cannot initialise (e.g. DJL classes missing)
            return Availability.unavailable(t);
        }
    }

    /** The loaded runtime; {@link IllegalStateException} with the engine's error as cause when it cannot load. */
    static DjlRuntime get() {
        Availability availability = availability();
        if (!availability.available()) {
            throw new IllegalStateException("backend 'djl' is " + availability.describe(), availability.cause());
        }
        return Holder.RUNTIME;
    }

    /**
     * The engine's error, wrapped so that its one-line description says what failed and what to do; the
     * engine's own exception is the cause (its full text is there), and the first line of every message of its
     * chain is in the summary.
     */
    static BackendException explain(Throwable error, String device) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getName()
                    : t.getMessage().lines().findFirst().orElse("").strip();
            if (message.length() > 160) {
                message = message.substring(0, 159) + "…";
            }
            if (chain.indexOf(message) < 0) {
                chain.append(chain.isEmpty() ? "" : ": ").append(message);
            }
        }
        if (device != null) {
            return new BackendException("the PyTorch engine loaded but device " + device + " is not usable ("
                    + chain + "); -D" + DEVICE_PROPERTY + "=cpu selects the CPU", error);
        }
        return new BackendException("the PyTorch engine did not load (" + chain + "). Its natives come from the"
                + " class path (ai.djl.pytorch:pytorch-native-cpu:2.7.1 with this platform's classifier, plus"
                + " pytorch-jni) or from PYTORCH_LIBRARY_PATH; DJL runs offline unless ai.djl.offline=false."
                + " See backend-djl/README.md", error);
    }

    private static DjlRuntime load() {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Engine engine;
        try {
            engine = Engine.getEngine(ENGINE);
        } catch (Throwable t) { // UnsatisfiedLinkError, EngineException, ExceptionInInitializerError, ...
            throw explain(t, null);
        }
        Device device = null;
        DjlRuntime runtime;
        try {
            device = chooseDevice(engine);
            runtime = new DjlRuntime(engine, device);
            // Touch the device once so a broken CUDA set-up shows up here, as unavailability, not in a step.
            try (NDArray probe = runtime.root(device).full(new Shape(1), 1f, DataType.FLOAT32)) {
                probe.add(probe).close();
            }
        } catch (Throwable t) {
            throw explain(t, device == null ? String.valueOf(System.getProperty(DEVICE_PROPERTY)) : describe(device));
        }
        if (!device.isGpu()) {
            // PyTorch's CPU allocator has no buffer cache: keep freed memory in the process (see NativeHeap).
            NativeHeap.keepFreedMemory();
        }
        try {
            runtime.bf16 = TorchScriptKernels.load(runtime::root);
        } catch (Throwable t) {
            String message = String.valueOf(t.getMessage()).strip().replaceAll("\\s+", " ");
            throw new BackendException("the PyTorch engine loaded but its TorchScript bfloat16 kernels did not ("
                    + (message.length() > 300 ? message.substring(0, 299) + "…" : message) + ")", t);
        }
        return runtime;
    }

    private static Device chooseDevice(Engine engine) {
        String requested = System.getProperty(DEVICE_PROPERTY);
        if (requested != null && !requested.isBlank()) {
            // cpu, gpu, gpu:1, gpu1, cuda:1 (and DJL's own names, e.g. gpu(1))
            String name = requested.trim().toLowerCase(Locale.ROOT).replaceAll("[:()]", "").replace("cuda", "gpu");
            return "gpu".equals(name) ? Device.gpu(0) : Device.fromName(name, engine);
        }
        return engine.getGpuCount() > 0 ? Device.gpu(0) : Device.cpu();
    }

    static String describe(Device device) {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
    }

    Engine engine() {
        return engine;
    }

    /** The device new tensors are created on. */
    Device device() {
        return device;
    }

    /** The long-lived manager results on {@code device} are attached to. */
    NDManager root(Device device) {
        return roots.computeIfAbsent(device, engine::newBaseManager);
    }

    /** The manager for host-side scalars (0-dim CPU tensors that CUDA kernels read as arguments). */
    NDManager host() {
        return root(Device.cpu());
    }

    /** The bfloat16 kernels, for arrays on any device. */
    TorchScriptKernels bf16() {
        return bf16;
    }
}

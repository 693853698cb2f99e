import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * torch.linspace(start, end, steps) in float32 as libtorch 2.7.1's CPU kernels compute it, through DJL's PyTorch
 * engine (the natives the djl backend ships with): reference data for flowmatch's TorchLinspace, TORCH_2_7.
 *
 * <p>Run from the repository root, once per CPU kernel (libtorch reads ATEN_CPU_CAPABILITY when it loads), after
 * {@code mvn -o -pl backend-djl -am package -DskipTests} has put DJL's jars in ~/.m2:
 *
 * <pre>
 * R=~/.m2/repository
 * CP=$R/ai/djl/api/0.36.0/api-0.36.0.jar:$R/ai/djl/pytorch/pytorch-engine/0.36.0/pytorch-engine-0.36.0.jar:\
 * $R/ai/djl/pytorch/pytorch-jni/2.7.1-0.36.0/pytorch-jni-2.7.1-0.36.0.jar:\
 * $R/ai/djl/pytorch/pytorch-native-cpu/2.7.1/pytorch-native-cpu-2.7.1-linux-x86_64.jar:\
 * $R/com/google/code/gson/gson/2.13.2/gson-2.13.2.jar:$R/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar
 * for k in avx2 default; do
 *   ATEN_CPU_CAPABILITY=$k java -Dai.djl.offline=true -cp $CP tools/reference/TorchLinspaceReference.java $k \
 *     core/src/test/resources/reference/torch-2.7-linspace-$k.json
 * done
 * </pre>
 */
public class TorchLinspaceReference {
    public static void main(String[] args) throws IOException {
        String kernel = args[0];
        Path out = Path.of(args[1]);
        List<float[]> calls = new ArrayList<>(); // {start, end, steps}
        for (int steps = 1; steps <= 130; steps++) {
            calls.add(new float[] {1f, 0f, steps});
        }
        for (int steps : new int[] {200, 257, 513, 1001, 4097}) {
            calls.add(new float[] {1f, 0f, steps});
        }
        for (int steps = 1; steps <= 40; steps++) {
            calls.add(new float[] {-3.5f, 2.25f, steps});
        }
        StringBuilder json = new StringBuilder();
        try (NDManager manager = NDManager.newBaseManager()) {
            json.append("{\"source\":\"tools/reference/TorchLinspaceReference.java: torch.linspace through DJL ")
                    .append(Engine.getInstance().getVersion()).append(" (").append(Engine.getInstance().getEngineName())
                    .append(" engine, libtorch CPU natives), ATEN_CPU_CAPABILITY=").append(kernel).append("\",")
                    .append("\"schema\":\"torch_linspace[]: start, end, steps, bits: float32 values as int32 patterns\",")
                    .append("\"torch_cpu_capability\":\"").append(kernel).append("\",\"torch_linspace\":[");
            for (int c = 0; c < calls.size(); c++) {
                float[] call = calls.get(c);
                float[] values = manager.linspace(call[0], call[1], (int) call[2]).toFloatArray();
                json.append(c == 0 ? "" : ",").append("{\"start\":").append(call[0]).append(",\"end\":").append(call[1])
                        .append(",\"steps\":").append((int) call[2]).append(",\"bits\":[");
                for (int i = 0; i < values.length; i++) {
                    json.append(i == 0 ? "" : ",").append(Float.floatToRawIntBits(values[i]));
                }
                json.append("]}");
            }
        }
        json.append("]}\n");
        Files.writeString(out, json);
        System.out.println("wrote " + out + ": " + calls.size() + " linspaces");
    }
}

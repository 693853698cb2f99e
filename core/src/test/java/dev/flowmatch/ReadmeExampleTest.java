package dev.flowmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's API example, exactly as the README shows it: the block after
 * {@code <!-- readme-example: app/Main.java -->} is compiled against this module and run on a diffusers
 * {@code scheduler_config.json}. CI's consumer check builds the same block in a separate project, on the class path
 * and on the module path.
 */
class ReadmeExampleTest {
    /** FLUX.2 [klein]'s scheduler config as diffusers writes it (bookkeeping keys included). */
    static final String KLEIN_CONFIG = """
            {
              "_class_name": "FlowMatchEulerDiscreteScheduler",
              "_diffusers_version": "0.40.0",
              "base_image_seq_len": 256,
              "base_shift": 0.5,
              "invert_sigmas": false,
              "max_image_seq_len": 4096,
              "max_shift": 1.15,
              "num_train_timesteps": 1000,
              "shift": 3.0,
              "shift_terminal": null,
              "stochastic_sampling": false,
              "time_shift_type": "exponential",
              "use_beta_sigmas": false,
              "use_dynamic_shifting": true,
              "use_exponential_sigmas": false,
              "use_karras_sigmas": false
            }
            """;

    @Test
    void theReadmeProgramCompilesAndRuns(@TempDir Path dir) throws Exception {
        String source = readmeBlock("app/Main.java");
        Path file = dir.resolve("src/app/Main.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, source);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        compile(file, classes);

        Path config = dir.resolve("scheduler_config.json");
        Files.writeString(config, KLEIN_CONFIG);
        String printed = runMain(classes, config.toString());
        assertEquals("flowmatch on java: [1, 3072, 128] bfloat16", printed.strip());
    }

    /** The fenced block right after {@code <!-- readme-example: NAME -->} in the project's README.md. */
    static String readmeBlock(String name) throws IOException {
        Path readme = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../README.md").normalize();
        List<String> lines = Files.readAllLines(readme);
        String marker = "<!-- readme-example: " + name + " -->";
        int at = lines.indexOf(marker);
        assertTrue(at >= 0, "README.md has no " + marker);
        assertTrue(lines.get(at + 1).startsWith("```"), "a fenced block follows " + marker);
        List<String> block = new ArrayList<>();
        for (int i = at + 2; !lines.get(i).equals("```"); i++) {
            block.add(lines.get(i));
        }
        return String.join("\n", block) + "\n";
    }

    /** Runs the JDK's javac (a process: this test module does not read {@code java.compiler}). */
    private static void compile(Path file, Path classes) throws IOException, InterruptedException {
        Path javac = Path.of(System.getProperty("java.home"), "bin", "javac");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process process = new ProcessBuilder(javac.toString(), "-Xlint:all", "-Werror", "-d", classes.toString(),
                "-classpath", classPath, file.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), () -> "the README example does not compile:\n" + output);
    }

    private static String runMain(Path classes, String... args) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("app.Main").getMethod("main", String[].class);
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}

package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void printsARowPerBackendDtypeAndSizeNextToTheTriad() {
        CliRunner r = CliRunner.run("bench", "--backend", "java", "--tokens", "16,64", "--millis", "20");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().strip().split("\\R");
        assertTrue(lines[0].contains("us/step") && lines[0].contains("% triad"), lines[0]);
        // Per size: java float32, java bfloat16, triad; then the java backend's kernels.
        assertEquals(1 + 2 * 3 + 1, lines.length, r.out());
        assertTrue(lines[1].startsWith("java     float32"), lines[1]);
        assertTrue(lines[3].startsWith("triad"), lines[3]);
        assertTrue(lines[7].startsWith("java kernels: "), lines[7]);
    }

    @Test
    void badOptionsAreOneLine() {
        CliRunner r = CliRunner.run("bench", "--tokens", "0");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("flowmatch: --tokens: 0"), r.err());
    }
}

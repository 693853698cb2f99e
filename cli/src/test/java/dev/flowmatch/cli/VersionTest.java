package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --version} prints the version of the pom that built it, for the command and every subcommand. */
class VersionTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "schedule", "sample", "backends", "bench", "generate"})
    void versionIsThePomVersion(String subcommand) {
        String pomVersion = System.getProperty("flowmatch.pom.version");
        assertNotNull(pomVersion, "surefire passes flowmatch.pom.version");
        CliRunner r = subcommand.isEmpty() ? CliRunner.run("--version") : CliRunner.run(subcommand, "--version");
        assertEquals(0, r.status(), r.err());
        String first = r.out().lines().findFirst().orElse("");
        assertEquals("flowmatch " + pomVersion, first);
        assertTrue(r.out().contains("Java " + Runtime.version()), r.out());
    }
}

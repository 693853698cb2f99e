package dev.flowmatch.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version the build stamped into {@code version.properties} (Maven resource filtering of
 * {@code ${project.version}}), so {@code flowmatch --version} always names the build it runs.
 */
final class Version implements IVersionProvider {
    private static final String RESOURCE = "version.properties";

    /** The project version of this build, e.g. {@code 0.2.0}. */
    static String current() {
        Properties properties = new Properties();
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the flowmatch jar (a broken build)");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        String version = properties.getProperty("version", "");
        if (version.isBlank() || version.contains("${")) {
            throw new IllegalStateException(RESOURCE + " was not filtered by the build: version=" + version);
        }
        return version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"flowmatch " + current(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor", "unknown vendor") + ")"};
    }
}

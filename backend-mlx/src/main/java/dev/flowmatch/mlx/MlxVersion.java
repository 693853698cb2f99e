package dev.flowmatch.mlx;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An MLX version as {@code mlx_version} reports it ({@code 0.31.2}, maybe with a suffix such as {@code .dev...}).
 *
 * <p>mlx-c has no version function of its own: it reports the MLX it was built with, and each mlx-c release
 * pins one MLX release. The functions flowmatch binds are identical from mlx-c 0.5.0 (MLX 0.30.x; Homebrew's
 * {@code mlx-c 0.5.0} is built over MLX 0.30.5) to mlx-c 0.6.x and its HEAD (MLX 0.31.x), so those MLX
 * versions are accepted. Anything else is refused with a clear cause, since an mlx-c of another MLX release
 * may have changed a signature (a mismatch at the C ABI is a crash, not an exception). The system property
 * {@value MlxBackend#SKIP_VERSION_CHECK_PROPERTY}{@code =true} lets a user try another version anyway.
 */
record MlxVersion(int major, int minor, int patch, String text) implements Comparable<MlxVersion> {
    /** The oldest MLX accepted: what Homebrew's mlx-c 0.5.0 is built over. */
    static final MlxVersion OLDEST = new MlxVersion(0, 30, 5, "0.30.5");
    /** The first MLX not accepted (not yet checked). */
    static final MlxVersion FIRST_UNCHECKED = new MlxVersion(0, 32, 0, "0.32.0");

    private static final Pattern NUMBERS = Pattern.compile("^\\s*v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    static MlxVersion parse(String text) {
        Matcher m = NUMBERS.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("mlx: cannot read the version '" + text + "' reported by mlx_version");
        }
        int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        return new MlxVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), patch, text.trim());
    }

    boolean supported() {
        return compareTo(OLDEST) >= 0 && compareTo(FIRST_UNCHECKED) < 0;
    }

    /** The accepted range, for messages. */
    static String supportedRange() {
        return "MLX " + OLDEST.text + " up to (not including) " + FIRST_UNCHECKED.text
                + ", i.e. mlx-c 0.5.0 to 0.6.x";
    }

    @Override
    public int compareTo(MlxVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return text;
    }
}

package dev.flowmatch.noise;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which PyTorch release's CPU {@code randn} to reproduce. Releases differ in one place only: float16 tensors of 16
 * or more elements. Everything else (the Mersenne Twister, seeding, float32 and bfloat16 values, small tensors, the
 * cached normal) is the same in 1.13.1 and 2.7.1, checked bit for bit against both.
 */
public enum TorchRelease {
    /**
     * torch 1.13 (checked against Debian's 1.13.1) and, by the source, every release up to 2.0: {@code c10::Half}
     * has no math overloads, so float16 blocks compute in float and round four times per value.
     */
    TORCH_1_13,

    /**
     * torch 2.7 (checked against 2.7.1, the libtorch DJL 0.36 ships) and, by the source, every release from 2.1
     * (pytorch#98493 added {@code c10::Half} math overloads in April 2023): float16 blocks round every step, as
     * bfloat16 always did. The default. (Pull requests from 2026, pytorch#166854 and #179834, propose computing
     * bfloat16 / float16 blocks in float32; a release carrying them would draw other 16-bit values and is not
     * reproduced here.)
     */
    TORCH_2_7;

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)");

    /**
     * The release whose values a torch version draws: a version string such as {@code 1.13.0a0},
     * {@code 2.7.1+cpu}, or text containing one after the word "torch" (the {@code source} field of a golden
     * file); versions before 2.1 give {@link #TORCH_1_13}, later ones {@link #TORCH_2_7}. Enum names are accepted.
     *
     * @throws IllegalArgumentException if no version can be found
     *
     * @param version a version string, text containing one, or an enum name
     * @return the release
     */
    public static TorchRelease parse(String version) {
        String text = version.trim();
        for (TorchRelease r : values()) {
            if (r.name().equalsIgnoreCase(text)) {
                return r;
            }
        }
        int at = text.toLowerCase(Locale.ROOT).indexOf("torch");
        Matcher m = VERSION.matcher(at >= 0 ? text.substring(at) : text);
        if (!m.find()) {
            throw new IllegalArgumentException("torch release: no version number in '" + version + "'");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major < 2 || (major == 2 && minor < 1) ? TORCH_1_13 : TORCH_2_7;
    }
}

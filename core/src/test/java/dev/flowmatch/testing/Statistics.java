package dev.flowmatch.testing;

import java.util.Arrays;
import org.apache.commons.statistics.distribution.NormalDistribution;

/** Checks that a sample looks standard normal: mean, variance and a Kolmogorov–Smirnov statistic. */
public final class Statistics {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    private Statistics() {}

    /** The KS statistic of a sample against the standard normal CDF (ties handled by jumping over equal values). */
    public static double kolmogorovSmirnov(float[] sample) {
        float[] s = sample.clone();
        Arrays.sort(s);
        int n = s.length;
        double d = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j < n && s[j] == s[i]) {
                j++;
            }
            double cdf = STANDARD_NORMAL.cumulativeProbability(s[i]);
            d = Math.max(d, Math.max(Math.abs(cdf - (double) i / n), Math.abs((double) j / n - cdf)));
            i = j;
        }
        return d;
    }

    /** The KS critical value at significance {@code alpha} for {@code n} values (asymptotic). */
    public static double ksCritical(double alpha, int n) {
        return Math.sqrt(-0.5 * Math.log(alpha / 2)) / Math.sqrt(n);
    }

    /** A description of what is wrong with the sample, or null when it passes all three checks at ~6 sigma / 1e-6. */
    public static String notStandardNormal(float[] x) {
        int n = x.length;
        double mean = 0;
        for (float v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0;
        for (float v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n - 1;
        if (Math.abs(mean) >= 6 / Math.sqrt(n)) {
            return "mean " + mean;
        }
        if (Math.abs(var - 1) >= 6 * Math.sqrt(2.0 / n)) {
            return "variance " + var;
        }
        double d = kolmogorovSmirnov(x);
        double critical = ksCritical(1e-6, n);
        return d < critical ? null : "KS statistic " + d + " >= " + critical;
    }
}

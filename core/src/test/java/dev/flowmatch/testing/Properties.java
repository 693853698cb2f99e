package dev.flowmatch.testing;

import org.quicktheories.QuickTheory;

/** QuickTheories settings shared by every property test: the example count comes from the build. */
public final class Properties {
    /** {@code -Dflowmatch.examples} (the build sets 200; the {@code deep} profile 5000). */
    public static final int EXAMPLES = Integer.getInteger("flowmatch.examples", 200);

    private Properties() {}

    /** A QuickTheories entry point with the build's example count. */
    public static QuickTheory qt() {
        return QuickTheory.qt().withExamples(EXAMPLES).withShrinkCycles(EXAMPLES * 10);
    }

    /** Fewer examples for properties whose single example is expensive. */
    public static QuickTheory qtFew(int divisor) {
        return QuickTheory.qt().withExamples(Math.max(10, EXAMPLES / divisor));
    }
}

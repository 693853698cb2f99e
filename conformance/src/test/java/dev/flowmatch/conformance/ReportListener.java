package dev.flowmatch.conformance;

import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/** Prints {@link Report} and the golden summaries when the test plan finishes (registered through ServiceLoader). */
public final class ReportListener implements TestExecutionListener {
    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        String goldens = GoldenTally.summary();
        if (!goldens.isEmpty()) {
            System.out.println(goldens);
        }
        String report = Report.text();
        if (!report.isEmpty()) {
            System.out.println(report);
        }
        System.out.flush();
    }
}

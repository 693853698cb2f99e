package dev.flowmatch.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The {@code --plot} chart: relative error against step count on log-log axes, one line per sampler, and grey dashed
 * guide lines of a given slope (XChart).
 */
final class ErrorPlot {
    /** Distinct colours for the lines, in order. */
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(148, 103, 189),
        new Color(44, 160, 44), new Color(214, 39, 40), new Color(60, 60, 60), new Color(23, 190, 207)};

    private record Series(String name, double[] steps, double[] errors, boolean guide) {}

    private final List<Series> series = new ArrayList<>();

    void add(String name, double[] steps, double[] errors) {
        series.add(new Series(name, steps, errors, false));
    }

    /**
     * A guide line {@code c * steps^-order} through the point {@code (steps, error)}, over {@code [from, to]}.
     */
    void addGuide(int order, double from, double to, double steps, double error) {
        double c = error * Math.pow(steps, order);
        series.add(new Series("slope -" + order, new double[] {from, to},
                new double[] {c * Math.pow(from, -order), c * Math.pow(to, -order)}, true));
    }

    void write(Path file, String title) {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("steps").yAxisTitle("relative L2 error vs exact endpoint").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(5);
        int colour = 0;
        for (Series s : series) {
            XYSeries line = chart.addSeries(s.name(), s.steps(), s.errors());
            if (s.guide()) {
                line.setMarker(SeriesMarkers.NONE);
                line.setLineColor(new Color(150, 150, 150));
                line.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
            } else {
                Color c = COLORS[colour++ % COLORS.length];
                line.setMarker(SeriesMarkers.CIRCLE);
                line.setLineColor(c);
                line.setMarkerColor(c);
            }
        }
        String path = file.toString();
        String withoutExtension = path.toLowerCase(java.util.Locale.ROOT).endsWith(".png")
                ? path.substring(0, path.length() - 4) : path;
        try {
            BitmapEncoder.saveBitmap(chart, withoutExtension, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}

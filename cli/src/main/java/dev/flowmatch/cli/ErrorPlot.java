package dev.flowmatch.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The {@code --plot} chart: relative error against step count, one line per schedule (XChart). */
final class ErrorPlot {
    private final Map<String, double[][]> series = new LinkedHashMap<>();

    void add(String name, double[] steps, double[] errors) {
        series.put(name, new double[][] {steps, errors});
    }

    void write(Path file, String title) {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("steps").yAxisTitle("relative L2 error vs exact endpoint").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(4);
        series.forEach((name, xy) -> chart.addSeries(name, xy[0], xy[1]).setMarker(SeriesMarkers.CIRCLE));
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

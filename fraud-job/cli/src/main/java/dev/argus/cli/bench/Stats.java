package dev.argus.cli.bench;

import java.util.Arrays;
import java.util.List;

/** The small statistics the benchmarks and the local runner report. */
public final class Stats {
    private Stats() {}

    /** The median of the values; NaN when there are none. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The nearest-rank percentile {@code p} (0–100) of sorted values. */
    public static long percentile(List<Long> sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}

package dev.argus.cli.state;

import java.util.Arrays;

/**
 * A distribution of sizes in bytes: how many, min, the 50th, 90th and 99th percentiles (nearest
 * rank), max and mean; all zero when there are none.
 */
public record Distribution(
        long count, long min, long p50, long p90, long p99, long max, double mean) {

    /** The distribution of {@code values} (sorted in place). */
    static Distribution of(long[] values) {
        if (values.length == 0) {
            return new Distribution(0, 0, 0, 0, 0, 0, 0);
        }
        Arrays.sort(values);
        long sum = 0;
        for (long v : values) {
            sum += v;
        }
        return new Distribution(
                values.length,
                values[0],
                rank(values, 50),
                rank(values, 90),
                rank(values, 99),
                values[values.length - 1],
                (double) sum / values.length);
    }

    /** The nearest-rank percentile of sorted values. */
    private static long rank(long[] sorted, int percent) {
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}

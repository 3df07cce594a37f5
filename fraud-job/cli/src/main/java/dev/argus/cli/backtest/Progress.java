package dev.argus.cli.backtest;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The progress line of a long backtest: records read of the total, the rate, the time left. The
 * backtest runs its Flink job in this JVM, so the source counts into a counter found by name (the
 * function that reads is a serialized copy, the counter is not).
 */
final class Progress implements AutoCloseable {
    private static final Map<String, AtomicLong> COUNTERS = new ConcurrentHashMap<>();

    /** A named counter, serializable into the job's functions. */
    record Counter(String name) implements java.io.Serializable {
        void add(long n) {
            AtomicLong c = COUNTERS.get(name);
            if (c != null) {
                c.addAndGet(n);
            }
        }
    }

    private final Counter counter = new Counter("backtest-" + UUID.randomUUID());
    private final AtomicLong read = new AtomicLong();
    private final long total;
    private final PrintWriter out;
    private final boolean terminal;
    private final long began = System.nanoTime();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "backtest-progress");
                        t.setDaemon(true);
                        return t;
                    });
    private long lastLine;

    /**
     * Starts printing to {@code out}: on a terminal one line rewritten every second, otherwise a
     * line every {@code every} seconds.
     */
    Progress(long total, PrintWriter out, boolean terminal, int every) {
        this.total = total;
        this.out = out;
        this.terminal = terminal;
        COUNTERS.put(counter.name(), read);
        timer.scheduleAtFixedRate(() -> print(false), 1, terminal ? 1 : every, TimeUnit.SECONDS);
    }

    Counter counter() {
        return counter;
    }

    /** Ends the line and stops. */
    @Override
    public void close() {
        timer.shutdownNow();
        print(true);
        COUNTERS.remove(counter.name());
    }

    private synchronized void print(boolean last) {
        long n = read.get();
        if (!last && n == lastLine && n > 0) {
            return;
        }
        lastLine = n;
        double seconds = (System.nanoTime() - began) / 1e9;
        double rate = n / Math.max(seconds, 1e-3);
        String left =
                n == 0 || n >= total || last
                        ? ""
                        : String.format(
                                Locale.ROOT, ", about %s left", duration((total - n) / rate));
        String line =
                String.format(
                        Locale.ROOT,
                        "  read %,d of %,d records (%.0f%%), %,.0f records/s, %s elapsed%s",
                        n,
                        total,
                        total == 0 ? 100.0 : Math.min(100.0, 100.0 * n / total),
                        rate,
                        duration(seconds),
                        left);
        if (terminal) {
            out.print("\r" + line + "   " + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s < 60
                ? s + " s"
                : s < 3600
                        ? String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60)
                        : String.format(Locale.ROOT, "%d h %02d min", s / 3600, s / 60 % 60);
    }
}

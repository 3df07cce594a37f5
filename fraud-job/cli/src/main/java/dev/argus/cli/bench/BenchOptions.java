package dev.argus.cli.bench;

import java.time.Duration;
import java.util.List;

/**
 * The options of {@code argus bench}, as {@link BenchCommand} parsed and checked them.
 *
 * @param restPort the port of each job process's REST API and web UI ({@code --rest-port}); 0: none
 * @param changelog whether the job logs its state changes ({@code checkpoint.changelog}, {@code
 *     --changelog}) rather than flushing RocksDB in each checkpoint
 * @param rulePacks the sizes of the generated packs to run ({@code --rule-packs}), in the order
 *     given; empty for the usual runs
 * @param flood malformed records to produce in the offered window of every other run ({@code
 *     --flood}); 0 for none
 * @param floodRate how many of them per second ({@code --flood-rate}); 0 spreads them over the
 *     window
 * @param keepSavepoints whether each run's canonical savepoint is kept beside its job log ({@code
 *     --keep-savepoints}), for {@code argus state inspect}
 * @param jobJvmOptions options of the job process's JVM beside its heap ({@code --job-jvm-option})
 */
record BenchOptions(
        Variant variant,
        boolean compare,
        String rules,
        String singleRule,
        int accounts,
        double rate,
        TrafficKind traffic,
        double fraudRatio,
        double fraudRate,
        Duration warmup,
        Duration duration,
        long warmupTransactions,
        long transactions,
        Duration latencyDuration,
        Duration checkpointInterval,
        int runs,
        int parallelism,
        String jobHeap,
        String managedMemory,
        int restPort,
        boolean profile,
        String ordering,
        boolean control,
        boolean changelog,
        long seed,
        List<Integer> rulePacks,
        long flood,
        double floodRate,
        boolean keepSavepoints,
        List<String> jobJvmOptions) {

    public BenchOptions {
        rulePacks = List.copyOf(rulePacks);
        jobJvmOptions = List.copyOf(jobJvmOptions);
    }

    /** Malformed records per second in a flood run. */
    double floodPerSecond() {
        return floodRate > 0 ? floodRate : flood / (double) latencyDuration.toSeconds();
    }

    /** How long a flood run's flood lasts, in milliseconds. */
    long floodMillis() {
        return (long) Math.ceil(flood * 1000.0 / floodPerSecond());
    }

    /** Which traffic the benchmark produces. */
    enum TrafficKind {
        /** Accounts of several kinds, a few events a day each, every typology: the default. */
        BANK,
        /** Every account alike, an event every accounts / rate seconds, card testing only. */
        UNIFORM
    }
}

package dev.argus.cli.bench;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * What one benchmark run measured. Rates are per wall-clock second; CPU is the job process's, in
 * seconds; sizes in bytes; latencies sorted, in milliseconds. A phase that did not run has zero
 * seconds.
 *
 * @param unthrottledCpuByKind the job's CPU seconds in the unthrottled window by kind of thread
 *     ({@link JobProcess#THREAD_KINDS}); empty where the OS does not say
 * @param offeredCpuByKind the same in the offered window
 * @param offeredHarnessCpu the CPU seconds of the bench's own process (the broker, the registry,
 *     the producer and the latency consumers) in the offered window: with the job's, how much of
 *     the machine the offered rate took
 * @param latencyUncommittedByRule the offered window's latencies by rule id, read_uncommitted
 * @param latencyCommittedByRule the same, read_committed
 * @param offeredEngine the rule engine's counts in the offered window (Argus only)
 * @param offeredHeldByRule of them, the held matches by rule id (rules with none left out)
 * @param flooded whether malformed records flooded the offered window ({@code --flood})
 * @param spanUncommitted with {@code --flood}, the latencies of the alerts whose last transaction
 *     was appended while the flood went on (or, in a run without it, in as long from the window's
 *     start)
 * @param flood with a flood, what it was and what of it reached the dead-letter topic; else null
 * @param recordsAtSavepoint the transactions the job had read in all when the savepoint was taken
 *     (the state it measures is theirs; malformed records of a flood are not counted)
 * @param warmup the unthrottled warm-up before the measured window, from the job's start: what a
 *     (re)started job does while its code is compiled
 */
record RunResult(
        Variant variant,
        int rules,
        int run,
        Warmup warmup,
        long unthrottledRecords,
        long unthrottledEvaluations,
        EngineCounts unthrottledEngine,
        double unthrottledSeconds,
        double unthrottledJobCpu,
        Map<String, Double> unthrottledCpuByKind,
        double unthrottledHarnessCpu,
        boolean inputBound,
        long offeredRecords,
        double offeredSeconds,
        double offeredJobCpu,
        Map<String, Double> offeredCpuByKind,
        double offeredHarnessCpu,
        EngineCounts offeredEngine,
        Map<String, Long> offeredHeldByRule,
        long lagAfterOffered,
        List<Long> latencyUncommitted,
        List<Long> latencyCommitted,
        SortedMap<String, List<Long>> latencyUncommittedByRule,
        SortedMap<String, List<Long>> latencyCommittedByRule,
        List<JobProcess.Checkpoint> checkpoints,
        int accounts,
        long recordsAtSavepoint,
        long savepointBytes,
        long lastCheckpointFullBytes,
        long peakRssBytes,
        long peakHeapBytes,
        long alerts,
        long duplicates,
        String profile,
        boolean flooded,
        List<Long> spanUncommitted,
        List<Long> spanCommitted,
        Flood.Outcome flood) {

    /**
     * The warm-up: transactions read, its seconds, the job's CPU seconds in it and by kind of
     * thread.
     */
    record Warmup(long records, double seconds, double jobCpu, Map<String, Double> cpuByKind) {}

    double throughput() {
        return unthrottledSeconds > 0 ? unthrottledRecords / unthrottledSeconds : Double.NaN;
    }

    double perCpuSecond() {
        return unthrottledJobCpu > 0 ? unthrottledRecords / unthrottledJobCpu : Double.NaN;
    }

    /**
     * Transactions per CPU-second of the job without its JIT compiler's threads: what the job costs
     * once its code is compiled, which a run of a few minutes does not reach. NaN where the OS does
     * not give CPU time per thread.
     */
    double perCpuSecondCompiled() {
        Double jit = unthrottledCpuByKind.get(JobProcess.JIT_COMPILER);
        if (jit == null) {
            return Double.NaN;
        }
        double compiled = unthrottledJobCpu - jit;
        return compiled > 0 ? unthrottledRecords / compiled : Double.NaN;
    }

    /** Rule condition evaluations per transaction in the unthrottled window. */
    double evaluationsPerTransaction() {
        return unthrottledRecords > 0
                ? (double) unthrottledEvaluations / unthrottledRecords
                : Double.NaN;
    }

    /** The job's CPU time per transaction in the unthrottled window, in microseconds. */
    double cpuMicrosPerTransaction() {
        return unthrottledRecords > 0 ? unthrottledJobCpu * 1e6 / unthrottledRecords : Double.NaN;
    }

    /** Rules the engine stepped per transaction in the unthrottled window (argus only). */
    double ruleStepsPerTransaction() {
        return unthrottledRecords > 0 && unthrottledEngine.ruleSteps() > 0
                ? (double) unthrottledEngine.ruleSteps() / unthrottledRecords
                : Double.NaN;
    }

    /**
     * The job's whole CPU time in the unthrottled window divided by the rule steps in it, in
     * microseconds: an upper bound of a rule step's cost, since it carries the source, the profile
     * and the sinks too.
     */
    double cpuMicrosPerRuleStep() {
        return unthrottledEngine.ruleSteps() > 0
                ? unthrottledJobCpu * 1e6 / unthrottledEngine.ruleSteps()
                : Double.NaN;
    }

    double offeredThroughput() {
        return offeredSeconds > 0 ? offeredRecords / offeredSeconds : Double.NaN;
    }

    double offeredPerCpuSecond() {
        return offeredJobCpu > 0 ? offeredRecords / offeredJobCpu : Double.NaN;
    }

    double bytesPerAccount() {
        return accounts > 0 && savepointBytes > 0 ? (double) savepointBytes / accounts : Double.NaN;
    }

    /** The last checkpoint's full size (RocksDB's own, compressed files) per account. */
    double checkpointBytesPerAccount() {
        return accounts > 0 && lastCheckpointFullBytes > 0
                ? (double) lastCheckpointFullBytes / accounts
                : Double.NaN;
    }

    /** A latency percentile of the flood's span, in seconds; NaN without alerts. */
    double spanLatency(boolean committed, double percentile) {
        return seconds(committed ? spanCommitted : spanUncommitted, percentile);
    }

    /** A latency percentile in seconds; NaN without alerts. */
    double latency(boolean committed, double percentile) {
        return seconds(committed ? latencyCommitted : latencyUncommitted, percentile);
    }

    /** A latency percentile of one rule's alerts in seconds; NaN without alerts. */
    double ruleLatency(String ruleId, boolean committed, double percentile) {
        return seconds(
                (committed ? latencyCommittedByRule : latencyUncommittedByRule)
                        .getOrDefault(ruleId, List.of()),
                percentile);
    }

    /** A percentile of sorted latencies in milliseconds, in seconds; NaN without any. */
    private static double seconds(List<Long> millis, double percentile) {
        return millis.isEmpty() ? Double.NaN : Stats.percentile(millis, percentile) / 1000.0;
    }

    /** The median duration of the measured checkpoints, in seconds. */
    double checkpointSeconds() {
        return Stats.median(checkpoints.stream().mapToDouble(c -> c.millis() / 1000.0).toArray());
    }

    double checkpointMaxSeconds() {
        return checkpoints.stream().mapToDouble(c -> c.millis() / 1000.0).max().orElse(Double.NaN);
    }

    /** The median incremental size of the measured checkpoints. */
    double checkpointBytes() {
        return Stats.median(
                checkpoints.stream().mapToDouble(JobProcess.Checkpoint::bytes).toArray());
    }
}

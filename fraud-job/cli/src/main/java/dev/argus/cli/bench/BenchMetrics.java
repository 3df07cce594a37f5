package dev.argus.cli.bench;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A metric reporter for the benchmark's job process: it keeps the few metrics the benchmark reads
 * (records the source emitted, rule condition evaluations, and the job's checkpoint statistics) so
 * that the process can print them. Registered as {@code metrics.reporter.bench.factory.class} by
 * {@link BenchJob} only; the cluster job never loads it.
 */
public final class BenchMetrics implements MetricReporter {
    /** The configuration key that activates it. */
    public static final String FACTORY_KEY = "metrics.reporter.bench.factory.class";

    private static final Map<String, Counter> SOURCE_RECORDS = new ConcurrentHashMap<>();
    private static final Map<String, Gauge<?>> CHECKPOINTS = new ConcurrentHashMap<>();
    private static final Map<String, Counter> EVALUATIONS = new ConcurrentHashMap<>();

    /** The rule engine's counters by name ({@link #ENGINE_COUNTERS}) and subtask. */
    private static final Map<String, Counter> ENGINE = new ConcurrentHashMap<>();

    /** Each rule's {@code matches_held} by subtask, keyed {@code rule id / metric identifier}. */
    private static final Map<String, Counter> HELD = new ConcurrentHashMap<>();

    /**
     * The rule engine's counters the benchmark reads: rules stepped for an event, rules an event
     * left alone without loading them, events out of time order for their account, timers fired,
     * the rules they let time pass for, of those the rules left with nothing for the account, and
     * matches held back behind an earlier partial match.
     */
    static final List<String> ENGINE_COUNTERS =
            List.of(
                    "rule_steps",
                    "rules_skipped",
                    "out_of_order",
                    "timers_fired",
                    "rules_timed",
                    "rules_ended",
                    "matches_held");

    /** The source operator's name in the topology, as Flink reports it. */
    static final String SOURCE_OPERATOR = "transactions";

    /** What the job has done so far. */
    record Snapshot(
            long sourceRecords,
            long completedCheckpoints,
            long lastCheckpointMillis,
            long lastCheckpointBytes,
            long lastCheckpointFullBytes,
            long conditionEvaluations,
            EngineCounts engine,
            Map<String, Long> heldByRule) {}

    static Snapshot snapshot() {
        long records = 0;
        for (Counter c : SOURCE_RECORDS.values()) {
            records += c.getCount();
        }
        long evaluations = 0;
        for (Counter c : EVALUATIONS.values()) {
            evaluations += c.getCount();
        }
        return new Snapshot(
                records,
                gauge("numberOfCompletedCheckpoints"),
                gauge("lastCheckpointDuration"),
                gauge("lastCheckpointSize"),
                gauge("lastCheckpointFullSize"),
                evaluations,
                new EngineCounts(
                        engine("rule_steps"),
                        engine("rules_skipped"),
                        engine("out_of_order"),
                        engine("timers_fired"),
                        engine("rules_timed"),
                        engine("rules_ended"),
                        engine("matches_held")),
                heldByRule());
    }

    private static Map<String, Long> heldByRule() {
        Map<String, Long> held = new TreeMap<>();
        HELD.forEach(
                (key, c) ->
                        held.merge(key.substring(0, key.indexOf('/')), c.getCount(), Long::sum));
        return held;
    }

    /**
     * The rules' held matches as one token of the METRICS line: {@code rule:n,rule:n}, or {@code -}
     * when there are none (rule ids hold neither spaces, commas nor colons).
     */
    static String heldToken(Map<String, Long> held) {
        return held.isEmpty()
                ? "-"
                : held.entrySet().stream()
                        .map(e -> e.getKey() + ":" + e.getValue())
                        .collect(Collectors.joining(","));
    }

    /** The map {@link #heldToken} wrote. */
    static Map<String, Long> parseHeld(String token) {
        Map<String, Long> held = new TreeMap<>();
        if (!token.equals("-")) {
            for (String entry : token.split(",")) {
                int colon = entry.lastIndexOf(':');
                held.put(entry.substring(0, colon), Long.parseLong(entry.substring(colon + 1)));
            }
        }
        return held;
    }

    private static long engine(String name) {
        long n = 0;
        for (Map.Entry<String, Counter> e : ENGINE.entrySet()) {
            if (e.getKey().endsWith("." + name)) {
                n += e.getValue().getCount();
            }
        }
        return n;
    }

    private static long gauge(String name) {
        Gauge<?> g = CHECKPOINTS.get(name);
        Object v = g == null ? null : g.getValue();
        return v instanceof Number n ? n.longValue() : -1;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        Map<String, String> vars = group.getAllVariables();
        String operator = vars.get("<operator_name>");
        if (metric instanceof Counter c
                && name.equals("numRecordsOut")
                && operator != null
                && operator.endsWith(SOURCE_OPERATOR)
                && vars.containsKey("<operator_id>")) {
            SOURCE_RECORDS.put(vars.get("<subtask_index>") + "/" + operator, c);
        } else if (metric instanceof Counter c && name.equals("evaluations")) {
            // argus.rule.<id>.stage.<stage>.evaluations of every rule operator's subtasks
            EVALUATIONS.put(group.getMetricIdentifier(name), c);
        } else if (metric instanceof Counter c
                && ENGINE_COUNTERS.contains(name)
                && group.getMetricIdentifier(name).contains("argus.rule_engine.")) {
            ENGINE.put(group.getMetricIdentifier(name), c);
        } else if (metric instanceof Counter c
                && name.equals("matches_held")
                && vars.containsKey("<rule>")) {
            // argus.rule.<id>.matches_held of every engine subtask
            HELD.put(vars.get("<rule>") + "/" + group.getMetricIdentifier(name), c);
        } else if (metric instanceof Gauge<?> g
                && (name.equals("numberOfCompletedCheckpoints")
                        || name.startsWith("lastCheckpoint"))) {
            CHECKPOINTS.put(name, g);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** Found by Flink through {@code META-INF/services}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new BenchMetrics();
        }
    }
}

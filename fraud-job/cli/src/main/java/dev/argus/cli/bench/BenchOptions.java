package dev.argus.cli.bench;

import dev.argus.job.CommandLine;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The options of {@code argus bench}. */
record BenchOptions(
        Variant variant,
        boolean compare,
        String rules,
        String singleRule,
        int accounts,
        double rate,
        double fraudRatio,
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
        boolean profile,
        String ordering,
        long seed) {

    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("variant", "argus");
        DEFAULTS.put("compare", "false");
        DEFAULTS.put("rules", "all");
        DEFAULTS.put("single-rule", "card-testing");
        DEFAULTS.put("accounts", "100000");
        DEFAULTS.put("rate", "50");
        DEFAULTS.put("fraud-ratio", "0.01");
        DEFAULTS.put("warmup", "30s");
        DEFAULTS.put("duration", "60s");
        DEFAULTS.put("warmup-transactions", "0");
        DEFAULTS.put("transactions", "0");
        DEFAULTS.put("latency-duration", "60s");
        DEFAULTS.put("checkpoint-interval", "10s");
        DEFAULTS.put("runs", "");
        DEFAULTS.put("parallelism", "2");
        DEFAULTS.put("job-heap", "2g");
        DEFAULTS.put("managed-memory", "512m");
        DEFAULTS.put("profile", "false");
        DEFAULTS.put("ordering", "event-time");
        DEFAULTS.put("seed", "7");
    }

    static BenchOptions parse(String[] args) {
        List<String> list = List.of(args);
        Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
        String[] rest =
                list.stream()
                        .filter(a -> !a.equals("--compare") && !a.equals("--profile"))
                        .toArray(String[]::new);
        if (list.contains("--compare")) {
            v.put("compare", "true");
        }
        if (list.contains("--profile")) {
            v.put("profile", "true");
        }
        for (Map.Entry<String, String> option : CommandLine.parse(rest).entrySet()) {
            if (!v.containsKey(option.getKey())) {
                throw new IllegalArgumentException("unknown option --" + option.getKey());
            }
            v.put(option.getKey(), option.getValue());
        }
        boolean compare = Boolean.parseBoolean(v.get("compare"));
        String runs = v.get("runs");
        BenchOptions o =
                new BenchOptions(
                        Variant.of(v.get("variant")),
                        compare,
                        v.get("rules"),
                        v.get("single-rule"),
                        Integer.parseInt(v.get("accounts")),
                        Double.parseDouble(v.get("rate")),
                        Double.parseDouble(v.get("fraud-ratio")),
                        CommandLine.duration(v.get("warmup")),
                        CommandLine.duration(v.get("duration")),
                        Long.parseLong(v.get("warmup-transactions")),
                        Long.parseLong(v.get("transactions")),
                        CommandLine.duration(v.get("latency-duration")),
                        CommandLine.duration(v.get("checkpoint-interval")),
                        runs.isEmpty() ? (compare ? 2 : 1) : Integer.parseInt(runs),
                        Integer.parseInt(v.get("parallelism")),
                        v.get("job-heap"),
                        v.get("managed-memory"),
                        Boolean.parseBoolean(v.get("profile")),
                        v.get("ordering"),
                        Long.parseLong(v.get("seed")));
        if (o.rate <= 0 || o.accounts < 1 || o.runs < 1 || o.parallelism < 1) {
            throw new IllegalArgumentException(
                    "--rate, --accounts, --runs and --parallelism must be positive");
        }
        if (o.warmupTransactions < 0 || o.transactions < 0) {
            throw new IllegalArgumentException(
                    "--warmup-transactions and --transactions cannot be negative");
        }
        if (o.duration.isZero() && o.latencyDuration.isZero()) {
            throw new IllegalArgumentException(
                    "--duration and --latency-duration are both 0: nothing to measure");
        }
        return o;
    }

    static String usage() {
        return String.join(
                "\n",
                "usage: argus bench [--compare] [options]",
                "Runs the real pipeline (embedded Kafka broker, registry serde, RocksDB, checkpoints,",
                "exactly-once sinks) in a job process of its own, on generated traffic, and prints what",
                "it measured after a warm-up. Each run has two phases:",
                "  unthrottled  the job reads as fast as it can: throughput, CPU, checkpoints",
                "  offered      --rate transactions per second: detection latency, CPU at that rate",
                "then a canonical savepoint gives the state bytes per account.",
                "",
                "  --compare                 Argus against stock flink-cep (one CEP.pattern per rule, heap",
                "                            timers), alternating runs, with ratios; then one rule against the",
                "                            whole pack for each (unthrottled only), and the two ceilings",
                "  --variant V               argus (default), cep, keyed (one state read+write per event),",
                "                            or stage (the pipeline through the profile, then keyed)",
                "  --rules R                 all (default), the first N active rules, or id,id,...",
                "  --single-rule ID          the one-rule point of --compare (default card-testing)",
                "  --accounts N              accounts the traffic is spread over (default 100000)",
                "  --rate N                  transactions per second: the offered rate, and the traffic's",
                "                            density in event time in both phases (default 50)",
                "  --fraud-ratio R           chance per transaction of starting a card-testing case (default 0.01)",
                "  --warmup D                unthrottled time before measuring (default 30s)",
                "  --duration D              the measured unthrottled window; 0 skips the phase (default 60s)",
                "  --warmup-transactions N   warm up until the job has read N transactions, not for --warmup",
                "  --transactions N          measure the next N transactions, not for --duration: every",
                "                            variant then measures the same transactions, with the same",
                "                            history behind them (a faster job otherwise gets further into",
                "                            the traffic in the same time, with more partial matches per account)",
                "  --latency-duration D      the measured offered window; 0 skips the phase (default 60s)",
                "  --checkpoint-interval D   (default 10s, as in production)",
                "  --runs N                  runs per variant (default 1; 2 with --compare)",
                "  --parallelism N           (default 2)",
                "  --job-heap S              the job process's heap (default 2g)",
                "  --managed-memory S        Flink managed memory, RocksDB's budget (default 512m)",
                "  --profile                 record where the job's CPU time goes (JFR) in the measured",
                "                            windows of each variant's first run, and summarize it",
                "  --ordering O              the rule engine's rules.ordering: event-time (default) or arrival",
                "  --seed N                  seed of the traffic (default 7)");
    }
}

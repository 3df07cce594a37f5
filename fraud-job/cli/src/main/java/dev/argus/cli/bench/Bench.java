package dev.argus.cli.bench;

import dev.argus.cli.watch.DetectionLatency;
import dev.argus.job.JobConfig;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.traffic.BankTraffic;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code argus bench}: throughput, detection latency, checkpoints, state and memory of the real
 * pipeline, optionally side by side with stock flink-cep. This process runs the Kafka broker
 * (KRaft), the schema registry, the traffic and the alert consumers; each run's Flink job runs in a
 * {@link JobProcess} of its own, so its CPU time and memory are measured apart from them.
 */
public final class Bench {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** A row of the {@code --rule-packs} table, each column wider than its heading. */
    private static final String PACK_ROW = "%6s %15s %15s %10s %9s %16s %11s%n";

    /**
     * One run to do: a variant over a rule selection, with or without the offered phase.
     *
     * @param packSize the size of the generated pack to run ({@code --rule-packs}); 0 for the pack
     *     of the job's configuration
     * @param flood whether malformed records flood the offered window ({@code --flood})
     */
    record Plan(
            Variant variant,
            String rules,
            boolean offeredPhase,
            boolean profile,
            int packSize,
            boolean flood) {
        Plan(Variant variant, String rules, boolean offeredPhase, boolean profile) {
            this(variant, rules, offeredPhase, profile, 0, false);
        }

        Plan(Variant variant, String rules, boolean offeredPhase, boolean profile, int packSize) {
            this(variant, rules, offeredPhase, profile, packSize, false);
        }
    }

    private final BenchOptions options;
    private final PrintWriter out;
    private final Path logDir;
    private int runCounter;
    private final Map<Integer, Path> packs = new HashMap<>();

    Bench(BenchOptions options, PrintWriter out, Path logDir) {
        this.options = options;
        this.out = out;
        this.logDir = logDir;
    }

    void run() throws Exception {
        writePacks();
        say("starting a Kafka broker (KRaft) and the schema registry ...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0)) {
            List<Plan> plans = plans();
            say(
                    String.format(
                            "%d runs of about %d s each, one job process per run; job logs in %s",
                            plans.size(), estimateSeconds(plans) / plans.size(), logDir));
            List<RunResult> results = new ArrayList<>();
            Map<String, Boolean> profiled = new HashMap<>();
            for (Plan plan : plans) {
                boolean profile =
                        plan.profile()
                                && profiled.putIfAbsent(
                                                plan.variant().key()
                                                        + "/"
                                                        + plan.packSize()
                                                        + "/"
                                                        + plan.flood(),
                                                true)
                                        == null;
                RunResult r =
                        runOnce(
                                kafka,
                                registry,
                                new Plan(
                                        plan.variant(),
                                        plan.rules(),
                                        plan.offeredPhase(),
                                        profile,
                                        plan.packSize(),
                                        plan.flood()),
                                1
                                        + (int)
                                                results.stream()
                                                        .filter(x -> x.variant() == plan.variant())
                                                        .filter(x -> sameRules(x, plan))
                                                        .filter(x -> x.flooded() == plan.flood())
                                                        .count());
                results.add(r);
                printRun(r);
            }
            if (options.compare()) {
                printComparison(results);
            }
            if (!options.rulePacks().isEmpty()) {
                printRulePacks(results);
            }
            if (options.flood() > 0) {
                printFlood(results);
            }
        }
    }

    private boolean sameRules(RunResult r, Plan plan) {
        if (plan.packSize() > 0) {
            return r.rules() == plan.packSize();
        }
        return (plan.rules().equals(options.singleRule())) == (r.rules() == 1);
    }

    /**
     * Writes the packs of {@code --rule-packs} from the job's configured pack into {@code
     * rule-packs/<N>} beside the logs, where they stay for a look at what ran; each is loaded back
     * through the job's loader as it is written.
     */
    private void writePacks() throws IOException {
        if (options.rulePacks().isEmpty()) {
            return;
        }
        Path root = logDir.resolve("rule-packs");
        if (Files.exists(root)) {
            delete(root);
        }
        // the job's default rules.path, which the other runs of the bench use
        String shipped = RulePackLoader.BUILT_IN;
        RulePack pack = RulePackLoader.loadForJob(shipped, CepPatternCheck.INSTANCE);
        for (int size : options.rulePacks()) {
            Path dir = root.resolve(String.valueOf(size)).toAbsolutePath();
            RulePackGenerator.write(shipped, pack, size, dir);
            packs.put(size, dir);
        }
        say(
                String.format(
                        "rule packs of %s rules made from %s (%d active rules) in %s",
                        options.rulePacks().stream()
                                .map(String::valueOf)
                                .collect(Collectors.joining(", ")),
                        shipped,
                        pack.active().size(),
                        root));
    }

    /** The runs, alternating between variants so that drifts of the machine hit both alike. */
    List<Plan> plans() {
        List<Plan> plans = new ArrayList<>();
        boolean offered = !options.latencyDuration().isZero();
        if (!options.rulePacks().isEmpty()) {
            // unthrottled only: the latency of a generated pack says nothing about a rule's cost
            for (int r = 0; r < options.runs(); r++) {
                for (int size : options.rulePacks()) {
                    plans.add(new Plan(options.variant(), "all", false, options.profile(), size));
                }
            }
            return plans;
        }
        if (options.flood() > 0) {
            // without, then with the flood, alternating: the same traffic at the same rate
            for (int r = 0; r < options.runs(); r++) {
                for (boolean flood : new boolean[] {false, true}) {
                    plans.add(
                            new Plan(
                                    options.variant(),
                                    options.rules(),
                                    true,
                                    options.profile(),
                                    0,
                                    flood));
                }
            }
            return plans;
        }
        if (!options.compare()) {
            for (int r = 0; r < options.runs(); r++) {
                plans.add(
                        new Plan(
                                options.variant(),
                                options.rules(),
                                offered && options.variant().alerts(),
                                options.profile()));
            }
            return plans;
        }
        for (int r = 0; r < options.runs(); r++) {
            plans.add(new Plan(Variant.ARGUS, options.rules(), offered, options.profile()));
            plans.add(new Plan(Variant.CEP, options.rules(), offered, options.profile()));
        }
        if (!options.duration().isZero()) {
            for (int r = 0; r < options.runs(); r++) {
                plans.add(new Plan(Variant.ARGUS, options.singleRule(), false, false));
                plans.add(new Plan(Variant.CEP, options.singleRule(), false, false));
            }
            for (int r = 0; r < options.runs(); r++) {
                plans.add(new Plan(Variant.KEYED, options.rules(), false, options.profile()));
            }
            for (int r = 0; r < options.runs(); r++) {
                plans.add(new Plan(Variant.STAGE, options.rules(), false, false));
            }
        }
        return plans;
    }

    private long estimateSeconds(List<Plan> plans) {
        long s = 0;
        for (Plan p : plans) {
            s += 20 + options.warmup().toSeconds() + options.duration().toSeconds();
            if (p.offeredPhase()) {
                s +=
                        options.latencyDuration().toSeconds()
                                + 2 * options.checkpointInterval().toSeconds()
                                + 15;
            }
        }
        return s;
    }

    private RunResult runOnce(
            EmbeddedKafka kafka, InProcessSchemaRegistry registry, Plan plan, int runOfVariant)
            throws Exception {
        int n = ++runCounter;
        String prefix = "bench" + n + "-";
        Map<String, String> values = new HashMap<>();
        values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        values.put("schema.registry.url", registry.url());
        values.put("checkpoint.interval", options.checkpointInterval().toMillis() + " ms");
        values.put("topic.transactions", prefix + "transactions");
        values.put("topic.alerts", prefix + "alerts");
        values.put("topic.shadow-alerts", prefix + "alerts-shadow");
        values.put("topic.dead-letters", prefix + "dead-letters");
        values.put("kafka.group.id", prefix + "job");
        values.put("sink.transactional-id-prefix", prefix + "argus");
        values.put("rules.ordering", options.ordering());
        values.put("checkpoint.changelog", String.valueOf(options.changelog()));
        if (plan.packSize() > 0) {
            values.put("rules.path", packs.get(plan.packSize()).toString());
        }
        if (options.control()) {
            values.put("control.enabled", "true");
            values.put("topic.control", prefix + "control");
            values.put("topic.control-status", prefix + "control-status");
        }
        JobConfig config = JobConfig.of(values);
        List<String> topics =
                List.of(
                        config.get("topic.transactions"),
                        config.get("topic.alerts"),
                        config.get("topic.shadow-alerts"),
                        config.get("topic.dead-letters"));
        // append times measure latency; old event times must not expire records
        kafka.createTopics(4, DetectionLatency.TOPIC_CONFIG, topics.toArray(String[]::new));
        if (options.control()) {
            kafka.createTopics(
                    1,
                    Map.of("message.timestamp.type", "LogAppendTime"),
                    config.get("topic.control"),
                    config.get("topic.control-status"));
        }

        List<String> args =
                BenchJob.arguments(
                        plan.variant(),
                        plan.rules(),
                        options.parallelism(),
                        options.managedMemory(),
                        options.restPort(),
                        values);
        RulePack pack =
                BenchJob.selectRules(
                        RulePackLoader.loadForJob(
                                config.get("rules.path"), CepPatternCheck.INSTANCE),
                        plan.rules());
        int ruleCount = plan.variant().runsRules() ? pack.rules().size() : 0;
        say(
                String.format(
                        "run %d: %s, %s%s, run %d of the variant ...",
                        n,
                        plan.variant().key(),
                        plan.variant().runsRules() ? ruleCount + " rules" : "no rules",
                        options.flood() == 0
                                ? ""
                                : plan.flood()
                                        ? String.format(
                                                ", with a flood of %,d malformed records",
                                                options.flood())
                                        : ", without the flood",
                        runOfVariant));

        Path log = logDir.resolve("bench-run" + n + "-" + plan.variant().key() + ".log");
        long startMillis = System.currentTimeMillis();
        try (JobProcess job =
                        JobProcess.start(
                                args,
                                JobProcess.jvmOptions(options.jobHeap(), options.jobJvmOptions()),
                                log);
                Progress progress = new Progress(job);
                DetectionLatency alerts =
                        new DetectionLatency(config, pack.rules(), "argus-bench");
                Traffic traffic =
                        new Traffic(
                                config,
                                options,
                                startMillis,
                                job::records,
                                progress::lead,
                                alerts);
                Flood flood =
                        plan.flood()
                                ? new Flood(
                                        config,
                                        options.accounts(),
                                        options.seed(),
                                        options.flood(),
                                        options.floodPerSecond())
                                : null) {
            progress.traffic = traffic;
            if (options.warmupTransactions() > 0 && options.transactions() > 0) {
                // no variant reads past the window's last transaction: the savepoint after it
                // holds every variant's state after the same transactions
                traffic.stopUnthrottledAt(options.warmupTransactions() + options.transactions());
            }
            Window warmup = new Window(job);
            traffic.unthrottled();
            if (options.warmupTransactions() > 0) {
                progress.runUntilRecords(options.warmupTransactions());
            } else {
                progress.run(options.warmup());
            }
            warmup.end(job);

            long unthrottledRecords = 0;
            long unthrottledEvaluations = 0;
            EngineCounts unthrottledEngine = EngineCounts.NONE;
            double unthrottledSeconds = 0;
            double unthrottledCpu = 0;
            Map<String, Double> unthrottledByKind = Map.of();
            Map<String, Double> offeredByKind = Map.of();
            double harnessCpu = 0;
            boolean inputBound = false;
            String profile = "";
            long measuredFrom = System.currentTimeMillis();
            if (!options.duration().isZero()) {
                if (plan.profile()) {
                    job.call("profile-start", "PROFILING", Duration.ofSeconds(30));
                }
                Window w = new Window(job);
                progress.minBacklog = Long.MAX_VALUE;
                if (options.transactions() > 0) {
                    long last =
                            options.warmupTransactions() > 0
                                    ? options.warmupTransactions() + options.transactions()
                                    : job.records() + options.transactions();
                    traffic.stopUnthrottledAt(last);
                    progress.runUntilRecords(last);
                } else {
                    progress.run(options.duration());
                }
                w.end(job);
                unthrottledRecords = w.records;
                unthrottledEvaluations = w.evaluations;
                unthrottledEngine = w.engine;
                unthrottledSeconds = w.seconds;
                unthrottledCpu = w.jobCpu;
                unthrottledByKind = w.cpuByKind;
                harnessCpu = w.harnessCpu;
                inputBound = progress.minBacklog == 0;
                if (plan.profile()) {
                    profile += "unthrottled window: " + stopProfile(job, log, "unthrottled");
                }
            }
            traffic.pause();
            catchUp(job, traffic.produced());

            long offeredRecords = 0;
            double offeredSeconds = 0;
            double offeredCpu = 0;
            double offeredHarnessCpu = 0;
            EngineCounts offeredEngine = EngineCounts.NONE;
            Map<String, Long> offeredHeldByRule = Map.of();
            long lag = 0;
            List<Long> uncommitted = List.of();
            List<Long> committed = List.of();
            SortedMap<String, List<Long>> uncommittedByRule = new TreeMap<>();
            SortedMap<String, List<Long>> committedByRule = new TreeMap<>();
            List<Long> spanUncommitted = List.of();
            List<Long> spanCommitted = List.of();
            Flood.Outcome floodOutcome = null;
            if (plan.offeredPhase()) {
                traffic.offered();
                progress.run(Duration.ofSeconds(5));
                long fromMillis = System.currentTimeMillis();
                if (plan.profile()) {
                    job.call("profile-start", "PROFILING", Duration.ofSeconds(30));
                }
                Window w = new Window(job);
                if (flood != null) {
                    flood.start();
                    say(
                            String.format(
                                    "flooding: %,d malformed records of 8 kinds at %,.0f a second,"
                                            + " beside %,.0f transactions a second",
                                    options.flood(), options.floodPerSecond(), options.rate()));
                }
                progress.run(options.latencyDuration());
                if (flood != null) {
                    long floodDeadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                    while (!flood.done() && System.nanoTime() < floodDeadline) {
                        progress.run(Duration.ofMillis(200));
                    }
                    if (!flood.done()) {
                        say(
                                "warning: the flood was not all produced a minute after the"
                                        + " window; its figures cover what was");
                    }
                }
                w.end(job);
                if (plan.profile()) {
                    profile +=
                            String.format(
                                    "offered window (%,.0f transactions/s%s): %s",
                                    options.rate(),
                                    flood != null ? ", flooded" : "",
                                    stopProfile(job, log, "offered"));
                }
                long toMillis = System.currentTimeMillis();
                // keep the traffic flowing until the watermark has passed the window's last events
                // and two checkpoints have completed since: the second began after them, so it
                // committed their alerts
                progress.run(config.duration("events.max-out-of-orderness").plusSeconds(3));
                awaitCheckpoints(job, progress, log);
                progress.run(Duration.ofSeconds(1));
                long floodRecords = flood != null ? flood.produced() : 0;
                lag = traffic.produced() + floodRecords - job.records();
                traffic.pause();
                catchUp(job, traffic.produced() + floodRecords);
                offeredRecords = w.records - floodRecords;
                offeredSeconds = w.seconds;
                offeredCpu = w.jobCpu;
                offeredByKind = w.cpuByKind;
                offeredHarnessCpu = w.harnessCpu;
                offeredEngine = w.engine;
                offeredHeldByRule = w.heldByRule;
                uncommitted = alerts.latencies(false, fromMillis, toMillis);
                committed = alerts.latencies(true, fromMillis, toMillis);
                uncommittedByRule = alerts.latenciesByRule(false, fromMillis, toMillis);
                committedByRule = alerts.latenciesByRule(true, fromMillis, toMillis);
                long spanTo =
                        flood != null && flood.done()
                                ? flood.endMillis()
                                : fromMillis + options.floodMillis();
                spanUncommitted = alerts.latencies(false, fromMillis, spanTo);
                spanCommitted = alerts.latencies(true, fromMillis, spanTo);
                if (flood != null) {
                    // the dead letters of records read after the last checkpoint: two more
                    awaitCheckpoints(job, progress, log);
                    floodOutcome = flood.check(config);
                }
            }
            long measuredTo = System.currentTimeMillis();
            List<JobProcess.Checkpoint> checkpoints =
                    job.checkpointsBetween(measuredFrom, measuredTo);
            long fullBytes = job.sample().checkpointFullBytes();

            Path savepoints;
            if (options.keepSavepoints()) {
                savepoints =
                        logDir.resolve("bench-run" + n + "-" + plan.variant().key() + "-savepoint");
                if (Files.exists(savepoints)) {
                    delete(savepoints); // an earlier bench's
                }
                Files.createDirectories(savepoints);
            } else {
                savepoints = Files.createTempDirectory("argus-bench-savepoint-");
            }
            // the job has caught up with them, and nothing more is produced
            long recordsAtSavepoint = traffic.produced();
            long savepointBytes;
            String written;
            try {
                written =
                        job.call(
                                "savepoint " + savepoints.toUri(),
                                "SAVEPOINT",
                                Duration.ofMinutes(10));
                savepointBytes = sizeOf(savepoints);
            } finally {
                if (!options.keepSavepoints()) {
                    delete(savepoints);
                }
            }
            if (options.keepSavepoints()) {
                Path kept =
                        written.startsWith("file:")
                                ? Path.of(java.net.URI.create(written))
                                : Path.of(written);
                say("savepoint kept: ./argus state inspect " + kept + " shows where its bytes are");
            }
            if (traffic.sendFailures() > 0) {
                say("warning: " + traffic.sendFailures() + " records could not be produced");
            }
            return new RunResult(
                    plan.variant(),
                    ruleCount,
                    runOfVariant,
                    new RunResult.Warmup(
                            warmup.records, warmup.seconds, warmup.jobCpu, warmup.cpuByKind),
                    unthrottledRecords,
                    unthrottledEvaluations,
                    unthrottledEngine,
                    unthrottledSeconds,
                    unthrottledCpu,
                    unthrottledByKind,
                    harnessCpu,
                    inputBound,
                    offeredRecords,
                    offeredSeconds,
                    offeredCpu,
                    offeredByKind,
                    offeredHarnessCpu,
                    offeredEngine,
                    offeredHeldByRule,
                    lag,
                    uncommitted,
                    committed,
                    uncommittedByRule,
                    committedByRule,
                    checkpoints,
                    traffic.accountsTouched(),
                    recordsAtSavepoint,
                    savepointBytes,
                    fullBytes,
                    job.peakRssBytes(),
                    job.peakHeapUsed(),
                    alerts.committedAlerts(),
                    alerts.duplicates(),
                    profile,
                    plan.flood(),
                    spanUncommitted,
                    spanCommitted,
                    floodOutcome);
        } finally {
            try (var admin = kafka.admin()) {
                admin.deleteTopics(topics).all().get();
            }
        }
    }

    /** Ends the job process's recording and summarizes it; the recording stays beside the log. */
    private static String stopProfile(JobProcess job, Path log, String window) throws Exception {
        Path jfr =
                log.resolveSibling(
                        log.getFileName().toString().replace(".log", "-" + window + ".jfr"));
        job.call("profile-stop " + jfr.toAbsolutePath(), "PROFILE", Duration.ofMinutes(2));
        return JfrSummary.summarize(jfr, 15);
    }

    /** Waits until the job has read everything produced: {@code produced} records. */
    private void catchUp(JobProcess job, long produced) throws InterruptedException {
        if (!job.awaitRecords(produced, Duration.ofMinutes(10))) {
            throw new IllegalStateException(
                    "the job did not catch up with its input within 10 minutes ("
                            + job.records()
                            + " of "
                            + produced
                            + " records)");
        }
    }

    /** Lets time pass until two more checkpoints have completed, the traffic going on as it is. */
    private static void awaitCheckpoints(JobProcess job, Progress progress, Path log)
            throws InterruptedException {
        long completed = job.sample().checkpoints();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (job.sample().checkpoints() < completed + 2) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "no two checkpoints completed within 10 minutes; see " + log);
            }
            progress.run(Duration.ofMillis(500));
        }
    }

    /** CPU seconds by kind of thread as cores over {@code seconds}: "JIT compiler 0.40, ...". */
    static String byKind(Map<String, Double> cpuByKind, double seconds) {
        return cpuByKind.entrySet().stream()
                        .map(e -> String.format("%s %.2f", e.getKey(), e.getValue() / seconds))
                        .collect(Collectors.joining(", "))
                + " cores";
    }

    /** A window's job CPU, and its split by kind of thread where the OS gives one. */
    /** The bench process's own CPU in a window: it shares the machine with the job. */
    private void printHarnessCpu(double cpuSeconds, double seconds) {
        out.printf(
                "  broker, producer, consumers %.2f cores (this process; not in the job's figure)%n",
                cpuSeconds / seconds);
    }

    private void printJobCpu(
            double cpu, double seconds, double perCpuSecond, Map<String, Double> cpuByKind) {
        out.printf(
                "  job CPU                   %.2f cores: %,.0f transactions per CPU-second%n",
                cpu / seconds, perCpuSecond);
        if (!cpuByKind.isEmpty()) {
            out.printf("  job CPU by thread         %s%n", byKind(cpuByKind, seconds));
        }
    }

    /** Throughput, CPU and backlog over a measured stretch of time. */
    private static final class Window {
        private final long startNanos = System.nanoTime();
        private final long startRecords;
        private final long startCpu;
        private final long startHarnessCpu = harnessCpuNanos();
        private final JobProcess.Sample start;
        private final long startEvaluations;
        private final Map<String, Long> startByKind;
        long records;
        long evaluations;
        EngineCounts engine;

        /** The rules' held matches in the window, by rule id (those with none left out). */
        Map<String, Long> heldByRule;

        double seconds;
        double jobCpu;
        double harnessCpu;

        /** The job's CPU seconds by kind of thread ({@link JobProcess#THREAD_KINDS}). */
        Map<String, Double> cpuByKind;

        Window(JobProcess job) {
            startRecords = job.records();
            startByKind = job.cpuNanosByKind();
            startCpu = job.cpuNanos();
            start = job.sample();
            startEvaluations = start.conditionEvaluations();
        }

        void end(JobProcess job) {
            records = job.records() - startRecords;
            JobProcess.Sample end = job.sample();
            evaluations = end.conditionEvaluations() - startEvaluations;
            engine = end.engine().minus(start.engine());
            heldByRule = new TreeMap<>();
            end.heldByRule()
                    .forEach(
                            (rule, n) -> {
                                long held = n - start.heldByRule().getOrDefault(rule, 0L);
                                if (held > 0) {
                                    heldByRule.put(rule, held);
                                }
                            });
            seconds = (System.nanoTime() - startNanos) / 1e9;
            jobCpu = (job.cpuNanos() - startCpu) / 1e9;
            Map<String, Long> endByKind = job.cpuNanosByKind();
            cpuByKind = new java.util.LinkedHashMap<>();
            if (!endByKind.isEmpty()) {
                for (String kind : JobProcess.THREAD_KINDS) {
                    long used =
                            endByKind.getOrDefault(kind, 0L) - startByKind.getOrDefault(kind, 0L);
                    cpuByKind.put(kind, Math.max(0, used) / 1e9);
                }
            }
            harnessCpu = (harnessCpuNanos() - startHarnessCpu) / 1e9;
        }
    }

    /** CPU time of this process: the broker, the registry, the producer and the consumers. */
    static long harnessCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * Watches a run while time passes: stops if the job ends, estimates the job's read rate (which
     * sets how far ahead the unthrottled traffic stays) and notes the smallest backlog.
     */
    private static final class Progress implements AutoCloseable {
        private final JobProcess job;
        private volatile double rate;
        volatile Traffic traffic;
        volatile long minBacklog = Long.MAX_VALUE;

        Progress(JobProcess job) {
            this.job = job;
        }

        /** Records to stay ahead of the job: three seconds' worth, at least 5,000. */
        long lead() {
            return Math.max(5_000, (long) (3 * rate));
        }

        private JobProcess.Sample previous;

        void run(Duration d) throws InterruptedException {
            long end = System.nanoTime() + d.toNanos();
            previous = job.sample();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(500, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                tick();
            }
        }

        /**
         * Until the job has read {@code records} transactions: returns right after the sample that
         * says so arrived, so that a window started or ended then has its time and records from the
         * same moment.
         */
        void runUntilRecords(long records) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofHours(1).toNanos();
            previous = job.sample();
            while (job.records() < records) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the job read "
                                    + job.records()
                                    + " of "
                                    + records
                                    + " transactions in an hour");
                }
                long seen = job.sample().atMillis();
                while (job.sample().atMillis() == seen) {
                    Thread.sleep(10);
                    job.awaitRecords(0, Duration.ZERO); // throws if the job ended
                }
                tick();
            }
        }

        /** The job's reading rate, which sets how far ahead the traffic stays, and the backlog. */
        private void tick() throws InterruptedException {
            JobProcess.Sample s = job.sample();
            if (s.atMillis() > previous.atMillis() + 900) {
                double r =
                        (s.records() - previous.records())
                                * 1000.0
                                / (s.atMillis() - previous.atMillis());
                rate = rate == 0 ? r : 0.7 * rate + 0.3 * r;
                previous = s;
            }
            Traffic t = traffic;
            if (t != null && !t.atLimit()) { // at its limit, the backlog runs out by design
                minBacklog = Math.min(minBacklog, Math.max(0, t.produced() - s.records()));
            }
            job.awaitRecords(0, Duration.ZERO); // throws if the job ended
        }

        @Override
        public void close() {}
    }

    private void printRun(RunResult r) {
        out.println();
        out.printf(
                "=== %s (%s), %s, %,d accounts, run %d ===%n",
                r.variant().key(),
                r.variant().description(),
                r.variant().runsRules() ? r.rules() + " rules" : "no rules",
                options.accounts(),
                r.run());
        out.println("traffic                     " + trafficDensity());
        if (options.control()) {
            out.println("control topic               read, no command flowing (--control)");
        }
        if (r.unthrottledSeconds() > 0) {
            String warmup =
                    options.warmupTransactions() > 0
                            ? String.format("%,d transactions", options.warmupTransactions())
                            : options.warmup().toSeconds() + " s";
            RunResult.Warmup w = r.warmup();
            out.printf(
                    "warm-up, %,d transactions in %.1f s: %,.0f transactions/s, job CPU %.2f"
                            + " cores%s%n",
                    w.records(),
                    w.seconds(),
                    w.records() / w.seconds(),
                    w.jobCpu() / w.seconds(),
                    w.cpuByKind().containsKey(JobProcess.JIT_COMPILER)
                            ? String.format(
                                    " (JIT compiler %.2f)",
                                    w.cpuByKind().get(JobProcess.JIT_COMPILER) / w.seconds())
                            : "");
            out.printf(
                    "unthrottled, %,d transactions in %.1f s measured after a warm-up of %s%n",
                    r.unthrottledRecords(), r.unthrottledSeconds(), warmup);
            out.printf(
                    "  throughput                %,.0f transactions/s%s%n",
                    r.throughput(),
                    r.inputBound() ? " (input-bound: the producer fell behind at times)" : "");
            printJobCpu(
                    r.unthrottledJobCpu(),
                    r.unthrottledSeconds(),
                    r.perCpuSecond(),
                    r.unthrottledCpuByKind());
            if (!r.unthrottledCpuByKind().isEmpty()) {
                out.printf(
                        "  without the JIT compiler  %,.0f transactions per CPU-second (the job"
                                + " once compiled; a longer --warmup-transactions comes closer)%n",
                        r.perCpuSecondCompiled());
            }
            printHarnessCpu(r.unthrottledHarnessCpu(), r.unthrottledSeconds());
            if (r.variant().alerts()) {
                out.printf(
                        "  rule conditions           %,.1f evaluations per transaction%n",
                        r.evaluationsPerTransaction());
            }
            EngineCounts e = r.unthrottledEngine();
            if (e.ruleSteps() + e.rulesSkipped() > 0) {
                out.printf(
                        "  rule engine               %,.2f rule steps per transaction; %,.2f rules"
                                + " not loaded (the event cannot change their state)%n",
                        (double) e.ruleSteps() / r.unthrottledRecords(),
                        (double) e.rulesSkipped() / r.unthrottledRecords());
                out.printf(
                        "  out of order              %,d transactions (%.2f %%) arrived before an"
                                + " earlier one of their account: judged at the account's time%n",
                        e.outOfOrder(), 100.0 * e.outOfOrder() / r.unthrottledRecords());
                out.printf(
                        "  timers                    %,.2f fired per transaction, for %,.2f rules"
                                + " whose partial match left its window; %,.2f of them ended"
                                + " (dropped unloaded when their stored runs show it)%n",
                        (double) e.timersFired() / r.unthrottledRecords(),
                        (double) e.rulesTimed() / r.unthrottledRecords(),
                        (double) e.rulesEnded() / r.unthrottledRecords());
            }
        }
        if (r.offeredSeconds() > 0) {
            out.printf(
                    "offered %,.0f transactions/s, %.0f s measured%n",
                    options.rate(), r.offeredSeconds());
            out.printf(
                    "  achieved                  %,.1f transactions/s, %s%n",
                    r.offeredThroughput(),
                    r.lagAfterOffered() > options.rate() * 5
                            ? String.format(
                                    "did NOT keep up: %,d records behind; latency includes"
                                            + " queueing",
                                    r.lagAfterOffered())
                            : "kept up");
            printJobCpu(
                    r.offeredJobCpu(),
                    r.offeredSeconds(),
                    r.offeredPerCpuSecond(),
                    r.offeredCpuByKind());
            printHarnessCpu(r.offeredHarnessCpu(), r.offeredSeconds());
            out.println(
                    "  detection latency         broker append of the latest matched transaction"
                            + " -> alert");
            out.printf("    read_uncommitted        %s%n", latencyLine(r, false));
            out.printf("    read_committed          %s%n", latencyLine(r, true));
            printLatencyByRule(r);
            if (r.offeredEngine().ruleSteps() + r.offeredEngine().rulesSkipped() > 0) {
                out.printf(
                        "  matches held back         %,d: sent after the step of their last"
                                + " event, behind a partial match of their rule that started"
                                + " earlier (flink-cep's order under a skip strategy; the"
                                + " rules' match_hold_ms says how long)%s%n",
                        r.offeredEngine().matchesHeld(),
                        r.offeredHeldByRule().isEmpty()
                                ? ""
                                : r.offeredHeldByRule().entrySet().stream()
                                        .map(e -> e.getKey() + " " + e.getValue())
                                        .collect(Collectors.joining(", ", "; by rule: ", "")));
            }
            if (options.flood() > 0) {
                printFloodRun(r);
            }
        }
        out.printf(
                "checkpoints                 every %d s, %s; %d in the measured windows:"
                        + " duration p50 %.2f s, max %.2f s; incremental size p50 %s; full size"
                        + " %s%n",
                options.checkpointInterval().toSeconds(),
                options.changelog()
                        ? "state changelog on (RocksDB materialized every "
                                + JobConfig.DEFAULTS.get(
                                        "checkpoint.changelog.materialization-interval")
                                + ")"
                        : "state changelog off",
                r.checkpoints().size(),
                r.checkpointSeconds(),
                r.checkpointMaxSeconds(),
                bytes(r.checkpointBytes()),
                bytes(r.lastCheckpointFullBytes()));
        out.printf(
                "state                       %,d accounts after %,d transactions; canonical savepoint"
                        + " %s = %,.0f bytes per account; last checkpoint (RocksDB files%s) %,.0f"
                        + " bytes per account%n",
                r.accounts(),
                r.recordsAtSavepoint(),
                bytes(r.savepointBytes()),
                r.bytesPerAccount(),
                options.changelog() ? " and changelog" : "",
                r.checkpointBytesPerAccount());
        out.printf(
                "memory                      peak RSS %s, peak heap used %s (heap %s, managed"
                        + " memory %s)%n",
                bytes(r.peakRssBytes()),
                bytes(r.peakHeapBytes()),
                options.jobHeap(),
                options.managedMemory());
        out.printf(
                "job JVM options             %s%n",
                String.join(
                        " ", JobProcess.jvmOptions(options.jobHeap(), options.jobJvmOptions())));
        if (r.variant().alerts()) {
            out.printf(
                    "alerts                      %,d read committed, %d duplicates%n",
                    r.alerts(), r.duplicates());
        }
        if (!r.profile().isEmpty()) {
            out.print("where the job's CPU time went, " + r.profile());
        }
        out.flush();
    }

    /** A run's flood: what went where, and the latency while it lasted. */
    private void printFloodRun(RunResult r) {
        Flood.Outcome f = r.flood();
        if (f == null) {
            out.printf(
                    "  no flood                  latency in the first %.0f s (the flood's span in"
                            + " the other runs): read_uncommitted p99 %.2f s, read_committed p99"
                            + " %.2f s%n",
                    options.floodMillis() / 1000.0,
                    r.spanLatency(false, 99),
                    r.spanLatency(true, 99));
            return;
        }
        out.printf(
                "  flood                     %,d malformed records in %.1f s (%,.0f a second);"
                        + " dead-letter topic: %,d with their kind's reason, %,d with another,"
                        + " %,d missing%s%n",
                f.produced(),
                f.seconds(),
                f.produced() / f.seconds(),
                f.deadLettered(),
                f.wrongReason(),
                f.missing(),
                f.sendFailures() > 0 ? "; " + f.sendFailures() + " could not be produced" : "");
        out.printf(
                "    by kind (reason)        %s%n",
                f.producedByKind().entrySet().stream()
                        .map(
                                e ->
                                        String.format(
                                                "%s (%s) %,d",
                                                e.getKey(), e.getKey().reason(), e.getValue()))
                        .collect(Collectors.joining(", ")));
        out.printf(
                "    other dead letters      %,d (the traffic's own: late events)%n",
                f.otherDeadLetters());
        out.printf(
                "  latency while flooded     read_uncommitted p50 %.2f s p99 %.2f s (%d alerts);"
                        + " read_committed p99 %.2f s%n",
                r.spanLatency(false, 50),
                r.spanLatency(false, 99),
                r.spanUncommitted().size(),
                r.spanLatency(true, 99));
    }

    /**
     * The table of {@code --flood}: medians of the runs without and with the flood, the latency of
     * the valid traffic's alerts over the flood's span, and whether every flood record reached the
     * dead-letter topic with its reason.
     */
    private void printFlood(List<RunResult> results) {
        List<RunResult> without = results.stream().filter(r -> !r.flooded()).toList();
        List<RunResult> with = results.stream().filter(RunResult::flooded).toList();
        out.println();
        out.printf(
                "=== argus bench --flood: %,d malformed records of 8 kinds at %,.0f a second"
                        + " beside %,.0f transactions a second; %s, %,d accounts; %d run(s) each,"
                        + " alternating; medians ===%n",
                options.flood(),
                options.floodPerSecond(),
                options.rate(),
                options.variant().key(),
                options.accounts(),
                options.runs());
        out.printf(
                "latency is of the alerts whose last transaction was appended in the first %.0f s"
                        + " of the offered window: while the flood went on%n",
                options.floodMillis() / 1000.0);
        out.printf("%-40s %14s %14s %12s%n", "", "no flood", "flood", "difference");
        latencyRows(
                (name, committed, p) ->
                        difference(name, without, with, r -> r.spanLatency(committed, p), "%.2f"));
        difference("alerts in the span", without, with, r -> r.spanUncommitted().size(), "%,.0f");
        difference(
                "valid transactions/s achieved",
                without,
                with,
                RunResult::offeredThroughput,
                "%,.1f");
        difference(
                "job CPU, cores",
                without,
                with,
                r -> r.offeredJobCpu() / r.offeredSeconds(),
                "%.2f");
        long complete = with.stream().filter(r -> r.flood().complete()).count();
        out.printf(
                "dead letters: %d of %d flood runs have every malformed record in the dead-letter"
                        + " topic with its kind's reason (%s)%n",
                complete,
                with.size(),
                with.stream()
                        .map(
                                r ->
                                        String.format(
                                                "%,d of %,d",
                                                r.flood().deadLettered(), r.flood().produced()))
                        .collect(Collectors.joining(", ")));
        double p99 =
                median(with, r -> r.spanLatency(false, 99))
                        - median(without, r -> r.spanLatency(false, 99));
        out.printf(
                "the flood adds %.2f s to the p99 detection latency (read_uncommitted) of the valid"
                        + " traffic: %s%n",
                p99,
                Double.isNaN(p99)
                        ? "no alerts to compare in the span; spread the flood over more time"
                                + " (a lower --flood-rate) or raise --rate"
                        : p99 <= 1.0 ? "within 1 s" : "MORE than 1 s");
        out.flush();
    }

    /** A table row of a latency percentile. */
    private interface LatencyRow {
        void print(String name, boolean committed, double percentile);
    }

    /** The six latency rows: read_uncommitted, then read_committed; p50, p95 and p99 of each. */
    private static void latencyRows(LatencyRow row) {
        for (boolean committed : new boolean[] {false, true}) {
            String name = committed ? "read_committed" : "read_uncommitted";
            for (double p : new double[] {50, 95, 99}) {
                row.print(String.format("latency %s p%.0f, s", name, p), committed, p);
            }
        }
    }

    /** A row of two sets of runs' medians and their difference (b - a). */
    private void difference(
            String name,
            List<RunResult> a,
            List<RunResult> b,
            ToDoubleFunction<RunResult> f,
            String format) {
        double x = median(a, f);
        double y = median(b, f);
        out.printf(
                "%-40s %14s %14s %12s%n",
                name, figure(x, format), figure(y, format), figure(y - x, format));
    }

    /**
     * The offered window's latency rule by rule, the latest p99 first: which rules make the pack's
     * p99, and whether a late alert is one rule's or every rule's.
     */
    private void printLatencyByRule(RunResult r) {
        if (r.latencyUncommittedByRule().isEmpty()) {
            return;
        }
        out.println(
                "    by rule                 read_uncommitted p50 / p95 / p99, read_committed p99"
                        + " (alerts)");
        r.latencyUncommittedByRule().keySet().stream()
                .sorted(
                        Comparator.comparingDouble((String id) -> -r.ruleLatency(id, false, 99))
                                .thenComparing(Comparator.naturalOrder()))
                .forEach(
                        id ->
                                out.printf(
                                        "      %-28s %6.2f / %6.2f / %6.2f s  %6.2f s  (%,d)%n",
                                        id,
                                        r.ruleLatency(id, false, 50),
                                        r.ruleLatency(id, false, 95),
                                        r.ruleLatency(id, false, 99),
                                        r.ruleLatency(id, true, 99),
                                        r.latencyUncommittedByRule().get(id).size()));
    }

    private static String latencyLine(RunResult r, boolean committed) {
        List<Long> l = committed ? r.latencyCommitted() : r.latencyUncommitted();
        if (l.isEmpty()) {
            return "no alerts completed in the window";
        }
        return String.format(
                "p50 %.2f s  p95 %.2f s  p99 %.2f s  (%d alerts)",
                r.latency(committed, 50),
                r.latency(committed, 95),
                r.latency(committed, 99),
                l.size());
    }

    /** The traffic and its per-account density: what the engine's partial matches follow. */
    private String trafficDensity() {
        if (options.traffic() == BenchOptions.TrafficKind.UNIFORM) {
            double perDay = options.rate() * 86_400 / options.accounts();
            return String.format(
                    "uniform: %.1f events per account-day (one every %,.0f s of event time)",
                    perDay, options.accounts() / options.rate());
        }
        double perDay = BankTraffic.expectedEventsPerAccountDay();
        return String.format(
                "bank: %.1f events per account-day on average (docs/traffic.md); %,.0f"
                        + " transactions are %.1f hours of event time",
                perDay, 10_000.0, 10_000.0 / (options.accounts() * perDay) * 24);
    }

    private void printComparison(List<RunResult> results) {
        List<RunResult> argus = select(results, Variant.ARGUS, false);
        List<RunResult> cep = select(results, Variant.CEP, false);
        out.println();
        out.printf(
                "=== argus bench --compare: %s, %,d accounts, %d run(s) each, alternating;"
                        + " medians ===%n",
                argus.isEmpty() ? "?" : argus.get(0).rules() + " rules",
                options.accounts(),
                options.runs());
        out.println("traffic: " + trafficDensity());
        out.printf("%-40s %14s %14s %12s%n", "", "argus", "stock cep", "argus / cep");
        row("throughput, transactions/s", argus, cep, RunResult::throughput, "%,.0f");
        row("transactions per CPU-second", argus, cep, RunResult::perCpuSecond, "%,.0f");
        row(
                "per CPU-second without the JIT compiler",
                argus,
                cep,
                RunResult::perCpuSecondCompiled,
                "%,.0f");
        row(
                "condition evaluations per transaction",
                argus,
                cep,
                RunResult::evaluationsPerTransaction,
                "%,.1f");
        row("  at the offered rate", argus, cep, RunResult::offeredPerCpuSecond, "%,.0f");
        latencyRows(
                (name, committed, p) ->
                        row(name, argus, cep, r -> r.latency(committed, p), "%.2f"));
        row("checkpoint duration p50, s", argus, cep, RunResult::checkpointSeconds, "%.2f");
        row(
                "checkpoint incremental size p50, MB",
                argus,
                cep,
                r -> r.checkpointBytes() / 1e6,
                "%.1f");
        row("checkpoint full size, MB", argus, cep, r -> r.lastCheckpointFullBytes() / 1e6, "%.1f");
        row("state bytes per account, savepoint", argus, cep, RunResult::bytesPerAccount, "%,.0f");
        row(
                "state bytes per account, checkpoint",
                argus,
                cep,
                RunResult::checkpointBytesPerAccount,
                "%,.0f");
        row("peak RSS, MB", argus, cep, r -> r.peakRssBytes() / 1e6, "%,.0f");
        out.printf("each run's throughput: argus %s; stock cep %s%n", each(argus), each(cep));

        List<RunResult> argusOne = select(results, Variant.ARGUS, true);
        List<RunResult> cepOne = select(results, Variant.CEP, true);
        List<RunResult> keyed = select(results, Variant.KEYED, false);
        List<RunResult> stage = select(results, Variant.STAGE, false);
        if (!argusOne.isEmpty()) {
            out.println();
            out.printf(
                    "=== how throughput falls with the rules: %s alone against the whole pack,"
                            + " unthrottled ===%n",
                    options.singleRule());
            out.printf(
                    "%-40s %14s %14s %12s%n",
                    "", "1 rule", argus.get(0).rules() + " rules", "pack / 1 rule");
            row("argus, transactions/s", argusOne, argus, RunResult::throughput, "%,.0f", true);
            row("stock cep, transactions/s", cepOne, cep, RunResult::throughput, "%,.0f", true);
        }
        ceiling(
                "ceiling: a keyed function doing one state read and write per event",
                keyed,
                argus,
                cep);
        ceiling(
                "rule stage's ceiling: the pipeline through the profile, then one state read and"
                        + " write per event",
                stage,
                argus,
                cep);
        out.flush();
    }

    /**
     * The table of {@code --rule-packs}: per pack size (medians of its runs), throughput, CPU per
     * transaction, rule steps per transaction and the job's CPU per rule step, throughput against
     * the smallest pack; then the marginal cost of the larger packs against the smallest, which
     * leaves out what every pack pays alike (the source, decoding, the profile, the sinks).
     */
    private void printRulePacks(List<RunResult> results) {
        List<Integer> sizes = options.rulePacks().stream().sorted().toList();
        Map<Integer, List<RunResult>> bySize = new HashMap<>();
        for (int size : sizes) {
            bySize.put(
                    size,
                    results.stream()
                            .filter(r -> r.rules() == size && r.unthrottledSeconds() > 0)
                            .toList());
        }
        int base = sizes.get(0);
        List<RunResult> baseRuns = bySize.get(base);
        double baseThroughput = median(baseRuns, RunResult::throughput);
        double baseCpu = median(baseRuns, RunResult::cpuMicrosPerTransaction);
        double baseSteps = median(baseRuns, RunResult::ruleStepsPerTransaction);

        out.println();
        out.printf(
                "=== argus bench --rule-packs: %s, %,d accounts, %d run(s) each, alternating;"
                        + " medians ===%n",
                options.variant().key(), options.accounts(), options.runs());
        out.println("traffic: " + trafficDensity());
        out.printf(
                PACK_ROW,
                "rules",
                "transactions/s",
                "per CPU-second",
                "CPU us/tx",
                "steps/tx",
                "CPU us per step",
                "throughput");
        for (int size : sizes) {
            List<RunResult> runs = bySize.get(size);
            out.printf(
                    PACK_ROW,
                    String.valueOf(size),
                    figure(median(runs, RunResult::throughput), "%,.0f"),
                    figure(median(runs, RunResult::perCpuSecond), "%,.0f"),
                    figure(median(runs, RunResult::cpuMicrosPerTransaction), "%,.1f"),
                    figure(median(runs, RunResult::ruleStepsPerTransaction), "%,.2f"),
                    figure(median(runs, RunResult::cpuMicrosPerRuleStep), "%,.1f"),
                    figure(median(runs, RunResult::throughput) / baseThroughput, "%.2f"));
        }
        out.printf(
                "CPU us per step is all of the job's CPU divided by the rule steps; throughput is"
                        + " against %d rules%n",
                base);
        for (int size : sizes.subList(1, sizes.size())) {
            List<RunResult> runs = bySize.get(size);
            double cpu = median(runs, RunResult::cpuMicrosPerTransaction) - baseCpu;
            double steps = median(runs, RunResult::ruleStepsPerTransaction) - baseSteps;
            out.printf(
                    "marginal, %d against %d rules: %s us more CPU per transaction for %s more rule"
                            + " steps: %s us per added rule step, %s us per added rule and"
                            + " transaction%n",
                    size,
                    base,
                    figure(cpu, "%,.1f"),
                    figure(steps, "%,.2f"),
                    figure(steps > 0 ? cpu / steps : Double.NaN, "%,.1f"),
                    figure(cpu / (size - base), "%,.2f"));
        }
        for (int size : sizes) {
            out.printf("each run's throughput, %d rules: %s%n", size, each(bySize.get(size)));
        }
        out.flush();
    }

    private static String figure(double value, String format) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(format, value);
    }

    /** A ceiling's throughput, and where Argus and stock CEP with the pack stand against it. */
    private void ceiling(
            String what, List<RunResult> runs, List<RunResult> argus, List<RunResult> cep) {
        if (runs.isEmpty()) {
            return;
        }
        double ceiling = median(runs, RunResult::throughput);
        out.printf(
                "%s, %,.0f transactions/s (%s); argus with the pack at %.3f of it, stock cep at"
                        + " %.3f%n",
                what,
                ceiling,
                each(runs),
                median(argus, RunResult::throughput) / ceiling,
                median(cep, RunResult::throughput) / ceiling);
    }

    private List<RunResult> select(List<RunResult> results, Variant v, boolean singleRule) {
        return results.stream()
                .filter(r -> r.variant() == v)
                .filter(r -> !v.runsRules() || (r.rules() == 1) == singleRule)
                .filter(r -> !singleRule || r.unthrottledSeconds() > 0)
                .toList();
    }

    private void row(
            String name,
            List<RunResult> a,
            List<RunResult> b,
            ToDoubleFunction<RunResult> f,
            String format) {
        row(name, a, b, f, format, false);
    }

    /** A table row: the medians of two sets of runs and their ratio (b / a when inverted). */
    private void row(
            String name,
            List<RunResult> a,
            List<RunResult> b,
            ToDoubleFunction<RunResult> f,
            String format,
            boolean inverted) {
        double x = median(a, f);
        double y = median(b, f);
        double ratio = inverted ? y / x : x / y;
        out.printf(
                "%-40s %14s %14s %12s%n",
                name,
                Double.isNaN(x) ? "-" : String.format(format, x),
                Double.isNaN(y) ? "-" : String.format(format, y),
                Double.isNaN(ratio) || Double.isInfinite(ratio)
                        ? "-"
                        : String.format("%.2f", ratio));
    }

    private static double median(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
        return Stats.median(runs.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).toArray());
    }

    private static String each(List<RunResult> runs) {
        return runs.stream()
                .map(r -> String.format("%,.0f", r.throughput()))
                .collect(Collectors.joining(", "));
    }

    static String bytes(double b) {
        if (Double.isNaN(b) || b < 0) {
            return "n/a";
        }
        if (b >= 1e9) {
            return String.format("%.2f GB", b / 1e9);
        }
        if (b >= 1e6) {
            return String.format("%.1f MB", b / 1e6);
        }
        return String.format("%.1f kB", b / 1e3);
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(
                            p -> {
                                try {
                                    return Files.size(p);
                                } catch (IOException e) {
                                    return 0;
                                }
                            })
                    .sum();
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void say(String line) {
        out.println(LocalTime.now().format(CLOCK) + "  " + line);
        out.flush();
    }
}

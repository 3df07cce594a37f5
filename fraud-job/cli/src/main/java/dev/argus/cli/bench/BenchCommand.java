package dev.argus.cli.bench;

import dev.argus.cli.option.DurationConverter;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.engine.RuleEngineOperator;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.MemorySize;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code argus bench}: its options, which it checks before it runs the {@link Bench}. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header =
                "Throughput, detection latency, checkpoints, state and memory of the real pipeline.",
        description = {
            "Runs the real pipeline (embedded Kafka broker, registry serde, RocksDB, checkpoints,"
                    + " exactly-once sinks) in a job process of its own, on generated traffic, and"
                    + " prints what it measured after a warm-up. Each run has two phases:",
            "  unthrottled  the job reads as fast as it can: throughput, CPU, checkpoints",
            "  offered      --rate transactions/s: detection latency, CPU at that rate",
            "then a canonical savepoint gives the state bytes per account.",
            ""
        })
public final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--compare",
            description =
                    "Argus against stock flink-cep (one CEP.pattern per rule, heap timers),"
                            + " alternating runs, with ratios; then one rule against the whole"
                            + " pack for each (unthrottled only), and the two ceilings")
    boolean compare;

    @Option(
            names = "--variant",
            paramLabel = "V",
            defaultValue = "argus",
            converter = VariantConverter.class,
            description =
                    "argus, cep, keyed (one state read+write per event), or stage (the pipeline"
                            + " through the profile, then keyed) (default: ${DEFAULT-VALUE})")
    Variant variant;

    @Option(
            names = "--rules",
            paramLabel = "R",
            defaultValue = "all",
            description = "all, the first N active rules, or id,id,... (default: ${DEFAULT-VALUE})")
    String rules;

    @Option(
            names = "--rule-packs",
            paramLabel = "N",
            split = ",",
            description =
                    "the cost per rule: run --variant once per pack of N rules (the shipped"
                            + " pack's active rules, then generated variants of them with other"
                            + " thresholds, categories, channels and windows), alternating with"
                            + " --runs, unthrottled only, over the same traffic; then a table of"
                            + " throughput, CPU per transaction and per rule step, and the"
                            + " marginal cost of a rule step. The packs are kept beside the job"
                            + " logs, in rule-packs/N. E.g. 16,50,100 with --warmup-transactions"
                            + " and --transactions")
    List<Integer> rulePacks = new ArrayList<>();

    @Option(
            names = "--flood",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "bad input against good: alternating runs without and with a flood of N"
                            + " malformed records of eight kinds (one per dead-letter reason) in"
                            + " the offered window, beside the valid traffic; then whether every"
                            + " one is in the dead-letter topic with its reason, and the detection"
                            + " latency of the valid traffic's alerts with and without the flood."
                            + " E.g. 16000 with --duration 0 (default: none)")
    long flood;

    @Option(
            names = "--flood-rate",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "malformed records per second in a flood run (default: spread evenly over"
                            + " --latency-duration)")
    double floodRate;

    @Option(
            names = "--single-rule",
            paramLabel = "ID",
            defaultValue = "card-testing",
            description = "the one-rule point of --compare (default: ${DEFAULT-VALUE})")
    String singleRule;

    @Option(
            names = "--accounts",
            paramLabel = "N",
            defaultValue = "100000",
            description = "accounts the traffic is spread over (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(
            names = "--rate",
            paramLabel = "N",
            defaultValue = "50",
            description =
                    "transactions per second offered in the latency phase; with --traffic"
                            + " uniform also the traffic's density in event time (default:"
                            + " ${DEFAULT-VALUE})")
    double rate;

    @Option(
            names = "--traffic",
            paramLabel = "KIND",
            defaultValue = "bank",
            converter = TrafficConverter.class,
            description =
                    "bank: accounts of several kinds with a few events a day each and every"
                            + " typology injected (docs/traffic.md); uniform: the earlier"
                            + " workload, every account alike with an event every accounts / rate"
                            + " seconds and card testing only (default: ${DEFAULT-VALUE})")
    BenchOptions.TrafficKind traffic;

    @Option(
            names = "--fraud-rate",
            paramLabel = "R",
            defaultValue = "1",
            description =
                    "bank traffic: fraud cases, and as many look-alikes, per 1,000 account-days"
                            + " (default: ${DEFAULT-VALUE})")
    double fraudRate;

    @Option(
            names = "--fraud-ratio",
            paramLabel = "R",
            defaultValue = "0.01",
            description =
                    "uniform traffic: chance per transaction of starting a card-testing case"
                            + " (default: ${DEFAULT-VALUE})")
    double fraudRatio;

    @Option(
            names = "--warmup",
            paramLabel = "D",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "unthrottled time before measuring (default: ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(
            names = "--duration",
            paramLabel = "D",
            defaultValue = "60s",
            converter = DurationConverter.class,
            description =
                    "the measured unthrottled window; 0 skips the phase (default:"
                            + " ${DEFAULT-VALUE})")
    Duration duration;

    @Option(
            names = "--warmup-transactions",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "warm up until the job has read N transactions, not for --warmup (default:"
                            + " ${DEFAULT-VALUE}: use --warmup)")
    long warmupTransactions;

    @Option(
            names = "--transactions",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "measure the next N transactions, not for --duration: every variant then"
                            + " measures the same transactions, with the same history behind"
                            + " them (a faster job otherwise gets further into the traffic in"
                            + " the same time, with more partial matches per account). With"
                            + " --warmup-transactions W the unthrottled traffic ends at"
                            + " transaction W + N, so that the savepoint after the window holds"
                            + " every variant's state after the same transactions (default:"
                            + " ${DEFAULT-VALUE}: use --duration)")
    long transactions;

    @Option(
            names = "--latency-duration",
            paramLabel = "D",
            defaultValue = "60s",
            converter = DurationConverter.class,
            description =
                    "the measured offered window; 0 skips the phase (default: ${DEFAULT-VALUE})")
    Duration latencyDuration;

    @Option(
            names = "--checkpoint-interval",
            paramLabel = "D",
            defaultValue = "10s",
            converter = DurationConverter.class,
            description = "as in production (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @Option(
            names = "--runs",
            paramLabel = "N",
            description = "runs per variant (default: 1; 2 with --compare)")
    Integer runs;

    @Option(
            names = "--parallelism",
            paramLabel = "N",
            defaultValue = "2",
            description = "the job's parallelism (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(
            names = "--job-heap",
            paramLabel = "S",
            defaultValue = "2g",
            converter = HeapSizeConverter.class,
            description = "the job process's heap, as for -Xmx (default: ${DEFAULT-VALUE})")
    String jobHeap;

    @Option(
            names = "--managed-memory",
            paramLabel = "S",
            defaultValue = "512m",
            converter = MemorySizeConverter.class,
            description = "Flink managed memory, RocksDB's budget (default: ${DEFAULT-VALUE})")
    String managedMemory;

    @Option(
            names = "--rest-port",
            paramLabel = "PORT",
            defaultValue = "0",
            description =
                    "open Flink's REST API and web UI of each job process on this port, to watch"
                            + " its checkpoints per task (default: none)")
    int restPort;

    @Option(
            names = "--keep-savepoints",
            description =
                    "keep each run's canonical savepoint beside its job log (in .argus, as"
                            + " bench-runN-VARIANT-savepoint), to see where its bytes are with"
                            + " ./argus state inspect; by default it is deleted once measured")
    boolean keepSavepoints;

    @Option(
            names = "--job-jvm-option",
            paramLabel = "OPTION",
            description =
                    "an option of the job process's JVM beside its heap, as TaskManagers take"
                            + " env.java.opts.taskmanager; repeatable; give it with '=', as in"
                            + " --job-jvm-option=-XX:-TieredCompilation")
    List<String> jobJvmOptions = new ArrayList<>();

    @Option(
            names = "--profile",
            description =
                    "record where the job's CPU time goes (JFR) in the measured windows of each"
                            + " variant's first run, and summarize it")
    boolean profile;

    @Option(
            names = "--ordering",
            paramLabel = "O",
            defaultValue = "arrival",
            converter = OrderingConverter.class,
            description =
                    "the rule engine's rules.ordering: event-time or arrival (default:"
                            + " ${DEFAULT-VALUE})")
    String ordering;

    @Option(
            names = "--control",
            description =
                    "run the job with its control topic (control.enabled): what reading the topic,"
                            + " the control function and the gate's hold cost with no command"
                            + " flowing")
    boolean control;

    @Option(
            names = "--changelog",
            description =
                    "run the job with checkpoint.changelog=true: state changes are logged, and"
                            + " checkpoints no longer flush RocksDB in their synchronous part")
    boolean changelog;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "7",
            description = "seed of the traffic (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        new Bench(options(), spec.commandLine().getOut(), Path.of(".argus")).run();
        return 0;
    }

    /** Parses {@code argus bench}'s arguments, as {@link #call} would run them. */
    static BenchOptions parse(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command.options();
    }

    /**
     * The options, checked together.
     *
     * @throws ParameterException naming the option at fault
     */
    BenchOptions options() {
        positive("--rate", rate);
        positive("--accounts", accounts);
        positive("--parallelism", parallelism);
        if (restPort < 0 || restPort > 65535) {
            throw usage("--rest-port must be a port, 1 to 65535, or 0 for none");
        }
        if (runs != null) {
            positive("--runs", runs);
        }
        if (fraudRate < 0) {
            throw usage("--fraud-rate must not be negative, not " + fraudRate);
        }
        if (fraudRatio < 0 || fraudRatio > 1) {
            throw usage("--fraud-ratio must be between 0 and 1, not " + fraudRatio);
        }
        if (warmupTransactions < 0 || transactions < 0) {
            throw usage("--warmup-transactions and --transactions cannot be negative");
        }
        if (duration.isZero() && latencyDuration.isZero()) {
            throw usage("--duration and --latency-duration are both 0: nothing to measure");
        }
        if (checkpointInterval.isZero()) {
            throw usage("--checkpoint-interval must be longer than 0");
        }
        if (!rulePacks.isEmpty()) {
            checkRulePacks();
        }
        if (flood < 0 || floodRate < 0) {
            throw usage("--flood and --flood-rate cannot be negative");
        }
        if (flood > 0) {
            checkFlood();
        }
        RulePack pack =
                RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);
        for (String[] selection :
                new String[][] {{"--rules", rules}, {"--single-rule", singleRule}}) {
            try {
                BenchJob.selectRules(pack, selection[1]);
            } catch (IllegalArgumentException e) {
                throw usage("Invalid value for option '" + selection[0] + "': " + e.getMessage());
            }
        }
        return new BenchOptions(
                variant,
                compare,
                rules,
                singleRule,
                accounts,
                rate,
                traffic,
                fraudRatio,
                fraudRate,
                warmup,
                duration,
                warmupTransactions,
                transactions,
                latencyDuration,
                checkpointInterval,
                runs != null ? runs : compare ? 2 : 1,
                parallelism,
                jobHeap,
                managedMemory,
                restPort,
                profile,
                ordering,
                control,
                changelog,
                seed,
                rulePacks,
                flood,
                floodRate,
                keepSavepoints,
                jobJvmOptions);
    }

    /**
     * {@code --flood}: its latency is the offered window's, of a variant that alerts, and the flood
     * fits in that window.
     */
    private void checkFlood() {
        if (compare || !rulePacks.isEmpty()) {
            throw usage(
                    "--flood is a measurement of its own: leave out --compare and --rule-packs");
        }
        if (!variant.alerts()) {
            throw usage("--flood measures alert latency: use --variant argus or cep");
        }
        if (latencyDuration.isZero()) {
            throw usage("--flood floods the offered window: --latency-duration cannot be 0");
        }
        if (floodRate > 0 && flood / floodRate > latencyDuration.toSeconds()) {
            throw usage(
                    String.format(
                            "--flood %d at --flood-rate %.0f takes %.0f s, longer than the"
                                    + " --latency-duration of %d s",
                            flood, floodRate, flood / floodRate, latencyDuration.toSeconds()));
        }
    }

    /**
     * {@code --rule-packs}: sizes that make a pack, once each, for a variant that runs rules, with
     * the unthrottled window it measures; the packs are the rules, so {@code --rules} and {@code
     * --compare} do not go with it.
     */
    private void checkRulePacks() {
        for (int size : rulePacks) {
            if (size < 1) {
                throw usage("--rule-packs: a pack has at least one rule, not " + size);
            }
        }
        if (new HashSet<>(rulePacks).size() != rulePacks.size()) {
            throw usage("--rule-packs names a size twice: " + rulePacks);
        }
        if (compare) {
            throw usage("--rule-packs and --compare are separate measurements: give one");
        }
        if (!variant.runsRules()) {
            throw usage("--rule-packs needs a --variant that runs rules (argus or cep)");
        }
        if (!rules.equals("all")) {
            throw usage("--rule-packs runs whole generated packs: leave --rules at all");
        }
        if (duration.isZero()) {
            throw usage("--rule-packs measures the unthrottled window: --duration cannot be 0");
        }
    }

    private void positive(String option, double value) {
        if (value <= 0) {
            throw usage(option + " must be positive, not " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** {@code argus}, {@code cep}, {@code keyed} or {@code stage}. */
    static final class VariantConverter implements ITypeConverter<Variant> {
        @Override
        public Variant convert(String value) {
            try {
                return Variant.of(value.trim());
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A rule ordering as the job's {@code rules.ordering} takes it: {@code event-time}. */
    static final class OrderingConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            for (RuleEngineOperator.Ordering o : RuleEngineOperator.Ordering.values()) {
                String key = o.name().replace('_', '-').toLowerCase(Locale.ROOT);
                if (key.equalsIgnoreCase(value.trim())) {
                    return key;
                }
            }
            throw new TypeConversionException("'" + value + "' is not event-time or arrival");
        }
    }

    /** A heap size as {@code -Xmx} takes it: {@code 2g}, {@code 512m}, {@code 1048576k}. */
    static final class HeapSizeConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!value.trim().matches("\\d+[kKmMgGtT]?")) {
                throw new TypeConversionException(
                        "'" + value + "' is not a heap size such as 2g or 512m");
            }
            return value.trim();
        }
    }

    /** A memory size as Flink reads it: {@code 512m}, {@code 1 gb}. */
    static final class MemorySizeConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                MemorySize.parse(value.trim());
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(
                        "'" + value + "' is not a memory size such as 512m or 1g");
            }
            return value.trim();
        }
    }

    /** {@code bank} or {@code uniform}, in any case. */
    static final class TrafficConverter
            implements picocli.CommandLine.ITypeConverter<BenchOptions.TrafficKind> {
        @Override
        public BenchOptions.TrafficKind convert(String value) {
            try {
                return BenchOptions.TrafficKind.valueOf(
                        value.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a traffic: use bank or uniform");
            }
        }
    }
}

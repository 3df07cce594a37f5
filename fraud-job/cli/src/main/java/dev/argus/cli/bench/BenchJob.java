package dev.argus.cli.bench;

import static org.apache.flink.runtime.checkpoint.CheckpointFailureReason.CHECKPOINT_DECLINED_TASK_CLOSING;

import dev.argus.job.FraudDetectionJob;
import dev.argus.job.FraudDetectionPipeline;
import dev.argus.job.JobConfig;
import dev.argus.job.KafkaIo;
import dev.argus.job.PipelineConfig;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.ingest.DeadLetters;
import dev.argus.job.savepoint.Uids;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import jdk.jfr.Recording;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.CheckpointException;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;
import org.apache.flink.util.ExceptionUtils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The job process of one benchmark run: a Flink MiniCluster (RocksDB, checkpoints, exactly-once
 * Kafka sinks) running one {@link Variant} against the broker and registry of the {@link Bench}
 * process that started it. It runs in its own JVM so that its CPU time and memory are its own.
 *
 * <p>It talks over its standard streams. Out, one line each: {@code READY <job id>}, every half
 * second {@code METRICS <epoch ms> <source records> <completed checkpoints> <last checkpoint ms>
 * <last checkpoint bytes> <last checkpoint full bytes> <heap used bytes> <condition evaluations>
 * <the rule engine's counts, EngineCounts#fields> <held matches by rule, rule:n,... or ->}, and
 * replies. In, one command per line: {@code savepoint <dir>}, {@code profile-start}, {@code
 * profile-stop <file>}, {@code stop}. When its input closes (the benchmark ended or died) it exits.
 * Its arguments are built by {@link #arguments}.
 */
@Command(
        name = "bench-job",
        mixinStandardHelpOptions = true,
        description = "The job process of one run of argus bench, which starts it.")
public final class BenchJob implements Callable<Integer> {
    @Option(
            names = "--variant",
            required = true,
            converter = BenchCommand.VariantConverter.class,
            description = "what runs between the Kafka source and the sinks")
    Variant variant;

    @Option(
            names = "--rules",
            required = true,
            description = "all, the first N active rules, or id,id,...")
    String rules;

    @Option(names = "--parallelism", required = true)
    int parallelism;

    @Option(
            names = "--managed-memory",
            required = true,
            converter = BenchCommand.MemorySizeConverter.class)
    String managedMemory;

    @Option(
            names = "--rest-port",
            description = "the port of Flink's REST API and web UI; 0: none to connect to")
    int restPort;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "a key of the job's configuration (JobConfig); repeated")
    Map<String, String> config = new LinkedHashMap<>();

    public static void main(String[] args) {
        // on success the job process never returns: it halts when told to stop or its job ends
        System.exit(new CommandLine(new BenchJob()).execute(args));
    }

    /** The arguments of a job process that runs {@code variant} with the job's configuration. */
    static List<String> arguments(
            Variant variant,
            String rules,
            int parallelism,
            String managedMemory,
            int restPort,
            Map<String, String> config) {
        List<String> args = new ArrayList<>();
        args.addAll(List.of("--variant", variant.key(), "--rules", rules));
        args.addAll(List.of("--parallelism", String.valueOf(parallelism)));
        args.addAll(List.of("--managed-memory", managedMemory));
        if (restPort > 0) {
            args.addAll(List.of("--rest-port", String.valueOf(restPort)));
        }
        config.forEach(
                (k, v) -> {
                    args.add("--set");
                    args.add(k + "=" + v);
                });
        return args;
    }

    @Override
    public Integer call() throws Exception {
        JobConfig config = JobConfig.of(this.config);
        MemorySize managed = MemorySize.parse(managedMemory);
        Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
        flink.setString(BenchMetrics.FACTORY_KEY, BenchMetrics.Factory.class.getName());
        flink.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, managed);
        if (restPort > 0) {
            flink.set(RestOptions.PORT, restPort);
        }
        if (variant == Variant.CEP) {
            // flink-cep's operator registers a timer per key and watermark; on the heap they cost
            // no RocksDB writes. The shared buffer's caches stay at their defaults (1,024 entries
            // and events): the operator flushes them after every element, so more slots cannot
            // help.
            flink.set(
                    RocksDBOptions.TIMER_SERVICE_FACTORY,
                    org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend
                            .PriorityQueueStateType.HEAP);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(parallelism);

        PipelineConfig pipeline =
                config.pipeline(
                        selectRules(
                                RulePackLoader.loadForJob(
                                        config.get("rules.path"), CepPatternCheck.INSTANCE),
                                rules));
        if (variant == Variant.CEP) {
            pipeline = pipeline.withEngine(PipelineConfig.Engine.CEP, pipeline.ordering());
        }
        if (!variant.runsRules()) {
            SingleOutputStreamOperator<Transaction> valid =
                    FraudDetectionPipeline.validTransactions(
                            env, KafkaIo.transactionsSource(config, false), pipeline);
            (variant == Variant.STAGE
                            ? FraudDetectionPipeline.enriched(valid, pipeline)
                                    .process(
                                            new PlainKeyedFunction<
                                                    Either<EnrichedTransaction, ControlChange>>(),
                                            Types.LONG)
                            : valid.keyBy(Transaction::getAccountId)
                                    .process(new PlainKeyedFunction<Transaction>(), Types.LONG))
                    .uid("plain-keyed")
                    .name("plain keyed read and write")
                    .sinkTo(new DiscardingSink<>())
                    .name("discard");
            valid.getSideOutput(DeadLetters.TAG)
                    .sinkTo(KafkaIo.deadLettersSink(config))
                    .uid(Uids.DEAD_LETTERS_SINK)
                    .name("dead letters to Kafka");
        } else {
            FraudDetectionJob.attach(
                    env, config, pipeline, KafkaIo.transactionsSource(config, false));
        }
        JobClient job = env.executeAsync("argus-bench-" + variant.key());
        reply("READY " + job.getJobID());
        job.getJobExecutionResult()
                .whenComplete(
                        (result, error) -> {
                            reply("ENDED " + (error == null ? "" : error.toString()));
                            Runtime.getRuntime().halt(error == null ? 0 : 1);
                        });

        Thread commands = new Thread(() -> obey(job), "bench-commands");
        commands.setDaemon(true);
        commands.start();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        while (true) {
            BenchMetrics.Snapshot s = BenchMetrics.snapshot();
            reply(
                    String.format(
                            "METRICS %d %d %d %d %d %d %d %d %s %s",
                            System.currentTimeMillis(),
                            s.sourceRecords(),
                            s.completedCheckpoints(),
                            s.lastCheckpointMillis(),
                            s.lastCheckpointBytes(),
                            s.lastCheckpointFullBytes(),
                            memory.getHeapMemoryUsage().getUsed(),
                            s.conditionEvaluations(),
                            s.engine().fields(),
                            BenchMetrics.heldToken(s.heldByRule())));
            Thread.sleep(500);
        }
    }

    /**
     * The active rules of a pack: {@code all}, the first N in file order, or a comma-separated list
     * of ids.
     *
     * @throws IllegalArgumentException naming an id that is not an active rule of the pack
     */
    static RulePack selectRules(RulePack pack, String selection) {
        List<Rule> active = pack.active();
        List<Rule> chosen;
        if (selection.equals("all")) {
            chosen = active;
        } else if (selection.matches("\\d+")) {
            chosen = active.subList(0, Math.min(active.size(), Integer.parseInt(selection)));
        } else {
            chosen = new ArrayList<>();
            for (String id : selection.split(",")) {
                chosen.add(
                        active.stream()
                                .filter(r -> r.id().equals(id.trim()))
                                .findFirst()
                                .orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        "no active rule '"
                                                                + id.trim()
                                                                + "' in the pack; active: "
                                                                + active.stream()
                                                                        .map(Rule::id)
                                                                        .toList())));
            }
        }
        return new RulePack(pack.location(), pack.version(), pack.lists(), chosen);
    }

    private static void obey(JobClient job) {
        Recording recording = null;
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] words = line.trim().split(" ", 2);
                try {
                    switch (words[0]) {
                        case "savepoint" -> reply("SAVEPOINT " + savepoint(job, words[1]));
                        case "profile-start" -> {
                            recording =
                                    new Recording(
                                            jdk.jfr.Configuration.getConfiguration("default"));
                            recording.start();
                            reply("PROFILING");
                        }
                        case "profile-stop" -> {
                            recording.stop();
                            recording.dump(Path.of(words[1]));
                            recording.close();
                            reply("PROFILE " + words[1]);
                        }
                        case "stop" -> {
                            job.cancel().get();
                            Runtime.getRuntime().halt(0);
                        }
                        default -> reply("ERROR unknown command: " + line);
                    }
                } catch (Exception e) {
                    reply("ERROR " + words[0] + ": " + e);
                }
            }
        } catch (java.io.IOException e) {
            reply("ERROR reading commands: " + e);
        }
        // the benchmark closed our input: it ended or died, and nobody reads our figures
        Runtime.getRuntime().halt(2);
    }

    /**
     * A canonical savepoint into {@code dir}. Flink declines one while a task is closing: the "no
     * control topic" source's task closes once the first checkpoint after its end completes, and a
     * short run can ask for its savepoint at that moment. Then it is asked again, a second later.
     */
    private static String savepoint(JobClient job, String dir) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return job.triggerSavepoint(dir, SavepointFormatType.CANONICAL).get();
            } catch (ExecutionException e) {
                boolean closing =
                        ExceptionUtils.findThrowable(e, CheckpointException.class)
                                .filter(
                                        c ->
                                                c.getCheckpointFailureReason()
                                                        == CHECKPOINT_DECLINED_TASK_CLOSING)
                                .isPresent();
                if (!closing || attempt == 5) {
                    throw e;
                }
                Thread.sleep(1_000);
            }
        }
    }

    private static synchronized void reply(String line) {
        System.out.println(line);
        System.out.flush();
    }
}

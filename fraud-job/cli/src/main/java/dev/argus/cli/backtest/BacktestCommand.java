package dev.argus.cli.backtest;

import dev.argus.cli.option.DurationConverter;
import dev.argus.cli.option.ExitCodes;
import dev.argus.cli.option.JobProperties;
import dev.argus.cli.rules.RulesCommand;
import dev.argus.job.JobConfig;
import dev.argus.job.PipelineConfig;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.traffic.CaseLabel;
import dev.argus.sandbox.traffic.Labels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.MemorySize;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code argus backtest}: what a rule pack would have done on history. */
@Command(
        name = "backtest",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Run a rule pack over history and report what it would have done.",
        description = {
            "Runs the production pipeline (decoding, validation, dead letters, profile, rule"
                    + " engine, quiet periods and snoozes, shadow routing) on RocksDB, in event"
                    + " time, over Avro files of transactions (--input) or a range of the"
                    + " transactions topic (--topic, --from, --to), and writes to --out: the"
                    + " alerts (alerts.avro, alerts.jsonl), summary.json and report.html. With"
                    + " --labels it scores the pack (precision, recall, F1 per rule and typology);"
                    + " with --against it runs a second pack over the same reading of the history"
                    + " and lists the alerts gained and lost (diff.jsonl). The pack is validated"
                    + " first: if it has problems, all are listed and nothing runs.",
            ""
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:done",
            "1:the pack, input or labels are not usable (each problem is named), or the run"
                    + " failed",
            "2:bad usage"
        })
public final class BacktestCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--pack",
            paramLabel = "DIR",
            defaultValue = "rules/pack",
            description = "the rule pack to run (default: ${DEFAULT-VALUE})")
    Path pack;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(
                names = "--input",
                paramLabel = "PATH",
                arity = "1..*",
                description =
                        "Avro files of Transaction, or folders of them (a folder argus generate"
                                + " wrote is read in its files' order)")
        List<Path> files;

        @ArgGroup(exclusive = false)
        Topic topic;
    }

    static final class Topic {
        @Option(
                names = "--topic",
                paramLabel = "NAME",
                required = true,
                description = "the transactions topic (Confluent wire format)")
        String name;

        @Option(
                names = "--from",
                paramLabel = "TIME|OFFSETS",
                required = true,
                description =
                        "where to start: a time (2026-10-05 or 2026-10-05T08:00:00Z, UTC; by"
                                + " record timestamp) or offsets per partition (0:1200,1:1187)")
        String from;

        @Option(
                names = "--to",
                paramLabel = "TIME|OFFSETS",
                required = true,
                description = "where to stop (exclusive), in the same forms")
        String to;
    }

    @Option(
            names = "--labels",
            paramLabel = "FILE",
            description = "labels.jsonl of the history: score the pack against it")
    Path labels;

    @Option(
            names = "--against",
            paramLabel = "DIR",
            description = "the pack in force: run it too, and diff the alerts per rule")
    Path against;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            required = true,
            description = "the folder for the results: new, empty, or an earlier backtest's")
    Path out;

    @Option(
            names = "--warm-up",
            paramLabel = "DURATION",
            defaultValue = "2 d",
            converter = DurationConverter.class,
            description =
                    "left out of the scores from the first event's day on, as the profiles start"
                            + " empty: a day to meet the accounts' devices and payees, and the"
                            + " day the rules still call them unfamiliar (default:"
                            + " ${DEFAULT-VALUE}; 0 scores everything)")
    Duration warmUp;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "the job's properties file: its event-time, profile and engine settings, and"
                            + " for --topic its Kafka and registry settings")
    Path config;

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT",
            description = "for --topic: the Kafka brokers (overrides the config file)")
    String bootstrapServers;

    @Option(
            names = "--registry-url",
            paramLabel = "URL",
            description = "for --topic: the schema registry (overrides the config file)")
    String registryUrl;

    @Option(
            names = "--managed-memory",
            paramLabel = "SIZE",
            defaultValue = "512m",
            description =
                    "Flink managed memory, RocksDB's budget, as argus bench gives the job"
                            + " (default: ${DEFAULT-VALUE})")
    String managedMemory;

    @Option(
            names = "--parallelism",
            paramLabel = "N",
            description = "subtasks of the profile and the rules (default: the machine's cores)")
    Integer parallelism;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int cores = parallelism == null ? Runtime.getRuntime().availableProcessors() : parallelism;
        if (cores < 1) {
            throw new ParameterException(spec.commandLine(), "--parallelism must be at least 1");
        }
        MemorySize managed;
        try {
            managed = MemorySize.parse(managedMemory);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--managed-memory '" + managedMemory + "' is not a size such as 512m or 1g");
        }
        // 1. the packs, every problem at once
        RulePack candidate = loadPack(pack, "--pack", err);
        RulePack inForce = against == null ? null : loadPack(against, "--against", err);
        if (candidate == null || (against != null && inForce == null)) {
            return ExitCodes.FAILED;
        }
        JobConfig job;
        PipelineConfig pipeline;
        List<CaseLabel> cases = null;
        History history;
        try {
            job = jobConfig();
            pipeline = job.pipeline(candidate);
            // 2. the labels, 3. the history: checked before anything runs
            if (labels != null) {
                cases = Labels.read(labels);
            }
            history =
                    input.files != null
                            ? AvroFileHistory.open(input.files)
                            : TopicHistory.open(
                                    job,
                                    point(input.topic.from, "--from"),
                                    point(input.topic.to, "--to"));
            Backtest.prepare(out);
        } catch (IOException | IllegalArgumentException e) {
            err.println("argus backtest: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        PipelineConfig againstPipeline =
                inForce == null ? null : pipeline.withRules(inForce.active());
        o.printf(
                Locale.ROOT,
                "backtest of %s (%s, %d rules)%s over %s: %,d records%n",
                pack,
                candidate.version(),
                candidate.active().size(),
                inForce == null
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                " against %s (%s, %d rules)",
                                against,
                                inForce.version(),
                                inForce.active().size()),
                history.describe(),
                history.records());
        o.flush();

        Set<String> labelled = new HashSet<>();
        if (cases != null) {
            cases.forEach(c -> labelled.addAll(c.transactionIds()));
        }
        BacktestJob.Result result;
        try (Progress progress = new Progress(history.records(), o, System.console() != null, 10)) {
            result =
                    BacktestJob.run(
                            history,
                            pipeline,
                            againstPipeline,
                            labelled,
                            progress.counter(),
                            cores,
                            managed);
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            err.println("argus backtest: the run failed: " + root);
            return ExitCodes.FAILED;
        }
        if (result.valid() == 0) {
            err.printf(
                    Locale.ROOT,
                    "argus backtest: the history holds no valid transaction (%,d records; dead"
                            + " letters by reason: %s)%n",
                    history.records(),
                    result.deadLetters());
            return ExitCodes.FAILED;
        }
        if (cases != null) {
            List<String> unknown = new ArrayList<>();
            for (String id : labelled) {
                if (!result.labelledSeen().contains(id)) {
                    unknown.add(id);
                }
            }
            if (!unknown.isEmpty()) {
                unknown.sort(null);
                err.printf(
                        Locale.ROOT,
                        "argus backtest: %s names %,d %s (of %,d) that %s not valid"
                                + " transactions of the history, e.g. %s: is it the labels file of"
                                + " this history? Nothing was written.%n",
                        labels,
                        unknown.size(),
                        unknown.size() == 1 ? "transaction" : "transactions",
                        labelled.size(),
                        unknown.size() == 1 ? "is" : "are",
                        String.join(", ", unknown.subList(0, Math.min(5, unknown.size()))));
                return ExitCodes.FAILED;
            }
        }

        java.time.LocalDate start = Backtest.start(result.perDay());
        Instant scoreFrom = Backtest.scoreFrom(start, warmUp);
        Scores scores =
                new Scores(
                        candidate.active(),
                        result.pack(),
                        cases,
                        result.accounts(),
                        scoreFrom,
                        start,
                        result.lastEvent());
        Scores againstScores =
                inForce == null
                        ? null
                        : new Scores(
                                inForce.active(),
                                result.against(),
                                cases,
                                result.accounts(),
                                scoreFrom,
                                start,
                                result.lastEvent());
        Backtest.Report report =
                new Backtest.Report(
                        history.describe(),
                        pack.toString(),
                        candidate.version(),
                        against == null ? null : against.toString(),
                        inForce == null ? null : inForce.version(),
                        labels == null ? null : labels.toString(),
                        history.records(),
                        result,
                        start,
                        scoreFrom,
                        scores,
                        againstScores,
                        againstScores == null ? null : new PackDiff(scores, againstScores));
        Backtest.write(out, report);
        BacktestOutput.writeRun(out.resolve("run.json"), result, history.records());
        o.println();
        BacktestOutput.print(o, report);
        o.printf(
                Locale.ROOT,
                "%nran in %.1f s: %,.0f records/s, %,.0f records per CPU-second (%.1f CPU-seconds,"
                        + " parallelism %d)%n",
                result.seconds(),
                history.records() / result.seconds(),
                history.records() / Math.max(result.cpuSeconds(), 1e-3),
                result.cpuSeconds(),
                cores);
        o.printf(
                "wrote %s: report.html, summary.json, alerts.avro, alerts.jsonl%s%n",
                out.toAbsolutePath(), inForce == null ? "" : ", diff.jsonl, against/");
        return ExitCodes.OK;
    }

    private RulePack loadPack(Path dir, String option, PrintWriter err) {
        RulePackLoader.Result result =
                RulePackLoader.load(List.of(dir), false, CepPatternCheck.INSTANCE);
        if (!result.valid()) {
            RulesCommand.printProblems(err, result, "nothing was run (" + option + " " + dir + ")");
            return null;
        }
        if (result.pack().active().isEmpty()) {
            err.printf("%s (%s) has no rule that is on: nothing to run%n", dir, option);
            return null;
        }
        return result.pack();
    }

    private JobConfig jobConfig() throws IOException {
        Map<String, String> given = JobProperties.of(config, bootstrapServers, registryUrl);
        if (input.topic != null) {
            given.put("topic.transactions", input.topic.name);
        }
        given.putIfAbsent("kafka.bootstrap.servers", "none:9092");
        given.putIfAbsent("schema.registry.url", "http://none");
        if (input.topic != null
                && (given.get("kafka.bootstrap.servers").equals("none:9092")
                        || given.get("schema.registry.url").equals("http://none"))) {
            throw new IllegalArgumentException(
                    "--topic needs the brokers and the registry: give --bootstrap-servers and"
                            + " --registry-url, or --config with kafka.bootstrap.servers and"
                            + " schema.registry.url");
        }
        return JobConfig.of(given);
    }

    private static TopicHistory.Point point(String text, String option) {
        try {
            return TopicHistory.Point.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + e.getMessage());
        }
    }
}

package dev.argus.cli.control;

import dev.argus.cli.option.DurationConverter;
import dev.argus.cli.option.ExitCodes;
import dev.argus.cli.option.JobProperties;
import dev.argus.cli.rules.RuleTestRunner;
import dev.argus.cli.rules.RulesCommand;
import dev.argus.job.JobConfig;
import dev.argus.job.control.ControlFunction;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.ChangeList;
import dev.argus.model.ControlCommand;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeployPack;
import dev.argus.model.PackFile;
import dev.argus.model.RollBack;
import dev.argus.model.RuleMode;
import dev.argus.model.SetRuleMode;
import dev.argus.model.SnoozeRule;
import dev.argus.model.UnsnoozeRule;
import dev.argus.rules.PackFiles;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The commands that change a running job through its control topic, and the one that reads its
 * answers: {@code argus rules deploy}, {@code argus rules rollback}, {@code argus rules mode},
 * {@code argus snooze}, {@code argus unsnooze}, {@code argus rules history}. Each command waits for
 * the job's answer and prints it; exit status 0 when it was applied, 1 when it was refused or no
 * answer came in time, 2 on bad usage.
 */
public final class ControlCommands {
    private ControlCommands() {}

    /** Where the job's Kafka and registry are, as the job's own properties say. */
    public static final class Connection {
        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "the job's properties file: its Kafka, registry and topic settings")
        Path config;

        @Option(
                names = "--bootstrap-servers",
                paramLabel = "HOST:PORT",
                description = "the Kafka brokers (overrides the config file)")
        String bootstrapServers;

        @Option(
                names = "--registry-url",
                paramLabel = "URL",
                description = "the schema registry (overrides the config file)")
        String registryUrl;

        JobConfig jobConfig() throws java.io.IOException {
            Map<String, String> given = JobProperties.of(config, bootstrapServers, registryUrl);
            if (!given.containsKey("kafka.bootstrap.servers")
                    || !given.containsKey("schema.registry.url")) {
                throw new IllegalArgumentException(
                        "give the job's Kafka and registry: --bootstrap-servers and"
                                + " --registry-url, or --config with kafka.bootstrap.servers and"
                                + " schema.registry.url (argus local prints both)");
            }
            return JobConfig.of(given);
        }
    }

    /** A command that writes one control command and waits for its answer. */
    abstract static class Sends implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Mixin Connection connection;

        @Option(
                names = "--effective-at",
                paramLabel = "TIME",
                description =
                        "the event time from which it applies, e.g. 2026-12-04T09:00:00Z (default:"
                                + " the job's control.margin after the job receives it)")
        Instant effectiveAt;

        @Option(
                names = "--wait",
                paramLabel = "DURATION",
                defaultValue = "30 s",
                converter = DurationConverter.class,
                description = "how long to wait for the job's answer (default: ${DEFAULT-VALUE})")
        Duration wait;

        abstract Object what() throws Exception;

        /** The commands to send: one, of {@link #what}, unless a command splits its work. */
        List<Object> whats() throws Exception {
            return List.of(what());
        }

        /**
         * Checks before anything is sent: null to send, else the exit status (having said why
         * nothing was sent).
         */
        Integer check(PrintWriter out, PrintWriter err) throws Exception {
            return null;
        }

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            JobConfig config;
            try {
                config = connection.jobConfig();
            } catch (IllegalArgumentException e) {
                err.println(e.getMessage());
                return ExitCodes.USAGE;
            }
            Integer refused = check(out, err);
            if (refused != null) {
                return refused;
            }
            List<ControlCommand> commands = new ArrayList<>();
            for (Object what : whats()) {
                commands.add(ControlClient.command(what, effectiveAt).build());
            }
            ControlClient client = new ControlClient(config);
            List<ControlStatus> answers;
            try {
                answers =
                        client.sendAll(
                                commands,
                                wait,
                                a -> {
                                    PrintWriter to =
                                            a.getOutcome() == ControlOutcome.APPLIED ? out : err;
                                    ControlClient.print(to, a, false);
                                    to.flush();
                                });
            } catch (org.apache.kafka.common.KafkaException e) {
                err.println(client.unreachable(e));
                return ExitCodes.FAILED;
            }
            int missing = 0;
            for (int i = 0; i < answers.size(); i++) {
                if (answers.get(i) == null) {
                    missing++;
                }
            }
            if (missing > 0) {
                err.printf(
                        "no answer from the job within %s to %s. The command%s (%s) %s on the"
                                + " control topic %s and the job answers when it reads them: is"
                                + " the job running with control.enabled=true? `argus rules"
                                + " history` shows the answers later.%n",
                        wait.toSeconds() + " s",
                        missing == 1 ? "1 command" : missing + " commands",
                        missing == 1 ? "" : "s",
                        commands.get(answers.indexOf(null)).getCommandId()
                                + (missing == 1 ? "" : ", ..."),
                        missing == 1 ? "is" : "are",
                        config.get("topic.control"));
                return ExitCodes.FAILED;
            }
            return answers.stream().allMatch(a -> a.getOutcome() == ControlOutcome.APPLIED)
                    ? ExitCodes.OK
                    : ExitCodes.FAILED;
        }
    }

    @Command(
            name = "deploy",
            mixinStandardHelpOptions = true,
            header = "Deploy a rule pack to the running job, without a restart.",
            description = {
                "Checks the pack and runs its test cases here first; nothing is sent unless all"
                        + " pass. The job checks it again and answers: applied, with the pack's"
                        + " version and the event time from which it judges (--effective-at;"
                        + " by default the job's control.margin after it reads the command), or"
                        + " refused, with every problem's file and line, the pack in force going"
                        + " on.",
                "Rules whose id and pattern are unchanged keep their partial matches across"
                        + " the cutover, as across a redeploy; rules whose pattern changed start"
                        + " clean; removed rules' state is dropped."
            })
    public static final class Deploy extends Sends {
        @Parameters(
                index = "0",
                paramLabel = "DIR",
                arity = "0..1",
                defaultValue = "rules/pack",
                description = "the pack's directory, with pack.yaml (default: ${DEFAULT-VALUE})")
        Path dir;

        @Option(
                names = "--skip-tests",
                description =
                        "send without running the rules' test cases here (the pack is still"
                                + " checked)")
        boolean skipTests;

        @Override
        Integer check(PrintWriter out, PrintWriter err) throws Exception {
            RulePackLoader.Result result =
                    RulePackLoader.load(List.of(dir), !skipTests, CepPatternCheck.INSTANCE);
            if (!result.valid()) {
                RulesCommand.printProblems(err, result, "nothing was sent");
                return ExitCodes.FAILED;
            }
            if (!skipTests) {
                out.printf(
                        "running %d test cases of pack %s on Flink before sending it ...%n",
                        result.tests().size(), result.pack().version());
                out.flush();
                List<LabelledStream.CaseResult> results =
                        RuleTestRunner.run(result.pack(), result.tests());
                if (!results.stream().allMatch(LabelledStream.CaseResult::passed)) {
                    err.print(LabelledStream.report(results, false));
                    err.println("nothing was sent: fix the rules or their cases first");
                    return ExitCodes.FAILED;
                }
                out.printf("%d test cases passed%n", results.size());
            }
            out.printf("sending pack %s from %s ...%n", result.pack().version(), dir);
            out.flush();
            return null;
        }

        @Override
        Object what() throws java.io.IOException {
            List<PackFile> files = new ArrayList<>();
            PackFiles.read(dir).forEach((path, text) -> files.add(new PackFile(path, text)));
            return new DeployPack(dir.toAbsolutePath().normalize().toString(), files);
        }
    }

    @Command(
            name = "rollback",
            mixinStandardHelpOptions = true,
            header = "Return the running job to a pack version it ran before, without a restart.",
            description =
                    "The version the job started with, or one deployed through the control"
                            + " topic (`argus rules history` lists them). It is deployed again,"
                            + " from --effective-at, as `argus rules deploy` would.")
    public static final class Rollback extends Sends {
        @Parameters(index = "0", paramLabel = "VERSION", description = "the pack's version")
        String version;

        @Override
        Object what() {
            return new RollBack(version);
        }
    }

    /** {@code argus list put|remove}. */
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            header = "Change the entries of a named list in the running job, without a restart.",
            description = {
                "Rules read a list as lists.<name>; pack.yaml declares it (its values may be"
                        + " empty). Entries put or removed here stay across deploys and"
                        + " rollbacks, for every pack that declares the list, and apply to events"
                        + " from --effective-at on.",
                "A file of a million entries goes in commands of at most 20,000 entries; each"
                        + " is answered."
            },
            subcommands = {ListPut.class, ListRemove.class})
    public static final class Lists {}

    /** Entries of a list from arguments or a file, sent in commands of bounded size. */
    abstract static class ListChanges extends Sends {
        @Parameters(index = "0", paramLabel = "LIST", description = "the list's name")
        String list;

        @Parameters(
                index = "1..*",
                arity = "0..*",
                paramLabel = "ENTRY",
                description = "the entries, e.g. card tokens or IBANs")
        List<String> entries = new ArrayList<>();

        @Option(
                names = "--file",
                paramLabel = "FILE",
                description =
                        "a file with one entry per line (blank lines and # comments left out)")
        Path file;

        abstract boolean put();

        @Override
        Object what() {
            throw new UnsupportedOperationException("a list change may take several commands");
        }

        @Override
        Integer check(PrintWriter out, PrintWriter err) throws Exception {
            if (file != null) {
                try (var lines = java.nio.file.Files.lines(file)) {
                    lines.map(String::strip)
                            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                            .forEach(entries::add);
                }
            }
            if (entries.isEmpty()) {
                err.println("no entries: give them as arguments or with --file");
                return ExitCodes.USAGE;
            }
            return null;
        }

        @Override
        List<Object> whats() {
            List<Object> commands = new ArrayList<>();
            List<String> chunk = new ArrayList<>();
            long bytes = 0;
            for (String entry : entries) {
                if (chunk.size() == ControlFunction.MAX_LIST_ENTRIES_PER_COMMAND
                        || bytes + entry.length() > 512 * 1024) {
                    commands.add(change(chunk));
                    chunk = new ArrayList<>();
                    bytes = 0;
                }
                chunk.add(entry);
                bytes += entry.length() + 4;
            }
            commands.add(change(chunk));
            return commands;
        }

        private ChangeList change(List<String> chunk) {
            return put()
                    ? new ChangeList(list, chunk, List.of())
                    : new ChangeList(list, List.of(), chunk);
        }
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            header = "Put entries into a named list of the running job.")
    public static final class ListPut extends ListChanges {
        @Override
        boolean put() {
            return true;
        }
    }

    @Command(
            name = "remove",
            mixinStandardHelpOptions = true,
            header = "Remove entries from a named list of the running job (also the pack's own).")
    public static final class ListRemove extends ListChanges {
        @Override
        boolean put() {
            return false;
        }
    }

    @Command(
            name = "mode",
            mixinStandardHelpOptions = true,
            header = "Set a rule's mode in the running job, without a restart.",
            description =
                    "enforce: its alerts go to the alerts topic; shadow: to the shadow-alerts"
                            + " topic only; off: it alerts no more (the job still runs it until"
                            + " the next deployment). Alerts whose last matched event is at or"
                            + " after --effective-at are judged by the new mode.")
    public static final class Mode extends Sends {
        @Parameters(index = "0", paramLabel = "RULE", description = "the rule's id")
        String rule;

        @Parameters(
                index = "1",
                paramLabel = "MODE",
                description = "enforce, shadow or off",
                converter = ModeConverter.class)
        RuleMode mode;

        @Override
        Object what() {
            return SetRuleMode.newBuilder().setRuleId(rule).setMode(mode).build();
        }
    }

    /** Reads enforce, shadow or off in any case. */
    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<RuleMode> {
        @Override
        public RuleMode convert(String value) {
            try {
                return RuleMode.valueOf(value.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a mode: use enforce, shadow or off");
            }
        }
    }

    @Command(
            name = "snooze",
            mixinStandardHelpOptions = true,
            header = "Silence a rule for one account until a time, without a restart.",
            description =
                    "For example for a customer known to be travelling. Its matches are counted"
                            + " (argus.rule.<id>.snoozed) and raise no alert until --until (wall"
                            + " clock). The audit trail keeps --reason.")
    public static final class Snooze extends Sends {
        @Parameters(index = "0", paramLabel = "RULE", description = "the rule's id")
        String rule;

        @Parameters(index = "1", paramLabel = "ACCOUNT", description = "the account's id")
        String account;

        @Option(
                names = "--until",
                required = true,
                paramLabel = "TIME",
                description = "when the snooze ends, e.g. 2026-12-31T00:00:00Z")
        Instant until;

        @Option(
                names = "--reason",
                required = true,
                paramLabel = "TEXT",
                description = "why, e.g. a ticket number")
        String reason;

        @Override
        Object what() {
            return SnoozeRule.newBuilder()
                    .setRuleId(rule)
                    .setAccountId(account)
                    .setUntil(until)
                    .setReason(reason)
                    .build();
        }
    }

    @Command(
            name = "unsnooze",
            mixinStandardHelpOptions = true,
            header = "End a snooze of a rule for one account, without a restart.")
    public static final class Unsnooze extends Sends {
        @Parameters(index = "0", paramLabel = "RULE", description = "the rule's id")
        String rule;

        @Parameters(index = "1", paramLabel = "ACCOUNT", description = "the account's id")
        String account;

        @Override
        Object what() {
            return UnsnoozeRule.newBuilder().setRuleId(rule).setAccountId(account).build();
        }
    }

    @Command(
            name = "history",
            mixinStandardHelpOptions = true,
            header = "Print every answer of the running job to a control command, oldest first.",
            description =
                    "The status topic is the audit trail of the pack in force: what was asked,"
                            + " by whom, whether it was applied and from when, or why it was"
                            + " refused.")
    public static final class History implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Mixin Connection connection;

        @Override
        public Integer call() throws Exception {
            JobConfig config;
            try {
                config = connection.jobConfig();
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println(e.getMessage());
                return ExitCodes.USAGE;
            }
            PrintWriter out = spec.commandLine().getOut();
            ControlClient client = new ControlClient(config);
            int n;
            try {
                n = client.history(s -> ControlClient.print(out, s, true));
            } catch (org.apache.kafka.common.KafkaException e) {
                spec.commandLine().getErr().println(client.unreachable(e));
                return ExitCodes.FAILED;
            }
            if (n == 0) {
                out.println("no answers on " + config.get("topic.control-status") + " yet");
            }
            return ExitCodes.OK;
        }
    }
}

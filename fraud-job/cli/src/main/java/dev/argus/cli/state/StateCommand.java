package dev.argus.cli.state;

import dev.argus.cli.option.ExitCodes;
import dev.argus.cli.rules.RulesCommand;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code argus state inspect SAVEPOINT}: what a savepoint of the job holds. */
@Command(
        name = "state",
        mixinStandardHelpOptions = true,
        header = "Look into the job's state: savepoints and retained checkpoints.",
        subcommands = {StateCommand.Inspect.class})
public final class StateCommand {

    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            header = "What a savepoint of the Argus job holds, per account and per rule.",
            description = {
                "Reads SAVEPOINT (a savepoint's directory, or a retained checkpoint's, chk-N) with"
                        + " Flink's State Processor API and prints: the accounts with state in the"
                        + " profile and in the rule engine; the bytes per account (min, p50, p90,"
                        + " p99, max, mean) of the engine's value and the profile together and"
                        + " each alone; each rule's partial matches and the accounts holding"
                        + " them; the oldest pending deadline (when a partial match leaves its"
                        + " window) and its rule; the pack in force.",
                "The savepoint does not record the pack the job started with (rules.path): give"
                        + " it with --pack; its rules decode the engine's state, and the packs"
                        + " deployed at run time are read from the savepoint. Only the default"
                        + " engine's state is read (not rules.engine: cep). Progress goes to"
                        + " standard error.",
                ""
            })
    static final class Inspect implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(
                paramLabel = "SAVEPOINT",
                description = "the savepoint's directory (or its _metadata file)")
        Path savepoint;

        @Option(
                names = "--pack",
                paramLabel = "DIR",
                defaultValue = "rules/pack",
                description =
                        "the pack the job started with, its rules.path (default:"
                                + " ${DEFAULT-VALUE})")
        Path pack;

        @Option(names = "--json", description = "print JSON instead of a table")
        boolean json;

        @Option(
                names = "--parallelism",
                paramLabel = "N",
                defaultValue = "1",
                description =
                        "tasks reading the savepoint's key groups (default: ${DEFAULT-VALUE})")
        int parallelism;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (parallelism < 1) {
                throw new ParameterException(
                        spec.commandLine(), "--parallelism must be at least 1");
            }
            SavepointInspection.Metadata metadata;
            try {
                metadata = SavepointInspection.metadata(savepoint);
            } catch (SavepointInspection.Unreadable e) {
                err.println("argus state inspect: " + e.getMessage());
                return ExitCodes.FAILED;
            }
            RulePackLoader.Result loaded =
                    RulePackLoader.load(List.of(pack), false, CepPatternCheck.INSTANCE);
            if (!loaded.valid()) {
                RulesCommand.printProblems(err, loaded, "nothing was read (--pack " + pack + ")");
                return ExitCodes.FAILED;
            }
            RulePack rules = loaded.pack();
            if (rules.active().isEmpty()) {
                err.printf(
                        "argus state inspect: %s (--pack) has no rule that is on: give the pack"
                                + " the job runs%n",
                        pack);
                return ExitCodes.FAILED;
            }
            Inspection inspection =
                    SavepointInspection.read(metadata, rules, pack, parallelism, err);
            out.print(json ? inspection.json() + "\n" : inspection.table());
            out.flush();
            return ExitCodes.OK;
        }
    }
}

package dev.argus.cli.rules;

import dev.argus.cli.option.ExitCodes;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.yaml.Problem;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code argus rules validate|test|bench [PATH...]}: the risk team's commands. PATH is a rule file,
 * a test file or a directory; the default is {@code rules/pack}. Exit status 0 when everything is
 * valid (and every case passes), 1 otherwise, 2 on bad usage.
 */
@Command(
        name = "rules",
        mixinStandardHelpOptions = true,
        header =
                "The risk team's commands: check, test and measure the rules; deploy them to the"
                        + " running job.",
        description =
                "Each takes PATH...: rule files, test files or directories (default:"
                        + " rules/pack).",
        subcommands = {
            RulesCommand.Validate.class,
            RulesCommand.Test.class,
            RulesCommand.Bench.class
            // deploy, rollback, mode and history: added by Argus.commandLine()
        })
public final class RulesCommand {
    /** A command on the rules, lists and test files at PATH... */
    abstract static class OnPack implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(
                paramLabel = "PATH",
                arity = "0..*",
                defaultValue = "rules/pack",
                description = "a rule file, a test file or a directory (default: ${DEFAULT-VALUE})")
        List<Path> paths;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** The pack at the paths; null, with every problem printed, when it is invalid. */
        RulePackLoader.Result load() {
            RulePackLoader.Result result =
                    RulePackLoader.load(paths, true, CepPatternCheck.INSTANCE);
            if (!result.valid()) {
                printProblems(spec.commandLine().getErr(), result, "nothing was deployed or run");
                return null;
            }
            return result;
        }
    }

    /**
     * Prints every problem of an invalid pack, then "N problems in M rule files; {@code what}". The
     * backtest prints its packs' problems the same way.
     */
    public static void printProblems(PrintWriter err, RulePackLoader.Result result, String what) {
        for (Problem p : result.problems()) {
            err.println(p);
        }
        err.println(
                result.problems().size()
                        + (result.problems().size() == 1 ? " problem" : " problems")
                        + " in "
                        + result.ruleFiles()
                        + " rule files; "
                        + what);
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            header = "Check rules, lists and test files; report every problem at once.")
    static final class Validate extends OnPack {
        @Override
        public Integer call() {
            RulePackLoader.Result result = load();
            if (result == null) {
                return ExitCodes.FAILED;
            }
            Map<String, Integer> modes = new TreeMap<>();
            result.pack()
                    .rules()
                    .forEach(r -> modes.merge(r.mode().name().toLowerCase(), 1, Integer::sum));
            out().println(
                            "valid: pack "
                                    + result.pack().version()
                                    + ", "
                                    + result.pack().rules().size()
                                    + " rules "
                                    + modes
                                    + ", "
                                    + result.pack().lists().size()
                                    + " lists, "
                                    + result.tests().size()
                                    + " test cases");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "test",
            mixinStandardHelpOptions = true,
            header = "Run the rules' test cases on Flink; ends with \"N passed, N failed\".")
    static final class Test extends OnPack {
        @Option(
                names = {"-v", "--verbose"},
                description = "also list the cases that pass")
        boolean verbose;

        @Override
        public Integer call() throws Exception {
            RulePackLoader.Result result = load();
            if (result == null) {
                return ExitCodes.FAILED;
            }
            out().println(
                            "running "
                                    + result.tests().size()
                                    + " test cases of "
                                    + result.pack().rules().size()
                                    + " rules on Flink ...");
            List<LabelledStream.CaseResult> results =
                    RuleTestRunner.run(result.pack(), result.tests());
            out().print(LabelledStream.report(results, verbose));
            out().flush();
            return results.stream().allMatch(LabelledStream.CaseResult::passed)
                    ? ExitCodes.OK
                    : ExitCodes.FAILED;
        }
    }

    @Command(
            name = "bench",
            mixinStandardHelpOptions = true,
            header =
                    "Measure what each rule's conditions cost per event, outside Flink, on"
                            + " generated traffic.")
    static final class Bench extends OnPack {
        @Override
        public Integer call() {
            RulePackLoader.Result result = load();
            if (result == null) {
                return ExitCodes.FAILED;
            }
            ConditionBenchmark.run(result.pack(), out());
            return ExitCodes.OK;
        }
    }
}

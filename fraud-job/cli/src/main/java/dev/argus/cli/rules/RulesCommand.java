package dev.argus.cli.rules;

import dev.argus.job.RuleTestRunner;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.yaml.Problem;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code argus rules validate [PATH...]} and {@code argus rules test [PATH...]}: the risk team's
 * commands. PATH is a rule file, a test file or a directory; the default is {@code rules/pack}.
 * Exit status 0 when everything is valid (and every case passes), 1 otherwise, 2 on bad usage.
 */
public final class RulesCommand {
    static final String USAGE =
            """
            usage: argus rules validate [PATH...]   check rules, lists and test files; report every problem
                   argus rules test [-v] [PATH...]  run the rules' test cases on Flink
                   argus rules bench [PATH...]      measure what each rule's conditions cost per event
            PATH: a rule file, a test file or a directory (default: rules/pack)""";

    private RulesCommand() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || !List.of("validate", "test", "bench").contains(args[0])) {
            err.println(USAGE);
            return 2;
        }
        boolean verbose = false;
        List<Path> paths = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("-v") || args[i].equals("--verbose")) {
                verbose = true;
            } else if (args[i].startsWith("-")) {
                err.println("unknown option " + args[i] + "\n" + USAGE);
                return 2;
            } else {
                paths.add(Path.of(args[i]));
            }
        }
        if (paths.isEmpty()) {
            paths.add(Path.of("rules/pack"));
        }
        RulePackLoader.Result result = RulePackLoader.load(paths, true, CepPatternCheck.INSTANCE);
        if (!result.valid()) {
            for (Problem p : result.problems()) {
                err.println(p);
            }
            err.println(
                    result.problems().size()
                            + (result.problems().size() == 1 ? " problem" : " problems")
                            + " in "
                            + result.ruleFiles()
                            + " rule files; nothing was deployed or run");
            return 1;
        }
        Map<String, Integer> modes = new TreeMap<>();
        result.pack()
                .rules()
                .forEach(r -> modes.merge(r.mode().name().toLowerCase(), 1, Integer::sum));
        if (args[0].equals("validate")) {
            out.println(
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
            return 0;
        }
        if (args[0].equals("bench")) {
            ConditionBenchmark.run(result.pack(), out);
            return 0;
        }
        out.println(
                "running "
                        + result.tests().size()
                        + " test cases of "
                        + result.pack().rules().size()
                        + " rules on Flink ...");
        List<LabelledStream.CaseResult> results = RuleTestRunner.run(result.pack(), result.tests());
        out.print(LabelledStream.report(results, verbose));
        return results.stream().allMatch(LabelledStream.CaseResult::passed) ? 0 : 1;
    }
}

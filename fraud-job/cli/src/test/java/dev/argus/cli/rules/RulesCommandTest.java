package dev.argus.cli.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.Argus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code argus rules validate} and {@code bench}: what they print and their exit status. */
class RulesCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        String[] line = new String[args.length + 1];
        line[0] = "rules";
        System.arraycopy(args, 0, line, 1, args.length);
        return Argus.execute(new PrintWriter(out), new PrintWriter(err), line);
    }

    @Test
    void validatesTheShippedPackWithStatusZero() {
        assertThat(run("validate", "../../rules/pack")).isZero();
        assertThat(out.toString()).startsWith("valid: pack ").contains("16 rules");
    }

    @Test
    void reportsEveryProblemWithFileLineAndRuleAndExitsNonZero(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("broken.yaml"),
                """
                id: broken
                version: 1
                title: Broken
                owner: tests
                severity: high
                score: 10
                mode: enforce
                explanation: x
                pattern:
                  - stage: a
                    where: txn.amount.amount_minor > 'ten'
                  - stage: b
                    where: txn.type == 'TRANSFER'
                """);
        assertThat(run("validate", dir.toString())).isEqualTo(1);
        assertThat(err.toString())
                .contains(
                        dir.resolve("broken.yaml")
                                + ":1: rule 'broken': the pattern has no 'within'")
                .contains(
                        dir.resolve("broken.yaml")
                                + ":11: rule 'broken': stage 'a' condition, column 36: '>'"
                                + " cannot be used on int and string")
                .contains("broken.yaml: rule 'broken': the rule has no test file")
                .contains("problems in 1 rule files; nothing was deployed or run");
    }

    @Test
    void benchPrintsEachStageAndThePackTogether() {
        assertThat(run("bench", "../../rules/pack/geography")).isZero();
        String printed = out.toString();
        assertThat(printed)
                .containsPattern(
                        "impossible-travel +first +\\d+ ns +\\(true for 4\\d\\.\\d% of events\\)")
                .containsPattern("new-country-login-transfer +transfer +\\d+ ns")
                .containsPattern("all stages of the pack: \\d+ ns per event")
                .containsPattern(
                        "all stages of the pack together, .*: \\d+ ns per event \\(fastest round"
                                + " \\d+\\)");
        assertThat(printed.lines().filter(l -> l.contains(" ns   (true for ")).count())
                .as("one line per stage of the two rules")
                .isEqualTo(4);
    }

    @Test
    void explainsItsUsageOnUnknownCommands() {
        assertThat(run("check")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Unmatched argument at index 1: 'check'")
                .contains("Usage: argus rules [-hV] [COMMAND]")
                .contains("validate", "test", "bench");
    }

    @Test
    void namesAnUnknownOptionWithStatusTwo() {
        assertThat(run("validate", "--strict", "../../rules/pack")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Unknown option: '--strict'")
                .contains("Try 'argus rules validate --help'");
    }
}

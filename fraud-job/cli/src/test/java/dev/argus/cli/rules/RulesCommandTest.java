package dev.argus.cli.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code argus rules validate}: what it prints and its exit status. */
class RulesCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return RulesCommand.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void validatesTheShippedPackWithStatusZero() throws Exception {
        assertThat(run("validate", "../../rules/pack")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .startsWith("valid: pack ")
                .contains("14 rules");
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
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains(
                        dir.resolve("broken.yaml")
                                + ":1: rule 'broken': the pattern has no 'within'")
                .contains(dir.resolve("broken.yaml") + ":11: rule 'broken': stage 'a' condition:")
                .contains("broken.yaml: rule 'broken': the rule has no test file")
                .contains("problems in 1 rule files; nothing was deployed or run");
    }

    @Test
    void explainsItsUsageOnUnknownCommands() throws Exception {
        assertThat(run("check")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: argus rules validate");
    }
}

package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.rules.RulePackLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation asks flink-cep's compiler, through the engine's check, about every rule. */
class CepPatternCheckTest {
    private static final String RULE =
            """
            id: greedy-then-optional
            version: 1
            title: Greedy then optional
            owner: tests
            severity: high
            score: 70
            mode: enforce
            explanation: "small then large"
            within: 10m
            skip: skip_past_last_event
            pattern:
              - stage: small
                where: txn.amount.amount_minor <= 500
                times: 2+
                greedy: true
              - stage: large
                where: txn.amount.amount_minor >= 50000
                optional: true
            """;

    @Test
    void reportsAPatternFlinkCepRejectsWithItsFileAndRule(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("pack.yaml"), "version: test-1\n");
        Files.writeString(dir.resolve("greedy-then-optional.yaml"), RULE);

        var problems =
                RulePackLoader.load(List.of(dir), false, CepPatternCheck.INSTANCE).problems();

        // flink-cep does not allow an optional stage after a greedy one
        assertThat(problems)
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.file()).endsWith("greedy-then-optional.yaml");
                            assertThat(p.ruleId()).isEqualTo("greedy-then-optional");
                            assertThat(p.message()).startsWith("flink-cep rejects the pattern");
                        });
    }

    @Test
    void acceptsEveryRuleOfTheShippedPack() {
        assertThat(
                        RulePackLoader.load(
                                        List.of(Path.of("../../rules/pack")),
                                        false,
                                        CepPatternCheck.INSTANCE)
                                .problems())
                .isEmpty();
    }
}

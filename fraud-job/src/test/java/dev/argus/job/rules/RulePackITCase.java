package dev.argus.job.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.rules.RulePackLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule test cases on Flink, as {@code argus rules test} runs them: every case of the shipped pack,
 * and a pack that exercises each construct of the language (contiguity, negation, quantifiers, skip
 * strategies, absence at the window's end) with the behaviour flink-cep defines for it.
 */
class RulePackITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = new MiniClusterExtension();

    private static List<RuleTestRunner.CaseResult> run(Path pack) throws Exception {
        RulePackLoader.Result loaded = RulePackLoader.load(List.of(pack), true);
        assertThat(loaded.problems()).isEmpty();
        return RuleTestRunner.run(loaded.pack(), loaded.tests());
    }

    private static void assertAllPass(List<RuleTestRunner.CaseResult> results) {
        assertThat(results).isNotEmpty();
        assertThat(results)
                .as(RuleTestRunner.report(results, false))
                .allMatch(RuleTestRunner.CaseResult::passed);
    }

    @Test
    void everyCaseOfTheShippedPackPasses() throws Exception {
        List<RuleTestRunner.CaseResult> results = run(Path.of("../rules/pack"));
        assertAllPass(results);
        assertThat(results).hasSizeGreaterThanOrEqualTo(24);
    }

    @Test
    void eachConstructOfTheLanguageBehavesAsFlinkCepDefinesIt() throws Exception {
        assertAllPass(run(Path.of("src/test/resources/language-pack")));
    }

    @Test
    void theTestCommandPrintsADiffForAFailingCaseAndExitsNonZero(@TempDir Path dir)
            throws Exception {
        Path source = Path.of("src/test/resources/language-pack");
        for (String f : List.of("pack.yaml", "strict-next.yaml", "strict-next.test.yaml")) {
            Files.copy(source.resolve(f), dir.resolve(f));
        }
        // claim that an event in between does not break strict contiguity
        Path tests = dir.resolve("strict-next.test.yaml");
        Files.writeString(
                tests,
                Files.readString(tests)
                        .replace(
                                "      - {id: t, at: 1m, type: transfer}\n    expect: []",
                                "      - {id: t, at: 1m, type: transfer}\n    expect:\n"
                                        + "      - matched: [a, t]"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status =
                RulesCommand.run(
                        new String[] {"test", dir.toString()},
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        System.err);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(status).isEqualTo(1);
        assertThat(printed)
                .contains(
                        "FAIL strict-next \u203a an event in between breaks strict contiguity",
                        "strict-next.test.yaml:8)",
                        "  expected: strict-next [a, t]",
                        "  actual:   no alerts",
                        "  - missing alert    strict-next [a, t]")
                .endsWith("1 passed, 1 failed\n");
    }
}

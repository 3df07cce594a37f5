package dev.argus.cli.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rule test cases on Flink, as {@code argus rules test} runs them: every case of the shipped pack,
 * and a pack that exercises each construct of the language (contiguity, negation, quantifiers, skip
 * strategies, absence at the window's end) with the behaviour flink-cep defines for it.
 */
class RulePackITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = new MiniClusterExtension();

    private static List<LabelledStream.CaseResult> run(Path pack) throws Exception {
        RulePackLoader.Result loaded =
                RulePackLoader.load(List.of(pack), true, CepPatternCheck.INSTANCE);
        assertThat(loaded.problems()).isEmpty();
        return RuleTestRunner.run(loaded.pack(), loaded.tests());
    }

    private static void assertAllPass(List<LabelledStream.CaseResult> results) {
        assertThat(results).isNotEmpty();
        assertThat(results)
                .as(LabelledStream.report(results, false))
                .allMatch(LabelledStream.CaseResult::passed);
    }

    @Test
    void everyCaseOfTheShippedPackPasses() throws Exception {
        List<LabelledStream.CaseResult> results = run(Path.of("../../rules/pack"));
        assertAllPass(results);
        assertThat(results).hasSizeGreaterThanOrEqualTo(24);
    }

    @Test
    void eachConstructOfTheLanguageBehavesAsFlinkCepDefinesIt() throws Exception {
        assertAllPass(run(Path.of("src/test/resources/language-pack")));
    }
}

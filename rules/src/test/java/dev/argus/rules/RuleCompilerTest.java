package dev.argus.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.EnrichedTransaction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.cep.nfa.aftermatch.SkipToFirstStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.Quantifier.ConsumingStrategy;
import org.apache.flink.cep.pattern.Quantifier.QuantifierProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each construct of the language compiles to in flink-cep's Pattern API. */
class RuleCompilerTest {
    private static final String EVERY_CONSTRUCT =
            """
            id: every-construct
            version: 1
            title: t
            owner: tests
            severity: low
            score: 1
            mode: shadow
            explanation: x
            within: 2h
            skip: skip_to_first(b)
            pattern:
              - stage: a
                where: txn.type == 'LOGIN'
                times: 2..4
                greedy: true
                loop: strict
              - stage: b
                follows: next
                where: txn.type == 'NEW_DEVICE'
                times: 3
                loop: nondeterministic
              - stage: c
                follows: followed_by_any
                where: txn.type == 'NEW_PAYEE'
              - stage: not_d
                follows: not_next
                where: txn.type == 'REFUND'
              - stage: e
                follows: followed_by
                where: txn.type == 'TRANSFER'
                times: 1+
                optional: true
              - stage: f
                follows: followed_by
                where: txn.type == 'WITHDRAWAL'
                times: 2+
              - stage: not_g
                follows: not_followed_by
                where: txn.type == 'DEPOSIT'
              - stage: h
                where: txn.type == 'CARD_PAYMENT'
            """;

    @TempDir Path dir;

    private Rule compile(String yaml) {
        String id = yaml.lines().findFirst().orElseThrow().substring("id: ".length());
        RulePackLoader.Result result =
                RulePackLoader.load(
                        List.of(new PackFixture(dir).write(id + ".yaml", yaml).dir()),
                        false,
                        PatternCheck.NONE);
        assertThat(result.problems()).isEmpty();
        return result.pack().rule(id).orElseThrow();
    }

    private static List<Pattern<EnrichedTransaction, ?>> stages(
            Pattern<EnrichedTransaction, ?> last) {
        List<Pattern<EnrichedTransaction, ?>> out = new ArrayList<>();
        for (Pattern<EnrichedTransaction, ?> p = last; p != null; p = p.getPrevious()) {
            out.add(0, p);
        }
        return out;
    }

    @Test
    void compilesEveryQuantifierContiguityAndNegation() {
        Rule rule = compile(EVERY_CONSTRUCT);
        Pattern<EnrichedTransaction, EnrichedTransaction> pattern = rule.pattern();
        List<Pattern<EnrichedTransaction, ?>> s = stages(pattern);
        assertThat(s)
                .extracting(Pattern::getName)
                .containsExactly("a", "b", "c", "not_d", "e", "f", "not_g", "h");

        // a: 2..4, greedy, consecutive
        assertThat(s.get(0).getQuantifier().hasProperty(QuantifierProperty.TIMES)).isTrue();
        assertThat(s.get(0).getTimes().getFrom()).isEqualTo(2);
        assertThat(s.get(0).getTimes().getTo()).isEqualTo(4);
        assertThat(s.get(0).getQuantifier().hasProperty(QuantifierProperty.GREEDY)).isTrue();
        assertThat(s.get(0).getQuantifier().getInnerConsumingStrategy())
                .isEqualTo(ConsumingStrategy.STRICT);
        // b: next, exactly 3, every combination
        assertThat(s.get(1).getQuantifier().getConsumingStrategy())
                .isEqualTo(ConsumingStrategy.STRICT);
        assertThat(s.get(1).getTimes().getFrom()).isEqualTo(3);
        assertThat(s.get(1).getTimes().getTo()).isEqualTo(3);
        assertThat(s.get(1).getQuantifier().getInnerConsumingStrategy())
                .isEqualTo(ConsumingStrategy.SKIP_TILL_ANY);
        // c: followed_by_any
        assertThat(s.get(2).getQuantifier().getConsumingStrategy())
                .isEqualTo(ConsumingStrategy.SKIP_TILL_ANY);
        // not_next and not_followed_by
        assertThat(s.get(3).getQuantifier().getConsumingStrategy())
                .isEqualTo(ConsumingStrategy.NOT_NEXT);
        assertThat(s.get(6).getQuantifier().getConsumingStrategy())
                .isEqualTo(ConsumingStrategy.NOT_FOLLOW);
        // e: one or more, optional; f: two or more
        assertThat(s.get(4).getQuantifier().hasProperty(QuantifierProperty.LOOPING)).isTrue();
        assertThat(s.get(4).getQuantifier().hasProperty(QuantifierProperty.OPTIONAL)).isTrue();
        assertThat(s.get(4).getQuantifier().getConsumingStrategy())
                .isEqualTo(ConsumingStrategy.SKIP_TILL_NEXT);
        assertThat(s.get(5).getQuantifier().hasProperty(QuantifierProperty.LOOPING)).isTrue();
        assertThat(s.get(5).getTimes().getFrom()).isEqualTo(2);
        // h: relaxed by default
        assertThat(s.get(7).getQuantifier().getConsumingStrategy())
                .isEqualTo(ConsumingStrategy.SKIP_TILL_NEXT);
        assertThat(s.get(7).getQuantifier().hasProperty(QuantifierProperty.SINGLE)).isTrue();

        assertThat(pattern.getWindowSize()).contains(Duration.ofHours(2));
        assertThat(s.get(0).getAfterMatchSkipStrategy()).isInstanceOf(SkipToFirstStrategy.class);
        assertThat(s.get(0).getAfterMatchSkipStrategy().getPatternName()).contains("b");
        assertThat(rule.mode()).isEqualTo(RuleSpec.Mode.SHADOW);
    }

    @Test
    void keepsTheFingerprintWhenOnlyConditionsOrWordsChange() {
        String base = PackFixture.VALID_RULE;
        String fingerprint = compile(base).fingerprint();
        assertThat(fingerprint).matches("[0-9a-f]{8}");
        assertThat(
                        compile(
                                        base.replace("<= 500", "<= 700")
                                                .replace("score: 70", "score: 90")
                                                .replace("version: 2", "version: 3"))
                                .fingerprint())
                .isEqualTo(fingerprint);
    }

    @Test
    void changesTheFingerprintWhenThePatternsStructureChanges() {
        String base = PackFixture.VALID_RULE;
        String fingerprint = compile(base).fingerprint();
        assertThat(compile(base.replace("times: 2+", "times: 3+")).fingerprint())
                .isNotEqualTo(fingerprint);
        assertThat(compile(base.replace("within: 10m", "within: 20m")).fingerprint())
                .isNotEqualTo(fingerprint);
        assertThat(compile(base.replace("skip_past_last_event", "no_skip")).fingerprint())
                .isNotEqualTo(fingerprint);
        assertThat(compile(base.replace("stage: large", "stage: big")).fingerprint())
                .isNotEqualTo(fingerprint);
    }

    @Test
    void offRulesAreLoadedButDoNotRun() {
        RulePackLoader.Result result =
                RulePackLoader.load(
                        List.of(
                                new PackFixture(dir)
                                        .write(
                                                "small-then-large.yaml",
                                                PackFixture.VALID_RULE.replace(
                                                        "mode: enforce", "mode: off"))
                                        .dir()),
                        false,
                        PatternCheck.NONE);
        assertThat(result.pack().rules()).hasSize(1);
        assertThat(result.pack().active()).isEmpty();
    }
}

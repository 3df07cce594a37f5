package dev.argus.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.rules.testing.RuleTestCase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pack in rules/pack is valid, covers the typologies fraud teams expect, and every rule has a
 * case that alerts and one that does not. Whether the cases pass is checked on Flink by the
 * fraud-job/cli's RulePackITCase.
 */
class ShippedPackTest {
    private static final RulePackLoader.Result PACK =
            RulePackLoader.load(List.of(Path.of("pack")), true, PatternCheck.NONE);

    @Test
    void isValidWithItsTests() {
        assertThat(PACK.problems()).isEmpty();
    }

    /** docs/rules.md tests one rule or one folder: the pack's snoozes of other rules are fine. */
    @Test
    void aSubsetOfThePackLoadsWithItsTests() {
        for (String subset : List.of("pack/cards/card-testing.yaml", "pack/geography")) {
            RulePackLoader.Result result =
                    RulePackLoader.load(List.of(Path.of(subset)), true, PatternCheck.NONE);
            assertThat(result.problems()).as(subset).isEmpty();
            assertThat(result.tests()).as(subset).isNotEmpty();
        }
    }

    @Test
    void coversTheExpectedTypologies() {
        assertThat(PACK.pack().rules())
                .extracting(Rule::id)
                .contains(
                        "card-testing",
                        "count-velocity",
                        "amount-velocity",
                        "impossible-travel",
                        "structuring",
                        "account-takeover",
                        "new-payee-large-transfer",
                        "dormant-reactivation",
                        "mule-pass-through",
                        "declines-then-approval",
                        "high-risk-mcc-burst",
                        "new-country-login-transfer")
                .hasSizeGreaterThanOrEqualTo(12);
    }

    @Test
    void everyRuleHasACaseThatAlertsAndOneThatDoesNot() {
        for (Rule rule : PACK.pack().rules()) {
            List<RuleTestCase> cases =
                    PACK.tests().stream().filter(c -> c.ruleId().equals(rule.id())).toList();
            assertThat(cases)
                    .as(rule.id() + " has a positive case")
                    .anyMatch(c -> !c.expected().isEmpty());
            assertThat(cases)
                    .as(rule.id() + " has a negative case")
                    .anyMatch(c -> c.expected().isEmpty());
        }
    }

    @Test
    void theJobLoadsTheSamePackFromItsJar() {
        RulePack builtIn = RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, PatternCheck.NONE);
        assertThat(builtIn.rules())
                .extracting(Rule::fingerprint)
                .containsExactlyElementsOf(
                        PACK.pack().rules().stream().map(Rule::fingerprint).toList());
        assertThat(builtIn.version()).isEqualTo(PACK.pack().version());
    }
}

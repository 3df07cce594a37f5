package dev.argus.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.rules.yaml.Problem;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of mistake the validator catches, each with file, line, rule id and a hint. */
class RuleValidationTest {
    private static final String RULE = "small-then-large.yaml";
    private static final String TESTS =
            """
            cases:
              - name: alerts
                events:
                  - {id: s1, at: 0s, amount: 1.00}
                  - {id: s2, at: 1m, amount: 1.00}
                  - {id: big, at: 2m, amount: 900.00}
                expect:
                  - matched: [s1, s2, big]
            """;

    @TempDir Path dir;
    private PackFixture pack;

    @BeforeEach
    void writePack() {
        pack = new PackFixture(dir).write("small-then-large.test.yaml", TESTS);
    }

    private List<Problem> problemsOf(String rule) {
        return pack.write(RULE, rule).problems();
    }

    @Test
    void acceptsAValidRuleWithItsTests() {
        RulePackLoader.Result result = pack.write(RULE, PackFixture.VALID_RULE).load();
        assertThat(result.problems()).isEmpty();
        assertThat(result.pack().version()).isEqualTo("test-1");
        assertThat(result.pack().rules()).extracting(Rule::id).containsExactly("small-then-large");
        assertThat(result.tests()).hasSize(1);
    }

    @Test
    void reportsYamlSyntaxErrorsWithTheirLine() {
        assertThat(problemsOf("id: x\ntitle: [unclosed\nowner: me\n"))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.file()).endsWith(RULE);
                            assertThat(p.line()).isEqualTo(3);
                            assertThat(p.message()).startsWith("YAML syntax");
                            assertThat(p.hint()).contains("indentation");
                        });
    }

    @Test
    void reportsUnknownKeysWithTheClosestAllowedOne() {
        List<Problem> problems =
                problemsOf(PackFixture.VALID_RULE.replace("owner: tests", "ownr: tests"));
        assertThat(problems)
                .extracting(Problem::message)
                .containsExactlyInAnyOrder(
                        "unknown key 'ownr' in a rule", "missing key 'owner' in a rule");
        assertThat(problems)
                .filteredOn(p -> p.message().startsWith("unknown"))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.line()).isEqualTo(4);
                            assertThat(p.ruleId()).isEqualTo("small-then-large");
                            assertThat(p.hint()).startsWith("did you mean 'owner'?");
                        });
    }

    @Test
    void readsTheBrakeAndRefusesALimitBelowOne() {
        RulePackLoader.Result result =
                pack.write(
                                RULE,
                                PackFixture.VALID_RULE.replace(
                                        "mode: enforce",
                                        "mode: enforce\nmax_alerts_per_minute: 50"))
                        .load();
        assertThat(result.problems()).isEmpty();
        assertThat(result.pack().rules().get(0).maxAlertsPerMinute()).isEqualTo(50);
        assertThat(pack.write(RULE, PackFixture.VALID_RULE).load().pack().rules().get(0))
                .extracting(Rule::maxAlertsPerMinute)
                .isEqualTo(0);
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "mode: enforce",
                                        "mode: enforce\nmax_alerts_per_minute: 0")))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("max_alerts_per_minute"));
    }

    @Test
    void readsTheTypologyAndRefusesOneThatIsNotKebabCase() {
        RulePackLoader.Result result =
                pack.write(
                                RULE,
                                PackFixture.VALID_RULE.replace(
                                        "mode: enforce", "mode: enforce\ntypology: card-testing"))
                        .load();
        assertThat(result.problems()).isEmpty();
        assertThat(result.pack().rules().get(0).spec().typology()).isEqualTo("card-testing");
        assertThat(
                        pack.write(RULE, PackFixture.VALID_RULE)
                                .load()
                                .pack()
                                .rules()
                                .get(0)
                                .spec()
                                .typology())
                .isNull();

        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "mode: enforce", "mode: enforce\ntypology: Card Testing")))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.line()).isEqualTo(8);
                            assertThat(p.ruleId()).isEqualTo("small-then-large");
                            assertThat(p.message())
                                    .isEqualTo("typology 'Card Testing' is not kebab-case");
                            assertThat(p.hint()).contains("labels of a data set");
                        });
    }

    /**
     * Enums are strings in conditions: a string they can never be type-checks, then never matches.
     */
    @Test
    void refusesAStringAnEnumFieldCanNeverBeWithItsSymbols() {
        List<Problem> problems =
                problemsOf(
                        PackFixture.VALID_RULE
                                .replace(
                                        "where: txn.amount.amount_minor <= 500",
                                        "where: >-\n"
                                                + "      txn.amount.amount_minor <= 500\n"
                                                + "      && txn.type == 'withdrawal'")
                                .replace(
                                        "where: txn.amount.amount_minor >= 50000",
                                        "where: txn.channel in ['POS', 'ONLINE']"
                                                + " && matched.small[0].status != 'approved'"));
        assertThat(problems).hasSize(3);
        assertThat(problems.get(0))
                .satisfies(
                        p -> {
                            assertThat(p.line()).isEqualTo(15); // the condition's second line
                            assertThat(p.message())
                                    .isEqualTo(
                                            "stage 'small' condition, column 22: type is never"
                                                    + " 'withdrawal', so '==' is never true");
                            assertThat(p.hint())
                                    .startsWith(
                                            "did you mean 'WITHDRAWAL'? the values are upper case")
                                    .contains("type is one of CARD_PAYMENT, TRANSFER, WITHDRAWAL");
                        });
        assertThat(problems.get(1).message())
                .startsWith("stage 'large' condition, column 35: channel is never 'ONLINE'");
        assertThat(problems.get(1).hint()).contains("POS, ECOMMERCE, ATM");
        assertThat(problems.get(2).message())
                .endsWith("status is never 'approved', so '!=' is always true");
    }

    @Test
    void reportsValuesOutsideTheirRange() {
        List<Problem> problems =
                problemsOf(
                        PackFixture.VALID_RULE
                                .replace("severity: high", "severity: hihg")
                                .replace("score: 70", "score: 170")
                                .replace("mode: enforce", "mode: on")
                                .replace("times: 2+", "times: 5..2"));
        assertThat(problems).extracting(Problem::line).containsExactly(5, 6, 7, 14);
        assertThat(problems.get(0).hint()).contains("did you mean 'high'?");
        assertThat(problems.get(3).hint()).contains("2..5");
    }

    @Test
    void reportsCelThatDoesNotParseAtTheLineOfTheExpression() {
        String rule =
                PackFixture.VALID_RULE.replace(
                        "    where: txn.amount.amount_minor >= 50000",
                        "    where: |\n      txn.type == 'CARD_PAYMENT'\n      && (txn.amount.amount_minor >= 50000");
        assertThat(problemsOf(rule))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.line()).isEqualTo(18);
                            assertThat(p.message()).startsWith("stage 'large' condition, column ");
                            assertThat(p.hint()).contains("CEL syntax");
                        });
    }

    @Test
    void reportsUnknownFieldsWithTheFieldsThatExist() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "txn.amount.amount_minor <= 500",
                                        "txn.amount.amount_minr <= 500 && txn.merchant.mcc == '1'")))
                .extracting(Problem::hint)
                .containsExactly(
                        "did you mean 'amount_minor'? txn.amount has the fields [amount_minor,"
                                + " currency]",
                        "txn.merchant has the fields [merchant_id, name, category_code, country]");
    }

    @Test
    void reportsComparisonsOfTheWrongType() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "txn.amount.amount_minor >= 50000",
                                        "txn.amount.amount_minor >= '500.00'")))
                .singleElement()
                .satisfies(
                        p -> {
                            // not the fourteen overloads of the operator
                            assertThat(p.message())
                                    .endsWith("'>=' cannot be used on int and string")
                                    .doesNotContain("candidates");
                            assertThat(p.hint()).contains("minor units");
                        });
    }

    @Test
    void reportsAConditionThatIsNotTrueOrFalse() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "txn.amount.amount_minor >= 50000",
                                        "txn.amount.amount_minor")))
                .singleElement()
                .satisfies(p -> assertThat(p.hint()).contains("true or false"));
    }

    @Test
    void reportsAPatternWithoutWithinBecauseItsStateWouldGrowWithoutBound() {
        assertThat(problemsOf(PackFixture.VALID_RULE.replace("within: 10m\n", "")))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.message()).isEqualTo("the pattern has no 'within'");
                            assertThat(p.hint()).contains("grows without bound");
                        });
    }

    @Test
    void acceptsARuleOfOneSingleEventWithoutWithin() {
        String rule =
                PackFixture.VALID_RULE
                        .replace("within: 10m\n", "")
                        .replace("{{ size(matched.small) }} small then ", "")
                        .replace(
                                "  - stage: small\n    where: txn.amount.amount_minor <= 500\n"
                                        + "    times: 2+\n",
                                "");
        assertThat(problemsOf(rule)).isEmpty();
    }

    @Test
    void reportsUnknownProfileFeaturesWithTheClosestOne() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "txn.amount.amount_minor >= 50000",
                                        "profile.new_devce && profile.amount_zscore > 4.0")))
                .singleElement()
                .satisfies(
                        p ->
                                assertThat(p.hint())
                                        .startsWith("the profile has no feature 'new_devce'.")
                                        .contains("did you mean 'new_device'?"));
    }

    @Test
    void readsSnoozesAndReportsThoseOfUnknownRulesOrTimes() {
        pack.write(
                "snoozes.yaml",
                """
                snoozes:
                  - {account: acc-1, rule: small-then-large, until: 2026-12-01T00:00:00Z, reason: trip}
                  - {account: acc-2, rule: small-then-lrge, until: 2026-12-01T00:00:00Z, reason: x}
                  - {account: acc-3, rule: small-then-large, until: tomorrow, reason: x}
                """);
        List<Problem> problems = problemsOf(PackFixture.VALID_RULE);
        assertThat(problems)
                .extracting(Problem::message)
                .containsExactlyInAnyOrder(
                        "'until' is not a UTC time",
                        "a snooze of account 'acc-2' names a rule the pack does not have");
        assertThat(problems)
                .filteredOn(p -> p.message().startsWith("a snooze"))
                .singleElement()
                .satisfies(p -> assertThat(p.hint()).contains("did you mean 'small-then-large'?"));

        pack.write(
                "snoozes.yaml",
                "snoozes:\n  - {account: acc-1, rule: small-then-large,"
                        + " until: 2026-12-01T00:00:00Z, reason: trip}\n");
        Rule rule = pack.load().pack().rule("small-then-large").orElseThrow();
        assertThat(rule.snoozedUntil("acc-1"))
                .contains(java.time.Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(rule.snoozedUntil("acc-2")).isEmpty();
    }

    @Test
    void reportsDuplicateRuleIdsAcrossFiles() {
        pack.write("more/small-then-large.yaml", PackFixture.VALID_RULE);
        assertThat(problemsOf(PackFixture.VALID_RULE))
                .filteredOn(p -> p.message().startsWith("duplicate rule id"))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("more"));
    }

    @Test
    void reportsUnknownListNamesWithTheListsThatExist() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "txn.amount.amount_minor >= 50000",
                                        "txn.merchant.category_code in lists.high_risk_mc")))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.line()).isEqualTo(16);
                            assertThat(p.hint())
                                    .contains("no list 'high_risk_mc'")
                                    .contains("did you mean 'high_risk_mcc'?");
                        });
    }

    @Test
    void reportsStagesAConditionCannotSee() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "txn.amount.amount_minor <= 500",
                                        "size(matched.large) == 0")))
                .singleElement()
                .satisfies(p -> assertThat(p.hint()).contains("Visible stages: [small]"));
    }

    @Test
    void reportsExplanationPlaceholdersThatDoNotCheck() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "{{ size(matched.small) }}", "{{ size(matched.smal) }}")))
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.line()).isEqualTo(8);
                            assertThat(p.message()).startsWith("explanation placeholder");
                            assertThat(p.hint()).contains("did you mean 'small'?");
                        });
    }

    @Test
    void rejectsARepeatingStageWithoutLimitThatTriesEveryCombination() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "times: 2+", "times: 2+\n    loop: nondeterministic")))
                .singleElement()
                .satisfies(p -> assertThat(p.hint()).contains("exponentially"));
    }

    @Test
    void refusesANestedExistsOverAnUnboundedStageWithItsCost() {
        List<Problem> problems =
                problemsOf(
                        PackFixture.VALID_RULE.replace(
                                "where: txn.amount.amount_minor >= 50000",
                                "where: txn.amount.amount_minor >= 50000 &&"
                                        + " matched.small.exists(a, matched.small.exists(b,"
                                        + " a.amount.amount_minor == b.amount.amount_minor))"));
        assertThat(problems)
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.file()).endsWith(RULE);
                            assertThat(p.line()).isEqualTo(16);
                            assertThat(p.ruleId()).isEqualTo("small-then-large");
                            assertThat(p.message())
                                    .startsWith("stage 'large' condition, column ")
                                    .endsWith(
                                            ": too expensive, up to 1001000 iterations per"
                                                    + " evaluation (the limit is 10000)");
                            assertThat(p.hint())
                                    .startsWith(
                                            "nested exists over matched.small (up to 1000) inside"
                                                    + " exists over matched.small (up to 1000)"
                                                    + " costs up to 1000 × 1000 = 1000000"
                                                    + " evaluations of its innermost condition"
                                                    + " per event")
                                    .contains("docs/rules.md");
                        });
    }

    @Test
    void refusesAMapOverAListInsideAnExistsOverMatched() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE.replace(
                                        "where: txn.amount.amount_minor >= 50000",
                                        "where: matched.small.all(s,"
                                                + " lists.high_risk_mcc.map(m, m + '0').size() > 0)")))
                .singleElement()
                .satisfies(
                        p ->
                                assertThat(p.hint())
                                        .startsWith(
                                                "nested map/filter over lists.high_risk_mcc (up to"
                                                        + " 1000) inside all over matched.small"
                                                        + " (up to 1000)"));
    }

    @Test
    void acceptsOneExistsOverMatchedAndNestingOverABoundedStage() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE
                                        .replace("times: 2+", "times: 2..5")
                                        .replace(
                                                "where: txn.amount.amount_minor >= 50000",
                                                "where: matched.small.exists(a,"
                                                        + " matched.small.exists(b, a != b &&"
                                                        + " a.merchant.category_code == b.merchant.category_code))"
                                                        + " && lists.high_risk_mcc.exists(m,"
                                                        + " txn.merchant.category_code.startsWith(m))")))
                .isEmpty();
    }

    @Test
    void rejectsAnAbsenceRuleWhoseAwaitedStageIsOptional() {
        assertThat(
                        problemsOf(
                                PackFixture.VALID_RULE
                                        .replace("skip:", "alert_on: timeout\nskip:")
                                        .replace(
                                                "where: txn.amount.amount_minor >= 50000",
                                                "where: txn.amount.amount_minor >= 50000\n"
                                                        + "    optional: true")))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("alert_on: timeout"));
    }

    @Test
    void reportsAPatternTheEnginesCheckRefusesWithItsRuleAndLine() {
        // the job's check asks flink-cep's compiler (CepPatternCheckTest); here one that refuses
        PatternCheck refuses =
                rule -> {
                    throw new IllegalArgumentException("no " + rule.id() + " today");
                };
        List<Problem> problems = pack.write(RULE, PackFixture.VALID_RULE).load(refuses).problems();
        assertThat(problems)
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.file()).endsWith(RULE);
                            assertThat(p.line()).isEqualTo(1);
                            assertThat(p.ruleId()).isEqualTo("small-then-large");
                            assertThat(p.message())
                                    .isEqualTo(
                                            "flink-cep rejects the pattern: no small-then-large"
                                                    + " today");
                            assertThat(p.hint()).contains("docs/rules.md");
                        });
    }

    @Test
    void reportsEveryProblemOfEveryFileAtOnce() {
        pack.write(
                "other.yaml",
                PackFixture.VALID_RULE
                        .replace("id: small-then-large", "id: other")
                        .replace("score: 70", "score: x"));
        List<Problem> problems =
                problemsOf(
                        PackFixture.VALID_RULE
                                .replace("within: 10m\n", "")
                                .replace("txn.amount.amount_minor <= 500", "txn.amont <= 500"));
        assertThat(problems)
                .extracting(p -> p.file().replace(dir.toString(), ""))
                .containsExactly(
                        "/other.yaml",
                        "/other.yaml",
                        "/small-then-large.yaml",
                        "/small-then-large.yaml");
        assertThat(problems)
                .extracting(Problem::message)
                .anyMatch(m -> m.contains("has no test file"))
                .anyMatch(m -> m.contains("'score' is 'x'"))
                .anyMatch(m -> m.contains("no 'within'"))
                .anyMatch(m -> m.contains("undefined field 'amont'"));
    }

    @Test
    void reportsTestCasesThatExpectEventsTheyDoNotHave() {
        pack.write(
                "small-then-large.test.yaml",
                TESTS.replace("matched: [s1, s2, big]", "matched: [s1, s3, big]")
                        .replace("amount: 900.00}", "amount: 900.00, colour: red}"));
        List<Problem> problems = problemsOf(PackFixture.VALID_RULE);
        assertThat(problems)
                .extracting(Problem::message)
                .containsExactly(
                        "unknown key 'colour' in an event",
                        "case 'alerts' expects event 's3', which the case does not have");
        assertThat(problems).extracting(Problem::line).containsExactly(6, 8);
    }
}

package dev.argus.cli.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.RuleSpec;
import dev.argus.rules.cel.AvroValues;
import dev.argus.rules.cel.ConditionPlan;
import dev.argus.rules.cel.ExplanationTemplate;
import dev.argus.rules.cel.RuleEnvironment;
import dev.cel.common.CelValidationResult;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConditionPlan} against CEL itself, on generated traffic with profile features: where the
 * plan gives a value, CEL gives the same value; where CEL has an error, the plan leaves the
 * evaluation to CEL. Covers every condition of the built-in pack and edge cases of the operators
 * the plan implements (errors inside {@code &&} and {@code ||}, overflow, division by zero, int
 * against double, missing fields, indexes out of range). The same for the operands of a condition's
 * top-level {@code &&}s ({@link ConditionPlan#parts}), which decide a condition alone when one is
 * false: whenever an operand's plan says false, CEL's value of the whole condition is false, not an
 * error. And for the placeholders of the pack's explanations ({@link ConditionPlan#value}): where a
 * plan gives a value, it is CEL's.
 */
class ConditionPlanTest {
    private static final int EVENTS = 8_000;

    /**
     * Conditions over {@code txn}, {@code profile}, {@code lists.kinds} and {@code matched.prev}.
     */
    private static final List<String> EDGE_CASES =
            List.of(
                    "txn.amount.amount_minor + 1 > 100",
                    "txn.amount.amount_minor / 0 > 1 || txn.type == 'LOGIN'",
                    "txn.type == 'LOGIN' || txn.amount.amount_minor / 0 > 1",
                    "txn.amount.amount_minor / 0 > 1 && txn.type == 'NOPE'",
                    "txn.type == 'NOPE' && txn.amount.amount_minor / 0 > 1",
                    "txn.merchant.category_code == '5999' && (txn.type == 'LOGIN'"
                            + " && txn.amount.amount_minor / 0 > 1)",
                    "txn.amount.amount_minor / 0 > 1 && txn.type != 'NOPE'",
                    "has(txn.merchant) ? txn.merchant.category_code == '5999' : false",
                    "txn.merchant.category_code == '5999'",
                    "txn.merchant.category_code == '5999' || true",
                    "false && txn.merchant.category_code == '5999'",
                    "!txn.card_present && size(txn.transaction_id) > 3",
                    "txn.amount.amount_minor > 100.5",
                    "txn.amount.amount_minor >= 10000.0 && 10000.0 >= txn.amount.amount_minor",
                    "profile.amount_mean == 0.0 || profile.amount_stddev != 0.0",
                    "-txn.amount.amount_minor < -100",
                    "txn.amount.amount_minor * 9223372036854775 > 0",
                    "txn.amount.amount_minor - 9223372036854775807 < 0",
                    "txn.amount.amount_minor % 7 == 3",
                    "txn.amount.amount_minor / -1 < 0",
                    "profile.amount_zscore > 1.5 || profile.amount_zscore < -1.5",
                    "profile.amount_zscore / 0.0 > 1.0",
                    "profile.amount_zscore * 2.0 - 1.0 <= profile.amount_mean",
                    "profile.amount_count >= 5 && profile.amount_zscore > 4",
                    "txn.type + '-' + txn.status == 'CARD_PAYMENT-APPROVED'",
                    "size(matched.prev) > 0 && matched.prev[0].account_id == txn.account_id",
                    "matched.prev[0].amount.amount_minor <= txn.amount.amount_minor",
                    "matched.prev[1].type == txn.type",
                    "sum_amount(matched.prev) + txn.amount.amount_minor >= 10000",
                    "max_amount(matched.prev) > 5000",
                    "distance_km(matched.prev[0], txn) > 100.0",
                    "speed_kmh(matched.prev[0], txn) > 800.0 || minutes_between(matched.prev[0],"
                            + " txn) < 1.0",
                    "txn.type in lists.kinds",
                    "'LOGIN' == txn.type || 5000 < txn.amount.amount_minor",
                    "txn.amount.amount_minor != 0 && profile.amount_count == 3",
                    "profile.amount_zscore <= 2 && profile.amount_mean != 0.0",
                    "txn.status != 'APPROVED' && has(profile.amount_mean)",
                    "(txn.status in ['APPROVED']) != (txn.status == 'APPROVED')",
                    "txn.card_present == (has(txn.location) && txn.location.latitude > 0.0)",
                    "int(profile.amount_zscore * 1000.0) > 1500 || int(txn.amount.amount_minor) < 0",
                    "int(profile.amount_zscore / 0.0) > 0",
                    "txn.transaction_id.startsWith('tx')");

    private static List<EnrichedTransaction> traffic;

    @BeforeAll
    static void generate() {
        traffic = ConditionBenchmark.traffic(EVENTS);
    }

    @Test
    void agreesWithCelOnEveryConditionOfThePack() {
        RulePack pack =
                RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);
        int planned = 0;
        int evaluations = 0;
        int decidedByPart = 0;
        for (Rule rule : pack.rules()) {
            for (RuleSpec.Stage stage : rule.spec().stages()) {
                List<String> stages = rule.spec().positiveStages();
                Condition c = compile(stage.where(), stages, pack.lists());
                assertThat(c.plan())
                        .as("%s stage %s has a plan", rule.id(), stage.name())
                        .isPresent();
                Tally t = compare(c, stages, pack.lists());
                planned += t.planned;
                evaluations += t.total;
                decidedByPart += t.decidedByPart;
            }
        }
        // the plan decides nearly everything: CEL is the exception, not the rule
        assertThat((double) planned / evaluations).isGreaterThan(0.9);
        // and most conditions are false for most events, which one operand shows
        assertThat((double) decidedByPart / evaluations).isGreaterThan(0.5);
    }

    @Test
    void agreesWithCelOnTheEdgesOfEachOperator() {
        Map<String, List<String>> lists = Map.of("kinds", List.of("LOGIN", "TRANSFER"));
        int withPlan = 0;
        int decided = 0;
        int byPart = 0;
        for (String source : EDGE_CASES) {
            Condition c = compile(source, List.of("prev"), lists);
            if (c.plan().isPresent()) {
                withPlan++;
                Tally t = compare(c, List.of("prev"), lists);
                decided += t.planned;
                byPart += t.decidedByPart;
            }
        }
        // only the string method is outside the plan's ground
        assertThat(withPlan).isEqualTo(EDGE_CASES.size() - 1);
        assertThat(decided).isPositive();
        assertThat(byPart).isPositive();
    }

    private record Condition(
            String source,
            CelRuntime.Program program,
            Optional<ConditionPlan> plan,
            List<ConditionPlan.Part> parts) {}

    private static final class Tally {
        int total;
        int planned;

        /** Evaluations an operand of the top-level {@code &&}s decided alone (it was false). */
        int decidedByPart;
    }

    private static Condition compile(
            String source, List<String> stages, Map<String, List<String>> lists) {
        CelValidationResult result =
                new RuleEnvironment(lists.keySet()).compileCondition(source, "test", stages);
        assertThat(result.hasError()).as(result.getErrorString()).isFalse();
        return new Condition(
                source,
                RuleEnvironment.program(result),
                ConditionPlan.of(result),
                ConditionPlan.parts(result));
    }

    /**
     * Evaluates the condition on every event, each stage of {@code matched} holding zero to two of
     * the stream's previous events.
     */
    private static Tally compare(
            Condition c, List<String> stages, Map<String, List<String>> lists) {
        Tally tally = new Tally();
        for (int i = 2; i < traffic.size(); i++) {
            Map<String, Object> activation = activation(i, stages, lists);
            Object txn = activation.get("txn");
            Object profile = activation.get("profile");
            Object matched = activation.get("matched");
            Object expected = celValue(c.program(), activation);
            tally.total++;
            for (ConditionPlan.Part part : c.parts()) {
                if (part.plan() == null) {
                    continue;
                }
                try {
                    if (!part.plan().test(new ConditionPlan.Frame(txn, profile, lists, matched))) {
                        tally.decidedByPart++;
                        assertThat(expected)
                                .as(
                                        "%s, whose operand %s is false, on %s",
                                        c.source(), part.text(), traffic.get(i).getTransaction())
                                .isEqualTo(Boolean.FALSE);
                    }
                } catch (ConditionPlan.Fallback leftToCel) {
                    // the whole condition decides
                }
            }
            if (c.plan().isEmpty()) {
                continue;
            }
            try {
                boolean actual =
                        c.plan().get().test(new ConditionPlan.Frame(txn, profile, lists, matched));
                tally.planned++;
                assertThat((Object) actual)
                        .as("%s on %s", c.source(), traffic.get(i).getTransaction())
                        .isEqualTo(expected);
            } catch (ConditionPlan.Fallback leftToCel) {
                // CEL decides: always allowed
            }
        }
        return tally;
    }

    /**
     * Event {@code i} of the traffic as CEL's variables, each stage of {@code matched} holding zero
     * to two of the stream's previous events.
     */
    private static Map<String, Object> activation(
            int i, List<String> stages, Map<String, List<String>> lists) {
        List<Object> earlier = new ArrayList<>();
        for (int k = i % 3; k > 0; k--) {
            earlier.add(AvroValues.of(traffic.get(i - k).getTransaction()));
        }
        Map<String, Object> matched = new LinkedHashMap<>();
        stages.forEach(s -> matched.put(s, earlier));
        Map<String, Object> activation = new HashMap<>();
        activation.put("txn", AvroValues.of(traffic.get(i).getTransaction()));
        activation.put("profile", AvroValues.of(traffic.get(i).getProfile()));
        activation.put("lists", lists);
        activation.put("matched", matched);
        return activation;
    }

    /** CEL's value, or the text of its error. */
    private static Object celValue(CelRuntime.Program program, Map<String, Object> activation) {
        try {
            return program.eval(activation);
        } catch (CelEvaluationException e) {
            return "error: " + e.getMessage();
        }
    }

    @Test
    void givesCelsValueForThePlaceholdersOfThePacksExplanations() {
        RulePack pack =
                RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);
        int placeholders = 0;
        int withPlan = 0;
        int planned = 0;
        int evaluations = 0;
        for (Rule rule : pack.rules()) {
            List<String> stages = rule.spec().positiveStages();
            ExplanationTemplate template =
                    new ExplanationTemplate(
                            rule.spec().explanation(),
                            "test",
                            stages,
                            pack.lists(),
                            (expression, error) -> {
                                throw new AssertionError(expression + ": " + error);
                            });
            for (String source : template.expressions()) {
                placeholders++;
                CelValidationResult result =
                        new RuleEnvironment(pack.lists().keySet())
                                .compileExpression(source, "test", stages);
                assertThat(result.hasError()).as(result.getErrorString()).isFalse();
                Optional<ConditionPlan> plan = ConditionPlan.of(result);
                if (plan.isEmpty()) {
                    continue;
                }
                withPlan++;
                CelRuntime.Program program = RuleEnvironment.program(result);
                for (int i = 2; i < traffic.size(); i += 5) {
                    Map<String, Object> activation = activation(i, stages, pack.lists());
                    Object expected = celValue(program, activation);
                    evaluations++;
                    try {
                        Object actual =
                                plan.get()
                                        .value(
                                                new ConditionPlan.Frame(
                                                        activation.get("txn"),
                                                        activation.get("profile"),
                                                        activation.get("lists"),
                                                        activation.get("matched")));
                        planned++;
                        assertThat(actual)
                                .as("%s of %s on %s", source, rule.id(), activation.get("txn"))
                                .isEqualTo(expected);
                    } catch (ConditionPlan.Fallback leftToCel) {
                        // CEL decides: always allowed
                    }
                }
            }
        }
        // every placeholder has a plan, and the plans decide every evaluation but those CEL
        // answers with an error (an index into a stage that holds fewer events), about a fifth
        assertThat(withPlan).as("placeholders with a plan").isEqualTo(placeholders);
        assertThat(planned)
                .as("evaluations the plans decided, of %d", evaluations)
                .isGreaterThan(evaluations * 3 / 4);
    }
}

package dev.argus.rules.cel;

import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

/**
 * An evaluation past {@link ConditionCost#RUN_TIME_MAX_ITERATIONS} comprehension iterations is
 * stopped by CEL, counts as false and is counted in {@code conditions_cut_off}.
 */
class ConditionCutOffTest {
    /** Never true: no transaction id equals another's with an 'x' appended. */
    private static final String NESTED =
            "!matched.small.exists(a, matched.small.exists(b,"
                    + " a.transaction_id == b.transaction_id + 'x'))";

    /** The operator's metric group, keeping the counters registered by full name. */
    private static final class Metrics extends UnregisteredMetricsGroup {
        final Map<String, Counter> counters = new LinkedHashMap<>();
        private final String prefix;

        Metrics() {
            this("");
        }

        private Metrics(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public MetricGroup addGroup(String name) {
            return child(prefix + name + ".");
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return child(prefix + key + "." + value + ".");
        }

        private Metrics child(String p) {
            Metrics child = new Metrics(p);
            child.root = root == null ? this : root;
            return child;
        }

        Metrics root;

        @Override
        public Counter counter(String name) {
            Counter c = new SimpleCounter();
            (root == null ? this : root).counters.put(prefix + name, c);
            return c;
        }

        long count(String name) {
            return counters.get(name).getCount();
        }
    }

    private static StageEvents small(int n) {
        Transaction[] events =
                IntStream.range(0, n)
                        .mapToObj(i -> payment("s" + i).build())
                        .toArray(Transaction[]::new);
        return new StageEvents().with("small", events);
    }

    private static CelCondition condition(
            String ruleId, String source, List<String> stages, Map<String, List<String>> lists) {
        return new CelCondition(ruleId, "large", source, "test.yaml", stages, lists);
    }

    @Test
    void aNestedExistsOverABigMatchedStageIsCutOffCountedAndFalse() {
        Metrics metrics = new Metrics();
        CelCondition condition = condition("cut-matched", NESTED, List.of("small"), Map.of());
        condition.useMetrics(metrics);
        EnrichedTransaction big = StageEvents.enriched(payment("big").build());

        // 100 events: 100 × 100 iterations, under the limit: evaluated to the end
        assertThat(condition.filter(big, small(100))).isTrue();
        // 200 events: 200 × 200 iterations, past the limit: stopped, and not matched
        assertThat(condition.filter(big, small(200))).isFalse();

        String stage = "argus.rule.cut-matched.stage.large.";
        assertThat(metrics.count(stage + "conditions_cut_off")).isEqualTo(1);
        assertThat(metrics.count(stage + "condition_errors")).isZero();
        assertThat(metrics.count(stage + "evaluations")).isEqualTo(2);
    }

    @Test
    void anExistsOverAListGrownPastTheLimitIsCutOff() {
        List<String> huge = new ArrayList<>();
        for (int i = 0; i < 2 * ConditionCost.RUN_TIME_MAX_ITERATIONS; i++) {
            huge.add("m" + i);
        }
        Metrics metrics = new Metrics();
        CelCondition condition =
                condition(
                        "cut-list",
                        "!lists.merchants.exists(m, m == txn.merchant.category_code)",
                        List.of(),
                        Map.of("merchants", huge));
        condition.useMetrics(metrics);
        assertThat(condition.filter(StageEvents.enriched(payment("t").build()), new StageEvents()))
                .isFalse();
        assertThat(metrics.count("argus.rule.cut-list.stage.large.conditions_cut_off"))
                .isEqualTo(1);

        // the same list small enough: evaluated, and true
        CelCondition small =
                condition(
                        "cut-list-small",
                        "!lists.merchants.exists(m, m == txn.merchant.category_code)",
                        List.of(),
                        Map.of("merchants", huge.subList(0, 1000)));
        small.useMetrics(metrics);
        assertThat(small.filter(StageEvents.enriched(payment("t2").build()), new StageEvents()))
                .isTrue();
        assertThat(metrics.count("argus.rule.cut-list-small.stage.large.conditions_cut_off"))
                .isZero();
    }
}

package dev.argus.job.alerting;

import dev.argus.job.savepoint.States;
import dev.argus.model.Alert;
import dev.argus.rules.Rule;
import dev.argus.rules.RuleSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The last gate of every alert, keyed by account:
 *
 * <ol>
 *   <li>a rule the risk team snoozed for the account (snoozes.yaml) does not alert until the snooze
 *       ends (wall-clock time), counted in {@code argus.rule.<id>.snoozed};
 *   <li>after an alert, the same rule stays silent on the same account for its quiet period,
 *       measured in event time from the last matched event, so a replay decides the same way;
 *       counted in {@code argus.rule.<id>.suppressed};
 *   <li>alerts of {@code enforce} rules go to the main output (the alerts topic), those of {@code
 *       shadow} rules to {@link #SHADOW} (the shadow-alerts topic).
 * </ol>
 *
 * <p>The matches it holds back leave through {@link #SNOOZED} and {@link #QUIETED}: the job
 * discards them, a backtest counts them.
 *
 * <p>State: per account, the event time of each rule's last alert, kept for the longest quiet
 * period.
 */
public final class AlertGateFunction extends KeyedProcessFunction<String, Alert, Alert> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Alert> SHADOW =
            new OutputTag<>("shadow-alerts", new AvroTypeInfo<>(Alert.class));

    /** Matches held back because the rule is snoozed for the account. */
    public static final OutputTag<Alert> SNOOZED =
            new OutputTag<>("snoozed-alerts", new AvroTypeInfo<>(Alert.class));

    /** Matches held back within the rule's quiet period on the account. */
    public static final OutputTag<Alert> QUIETED =
            new OutputTag<>("quieted-alerts", new AvroTypeInfo<>(Alert.class));

    private final HashMap<String, Rule> rules = new HashMap<>();
    private transient MapState<String, Long> lastAlert;
    private transient Map<String, Counter> counters;
    private transient MetricGroup metrics;

    public AlertGateFunction(List<Rule> rules) {
        rules.forEach(r -> this.rules.put(r.id(), r));
    }

    @Override
    public void open(OpenContext openContext) {
        Duration longest =
                rules.values().stream()
                        .map(Rule::quietPeriod)
                        .max(Duration::compareTo)
                        .orElse(Duration.ZERO);
        lastAlert = getRuntimeContext().getMapState(States.lastAlertByRule(longest));
        counters = new HashMap<>();
        metrics = getRuntimeContext().getMetricGroup().addGroup("argus");
    }

    @Override
    public void processElement(Alert alert, Context ctx, Collector<Alert> out) throws Exception {
        Rule rule = rules.get(alert.getRuleId());
        if (rule == null) {
            ctx.output(SHADOW, alert); // not a rule of this job: never act on it
            return;
        }
        Optional<Instant> snoozed = rule.snoozedUntil(alert.getAccountId());
        if (snoozed.isPresent() && alert.getDetectionTime().isBefore(snoozed.get())) {
            count(rule, "snoozed");
            ctx.output(SNOOZED, alert);
            return;
        }
        long quiet = rule.quietPeriod().toMillis();
        if (quiet > 0) {
            long at = alert.getLastEventTime().toEpochMilli();
            Long previous = lastAlert.get(rule.id());
            if (previous != null && at < previous + quiet && at >= previous) {
                count(rule, "suppressed");
                ctx.output(QUIETED, alert);
                return;
            }
            lastAlert.put(rule.id(), Math.max(at, previous == null ? at : previous));
        }
        count(rule, "alerts");
        if (rule.mode() == RuleSpec.Mode.ENFORCE) {
            out.collect(alert);
        } else {
            ctx.output(SHADOW, alert);
        }
    }

    private void count(Rule rule, String what) {
        counters.computeIfAbsent(
                        rule.id() + "/" + what,
                        k -> metrics.addGroup("rule", rule.id()).counter(what))
                .inc();
    }
}

package dev.argus.job.functions;

import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/**
 * Turns a match of a rule's pattern into an {@link Alert}: deterministic id, the rule's severity
 * and score, its explanation of the match, and the matched events by stage in event-time order. For
 * absence rules see {@link AbsenceToAlertFunction}.
 */
public class MatchToAlertFunction extends PatternProcessFunction<EnrichedTransaction, Alert> {
    private static final long serialVersionUID = 1L;

    protected final Rule rule;
    protected transient Counter alerts;

    public MatchToAlertFunction(Rule rule) {
        this.rule = rule;
    }

    @Override
    public void open(OpenContext openContext) {
        alerts =
                getRuntimeContext()
                        .getMetricGroup()
                        .addGroup("argus")
                        .addGroup("rule", rule.id())
                        .counter("alerts");
    }

    @Override
    public void processMatch(
            Map<String, List<EnrichedTransaction>> match, Context ctx, Collector<Alert> out) {
        out.collect(toAlert(rule, match, Instant.ofEpochMilli(ctx.currentProcessingTime())));
        alerts.inc();
    }

    /** The alert for one match; pure apart from the detection time given. */
    public static Alert toAlert(
            Rule rule, Map<String, List<EnrichedTransaction>> match, Instant detectionTime) {
        List<MatchedEvent> events = new ArrayList<>();
        Transaction any = null;
        for (Map.Entry<String, List<EnrichedTransaction>> stage : match.entrySet()) {
            for (EnrichedTransaction e : stage.getValue()) {
                Transaction t = e.getTransaction();
                any = t;
                events.add(
                        new MatchedEvent(
                                stage.getKey(),
                                t.getTransactionId(),
                                t.getEventTime(),
                                t.getType(),
                                t.getAmount()));
            }
        }
        // stable: events of equal time keep the stage order of the pattern
        events.sort(Comparator.comparing(MatchedEvent::getEventTime));
        List<String> ids = events.stream().map(MatchedEvent::getTransactionId).toList();
        String account = any.getAccountId();
        return Alert.newBuilder()
                .setAlertId(AlertIds.of(rule.id(), rule.version(), account, ids))
                .setRuleId(rule.id())
                .setRuleVersion(rule.version())
                .setAccountId(account)
                .setSeverity(rule.severity())
                .setScore(rule.score())
                .setExplanation(rule.explain(match))
                .setMatchedEvents(events)
                .setLastEventTime(events.get(events.size() - 1).getEventTime())
                .setDetectionTime(detectionTime)
                .build();
    }
}

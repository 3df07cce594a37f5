package dev.argus.job.alerting;

import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Merchant;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import dev.argus.rules.RuleSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * Builds the {@link Alert} of one match of a rule's pattern, for the rule engine and for stock
 * flink-cep alike: a deterministic id ({@link AlertIds}), the rule's severity, score and mode, its
 * explanation of the match, the features its conditions read, and the matched events by stage in
 * event-time order.
 */
public final class AlertBuilder {
    private AlertBuilder() {}

    private static MatchedEvent matchedEvent(String stage, Transaction t) {
        Merchant m = t.getMerchant();
        return MatchedEvent.newBuilder()
                .setStage(stage)
                .setTransactionId(t.getTransactionId())
                .setEventTime(t.getEventTime())
                .setType(t.getType())
                .setAmount(t.getAmount())
                .setChannel(t.getChannel())
                .setMerchantId(m == null ? null : m.getMerchantId())
                .setMerchantCategoryCode(m == null ? null : m.getCategoryCode())
                .setCounterpartyId(t.getCounterpartyId())
                .setDeviceId(t.getDeviceId())
                .setCountry(t.getLocation() == null ? null : t.getLocation().getCountry())
                .build();
    }

    /**
     * The features each stage's condition read, from the profile of the stage's first event: {@code
     * stage.feature -> value}.
     */
    static Map<String, String> features(Rule rule, Map<String, List<EnrichedTransaction>> match) {
        Map<String, String> out = new TreeMap<>();
        rule.featuresUsed()
                .forEach(
                        (stage, names) -> {
                            List<EnrichedTransaction> events = match.get(stage);
                            if (events == null || events.isEmpty()) {
                                return;
                            }
                            ProfileFeatures profile = events.get(0).getProfile();
                            for (String name : names) {
                                Schema.Field field = profile.getSchema().getField(name);
                                if (field != null) {
                                    out.put(
                                            stage + "." + name,
                                            String.valueOf(profile.get(field.pos())));
                                }
                            }
                        });
        return out;
    }

    /** The alert for one match; pure apart from the detection time given. */
    public static Alert alert(
            Rule rule, Map<String, List<EnrichedTransaction>> match, Instant detectionTime) {
        List<MatchedEvent> events = new ArrayList<>();
        Transaction any = null;
        for (Map.Entry<String, List<EnrichedTransaction>> stage : match.entrySet()) {
            for (EnrichedTransaction e : stage.getValue()) {
                Transaction t = e.getTransaction();
                any = t;
                events.add(matchedEvent(stage.getKey(), t));
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
                .setPackVersion(rule.packVersion())
                .setMode(rule.mode() == RuleSpec.Mode.SHADOW ? AlertMode.SHADOW : AlertMode.ENFORCE)
                .setAccountId(account)
                .setSeverity(rule.severity())
                .setScore(rule.score())
                .setRecommendedAction(rule.recommendedAction())
                .setExplanation(rule.explain(match))
                .setMatchedEvents(events)
                .setFeatures(features(rule, match))
                .setLastEventTime(events.get(events.size() - 1).getEventTime())
                .setDetectionTime(detectionTime)
                .build();
    }
}

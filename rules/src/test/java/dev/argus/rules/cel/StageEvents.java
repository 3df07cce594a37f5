package dev.argus.rules.cel;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;

/** The events of a partial match by stage, as flink-cep hands them to a condition. */
final class StageEvents implements IterativeCondition.Context<EnrichedTransaction> {
    private final Map<String, List<EnrichedTransaction>> stages = new LinkedHashMap<>();

    StageEvents with(String stage, Transaction... events) {
        stages.put(stage, Arrays.stream(events).map(StageEvents::enriched).toList());
        return this;
    }

    /** An event with the features of an account's first event. */
    static EnrichedTransaction enriched(Transaction t) {
        return new EnrichedTransaction(t, ProfileFeatures.newBuilder().build());
    }

    Map<String, List<EnrichedTransaction>> asMatch() {
        return stages;
    }

    @Override
    public Iterable<EnrichedTransaction> getEventsForPattern(String name) {
        return stages.getOrDefault(name, List.of());
    }

    @Override
    public long timestamp() {
        return 0;
    }

    @Override
    public long currentProcessingTime() {
        return 0;
    }
}

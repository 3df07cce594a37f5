package dev.argus.rules.cel;

import dev.argus.model.Transaction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;

/** The events of a partial match by stage, as flink-cep hands them to a condition. */
final class StageEvents implements IterativeCondition.Context<Transaction> {
    private final Map<String, List<Transaction>> stages = new LinkedHashMap<>();

    StageEvents with(String stage, Transaction... events) {
        stages.put(stage, List.of(events));
        return this;
    }

    Map<String, List<Transaction>> asMatch() {
        return stages;
    }

    @Override
    public Iterable<Transaction> getEventsForPattern(String name) {
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

package dev.argus.job.engine;

import dev.argus.model.EnrichedTransaction;
import java.util.List;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;

/**
 * What a condition sees when the engine asks it about an event before, or without, loading any
 * partial match: nothing matched yet, the event's time. For a fresh account's start conditions that
 * is exactly what flink-cep would give them; a condition that does not read {@code matched} sees
 * only the event anyway.
 */
class NoMatchContext implements IterativeCondition.Context<EnrichedTransaction> {
    private final long timestamp;

    NoMatchContext(long timestamp) {
        this.timestamp = timestamp;
    }

    @Override
    public Iterable<EnrichedTransaction> getEventsForPattern(String name) throws Exception {
        return List.of();
    }

    @Override
    public long timestamp() {
        return timestamp;
    }

    @Override
    public long currentProcessingTime() {
        return System.currentTimeMillis();
    }
}

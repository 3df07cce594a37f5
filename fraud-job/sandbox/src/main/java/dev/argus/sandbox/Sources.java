package dev.argus.sandbox;

import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;

/** Bounded sources for jobs that run in this JVM: rule tests and pipeline tests. */
public final class Sources {
    private Sources() {}

    /** The elements in order (with parallelism 1), travelling with the job graph. */
    public static <T> DataGeneratorSource<T> of(List<T> elements, TypeInformation<T> type) {
        List<T> data = List.copyOf(elements);
        return new DataGeneratorSource<>(
                i -> data.get(i.intValue()), data.size(), RateLimiterStrategy.noOp(), type);
    }
}

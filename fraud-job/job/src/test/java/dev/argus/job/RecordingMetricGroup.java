package dev.argus.job;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

/**
 * A metric group that remembers the counters registered under it, by their dotted path from this
 * group, a key and value group as both ({@code argus.reason.LATE.dead_letters}), so a test can read
 * what a function counted.
 */
public final class RecordingMetricGroup extends UnregisteredMetricsGroup {
    private final String prefix;
    private final Map<String, Counter> counters;

    public RecordingMetricGroup() {
        this("", new ConcurrentHashMap<>());
    }

    private RecordingMetricGroup(String prefix, Map<String, Counter> counters) {
        this.prefix = prefix;
        this.counters = counters;
    }

    @Override
    public Counter counter(String name) {
        return counter(name, new SimpleCounter());
    }

    @Override
    public <C extends Counter> C counter(String name, C counter) {
        counters.put(prefix + name, counter);
        return counter;
    }

    @Override
    public MetricGroup addGroup(String name) {
        return new RecordingMetricGroup(prefix + name + ".", counters);
    }

    @Override
    public MetricGroup addGroup(String key, String value) {
        return new RecordingMetricGroup(prefix + key + "." + value + ".", counters);
    }

    /** Whether a counter was registered at {@code path}. */
    public boolean registered(String path) {
        return counters.containsKey(path);
    }

    /** The count of the counter at {@code path}, or 0 if none was registered there. */
    public long count(String path) {
        Counter c = counters.get(path);
        return c == null ? 0 : c.getCount();
    }
}

package dev.argus.job.engine;

import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.state.AggregatingState;
import org.apache.flink.api.common.state.AggregatingStateDescriptor;
import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReducingState;
import org.apache.flink.api.common.state.ReducingStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The keyed state store that flink-cep's shared buffer is built on, inside the engine: its map
 * states are plain in-memory maps holding one account's contents at a time. The engine fills them
 * from the account's single RocksDB value before an event and reads them back after it, so the
 * shared buffer never touches RocksDB itself. Each map keeps the serializers its descriptor names,
 * so the engine stores the contents with flink-cep's own serializers. Only map state exists, which
 * is all the shared buffer asks for.
 */
final class PerKeyMapStore implements KeyedStateStore {
    /** A map state as its user asked for it: its name, serializers and contents. */
    record Registered(
            String name,
            TypeSerializer<Object> keySerializer,
            TypeSerializer<Object> valueSerializer,
            Map<Object, Object> contents) {}

    private final Map<String, Registered> maps = new LinkedHashMap<>();

    /** The map states in the order they were asked for. */
    Collection<Registered> maps() {
        return maps.values();
    }

    /** Empties every map: the next account starts from nothing. */
    void clear() {
        maps.values().forEach(m -> m.contents().clear());
    }

    /** Whether every map is empty. */
    boolean isEmpty() {
        return maps.values().stream().allMatch(m -> m.contents().isEmpty());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <UK, UV> MapState<UK, UV> getMapState(MapStateDescriptor<UK, UV> descriptor) {
        if (descriptor.getKeySerializer() == null || descriptor.getValueSerializer() == null) {
            throw new IllegalStateException(
                    "map state " + descriptor.getName() + " has no explicit serializers");
        }
        Registered registered =
                maps.computeIfAbsent(
                        descriptor.getName(),
                        n ->
                                new Registered(
                                        n,
                                        (TypeSerializer<Object>) descriptor.getKeySerializer(),
                                        (TypeSerializer<Object>) descriptor.getValueSerializer(),
                                        new HashMap<>()));
        Map<UK, UV> map = (Map<UK, UV>) (Map<?, ?>) registered.contents();
        return new MapState<>() {
            @Override
            public UV get(UK key) {
                return map.get(key);
            }

            @Override
            public void put(UK key, UV value) {
                map.put(key, value);
            }

            @Override
            public void putAll(Map<UK, UV> all) {
                map.putAll(all);
            }

            @Override
            public void remove(UK key) {
                map.remove(key);
            }

            @Override
            public boolean contains(UK key) {
                return map.containsKey(key);
            }

            @Override
            public Iterable<Map.Entry<UK, UV>> entries() {
                return map.entrySet();
            }

            @Override
            public Iterable<UK> keys() {
                return map.keySet();
            }

            @Override
            public Iterable<UV> values() {
                return map.values();
            }

            @Override
            public Iterator<Map.Entry<UK, UV>> iterator() {
                return map.entrySet().iterator();
            }

            @Override
            public boolean isEmpty() {
                return map.isEmpty();
            }

            @Override
            public void clear() {
                map.clear();
            }
        };
    }

    private static UnsupportedOperationException only(String kind) {
        return new UnsupportedOperationException(
                kind
                        + " is not available to flink-cep inside the Argus rule engine: only map state");
    }

    @Override
    public <T> ValueState<T> getState(ValueStateDescriptor<T> d) {
        throw only("value state");
    }

    @Override
    public <T> ListState<T> getListState(ListStateDescriptor<T> d) {
        throw only("list state");
    }

    @Override
    public <T> ReducingState<T> getReducingState(ReducingStateDescriptor<T> d) {
        throw only("reducing state");
    }

    @Override
    public <IN, ACC, OUT> AggregatingState<IN, OUT> getAggregatingState(
            AggregatingStateDescriptor<IN, ACC, OUT> d) {
        throw only("aggregating state");
    }

    @Override
    public <T> org.apache.flink.api.common.state.v2.ValueState<T> getValueState(
            org.apache.flink.api.common.state.v2.ValueStateDescriptor<T> d) {
        throw only("value state");
    }

    @Override
    public <T> org.apache.flink.api.common.state.v2.ListState<T> getListState(
            org.apache.flink.api.common.state.v2.ListStateDescriptor<T> d) {
        throw only("list state");
    }

    @Override
    public <UK, UV> org.apache.flink.api.common.state.v2.MapState<UK, UV> getMapState(
            org.apache.flink.api.common.state.v2.MapStateDescriptor<UK, UV> d) {
        throw only("asynchronous map state");
    }

    @Override
    public <T> org.apache.flink.api.common.state.v2.ReducingState<T> getReducingState(
            org.apache.flink.api.common.state.v2.ReducingStateDescriptor<T> d) {
        throw only("reducing state");
    }

    @Override
    public <IN, ACC, OUT>
            org.apache.flink.api.common.state.v2.AggregatingState<IN, OUT> getAggregatingState(
                    org.apache.flink.api.common.state.v2.AggregatingStateDescriptor<IN, ACC, OUT>
                            d) {
        throw only("aggregating state");
    }

    @Override
    public String getBackendTypeIdentifier() {
        return "argus-engine-in-memory";
    }
}

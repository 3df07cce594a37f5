package dev.argus.job.engine;

import java.io.IOException;
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
import org.apache.flink.core.memory.DataInputDeserializer;

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

    /**
     * A value as stored, not yet deserialized: loading an account copies each value's bytes, and
     * only a value the NFA reads is deserialized. A value never read is stored again as it was, so
     * the events of a partial match cost no serialization while they wait.
     */
    static final class Raw {
        final byte[] bytes;

        Raw(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    private final Map<String, Registered> maps = new LinkedHashMap<>();

    /** The map states in the order they were asked for. */
    Collection<Registered> maps() {
        return maps.values();
    }

    /** Empties every map: the next account starts from nothing. */
    void clear() {
        maps.values().forEach(m -> m.contents().clear());
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
        TypeSerializer<UV> values = descriptor.getValueSerializer();
        return new MapState<>() {
            @Override
            public UV get(UK key) throws IOException {
                Object v = map.get(key);
                if (v instanceof Raw raw) {
                    UV value = values.deserialize(new DataInputDeserializer(raw.bytes));
                    map.put(key, value);
                    return value;
                }
                return (UV) v;
            }

            /** Deserializes what is still raw, before the contents are handed out. */
            private Map<UK, UV> resolved() throws IOException {
                for (Map.Entry<UK, UV> e : map.entrySet()) {
                    if (e.getValue() instanceof Raw raw) {
                        e.setValue(values.deserialize(new DataInputDeserializer(raw.bytes)));
                    }
                }
                return map;
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
            public Iterable<Map.Entry<UK, UV>> entries() throws IOException {
                return resolved().entrySet();
            }

            @Override
            public Iterable<UK> keys() {
                return map.keySet();
            }

            @Override
            public Iterable<UV> values() throws IOException {
                return resolved().values();
            }

            @Override
            public Iterator<Map.Entry<UK, UV>> iterator() throws IOException {
                return resolved().entrySet().iterator();
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

package dev.argus.rules.cel;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro values as CEL runtime values: a record is a read-only map from field name to value (absent
 * when null, so {@code has()} works), enums are their symbol, timestamps epoch milliseconds,
 * numbers {@code long} or {@code double}. The map is a lazy view: a field is converted only when an
 * expression reads it, by position (no reflection).
 */
public final class AvroValues {
    private AvroValues() {}

    public static Map<String, Object> of(IndexedRecord record) {
        return new RecordView(record);
    }

    static Object value(Object value) {
        if (value == null) {
            return null;
        }
        // the values of most fields first, by their exact class: no search of a class's interfaces,
        // which an instanceof of an interface costs when it fails
        Class<?> type = value.getClass();
        if (type == String.class
                || type == Long.class
                || type == Double.class
                || type == Boolean.class) {
            return value;
        }
        if (value instanceof Enum<?>) {
            return value.toString();
        }
        if (value instanceof IndexedRecord record) {
            return new RecordView(record);
        }
        if (value instanceof CharSequence || value instanceof GenericEnumSymbol<?>) {
            return value.toString();
        }
        if (value instanceof Instant instant) {
            return instant.toEpochMilli();
        }
        if (value instanceof Integer i) {
            return i.longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof ByteBuffer buffer) {
            return com.google.protobuf.ByteString.copyFrom(buffer.duplicate());
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(value(v)));
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new HashMap<>();
            map.forEach((k, v) -> out.put(k.toString(), value(v)));
            return out;
        }
        return value; // Long, Double, Boolean
    }

    /**
     * A field of the records a compiled condition reads, by name, with its position in the schema
     * it was last read from: the schema rarely changes, so the field is found without a lookup by
     * name. Plans are shared by threads: the pair is replaced whole, never changed.
     */
    static final class FieldSlot {
        private record Position(Schema schema, Schema.Field field) {}

        private final String name;
        private volatile Position last;

        FieldSlot(String name) {
            this.name = name;
        }

        /** The field in {@code schema}, or null when it has none of this name. */
        Schema.Field in(Schema schema) {
            Position p = last;
            if (p == null || p.schema != schema) {
                p = new Position(schema, schema.getField(name));
                last = p;
            }
            return p.field;
        }
    }

    /** A record's fields by name, converted on first read. */
    static final class RecordView extends AbstractMap<String, Object> {
        private final IndexedRecord record;
        private final Schema schema;
        private Object[] converted;

        RecordView(IndexedRecord record) {
            this.record = record;
            this.schema = record.getSchema();
        }

        @Override
        public boolean containsKey(Object key) {
            return get(key) != null;
        }

        @Override
        public Object get(Object key) {
            if (!(key instanceof String name)) {
                return null;
            }
            return get(schema.getField(name));
        }

        /** The field's value, as {@link #get(Object)} gives it, found through the slot. */
        Object get(FieldSlot slot) {
            return get(slot.in(schema));
        }

        /** Whether the field is present (not null), without converting its value. */
        boolean has(FieldSlot slot) {
            Schema.Field field = slot.in(schema);
            return field != null && record.get(field.pos()) != null;
        }

        private Object get(Schema.Field field) {
            if (field == null) {
                return null;
            }
            if (converted == null) {
                converted = new Object[schema.getFields().size()];
            }
            int pos = field.pos();
            Object v = converted[pos];
            if (v == null) {
                Object raw = record.get(pos);
                if (raw == null) {
                    return null;
                }
                v = value(raw);
                converted[pos] = v;
            }
            return v;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Map<String, Object> all = new LinkedHashMap<>();
            for (Schema.Field f : schema.getFields()) {
                Object v = get(f.name());
                if (v != null) {
                    all.put(f.name(), v);
                }
            }
            return all.entrySet();
        }

        @Override
        public int size() {
            return entrySet().size();
        }
    }
}

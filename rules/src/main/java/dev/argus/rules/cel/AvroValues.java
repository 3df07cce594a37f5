package dev.argus.rules.cel;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro values as CEL runtime values: records become maps from field name to value (absent when
 * null, so {@code has()} works), enums their symbol, timestamps epoch milliseconds, numbers {@code
 * long} or {@code double}. Reads fields by position: no reflection on the hot path.
 */
public final class AvroValues {
    private AvroValues() {}

    public static Map<String, Object> of(IndexedRecord record) {
        Schema schema = record.getSchema();
        List<Schema.Field> fields = schema.getFields();
        Map<String, Object> out = new HashMap<>(fields.size() * 2);
        for (Schema.Field field : fields) {
            Object value = record.get(field.pos());
            if (value != null) {
                out.put(field.name(), value(value));
            }
        }
        return out;
    }

    private static Object value(Object value) {
        if (value instanceof IndexedRecord record) {
            return of(record);
        }
        if (value instanceof CharSequence
                || value instanceof Enum<?>
                || value instanceof org.apache.avro.generic.GenericEnumSymbol<?>) {
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
}

package dev.argus.job;

import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.registry.SchemaRegistryClient;
import dev.argus.model.serde.ConfluentAvroSerializer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes Avro records to one topic in the Confluent wire format, keyed and timestamped by the given
 * functions. The record timestamp is set explicitly (to when Argus produced the record, not the
 * event time of old input), so that topic retention does not delete fresh output.
 */
public final class RegistryRecordSerializationSchema<T extends SpecificRecord>
        implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    /** A serializable function from a record to its key or timestamp. */
    public interface Field<T, R> extends Function<T, R>, java.io.Serializable {}

    private final String topic;
    private final ConfluentAvroSerializer<T> serializer;
    private final Field<T, byte[]> key;
    private final Field<T, Long> timestamp;
    private final RegistryConfig registry;
    private final boolean autoRegister;
    private String subjectCompatibility;

    public RegistryRecordSerializationSchema(
            String topic,
            RegistryConfig registry,
            Class<T> type,
            boolean autoRegister,
            Field<T, byte[]> key,
            Field<T, Long> timestamp) {
        this.topic = topic;
        this.serializer = new ConfluentAvroSerializer<>(registry, type, autoRegister);
        this.key = key;
        this.timestamp = timestamp;
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    /**
     * The compatibility rule to set on the topic's value subject before registering (only when
     * auto-registering), so the registry refuses a schema that breaks the contract, e.g. BACKWARD
     * for the alerts.
     */
    public RegistryRecordSerializationSchema<T> withSubjectCompatibility(String level) {
        this.subjectCompatibility = level;
        return this;
    }

    @Override
    public void open(
            org.apache.flink.api.common.serialization.SerializationSchema.InitializationContext
                    context,
            KafkaSinkContext sinkContext)
            throws Exception {
        if (autoRegister && subjectCompatibility != null) {
            new SchemaRegistryClient(registry)
                    .setCompatibility(topic + "-value", subjectCompatibility);
        }
    }

    /** UTF-8 bytes of a string key. */
    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            T element, KafkaSinkContext context, Long elementTimestamp) {
        return new ProducerRecord<>(
                topic,
                null,
                timestamp.apply(element),
                key.apply(element),
                serializer.serialize(topic, element));
    }
}

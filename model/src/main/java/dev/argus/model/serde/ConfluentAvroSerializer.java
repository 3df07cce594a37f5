package dev.argus.model.serde;

import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.registry.RegistryException;
import dev.argus.model.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Writes Avro records in the Confluent wire format, with the schema registered (or, with
 * auto-registration off, looked up) under the topic's value subject ({@code <topic>-value}).
 *
 * <p>Serializable: the registry client is opened lazily where the serializer runs. Not thread-safe;
 * give each thread its own instance.
 */
public final class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final RegistryConfig registry;
    private final Class<T> type;
    private final boolean autoRegister;

    private transient SchemaRegistryClient client;
    private transient Schema schema;
    private transient SpecificDatumWriter<T> writer;
    private transient ConcurrentHashMap<String, Integer> idsByTopic;
    private transient ByteArrayOutputStream buffer;
    private transient BinaryEncoder encoder;

    /**
     * @param autoRegister register the schema when the subject lacks it; turn off where schemas are
     *     governed and registered ahead of deployment
     */
    public ConfluentAvroSerializer(RegistryConfig registry, Class<T> type, boolean autoRegister) {
        this.registry = registry;
        this.type = type;
        this.autoRegister = autoRegister;
    }

    public byte[] serialize(String topic, T record) {
        init();
        int id = idsByTopic.computeIfAbsent(topic, this::schemaIdFor);
        buffer.reset();
        buffer.write(WireFormat.MAGIC_BYTE);
        buffer.write(id >>> 24);
        buffer.write(id >>> 16);
        buffer.write(id >>> 8);
        buffer.write(id);
        try {
            encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
        }
        return buffer.toByteArray();
    }

    /** The global id of the schema this serializer writes to {@code topic}. */
    public int schemaId(String topic) {
        init();
        return idsByTopic.computeIfAbsent(topic, this::schemaIdFor);
    }

    private int schemaIdFor(String topic) {
        String subject = WireFormat.valueSubject(topic);
        if (autoRegister) {
            return client.register(subject, schema);
        }
        return client.lookup(subject, schema)
                .orElseThrow(
                        () ->
                                new RegistryException(
                                        404,
                                        40403,
                                        "schema of "
                                                + type.getSimpleName()
                                                + " is not registered under subject "
                                                + subject
                                                + ": register it first, or enable auto-registration"))
                .id();
    }

    private void init() {
        if (writer != null) {
            return;
        }
        client = new SchemaRegistryClient(registry);
        schema = SpecificData.get().getSchema(type);
        writer = new SpecificDatumWriter<>(schema);
        idsByTopic = new ConcurrentHashMap<>();
        buffer = new ByteArrayOutputStream(256);
    }
}

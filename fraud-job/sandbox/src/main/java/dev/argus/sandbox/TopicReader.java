package dev.argus.sandbox;

import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic as a {@code read_committed} consumer would, decoding Avro values. */
public final class TopicReader {
    private TopicReader() {}

    /** Every committed record of {@code topic}, from the beginning to its current end. */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(
            String bootstrapServers, String topic) {
        return read(bootstrapServers, topic, "read_committed");
    }

    /**
     * Every record of {@code topic} as a {@code read_uncommitted} consumer sees it: also those of
     * open and aborted transactions.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readUncommitted(
            String bootstrapServers, String topic) {
        return read(bootstrapServers, topic, "read_uncommitted");
    }

    /**
     * {@link #readCommitted(String, String)} with further client properties, for example the
     * security settings of a SASL_SSL listener; {@code client} holds {@code bootstrap.servers}.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(
            Properties client, String topic) {
        return read(client, topic, "read_committed");
    }

    /** {@link #readCommitted(String, String, RegistryConfig, Class)} with client properties. */
    public static <T extends SpecificRecord> List<T> readCommitted(
            Properties client, String topic, RegistryConfig registry, Class<T> type)
            throws Exception {
        return decode(readCommitted(client, topic), registry, type);
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(
            String bootstrapServers, String topic, String isolation) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return read(props, topic, isolation);
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(
            Properties client, String topic, String isolation) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // for read_committed, the end offset is the last stable offset
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "could not read " + topic + " to its end " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    public static <T extends SpecificRecord> List<T> readCommitted(
            String bootstrapServers, String topic, RegistryConfig registry, Class<T> type)
            throws Exception {
        return decode(readCommitted(bootstrapServers, topic), registry, type);
    }

    private static <T extends SpecificRecord> List<T> decode(
            List<ConsumerRecord<byte[], byte[]>> records, RegistryConfig registry, Class<T> type)
            throws Exception {
        ConfluentAvroDeserializer<T> deserializer = new ConfluentAvroDeserializer<>(registry, type);
        List<T> values = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            values.add(deserializer.deserialize(r.value()));
        }
        return values;
    }
}

package dev.argus.job;

import dev.argus.model.Transaction;
import dev.argus.model.serde.ConfluentAvroSerializer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces transactions to the job's transactions topic as payment systems do: in the Confluent
 * wire format with the registry's schema id, keyed by account, idempotent and in order.
 */
final class TransactionProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final ConfluentAvroSerializer<Transaction> serializer;
    private final String topic;

    TransactionProducer(JobConfig config) {
        this(config, bootstrap(config));
    }

    /** With the Kafka {@code client} properties (a secured broker's, say) instead of the job's. */
    TransactionProducer(JobConfig config, Properties client) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        serializer = new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
        topic = config.get("topic.transactions");
    }

    private static Properties bootstrap(JobConfig config) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return props;
    }

    /**
     * Sends {@code events} in order (to the partition of their account unless {@code partition} is
     * set), flushes, and fails if the broker did not take every one of them: a record the producer
     * gave up on (after its delivery timeout) would otherwise show up only as alerts missing at the
     * end of a test.
     */
    void send(List<Transaction> events, Integer partition) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(events.size());
        for (Transaction t : events) {
            sent.add(
                    producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    partition,
                                    t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                    serializer.serialize(topic, t))));
        }
        producer.flush();
        int failed = 0;
        Throwable first = null;
        for (var f : sent) {
            try {
                f.get();
            } catch (ExecutionException | InterruptedException e) {
                failed++;
                first = first == null ? e.getCause() : first;
            }
        }
        if (failed > 0) {
            throw new IllegalStateException(
                    failed
                            + " of "
                            + events.size()
                            + " transactions were not delivered to "
                            + topic,
                    first);
        }
    }

    /** Sends one record as it is, bytes the producer made, keyed by {@code key}: not flushed. */
    java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> sendRaw(
            byte[] key, byte[] value) {
        return producer.send(new ProducerRecord<>(topic, key, value));
    }

    /** {@link #sendRaw} of a transaction in the wire format, keyed by its account. */
    java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> sendOne(
            Transaction t) {
        return sendRaw(
                t.getAccountId().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, t));
    }

    /** Waits until everything sent has been acknowledged. */
    void flush() {
        producer.flush();
    }

    /**
     * One quiet event late in event time on each of the first {@code partitions} partitions: every
     * window of a stream before {@code at} closes.
     */
    void sendClosing(int partitions, Instant at) {
        for (int partition = 0; partition < partitions; partition++) {
            send(List.of(KafkaTestBed.closing(partition, at)), partition);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}

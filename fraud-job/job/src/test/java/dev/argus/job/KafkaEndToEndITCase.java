package dev.argus.job;

import static dev.argus.model.TransactionBuilder.cardPayment;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.registry.SchemaRegistryClient;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.TopicReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole job through a real KRaft broker and a registry speaking the Confluent API: transactions
 * and broken records in, alerts and dead letters out, read back as a {@code read_committed}
 * consumer does.
 */
class KafkaEndToEndITCase {
    private static EmbeddedKafka kafka;
    private static InProcessSchemaRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        registry = InProcessSchemaRegistry.start(0);
    }

    @AfterAll
    static void stop() throws Exception {
        registry.close();
        kafka.close();
    }

    @Test
    void alertsExactlyOnceAndDeadLettersEveryBadRecordWithoutStopping() throws Exception {
        JobConfig config = config("e2e");
        kafka.createTopics(2, "e2e-transactions", "e2e-alerts", "e2e-dlq");
        Instant t0 = Instant.now().minus(30, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        Producer producer = new Producer(config);

        // acc-a: card testing with every kind of broken record in the middle of the burst
        producer.send("acc-a", small("a-s1", "acc-a", t0, 0));
        producer.send("acc-a", small("a-s2", "acc-a", t0, 20));
        producer.sendRaw(
                "acc-a",
                "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8),
                DeadLetterReason.WRONG_MAGIC_BYTE);
        producer.sendRaw("acc-a", new byte[0], DeadLetterReason.EMPTY);
        producer.sendRaw("acc-a", new byte[] {0, 0, 0}, DeadLetterReason.TRUNCATED);
        byte[] valid = producer.encode(small("a-x", "acc-a", t0, 25));
        producer.sendRaw(
                "acc-a", Arrays.copyOf(valid, valid.length - 8), DeadLetterReason.TRUNCATED);
        byte[] unknownId = valid.clone();
        ByteBuffer.wrap(unknownId).putInt(1, 9_999);
        producer.sendRaw("acc-a", unknownId, DeadLetterReason.UNKNOWN_SCHEMA_ID);
        Transaction negative = small("a-neg", "acc-a", t0, 26);
        negative.getAmount().setAmountMinor(-500L);
        producer.sendRaw("acc-a", producer.encode(negative), DeadLetterReason.INVALID_VALUE);
        producer.sendRaw(
                "acc-a",
                producer.encode(
                        payment("a-noamount")
                                .account("acc-a")
                                .at(t0.plusSeconds(27))
                                .noAmount()
                                .build()),
                DeadLetterReason.MISSING_FIELD);
        producer.send("acc-a", small("a-s3", "acc-a", t0, 40));
        producer.send("acc-a", large("a-big", "acc-a", t0, 90));

        // event times grow in the order of sending, so no partition goes back in time by more
        // than the allowed disorder (that would be LATE, which DeadLetterRoutingFunctionTest
        // covers)

        // acc-b: only two small payments, then a large one: no alert
        producer.send("acc-b", small("b-s1", "acc-b", t0, 100));
        producer.send("acc-b", small("b-s2", "acc-b", t0, 130));
        producer.send("acc-b", large("b-big", "acc-b", t0, 160));

        // acc-c: four small payments then a large one, then the same again after the rule's
        // window and its quiet period of an hour
        for (int i = 1; i <= 4; i++) {
            producer.send("acc-c", small("c-s" + i, "acc-c", t0, 200 + 10L * i));
        }
        producer.send("acc-c", large("c-big", "acc-c", t0, 300));
        producer.send("acc-c", small("c2-s1", "acc-c", t0, 4000));
        producer.send("acc-c", small("c2-s2", "acc-c", t0, 4010));
        producer.send("acc-c", small("c2-s3", "acc-c", t0, 4020));
        producer.send("acc-c", large("c2-big", "acc-c", t0, 4030));
        producer.close();

        KafkaTestBed.runToEnd(config, "argus-e2e");

        RegistryConfig registryConfig = RegistryConfig.of(registry.url());
        // the alert contract: the alerts subject only takes backward-compatible schemas
        assertThat(new SchemaRegistryClient(registryConfig).compatibility("e2e-alerts-value"))
                .contains("BACKWARD");
        List<Alert> alerts =
                TopicReader.readCommitted(
                        kafka.bootstrapServers(), "e2e-alerts", registryConfig, Alert.class);
        assertThat(KafkaTestBed.matchedTransactions(alerts))
                .containsExactlyInAnyOrder(
                        List.of("a-s1", "a-s2", "a-s3", "a-big"),
                        List.of("c-s1", "c-s2", "c-s3", "c-s4", "c-big"),
                        List.of("c2-s1", "c2-s2", "c2-s3", "c2-big"));
        assertThat(alerts).extracting(Alert::getAlertId).doesNotHaveDuplicates();
        List<ConsumerRecord<byte[], byte[]>> alertRecords =
                TopicReader.readCommitted(kafka.bootstrapServers(), "e2e-alerts");
        assertThat(alertRecords)
                .allSatisfy(
                        r ->
                                assertThat(new String(r.key(), StandardCharsets.UTF_8))
                                        .isIn("acc-a", "acc-c"));

        List<DeadLetter> deadLetters =
                TopicReader.readCommitted(
                        kafka.bootstrapServers(), "e2e-dlq", registryConfig, DeadLetter.class);
        assertThat(deadLetters).hasSize(producer.bad.size());
        for (DeadLetter d : deadLetters) {
            Sent sent = producer.bad.get(d.getSourceOffset());
            assertThat(d.getReason()).as(d.getDetail()).isEqualTo(sent.reason);
            assertThat(d.getSourceTopic()).isEqualTo("e2e-transactions");
            assertThat(d.getSourcePartition()).isEqualTo(sent.partition);
            assertThat(bytes(d.getRawValue())).isEqualTo(sent.value);
            assertThat(bytes(d.getRawKey())).isEqualTo("acc-a".getBytes(StandardCharsets.UTF_8));
            assertThat(d.getDetail()).isNotBlank();
        }
    }

    private static JobConfig config(String prefix) {
        Map<String, String> values = KafkaTestBed.harnessJobKeys(prefix);
        values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        values.put("schema.registry.url", registry.url());
        return JobConfig.of(values);
    }

    private static Transaction small(String id, String account, Instant t0, long seconds) {
        return cardPayment(id, account, t0.plusSeconds(seconds), "1.50");
    }

    private static Transaction large(String id, String account, Instant t0, long seconds) {
        return cardPayment(id, account, t0.plusSeconds(seconds), "800.00");
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private record Sent(int partition, byte[] value, DeadLetterReason reason) {}

    /** Produces keyed records synchronously and remembers where each bad one landed. */
    private static final class Producer {
        final KafkaProducer<byte[], byte[]> producer;
        final ConfluentAvroSerializer<Transaction> serializer;
        final String topic;
        final Map<Long, Sent> bad = new HashMap<>();

        Producer(JobConfig config) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            producer =
                    new KafkaProducer<>(
                            props, new ByteArraySerializer(), new ByteArraySerializer());
            serializer = new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
            topic = config.get("topic.transactions");
        }

        byte[] encode(Transaction t) {
            return serializer.serialize(topic, t);
        }

        void send(String key, Transaction t) throws Exception {
            sendRaw(key, encode(t), null);
        }

        void sendRaw(String key, byte[] value, DeadLetterReason expected) throws Exception {
            RecordMetadata meta =
                    producer.send(
                                    new ProducerRecord<>(
                                            topic, key.getBytes(StandardCharsets.UTF_8), value))
                            .get();
            if (expected != null) {
                // every bad record is keyed acc-a, so all of them share one partition
                bad.put(meta.offset(), new Sent(meta.partition(), value, expected));
            }
        }

        void close() {
            producer.close();
        }
    }
}

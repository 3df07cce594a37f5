package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.io.TopicReader;
import dev.argus.job.local.EmbeddedKafka;
import dev.argus.job.rules.RuleTestRunner;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A real KRaft broker and a registry for the job's integration tests, with what the labelled-stream
 * tests share: the job's configuration and topics, producing transactions, reading what the job
 * committed, and checking the alerts of the rule pack's test cases.
 */
public final class KafkaTestBed implements AutoCloseable {
    public final EmbeddedKafka kafka;
    public final InProcessSchemaRegistry registry;

    private KafkaTestBed(EmbeddedKafka kafka, InProcessSchemaRegistry registry) {
        this.kafka = kafka;
        this.registry = registry;
    }

    public static KafkaTestBed start() throws Exception {
        return new KafkaTestBed(EmbeddedKafka.start(), InProcessSchemaRegistry.start(0));
    }

    /** The job's configuration against this broker, its four topics created (2 partitions). */
    public JobConfig config(String group, String checkpointInterval) throws Exception {
        JobConfig config =
                JobConfig.of(
                        Map.of(
                                "kafka.bootstrap.servers",
                                kafka.bootstrapServers(),
                                "schema.registry.url",
                                registry.url(),
                                "kafka.group.id",
                                group,
                                "checkpoint.interval",
                                checkpointInterval));
        kafka.createTopics(
                2,
                config.get("topic.transactions"),
                config.get("topic.alerts"),
                config.get("topic.shadow-alerts"),
                config.get("topic.dead-letters"));
        return config;
    }

    /** A start for the labelled stream: its cases span up to 200 days, all of them in the past. */
    public static Instant labelledStreamStart() {
        return Instant.now().minus(Duration.ofDays(400)).truncatedTo(ChronoUnit.DAYS);
    }

    /** Produces transactions in order, keyed by account. */
    public void produce(JobConfig config, List<Transaction> events) {
        produce(config, events, null);
    }

    /** Produces transactions in order to one partition. */
    public void produce(JobConfig config, List<Transaction> events, Integer partition) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        String topic = config.get("topic.transactions");
        ConfluentAvroSerializer<Transaction> serializer =
                new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Transaction t : events) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                partition,
                                t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(topic, t)));
            }
            producer.flush();
        }
    }

    /** What a read_committed consumer finds on the topic named by {@code topicKey}. */
    public <T extends org.apache.avro.specific.SpecificRecord> List<T> committed(
            JobConfig config, String topicKey, Class<T> type) throws Exception {
        return TopicReader.readCommitted(
                kafka.bootstrapServers(),
                config.get(topicKey),
                RegistryConfig.of(registry.url()),
                type);
    }

    /** The committed alerts of the alerts and shadow-alerts topics together. */
    public List<Alert> committedAlerts(JobConfig config) throws Exception {
        List<Alert> alerts = new ArrayList<>(committed(config, "topic.alerts", Alert.class));
        alerts.addAll(committed(config, "topic.shadow-alerts", Alert.class));
        return alerts;
    }

    /**
     * Every case of the labelled stream got exactly its expected alerts, each once, and no event
     * was dead-lettered.
     */
    public static void assertAlertsOfCases(
            List<RuleTestCase> cases, List<Alert> alerts, List<DeadLetter> deadLetters) {
        assertThat(deadLetters).isEmpty();
        assertThat(alerts).extracting(Alert::getAlertId).doesNotHaveDuplicates();
        List<RuleTestRunner.CaseResult> results =
                RuleTestRunner.compare(cases, alerts, deadLetters);
        assertThat(results)
                .as(RuleTestRunner.report(results, false))
                .allMatch(RuleTestRunner.CaseResult::passed);
    }

    @Override
    public void close() throws Exception {
        registry.close();
        kafka.close();
    }
}

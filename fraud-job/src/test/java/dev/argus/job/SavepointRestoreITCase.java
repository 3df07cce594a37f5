package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.io.TopicReader;
import dev.argus.job.local.EmbeddedKafka;
import dev.argus.job.rules.RuleTestRunner;
import dev.argus.model.Alert;
import dev.argus.model.Channel;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade in the middle of the stream: the job reads the first half of the labelled stream,
 * stops with a savepoint while partial matches, profiles and timers are in its state, and a new job
 * restored from the savepoint reads the second half. A read_committed consumer sees exactly the
 * alerts of an uninterrupted run, each once.
 */
class SavepointRestoreITCase {

    @Test
    void aJobRestoredFromASavepointMidStreamAlertsExactlyAsAnUninterruptedOne(@TempDir Path dir)
            throws Exception {
        RulePackLoader.Result pack = RulePackLoader.load(List.of(Path.of("../rules/pack")), true);
        assertThat(pack.problems()).isEmpty();
        List<RuleTestCase> cases = pack.tests();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0)) {
            JobConfig config =
                    JobConfig.of(
                            Map.of(
                                    "kafka.bootstrap.servers",
                                    kafka.bootstrapServers(),
                                    "schema.registry.url",
                                    registry.url(),
                                    "kafka.group.id",
                                    "savepoint-itcase",
                                    "checkpoint.interval",
                                    "1 s"));
            String transactions = config.get("topic.transactions");
            kafka.createTopics(
                    2,
                    transactions,
                    config.get("topic.alerts"),
                    config.get("topic.shadow-alerts"),
                    config.get("topic.dead-letters"));
            Instant start = Instant.now().minus(Duration.ofDays(400)).truncatedTo(ChronoUnit.DAYS);
            List<Transaction> stream = RuleTestRunner.stream(cases, start);
            List<Transaction> firstHalf = stream.subList(0, stream.size() / 2);
            List<Transaction> secondHalf = stream.subList(stream.size() / 2, stream.size());

            produce(config, firstHalf, null);
            JobClient first = run(config, null);
            awaitConsumed(config, "savepoint-itcase", Duration.ofSeconds(90));
            String savepoint =
                    first.stopWithSavepoint(
                                    false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                            .get(60, TimeUnit.SECONDS);
            assertThat(Files.exists(Path.of(java.net.URI.create(savepoint)))).isTrue();

            // the rest of the stream, then one late event per partition so that every pending
            // match and absence window closes in event time
            produce(config, secondHalf, start.plus(Duration.ofDays(300)));
            JobClient second = run(config, savepoint);

            RegistryConfig registryConfig = RegistryConfig.of(registry.url());
            long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();
            List<Alert> alerts = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline) {
                alerts = alerts(kafka, config, registryConfig);
                if (alerts.stream().filter(a -> a.getAccountId().startsWith("c")).count()
                        >= expected) {
                    break;
                }
                Thread.sleep(500);
            }
            // two more checkpoints: anything duplicated would show by now
            Thread.sleep(2_500);
            alerts = alerts(kafka, config, registryConfig);
            second.cancel().get(30, TimeUnit.SECONDS);

            List<DeadLetter> deadLetters =
                    TopicReader.readCommitted(
                            kafka.bootstrapServers(),
                            config.get("topic.dead-letters"),
                            registryConfig,
                            DeadLetter.class);
            assertThat(deadLetters).isEmpty();
            assertThat(alerts).extracting(Alert::getAlertId).doesNotHaveDuplicates();
            List<RuleTestRunner.CaseResult> results =
                    RuleTestRunner.compare(cases, alerts, deadLetters);
            assertThat(results)
                    .as(RuleTestRunner.report(results, false))
                    .allMatch(RuleTestRunner.CaseResult::passed);
        }
    }

    private static JobClient run(JobConfig config, String savepoint) throws Exception {
        Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
        if (savepoint != null) {
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(2);
        FraudDetectionJob.attach(env, config, false);
        return env.executeAsync(savepoint == null ? "argus-before-upgrade" : "argus-after-upgrade");
    }

    private static List<Alert> alerts(
            EmbeddedKafka kafka, JobConfig config, RegistryConfig registry) throws Exception {
        List<Alert> alerts = new ArrayList<>();
        for (String topic : List.of("topic.alerts", "topic.shadow-alerts")) {
            alerts.addAll(
                    TopicReader.readCommitted(
                            kafka.bootstrapServers(), config.get(topic), registry, Alert.class));
        }
        return alerts;
    }

    /** Waits until the job's consumer group has committed the end of every partition. */
    private static void awaitConsumed(JobConfig config, String group, Duration timeout)
            throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        String topic = config.get("topic.transactions");
        try (Admin admin = Admin.create(props)) {
            List<TopicPartition> partitions =
                    List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
            Map<TopicPartition, Long> end = new java.util.HashMap<>();
            for (var e :
                    admin.listOffsets(
                                    Map.of(
                                            partitions.get(0), OffsetSpec.latest(),
                                            partitions.get(1), OffsetSpec.latest()))
                            .all()
                            .get()
                            .entrySet()) {
                end.put(e.getKey(), e.getValue().offset());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                if (partitions.stream()
                        .allMatch(
                                p ->
                                        committed.get(p) != null
                                                && committed.get(p).offset() >= end.get(p))) {
                    return;
                }
                Thread.sleep(300);
            }
            throw new IllegalStateException("the job did not consume " + end + " in " + timeout);
        }
    }

    /** Produces in order; with {@code closingTime}, ends with one event per partition at it. */
    private static void produce(JobConfig config, List<Transaction> events, Instant closingTime) {
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
                                t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(topic, t)));
            }
            if (closingTime != null) {
                for (int partition = 0; partition < 2; partition++) {
                    Transaction closing =
                            Transaction.newBuilder()
                                    .setTransactionId("closing-" + partition)
                                    .setAccountId("closing-" + partition)
                                    .setEventTime(closingTime)
                                    .setType(TransactionType.LOGIN)
                                    .setChannel(Channel.MOBILE)
                                    .setStatus(TransactionStatus.APPROVED)
                                    .setCardPresent(false)
                                    .build();
                    producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    partition,
                                    closing.getAccountId().getBytes(StandardCharsets.UTF_8),
                                    serializer.serialize(topic, closing)));
                }
            }
            producer.flush();
        }
    }
}

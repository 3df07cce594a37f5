package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.io.FailingDeserializer;
import dev.argus.job.io.KafkaIo;
import dev.argus.job.io.TopicReader;
import dev.argus.job.local.EmbeddedKafka;
import dev.argus.job.rules.RuleTestRunner;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once alerts across failures, through a real broker: the labelled stream of the shipped
 * pack's test cases is read slowly while the source task fails twice in the middle, so the job
 * restarts from its last checkpoint twice and replays what came after it. Alerts written in the
 * aborted Kafka transactions must be invisible to a {@code read_committed} consumer, and every
 * expected alert must be there exactly once.
 */
class ExactlyOnceITCase {

    @Test
    void aReadCommittedConsumerSeesEveryAlertOnceAcrossTwoRestarts() throws Exception {
        RulePackLoader.Result pack = RulePackLoader.load(List.of(Path.of("../rules/pack")), true);
        assertThat(pack.problems()).isEmpty();
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
                                    "exactly-once-itcase",
                                    "checkpoint.interval",
                                    "300 ms"));
            kafka.createTopics(
                    2,
                    config.get("topic.transactions"),
                    config.get("topic.alerts"),
                    config.get("topic.shadow-alerts"),
                    config.get("topic.dead-letters"));
            Instant start = Instant.now().minus(Duration.ofDays(400)).truncatedTo(ChronoUnit.DAYS);
            // the pack's cases three times over, each copy on its own accounts
            List<RuleTestCase> cases = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                cases.addAll(pack.tests());
            }
            List<Transaction> stream = RuleTestRunner.stream(cases, start);
            produce(config, stream);

            // reading takes about 30 ms per record and partition, checkpoints come every
            // second: the failures, half way and at 85% of a partition and each after a new
            // checkpoint, restart the job from a checkpoint while alerts are being written
            Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
            long perPartition = stream.size() / 2;
            FailingDeserializer failing =
                    new FailingDeserializer(
                            KafkaIo.transactionDeserializer(config),
                            flink.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY),
                            30,
                            perPartition / 2,
                            perPartition * 85 / 100);
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
            flink.set(
                    RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(200));
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(flink);
            env.setParallelism(2);
            FraudDetectionJob.attach(
                    env, config, KafkaIo.transactionsSource(config, true, failing));
            env.execute("argus-exactly-once-itcase");

            assertThat(FailingDeserializer.FAILURES.get()).isEqualTo(2);
            assertThat(FailingDeserializer.RECORDS.get()).isGreaterThan(stream.size());

            RegistryConfig registryConfig = RegistryConfig.of(registry.url());
            List<Alert> alerts = new ArrayList<>();
            for (String topic : List.of("topic.alerts", "topic.shadow-alerts")) {
                alerts.addAll(
                        TopicReader.readCommitted(
                                kafka.bootstrapServers(),
                                config.get(topic),
                                registryConfig,
                                Alert.class));
            }
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
            long expected = results.stream().mapToLong(r -> r.expected().size()).sum();
            assertThat(expected).isGreaterThanOrEqualTo(45);
            // the last failure came after alerts had been written: some were detected before it
            assertThat(alerts)
                    .anyMatch(
                            a ->
                                    a.getDetectionTime().toEpochMilli()
                                            < FailingDeserializer.LAST_FAILURE_MILLIS.get());
            System.out.printf(
                    "exactly-once: %d expected alerts, %d committed; %d read_uncommitted records on"
                            + " the alerts topic, aborted transactions included; %d records read,"
                            + " replays included%n",
                    expected,
                    alerts.size(),
                    TopicReader.readUncommitted(
                                    kafka.bootstrapServers(), config.get("topic.alerts"))
                            .size(),
                    FailingDeserializer.RECORDS.get());
        }
    }

    private static void produce(JobConfig config, List<Transaction> stream) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        String topic = config.get("topic.transactions");
        ConfluentAvroSerializer<Transaction> serializer =
                new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Transaction t : stream) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(topic, t)));
            }
            producer.flush();
        }
    }
}

package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.Alert;
import dev.argus.model.Channel;
import dev.argus.model.DeadLetter;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

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
        return config(group, checkpointInterval, Map.of());
    }

    /** {@link #config(String, String)} with more keys, for example {@code rules.path}. */
    public JobConfig config(String group, String checkpointInterval, Map<String, String> more)
            throws Exception {
        Map<String, String> keys = new java.util.HashMap<>(more);
        keys.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        keys.put("schema.registry.url", registry.url());
        keys.put("kafka.group.id", group);
        keys.put("checkpoint.interval", checkpointInterval);
        JobConfig config = JobConfig.of(keys);
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
        try (TransactionProducer producer = new TransactionProducer(config)) {
            producer.send(events, partition);
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

    /** Each alert's matched transactions, by id, in the order they matched. */
    public static List<List<String>> matchedTransactions(List<Alert> alerts) {
        return alerts.stream()
                .map(
                        a ->
                                a.getMatchedEvents().stream()
                                        .map(MatchedEvent::getTransactionId)
                                        .toList())
                .toList();
    }

    /**
     * Every case of the labelled stream got exactly its expected alerts, each once, and no event
     * was dead-lettered.
     */
    public static void assertAlertsOfCases(
            List<RuleTestCase> cases, List<Alert> alerts, List<DeadLetter> deadLetters) {
        assertThat(deadLetters).isEmpty();
        assertThat(alerts).extracting(Alert::getAlertId).doesNotHaveDuplicates();
        List<LabelledStream.CaseResult> results =
                LabelledStream.compare(cases, alerts, deadLetters);
        assertThat(results)
                .as(LabelledStream.report(results, false))
                .allMatch(LabelledStream.CaseResult::passed);
    }

    /**
     * Starts the job on this JVM's MiniCluster at parallelism 2, restored from {@code savepoint}
     * unless it is null.
     */
    public static JobClient run(JobConfig config, String savepoint) throws Exception {
        return run(config, savepoint, 2);
    }

    /** {@link #run(JobConfig, String)} at the given parallelism. */
    public static JobClient run(JobConfig config, String savepoint, int parallelism)
            throws Exception {
        Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
        if (savepoint != null) {
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(parallelism);
        FraudDetectionJob.attach(env, config, false);
        return env.executeAsync(savepoint == null ? "argus-before-upgrade" : "argus-after-upgrade");
    }

    /**
     * The job's topics ({@code prefix-transactions}, {@code -alerts}, {@code -dlq}), consumer group
     * and transactional id prefix named after {@code prefix}, a checkpoint a second, and the rules
     * of pack 2026.12.1 the harness tests' bursts are written against (test resources): the caller
     * adds how to reach Kafka and the registry.
     */
    public static Map<String, String> harnessJobKeys(String prefix) {
        Map<String, String> values = new HashMap<>();
        values.put("topic.transactions", prefix + "-transactions");
        values.put("topic.alerts", prefix + "-alerts");
        values.put("topic.dead-letters", prefix + "-dlq");
        values.put("kafka.group.id", prefix + "-job");
        values.put("sink.transactional-id-prefix", prefix);
        values.put("checkpoint.interval", "1 s");
        values.put("rules.path", "classpath:harness-pack");
        return values;
    }

    /**
     * Runs the job on this JVM's MiniCluster at parallelism 2 over what the transactions topic
     * holds now (a bounded source), and returns when it has finished and committed everything.
     */
    public static void runToEnd(JobConfig config, String jobName) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        FraudDetectionJob.localFlinkConfiguration(config));
        env.setParallelism(2);
        FraudDetectionJob.attach(env, config, true);
        env.execute(jobName);
    }

    /**
     * The job on this JVM's MiniCluster at parallelism 2, with a transactions source that reads 40
     * ms a record and fails at each of {@code failAt} (an offset of a partition), each time once a
     * checkpoint has been taken since the last restart: the job restarts from its last checkpoint
     * ({@link dev.argus.job.ingest.FailingDeserializer} counts records and failures).
     */
    public static StreamExecutionEnvironment failingJob(
            JobConfig config, boolean bounded, long... failAt) throws Exception {
        Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
        dev.argus.job.ingest.FailingDeserializer failing =
                new dev.argus.job.ingest.FailingDeserializer(
                        KafkaIo.transactionDeserializer(config),
                        flink.get(
                                org.apache.flink.configuration.CheckpointingOptions
                                        .CHECKPOINTS_DIRECTORY),
                        40,
                        failAt);
        flink.set(
                org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY,
                "fixed-delay");
        flink.set(
                org.apache.flink.configuration.RestartStrategyOptions
                        .RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS,
                5);
        flink.set(
                org.apache.flink.configuration.RestartStrategyOptions
                        .RESTART_STRATEGY_FIXED_DELAY_DELAY,
                Duration.ofMillis(200));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(2);
        FraudDetectionJob.attach(env, config, KafkaIo.transactionsSource(config, bounded, failing));
        return env;
    }

    /** Loads the rule pack at {@code dir} with its test cases; it must have no problem. */
    public static RulePackLoader.Result loadPack(Path dir) {
        RulePackLoader.Result pack =
                RulePackLoader.load(List.of(dir), true, CepPatternCheck.INSTANCE);
        assertThat(pack.problems()).as("problems of the pack at " + dir).isEmpty();
        return pack;
    }

    /**
     * Waits until the job's consumer group has committed the end of every partition that holds
     * records.
     */
    public void awaitConsumed(JobConfig config, Duration timeout) throws Exception {
        awaitConsumed(config, 1.0, timeout);
    }

    /**
     * Waits until the job's consumer group (whose offsets the job commits at each checkpoint) has
     * committed {@code fraction} of the records of the transactions topic that it had not committed
     * when the wait began. It asks a new admin client each time, so it rides through a restart of
     * the broker.
     */
    public static void awaitConsumed(JobConfig config, double fraction, Duration timeout)
            throws Exception {
        String topic = config.get("topic.transactions");
        String group = config.get("kafka.group.id");
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        long deadline = System.nanoTime() + timeout.toNanos();
        Long target = null;
        long consumed = 0;
        while (System.nanoTime() < deadline) {
            try (Admin admin = Admin.create(props)) {
                Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
                for (var p :
                        admin.describeTopics(List.of(topic))
                                .allTopicNames()
                                .get()
                                .get(topic)
                                .partitions()) {
                    latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                }
                long end = 0;
                for (var o : admin.listOffsets(latest).all().get().values()) {
                    end += o.offset();
                }
                consumed = 0;
                for (OffsetAndMetadata o :
                        admin.listConsumerGroupOffsets(group)
                                .partitionsToOffsetAndMetadata()
                                .get()
                                .values()) {
                    consumed += o == null ? 0 : o.offset();
                }
                if (target == null) {
                    target = consumed + (long) Math.ceil((end - consumed) * fraction);
                }
                if (consumed >= target) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException brokerAway) {
                // the broker is restarting: ask again
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(
                "the job committed offsets up to "
                        + consumed
                        + " of "
                        + target
                        + " on "
                        + topic
                        + " in "
                        + timeout);
    }

    /** A quiet event late in event time, which moves its partition's watermark past the stream. */
    public static Transaction closing(int partition, Instant at) {
        return Transaction.newBuilder()
                .setTransactionId("closing-" + partition)
                .setAccountId("closing-" + partition)
                .setEventTime(at)
                .setType(TransactionType.LOGIN)
                .setChannel(Channel.MOBILE)
                .setStatus(TransactionStatus.APPROVED)
                .setCardPresent(false)
                .build();
    }

    /**
     * Produces one closing event per partition at {@code at}, so that every pending match and
     * absence window of a stream before it closes in event time.
     */
    public void produceClosing(JobConfig config, Instant at) {
        try (TransactionProducer producer = new TransactionProducer(config)) {
            producer.sendClosing(2, at);
        }
    }

    @Override
    public void close() throws Exception {
        registry.close();
        kafka.close();
    }
}

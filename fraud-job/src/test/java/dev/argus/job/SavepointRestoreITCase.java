package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.rules.RuleTestRunner;
import dev.argus.model.Alert;
import dev.argus.model.Channel;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
import org.apache.kafka.common.TopicPartition;
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
        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config = bed.config("savepoint-itcase", "1 s");
            Instant start = KafkaTestBed.labelledStreamStart();
            List<Transaction> stream = RuleTestRunner.stream(cases, start);
            List<Transaction> firstHalf = stream.subList(0, stream.size() / 2);
            List<Transaction> secondHalf = stream.subList(stream.size() / 2, stream.size());

            bed.produce(config, firstHalf);
            JobClient first = run(config, null);
            awaitConsumed(config, "savepoint-itcase", Duration.ofSeconds(90));
            String savepoint =
                    first.stopWithSavepoint(
                                    false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                            .get(60, TimeUnit.SECONDS);
            assertThat(Files.exists(Path.of(java.net.URI.create(savepoint)))).isTrue();

            // the rest of the stream, then one late event per partition so that every pending
            // match and absence window closes in event time
            bed.produce(config, secondHalf);
            for (int partition = 0; partition < 2; partition++) {
                bed.produce(
                        config,
                        List.of(closing(partition, start.plus(Duration.ofDays(300)))),
                        partition);
            }
            JobClient second = run(config, savepoint);

            long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();
            List<Alert> alerts = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline) {
                alerts = bed.committedAlerts(config);
                if (alerts.stream().filter(a -> a.getAccountId().startsWith("c")).count()
                        >= expected) {
                    break;
                }
                Thread.sleep(500);
            }
            // two more checkpoints: anything duplicated would show by now
            Thread.sleep(2_500);
            alerts = bed.committedAlerts(config);
            second.cancel().get(30, TimeUnit.SECONDS);

            KafkaTestBed.assertAlertsOfCases(
                    cases, alerts, bed.committed(config, "topic.dead-letters", DeadLetter.class));
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

    /** A quiet event late in event time, which moves its partition's watermark past the stream. */
    private static Transaction closing(int partition, Instant at) {
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
}

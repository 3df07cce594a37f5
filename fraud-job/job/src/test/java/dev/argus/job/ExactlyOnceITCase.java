package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.ingest.FailingDeserializer;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import dev.argus.sandbox.TopicReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exactly-once alerts across failures, through a real broker: the labelled stream of the shipped
 * pack's test cases is read slowly while the source task fails twice in the middle, so the job
 * restarts from its last checkpoint twice and replays what came after it. Alerts written in the
 * aborted Kafka transactions must be invisible to a {@code read_committed} consumer, and every
 * expected alert must be there exactly once. It runs with RocksDB's incremental checkpoints alone
 * and with the state changelog ({@code checkpoint.changelog}), whose restarts replay the log.
 */
class ExactlyOnceITCase {

    @ParameterizedTest(name = "checkpoint.changelog={0}")
    @ValueSource(booleans = {false, true})
    void aReadCommittedConsumerSeesEveryAlertOnceAcrossTwoRestarts(boolean changelog)
            throws Exception {
        RulePackLoader.Result pack = KafkaTestBed.loadPack(Path.of("../../rules/pack"));
        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config =
                    bed.config(
                            "exactly-once-itcase-" + changelog,
                            "1 s",
                            Map.of("checkpoint.changelog", String.valueOf(changelog)));
            Instant start = KafkaTestBed.labelledStreamStart();
            // the pack's cases four times over, each copy on its own accounts
            List<RuleTestCase> cases = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                cases.addAll(pack.tests());
            }
            List<Transaction> stream = LabelledStream.stream(cases, start);
            bed.produce(config, stream);

            // reading takes about 40 ms per record and partition (about 15 s), checkpoints come
            // every second: the failures, at a quarter and at 90% of a partition and each after
            // a checkpoint taken since the last restart, restart the job from a checkpoint while
            // alerts are being written
            long perPartition = stream.size() / 2;
            StreamExecutionEnvironment env =
                    KafkaTestBed.failingJob(config, true, perPartition / 4, perPartition * 9 / 10);
            env.execute("argus-exactly-once-itcase");

            assertThat(FailingDeserializer.FAILURES.get()).isEqualTo(2);
            assertThat(FailingDeserializer.RECORDS.get()).isGreaterThan(stream.size());

            List<Alert> alerts = bed.committedAlerts(config);
            KafkaTestBed.assertAlertsOfCases(
                    cases, alerts, bed.committed(config, "topic.dead-letters", DeadLetter.class));
            long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();
            assertThat(expected).isGreaterThanOrEqualTo(60);
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
                                    bed.kafka.bootstrapServers(), config.get("topic.alerts"))
                            .size(),
                    FailingDeserializer.RECORDS.get());
        }
    }
}

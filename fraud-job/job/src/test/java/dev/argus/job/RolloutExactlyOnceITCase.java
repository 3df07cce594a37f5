package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.ingest.FailingDeserializer;
import dev.argus.model.Alert;
import dev.argus.model.ControlCommand;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeployPack;
import dev.argus.model.PackFile;
import dev.argus.model.Transaction;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.rules.PackFiles;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A rollout interrupted by failures, through a real broker: the labelled stream of the shipped
 * pack's test cases is read slowly, a pack of another version is deployed through the control topic
 * after the first failure, and the source fails again between the decision and the end of the
 * stream, so the job restarts from a checkpoint in the middle of the rollout. Every expected alert
 * must be there exactly once for a {@code read_committed} consumer, each carrying the version of
 * the pack in force at its last event's time, and the deploy must be answered once.
 */
class RolloutExactlyOnceITCase {

    @Test
    void alertsStayExactlyOnceAndCarryThePackInForceAcrossAFailureDuringARollout()
            throws Exception {
        Path packDir = Path.of("../../rules/pack");
        RulePackLoader.Result pack = KafkaTestBed.loadPack(packDir);
        String startVersion = pack.pack().version();
        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config =
                    bed.config(
                            "rollout-eos-itcase",
                            "1 s",
                            Map.of("control.enabled", "true", "control.margin", "1 s"));
            bed.kafka.createTopics(
                    1,
                    Map.of("message.timestamp.type", "LogAppendTime"),
                    config.get("topic.control"),
                    config.get("topic.control-status"));
            List<RuleTestCase> cases = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                cases.addAll(pack.tests());
            }
            Instant start = KafkaTestBed.labelledStreamStart();
            List<Transaction> stream = LabelledStream.stream(cases, start);
            bed.produce(config, stream);
            // the job reads on (the control topic never ends): a quiet event per partition, far
            // later in event time, closes every window of the stream
            bed.produceClosing(config, start.plus(Duration.ofDays(300)));

            long perPartition = stream.size() / 2;
            StreamExecutionEnvironment env =
                    KafkaTestBed.failingJob(config, false, perPartition / 4, perPartition / 2);
            JobClient job = env.executeAsync("argus-rollout-exactly-once-itcase");
            try {
                // after the first failure, with about a third of the stream read: pack
                // <version>-next, the same rules under another version, from the job's event time
                // on; the second failure comes before the stream's end
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (FailingDeserializer.FAILURES.get() < 1
                        || FailingDeserializer.RECORDS.get() < stream.size() * 2 / 5) {
                    assertThat(System.nanoTime()).as("the first failure").isLessThan(deadline);
                    Thread.sleep(100);
                }
                String next = startVersion + "-next";
                sendDeploy(config, packDir, startVersion, next);
                long sentAt = System.currentTimeMillis();
                bed.awaitConsumed(config, Duration.ofMinutes(3));
                long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();
                deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                while (bed.committedAlerts(config).size() < expected) {
                    assertThat(System.nanoTime()).as("every alert committed").isLessThan(deadline);
                    Thread.sleep(500);
                }
                Thread.sleep(2_000); // two more checkpoints: anything extra would show

                assertThat(FailingDeserializer.FAILURES.get()).isEqualTo(2);
                // the second failure came during the rollout: after the deploy was written
                assertThat(FailingDeserializer.LAST_FAILURE_MILLIS.get()).isGreaterThan(sentAt);
                List<ControlStatus> answers =
                        bed.committed(config, "topic.control-status", ControlStatus.class);
                assertThat(answers).hasSize(1);
                ControlStatus deployed = answers.get(0);
                assertThat(deployed.getOutcome())
                        .as(deployed.getProblems().toString())
                        .isEqualTo(ControlOutcome.APPLIED);
                assertThat(deployed.getPackVersion()).isEqualTo(next);
                Instant cutover = deployed.getEffectiveAt();

                List<Alert> alerts = bed.committedAlerts(config);
                KafkaTestBed.assertAlertsOfCases(
                        cases,
                        alerts,
                        bed.committed(config, "topic.dead-letters", DeadLetter.class));
                // an alert is judged by the pack in force when it is raised: at its last event,
                // or, for an absence rule, when its window ends, which may be after the cutover
                for (Alert a : alerts) {
                    boolean absence =
                            pack.pack().rule(a.getRuleId()).orElseThrow().alertsOnTimeout();
                    String why = a.getAlertId() + " at " + a.getLastEventTime();
                    if (!a.getLastEventTime().isBefore(cutover)) {
                        assertThat(a.getPackVersion()).as(why).isEqualTo(next);
                    } else if (!absence) {
                        assertThat(a.getPackVersion()).as(why).isEqualTo(startVersion);
                    }
                }
                // the cutover fell inside the stream: both packs judged some alerts
                assertThat(alerts).extracting(Alert::getPackVersion).contains(startVersion, next);
                System.out.printf(
                        "rollout exactly once: %d alerts, %d by %s before %s, %d by %s after%n",
                        alerts.size(),
                        alerts.stream()
                                .filter(a -> a.getPackVersion().equals(startVersion))
                                .count(),
                        startVersion,
                        cutover,
                        alerts.stream().filter(a -> a.getPackVersion().equals(next)).count(),
                        next);
            } finally {
                job.cancel().get();
            }
        }
    }

    /** Writes the deploy of the pack at {@code dir} under version {@code next}. */
    private static void sendDeploy(JobConfig config, Path dir, String version, String next)
            throws Exception {
        List<PackFile> files = new ArrayList<>();
        PackFiles.read(dir)
                .forEach(
                        (path, text) ->
                                files.add(
                                        new PackFile(
                                                path,
                                                path.equals("pack.yaml")
                                                        ? text.replace(
                                                                "version: " + version,
                                                                "version: " + next)
                                                        : text)));
        ControlCommand command =
                ControlCommand.newBuilder()
                        .setCommandId("deploy-" + next)
                        .setIssuedBy("rollout-eos-itcase")
                        .setIssuedAt(Instant.now())
                        .setEffectiveAt(null)
                        .setCommand(new DeployPack(dir.toString(), files))
                        .build();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        String topic = config.get("topic.control");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(
                            new ProducerRecord<>(
                                    topic,
                                    command.getCommandId().getBytes(StandardCharsets.UTF_8),
                                    new ConfluentAvroSerializer<>(
                                                    config.registry(), ControlCommand.class, true)
                                            .serialize(topic, command)))
                    .get();
        }
    }
}

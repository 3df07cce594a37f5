package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/**
 * Argus on a real Flink cluster, in separate processes, through the drills an operator runs: one
 * JobManager and two TaskManagers, each its own JVM ({@code deploy/cluster/flink-cluster.sh}), a
 * Kafka broker in a JVM of its own, the job jar submitted through the REST API. One stream of the
 * newest golden savepoint's rule pack test cases, copied onto fresh accounts until it holds over
 * 100,000 transactions, goes through four jobs in turn, each restored from the savepoint of the one
 * before:
 *
 * <ol>
 *   <li>the previous release's job jar ({@link PreviousRelease}) at parallelism 2, stopped with a
 *       savepoint: the upgrade drill;
 *   <li>this build's job jar at parallelism 2, restored from it, and a TaskManager killed with
 *       {@code kill -9} in the middle of its part; a new TaskManager is started in its place;
 *   <li>at parallelism 4, with the broker stopped and started again on the same data in the middle
 *       of its part;
 *   <li>at parallelism 1, to the end of the stream.
 * </ol>
 *
 * A {@code read_committed} consumer must then find every alert the cases expect, each once, and no
 * dead letter.
 */
class ClusterITCase {
    private static final int TRANSACTIONS = 100_000;

    /** Where the cluster, the broker and their logs live; kept after the test for a look. */
    private final Path work = Path.of("target/cluster-itcase").toAbsolutePath();

    private final long began = System.nanoTime();

    @Test
    void alertsExactlyOnceThroughAnUpgradeAKilledTaskManagerABrokerRestartAndRescaling()
            throws Exception {
        org.apache.flink.util.FileUtils.deleteDirectoryQuietly(work.toFile());
        GoldenSavepoint golden = last(GoldenSavepointITCase.goldenSavepoints());
        Path previousJar = PreviousRelease.jobJar(golden);
        Path jar = jobJar();

        RulePackLoader.Result pack = KafkaTestBed.loadPack(golden.pack());
        Instant start = KafkaTestBed.labelledStreamStart();
        int perCopy = LabelledStream.stream(pack.tests(), start).size();
        List<RuleTestCase> cases = new ArrayList<>();
        for (int i = 0; i <= TRANSACTIONS / perCopy; i++) {
            cases.addAll(pack.tests());
        }
        List<Transaction> stream = LabelledStream.stream(cases, start);
        long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();
        say("%d cases, %d transactions, %d expected alerts", cases.size(), stream.size(), expected);
        int quarter = stream.size() / 4;

        try (InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0);
                KafkaBrokerProcess broker = KafkaBrokerProcess.start(work.resolve("kafka"));
                FlinkClusterProcess cluster = FlinkClusterProcess.start(work.resolve("flink"), 2)) {
            Map<String, String> keys = new HashMap<>();
            keys.put("kafka.bootstrap.servers", broker.bootstrapServers());
            keys.put("schema.registry.url", registry.url());
            keys.put("kafka.group.id", "argus-cluster-itcase");
            keys.put("checkpoint.interval", "2 s");
            keys.put("rules.path", golden.pack().toAbsolutePath().toString());
            keys.put("rules.ordering", golden.ordering());
            JobConfig config = JobConfig.of(keys);
            createTopics(config);
            List<String> args = List.of("--config", writeProperties(keys).toString());
            TransactionProducer producer = new TransactionProducer(config);

            // 1. the previous release writes a savepoint
            producer.send(stream.subList(0, quarter), null);
            String job = cluster.submit(previousJar, 2, null, args);
            say("the previous release (%s) runs at parallelism 2", previousJar.getFileName());
            KafkaTestBed.awaitConsumed(config, 1.0, Duration.ofMinutes(5));
            String savepoint = cluster.stopWithSavepoint(job);
            say("the previous release stopped with %s", savepoint);

            // 2. this build restores it; a TaskManager is killed in the middle of its part
            producer.send(stream.subList(quarter, 2 * quarter), null);
            job = cluster.submit(jar, 2, savepoint, args);
            cluster.awaitRunning(job, Duration.ofMinutes(2));
            KafkaTestBed.awaitConsumed(config, 0.4, Duration.ofMinutes(5));
            String victim = cluster.busiestTaskManager();
            cluster.killTaskManager(victim);
            say("kill -9 of %s", victim);
            cluster.startTaskManager("taskmanager-3");
            say("taskmanager-3 started");
            List<String> failures = cluster.awaitFailure(job, Duration.ofMinutes(2));
            assertThat(failures).as("failures after kill -9 of " + victim).isNotEmpty();
            say("the job failed over: %s", failures);
            cluster.awaitRunning(job, Duration.ofMinutes(3));
            KafkaTestBed.awaitConsumed(config, 1.0, Duration.ofMinutes(5));
            say("consumed, running again");
            savepoint = cluster.stopWithSavepoint(job);

            // 3. at parallelism 4; the broker stops and starts again in the middle of the part
            producer.send(stream.subList(2 * quarter, 3 * quarter), null);
            job = cluster.submit(jar, 4, savepoint, args);
            say("at parallelism 4");
            cluster.awaitRunning(job, Duration.ofMinutes(2));
            KafkaTestBed.awaitConsumed(config, 0.4, Duration.ofMinutes(5));
            producer.close();
            broker.stop();
            say("the broker stopped");
            Thread.sleep(5_000);
            broker.startAgain();
            say("the broker started again");
            try (Admin admin = admin(config)) {
                EmbeddedKafka.awaitLeaders(admin, List.of(config.get("topic.transactions")));
            }
            producer = new TransactionProducer(config);
            KafkaTestBed.awaitConsumed(config, 1.0, Duration.ofMinutes(5));
            List<String> failuresAtFour = cluster.failures(job);
            say("consumed; the job failed %d times: %s", failuresAtFour.size(), failuresAtFour);
            savepoint = cluster.stopWithSavepoint(job);

            // 4. at parallelism 1, to the end of the stream
            producer.send(stream.subList(3 * quarter, stream.size()), null);
            producer.sendClosing(4, GoldenSavepointITCase.closingTime(start));
            producer.close();
            job = cluster.submit(jar, 1, savepoint, args);
            say("at parallelism 1, the last part");
            KafkaTestBed.awaitConsumed(config, 1.0, Duration.ofMinutes(5));
            // the closing events' watermark fires the last windows' alerts after their offsets;
            // "consumed" is the source's position, so the job at parallelism 1 may still be
            // working through its last records: stopping it then would leave their alerts to a
            // restore that never comes (in one full-suite run it needed more than 60 s)
            List<Alert> alerts = committedAlerts(config, registry);
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (alerts.size() < expected && System.nanoTime() < deadline) {
                Thread.sleep(1_000);
                alerts = committedAlerts(config, registry);
            }
            cluster.stopWithSavepoint(job);

            alerts = committedAlerts(config, registry);
            List<DeadLetter> deadLetters =
                    TopicReader.readCommitted(
                            config.bootstrapServers(),
                            config.get("topic.dead-letters"),
                            RegistryConfig.of(registry.url()),
                            DeadLetter.class);
            say("%d alerts committed of %d expected", alerts.size(), expected);
            KafkaTestBed.assertAlertsOfCases(cases, alerts, deadLetters);
        }
    }

    /** What the drill did, with the seconds since it began. */
    private void say(String format, Object... args) {
        System.out.printf(
                "cluster drill, %4d s: %s%n",
                Duration.ofNanos(System.nanoTime() - began).toSeconds(),
                String.format(format, args));
    }

    private static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }

    private static List<Alert> committedAlerts(JobConfig config, InProcessSchemaRegistry registry)
            throws Exception {
        List<Alert> alerts = new ArrayList<>(committed(config, "topic.alerts", registry));
        alerts.addAll(committed(config, "topic.shadow-alerts", registry));
        return alerts;
    }

    /** This build's job jar, as {@code ./argus build} makes it. */
    private static Path jobJar() throws Exception {
        try (var files = Files.list(Path.of("target"))) {
            return files.filter(p -> p.getFileName().toString().endsWith("-job.jar"))
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new IllegalStateException(
                                            "no job jar in target/: run this test with mvn verify"))
                    .toAbsolutePath();
        }
    }

    private Path writeProperties(Map<String, String> keys) throws Exception {
        Properties p = new Properties();
        p.putAll(keys);
        Path file = work.resolve("argus.properties");
        try (var out = Files.newBufferedWriter(file)) {
            p.store(out, "the job's configuration in ClusterITCase");
        }
        return file;
    }

    private static void createTopics(JobConfig config) throws Exception {
        try (Admin admin = admin(config)) {
            EmbeddedKafka.createTopics(
                    admin,
                    4,
                    Map.of(),
                    config.get("topic.transactions"),
                    config.get("topic.alerts"),
                    config.get("topic.shadow-alerts"),
                    config.get("topic.dead-letters"));
        }
    }

    private static Admin admin(JobConfig config) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return Admin.create(props);
    }

    private static List<Alert> committed(
            JobConfig config, String topicKey, InProcessSchemaRegistry registry) throws Exception {
        return TopicReader.readCommitted(
                config.bootstrapServers(),
                config.get(topicKey),
                RegistryConfig.of(registry.url()),
                Alert.class);
    }
}

package dev.argus.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker in KRaft mode (one combined broker and controller) running inside this JVM,
 * on loopback, with its data in a temporary directory that is deleted on close. Used by {@code
 * argus local} and by the integration tests; never part of the job jar.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /** Formats storage, starts the node and waits until the broker serves requests. */
    public static EmbeddedKafka start() throws Exception {
        Path dir = Files.createTempDirectory("argus-kafka-");
        KafkaClusterTestKit cluster =
                new KafkaClusterTestKit.Builder(
                                new TestKitNodes.Builder()
                                        .setCombined(true)
                                        .setNumBrokerNodes(1)
                                        .setNumControllerNodes(1)
                                        .setBaseDirectory(dir)
                                        .build())
                        .setConfigProp("offsets.topic.replication.factor", "1")
                        .setConfigProp("offsets.topic.num.partitions", "4")
                        .setConfigProp("transaction.state.log.replication.factor", "1")
                        .setConfigProp("transaction.state.log.min.isr", "1")
                        .setConfigProp("transaction.state.log.num.partitions", "4")
                        .setConfigProp("group.initial.rebalance.delay.ms", "0")
                        .setConfigProp("auto.create.topics.enable", "false")
                        // Flink's exactly-once sink may hold transactions open up to 15 minutes
                        .setConfigProp("transaction.max.timeout.ms", "900000")
                        .setDeleteOnClose(true)
                        .build();
        java.io.PrintStream stdout = System.out;
        try {
            // formatting prints its metadata to stdout; keep the console for what users need
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            cluster.format();
            System.setOut(stdout);
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            System.setOut(stdout);
            cluster.close();
            throw e;
        }
        return new EmbeddedKafka(cluster);
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /**
     * Creates topics with {@code partitions} partitions each and no time-based retention, so test
     * data with old timestamps is never deleted. Existing topics are left as they are. Returns once
     * every partition of them has a leader ({@link #awaitLeaders}).
     */
    public void createTopics(int partitions, String... topics)
            throws InterruptedException, ExecutionException {
        createTopics(partitions, Map.of(), topics);
    }

    /** {@link #createTopics(int, String...)} with further topic configuration. */
    public void createTopics(int partitions, Map<String, String> configs, String... topics)
            throws InterruptedException, ExecutionException {
        try (Admin admin = admin()) {
            createTopics(admin, partitions, configs, topics);
        }
    }

    /**
     * {@link #createTopics(int, Map, String...)} through {@code admin}, on any broker (one replica
     * each): this one, a secured one, one in a process of its own.
     */
    public static void createTopics(
            Admin admin, int partitions, Map<String, String> configs, String... topics)
            throws InterruptedException, ExecutionException {
        Map<String, String> all = new java.util.HashMap<>(configs);
        all.putIfAbsent("retention.ms", "-1");
        List<NewTopic> newTopics = new ArrayList<>();
        for (String topic : topics) {
            newTopics.add(new NewTopic(topic, partitions, (short) 1).configs(all));
        }
        for (var entry : admin.createTopics(newTopics).values().entrySet()) {
            try {
                entry.getValue().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        awaitLeaders(admin, List.of(topics));
    }

    /**
     * Waits until every partition of {@code topics} has a leader, for at most a minute: a broker
     * answers "created" before it leads a new topic's partitions, and a restarted one may not
     * answer at all for a moment. An idempotent producer's first batches to a partition without a
     * leader were refused with NOT_LEADER_OR_FOLLOWER, then with OUT_OF_ORDER_SEQUENCE_NUMBER until
     * its delivery timeout dropped them (a test run that lost nine cases' events).
     */
    public static void awaitLeaders(Admin admin, List<String> topics) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(1).toNanos();
        ExecutionException unanswered = null;
        while (true) {
            boolean led = true;
            try {
                for (var topic : admin.describeTopics(topics).allTopicNames().get().values()) {
                    for (var partition : topic.partitions()) {
                        led &= partition.leader() != null && !partition.leader().isEmpty();
                    }
                }
                unanswered = null;
            } catch (ExecutionException notYet) {
                // the topics' metadata is not there yet, or the broker not back: ask again
                unanswered = notYet;
                led = false;
            }
            if (led) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "partitions of "
                                + topics
                                + " have no leader after a minute"
                                + (unanswered == null
                                        ? ""
                                        : "; the last question failed: " + unanswered.getCause()),
                        unanswered);
            }
            Thread.sleep(100);
        }
    }

    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(props);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}

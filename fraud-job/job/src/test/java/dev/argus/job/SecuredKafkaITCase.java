package dev.argus.job;

import static dev.argus.model.TransactionBuilder.cardPayment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.LogCapture;
import dev.argus.sandbox.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.util.FileUtils;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job through a broker that only takes SASL_SSL clients with SCRAM-SHA-512 ({@link
 * SecuredKafkaBroker}): configured with the {@code kafka.*} security keys, its source, sinks and
 * startup check all connect and it alerts as over PLAINTEXT; with a wrong password it refuses to
 * start and says which key to fix; and no password appears in what it logs, Kafka's clients
 * included, at INFO.
 */
class SecuredKafkaITCase {
    private static Path dir;
    private static SecuredKafkaBroker broker;
    private static InProcessSchemaRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("argus-secured-kafka-");
        broker = SecuredKafkaBroker.start(dir);
        registry = InProcessSchemaRegistry.start(0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (broker != null) {
            broker.close();
        }
        FileUtils.deleteDirectoryQuietly(dir.toFile());
    }

    @Test
    void alertsThroughSaslSslWithoutLoggingAnySecret() throws Exception {
        JobConfig config = config("sasl", broker.password());
        broker.createTopics(
                2,
                config.get("topic.transactions"),
                config.get("topic.alerts"),
                config.get("topic.shadow-alerts"),
                config.get("topic.dead-letters"));
        Instant t0 = Instant.now().minus(30, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        produce(
                config,
                List.of(
                        small("a-s1", "acc-a", t0, 0),
                        small("a-s2", "acc-a", t0, 20),
                        small("a-s3", "acc-a", t0, 40),
                        large("a-big", "acc-a", t0, 90),
                        small("b-s1", "acc-b", t0, 100),
                        large("b-big", "acc-b", t0, 160)));

        String logs =
                capturingLogs(
                        () -> {
                            FraudDetectionJob.starting(config);
                            KafkaTestBed.runToEnd(config, "argus-sasl-ssl");
                        });

        Properties client = broker.clientProperties();
        List<Alert> alerts =
                TopicReader.readCommitted(
                        client, config.get("topic.alerts"), config.registry(), Alert.class);
        assertThat(KafkaTestBed.matchedTransactions(alerts))
                .containsExactly(List.of("a-s1", "a-s2", "a-s3", "a-big"));
        assertThat(
                        TopicReader.readCommitted(
                                client,
                                config.get("topic.dead-letters"),
                                config.registry(),
                                DeadLetter.class))
                .isEmpty();

        // the logs are those of the run: the configuration, and Kafka's clients' settings
        assertThat(logs)
                .contains("Starting Argus with")
                .contains("ProducerConfig values")
                .contains("ConsumerConfig values")
                .contains("sasl.jaas.config");
        assertNoSecret(logs);
    }

    @Test
    void aWrongPasswordStopsTheStartWithWhatToFix() throws Exception {
        String wrong = "wrong-" + broker.password();
        JobConfig config = config("wrong", wrong);
        Refusal refusal = refusal(config, SaslAuthenticationException.class);
        String logs = refusal.logs();
        assertThat(refusal.message())
                .startsWith(
                        "Kafka at "
                                + broker.bootstrapServers()
                                + " refused the credentials of user argus (SASL:")
                .contains("SCRAM-SHA-512")
                .contains("check the username and password in kafka.sasl.jaas.config")
                .doesNotContain(wrong)
                .doesNotContain(broker.password())
                .doesNotContain(broker.truststorePassword());
        assertThat(logs).contains("Starting Argus with");
        assertNoSecret(logs);
        assertThat(logs).doesNotContain(wrong);
    }

    @Test
    void aTruststoreWithoutTheBrokersCaStopsTheStartWithWhatToFix() throws Exception {
        Map<String, String> values =
                new HashMap<>(broker.jobKeys(broker.password(), broker.strangerTruststore()));
        values.put("schema.registry.url", registry.url());
        JobConfig config = JobConfig.of(values);
        Refusal refusal = refusal(config, SslAuthenticationException.class);
        String logs = refusal.logs();
        assertThat(refusal.message())
                .startsWith(
                        "the TLS handshake with Kafka at " + broker.bootstrapServers() + " failed")
                .contains("check that kafka.ssl.truststore.location holds the CA")
                .doesNotContain(broker.password())
                .doesNotContain(broker.truststorePassword());
        assertNoSecret(logs);
    }

    /** What the job's refusal to start said, and the logs of the attempt. */
    private record Refusal(String message, String logs) {}

    /**
     * Starts the job with {@code config}, which it must refuse with an {@link
     * IllegalStateException} caused by {@code cause}, and prints the message as the operator reads
     * it on the console.
     */
    private static Refusal refusal(JobConfig config, Class<? extends Throwable> cause)
            throws Exception {
        String[] message = new String[1];
        String logs =
                capturingLogs(
                        () ->
                                assertThatThrownBy(() -> FraudDetectionJob.starting(config))
                                        .isInstanceOf(IllegalStateException.class)
                                        .hasCauseInstanceOf(cause)
                                        .satisfies(e -> message[0] = e.getMessage()));
        System.out.println("The job refused to start: " + message[0]);
        return new Refusal(message[0], logs);
    }

    private static void assertNoSecret(String logs) {
        assertThat(logs)
                .as("the logs hold no password")
                .doesNotContain(broker.password())
                .doesNotContain(broker.truststorePassword());
    }

    private static JobConfig config(String prefix, String password) {
        Map<String, String> values = KafkaTestBed.harnessJobKeys(prefix);
        values.putAll(broker.jobKeys(password));
        values.put("schema.registry.url", registry.url());
        values.put("topic.shadow-alerts", prefix + "-shadow-alerts");
        return JobConfig.of(values);
    }

    private void produce(JobConfig config, List<Transaction> events) {
        try (TransactionProducer producer =
                new TransactionProducer(config, broker.clientProperties())) {
            producer.send(events, null);
        }
    }

    private static Transaction small(String id, String account, Instant t0, long seconds) {
        return cardPayment(id, account, t0.plusSeconds(seconds), "1.50");
    }

    private static Transaction large(String id, String account, Instant t0, long seconds) {
        return cardPayment(id, account, t0.plusSeconds(seconds), "800.00");
    }

    interface Run {
        void run() throws Exception;
    }

    /**
     * Runs {@code run} with every logger of this JVM at INFO or finer (Argus, Flink and Kafka's
     * clients, which print their settings at INFO) and returns what was logged meanwhile.
     */
    private static String capturingLogs(Run run) throws Exception {
        try (LogCapture capture = LogCapture.start(Level.INFO, "org.apache.kafka")) {
            run.run();
            return capture.text();
        }
    }
}

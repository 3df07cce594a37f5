package dev.argus.job;

import static dev.argus.model.TransactionBuilder.cardPayment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.model.Alert;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.LogCapture;
import dev.argus.model.registry.RegistryException;
import dev.argus.model.registry.TestCertificates;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a registry that serves HTTPS and demands basic auth, configured with the
 * Confluent keys: with the right password and truststore it produces its alerts; with a wrong
 * password its tasks fail with the message that names {@code basic.auth.user.info}. No password
 * appears in the log of either run.
 */
class RegistryAuthTlsITCase {
    private static final String USER = "argus";
    private static final String PASSWORD = "s3cret-job-registry-pw";
    private static final String WRONG_PASSWORD = "wr0ng-job-registry-pw";

    @TempDir static Path dir;
    private static TestCertificates certs;
    private static EmbeddedKafka kafka;
    private static InProcessSchemaRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(dir, "registry");
        kafka = EmbeddedKafka.start();
        registry =
                InProcessSchemaRegistry.builder()
                        .basicAuth(USER, PASSWORD)
                        .tls(certs.keystore(), certs.keystorePassword())
                        .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theJobReachesTheRegistryOverHttpsWithBasicAuthAndAlerts() throws Exception {
        JobConfig config = config("auth-ok", PASSWORD);
        assertThat(config.toString())
                .contains(registry.url())
                .doesNotContain(PASSWORD)
                .doesNotContain(certs.truststorePassword());
        kafka.createTopics(2, "auth-ok-transactions", "auth-ok-alerts", "auth-ok-dlq");
        Instant t0 = Instant.now().minus(30, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        produce(
                config,
                List.of(
                        small("s1", t0, 0),
                        small("s2", t0, 20),
                        small("s3", t0, 40),
                        cardPayment("big", "acc-a", t0.plusSeconds(90), "800.00")));

        String log;
        try (LogCapture capture = LogCapture.start(Level.INFO)) {
            KafkaTestBed.runToEnd(config, "argus-registry-auth");
            log = capture.text();
        }

        List<Alert> alerts =
                TopicReader.readCommitted(
                        kafka.bootstrapServers(), "auth-ok-alerts", config.registry(), Alert.class);
        assertThat(KafkaTestBed.matchedTransactions(alerts))
                .containsExactly(List.of("s1", "s2", "s3", "big"));
        // the capture saw the job's clients start, and no secret
        assertThat(log).contains("Schema registry client for RegistryConfig{url=https://");
        assertNoSecret(log);
    }

    @Test
    void aWrongPasswordFailsTheJobWithWhatToFix() throws Exception {
        JobConfig config = config("auth-wrong", WRONG_PASSWORD);
        kafka.createTopics(2, "auth-wrong-transactions", "auth-wrong-alerts", "auth-wrong-dlq");

        String log;
        try (LogCapture capture = LogCapture.start(Level.INFO)) {
            Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(flink);
            env.setParallelism(1);
            FraudDetectionJob.attach(env, config, true);
            assertThatThrownBy(() -> env.execute("argus-registry-wrong-password"))
                    .satisfies(
                            e ->
                                    assertThat(
                                                    ExceptionUtils.findThrowable(
                                                            e, RegistryException.class))
                                            .hasValueSatisfying(
                                                    r ->
                                                            assertThat(r.getMessage())
                                                                    .startsWith(
                                                                            "the schema registry at "
                                                                                    + registry.url()
                                                                                    + " refused the credentials of user argus (HTTP 401")
                                                                    .endsWith(
                                                                            "check basic.auth.user.info (USER:PASSWORD)")));
            log = capture.text();
        }
        // Flink logged the task's failure, with the message, and no password
        assertThat(log).contains("refused the credentials of user argus");
        assertNoSecret(log);
    }

    private static void assertNoSecret(String log) {
        assertThat(log)
                .doesNotContain(PASSWORD)
                .doesNotContain(WRONG_PASSWORD)
                .doesNotContain(certs.truststorePassword())
                .doesNotContain(certs.keystorePassword())
                .doesNotContain(
                        java.util.Base64.getEncoder()
                                .encodeToString(
                                        (USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }

    private static JobConfig config(String prefix, String password) {
        Map<String, String> values = KafkaTestBed.harnessJobKeys(prefix);
        values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        values.put("schema.registry.url", registry.url());
        values.put("basic.auth.user.info", USER + ":" + password);
        values.put("schema.registry.ssl.truststore.location", certs.truststore().toString());
        values.put("schema.registry.ssl.truststore.password", certs.truststorePassword());
        return JobConfig.of(values);
    }

    private static Transaction small(String id, Instant t0, long seconds) {
        return cardPayment(id, "acc-a", t0.plusSeconds(seconds), "1.50");
    }

    private static void produce(JobConfig config, List<Transaction> events) {
        try (TransactionProducer producer = new TransactionProducer(config)) {
            producer.send(events, null);
        }
    }
}

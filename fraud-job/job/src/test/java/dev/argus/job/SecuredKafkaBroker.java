package dev.argus.job;

import dev.argus.model.registry.TestCertificates;
import dev.argus.sandbox.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * A real Kafka broker in KRaft mode (one combined broker and controller, in a JVM of its own, as
 * {@link KafkaBrokerProcess} starts one) whose clients' listener is SASL_SSL with SCRAM-SHA-512:
 * TLS with a self-signed certificate for {@code localhost} made by {@code keytool} at start, and
 * one SCRAM user, {@link #USER}, added when the storage is formatted ({@code StorageTool format
 * --add-scram}). The controller and the broker talk PLAINTEXT on loopback. The passwords are
 * random, so a test can look for them in logs.
 */
final class SecuredKafkaBroker implements AutoCloseable {
    static final String USER = "argus";

    private final int port;
    private final String password;
    private final TestCertificates certificates;
    private final TestCertificates stranger;
    private final Process process;

    private SecuredKafkaBroker(
            int port,
            String password,
            TestCertificates certificates,
            TestCertificates stranger,
            Process process) {
        this.port = port;
        this.password = password;
        this.certificates = certificates;
        this.stranger = stranger;
        this.process = process;
    }

    /** Makes the certificates, formats the storage under {@code dir} and starts the broker. */
    static SecuredKafkaBroker start(Path dir) throws Exception {
        Files.createDirectories(dir);
        String password = "scram-" + UUID.randomUUID();
        String keystorePassword = "keystore-" + UUID.randomUUID();
        String truststorePassword = "truststore-" + UUID.randomUUID();
        TestCertificates certificates =
                TestCertificates.create(
                        dir,
                        "broker",
                        "dns:localhost,ip:127.0.0.1",
                        keystorePassword,
                        truststorePassword);
        // a truststore of the same password that trusts another certificate only
        TestCertificates stranger =
                TestCertificates.create(
                        dir,
                        "stranger",
                        "dns:localhost,ip:127.0.0.1",
                        keystorePassword,
                        truststorePassword);

        int port = KafkaBrokerProcess.freePort();
        int internalPort = KafkaBrokerProcess.freePort();
        int controllerPort = KafkaBrokerProcess.freePort();
        Properties server = KafkaBrokerProcess.serverProperties(dir, controllerPort);
        server.setProperty(
                "listeners",
                "SASL_SSL://localhost:"
                        + port
                        + ",INTERNAL://localhost:"
                        + internalPort
                        + ",CONTROLLER://localhost:"
                        + controllerPort);
        server.setProperty(
                "advertised.listeners",
                "SASL_SSL://localhost:" + port + ",INTERNAL://localhost:" + internalPort);
        server.setProperty(
                "listener.security.protocol.map",
                "SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        server.setProperty("inter.broker.listener.name", "INTERNAL");
        server.setProperty("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        server.setProperty(
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        server.setProperty("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
        server.setProperty(
                "listener.name.sasl_ssl.ssl.keystore.location", certificates.keystore().toString());
        server.setProperty("listener.name.sasl_ssl.ssl.keystore.password", keystorePassword);
        server.setProperty("listener.name.sasl_ssl.ssl.key.password", keystorePassword);
        KafkaBrokerProcess.format(
                dir,
                server,
                "a SASL_SSL broker started by SecuredKafkaBroker",
                "--add-scram",
                "SCRAM-SHA-512=[name=" + USER + ",password=" + password + "]");
        // not started yet: only for its client properties
        SecuredKafkaBroker unstarted =
                new SecuredKafkaBroker(port, password, certificates, stranger, null);
        Process process = KafkaBrokerProcess.startKafka(dir, unstarted.clientProperties());
        return new SecuredKafkaBroker(port, password, certificates, stranger, process);
    }

    String bootstrapServers() {
        return "localhost:" + port;
    }

    /** The SCRAM password of {@link #USER}. */
    String password() {
        return password;
    }

    String truststorePassword() {
        return certificates.truststorePassword();
    }

    /**
     * A truststore with the truststore password that holds another self-signed certificate, not the
     * broker's: a client that uses it refuses the broker.
     */
    Path strangerTruststore() {
        return stranger.truststore();
    }

    /** The job's {@code kafka.*} keys for this broker, as {@link #USER} with {@code password}. */
    Map<String, String> jobKeys(String password) {
        return jobKeys(password, certificates.truststore());
    }

    /** {@link #jobKeys(String)} with another truststore. */
    Map<String, String> jobKeys(String password, Path truststore) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("kafka.bootstrap.servers", bootstrapServers());
        keys.put("kafka.security.protocol", "SASL_SSL");
        keys.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
        keys.put(
                "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + USER
                        + "\" password=\""
                        + password
                        + "\";");
        keys.put("kafka.ssl.truststore.type", "PKCS12");
        keys.put("kafka.ssl.truststore.location", truststore.toString());
        keys.put("kafka.ssl.truststore.password", certificates.truststorePassword());
        return keys;
    }

    /** Kafka client properties (no prefix) for this broker as {@link #USER}. */
    Properties clientProperties() {
        Properties props = new Properties();
        jobKeys(password).forEach((k, v) -> props.setProperty(k.substring("kafka.".length()), v));
        return props;
    }

    /**
     * Creates topics, {@code partitions} each, with no time-based retention, and waits until their
     * partitions have leaders.
     */
    void createTopics(int partitions, String... topics) throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            EmbeddedKafka.createTopics(admin, partitions, Map.of(), topics);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}

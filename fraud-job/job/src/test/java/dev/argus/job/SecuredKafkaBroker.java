package dev.argus.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

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

    private final Path dir;
    private final int port;
    private final String password;
    private final Path truststore;
    private final String truststorePassword;
    private final Process process;

    private SecuredKafkaBroker(
            Path dir,
            int port,
            String password,
            Path truststore,
            String truststorePassword,
            Process process) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.truststore = truststore;
        this.truststorePassword = truststorePassword;
        this.process = process;
    }

    /** Makes the certificates, formats the storage under {@code dir} and starts the broker. */
    static SecuredKafkaBroker start(Path dir) throws Exception {
        Files.createDirectories(dir);
        String password = "scram-" + UUID.randomUUID();
        String keystorePassword = "keystore-" + UUID.randomUUID();
        String truststorePassword = "truststore-" + UUID.randomUUID();
        Path keystore = dir.resolve("broker.p12");
        Path certificate = dir.resolve("broker.pem");
        Path truststore = dir.resolve("truststore.p12");
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                keystorePassword,
                "-keypass",
                keystorePassword);
        keytool(
                dir,
                "-exportcert",
                "-rfc",
                "-alias",
                "broker",
                "-keystore",
                keystore.toString(),
                "-storepass",
                keystorePassword,
                "-file",
                certificate.toString());
        keytool(
                dir,
                "-importcert",
                "-noprompt",
                "-alias",
                "argus-test-ca",
                "-file",
                certificate.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                truststorePassword);

        // a truststore of the same password that trusts another certificate only
        Path stranger = dir.resolve("stranger.p12");
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "stranger",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-storetype",
                "PKCS12",
                "-keystore",
                stranger.toString(),
                "-storepass",
                keystorePassword,
                "-keypass",
                keystorePassword);
        keytool(
                dir,
                "-exportcert",
                "-rfc",
                "-alias",
                "stranger",
                "-keystore",
                stranger.toString(),
                "-storepass",
                keystorePassword,
                "-file",
                dir.resolve("stranger.pem").toString());
        keytool(
                dir,
                "-importcert",
                "-noprompt",
                "-alias",
                "stranger",
                "-file",
                dir.resolve("stranger.pem").toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                dir.resolve("stranger-truststore.p12").toString(),
                "-storepass",
                truststorePassword);

        int port = KafkaBrokerProcess.freePort();
        int internalPort = KafkaBrokerProcess.freePort();
        int controllerPort = KafkaBrokerProcess.freePort();
        Properties server = new Properties();
        server.setProperty("process.roles", "broker,controller");
        server.setProperty("node.id", "1");
        server.setProperty("controller.quorum.voters", "1@localhost:" + controllerPort);
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
        server.setProperty("controller.listener.names", "CONTROLLER");
        server.setProperty("inter.broker.listener.name", "INTERNAL");
        server.setProperty("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        server.setProperty(
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        server.setProperty("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
        server.setProperty("listener.name.sasl_ssl.ssl.keystore.location", keystore.toString());
        server.setProperty("listener.name.sasl_ssl.ssl.keystore.password", keystorePassword);
        server.setProperty("listener.name.sasl_ssl.ssl.key.password", keystorePassword);
        server.setProperty("log.dirs", dir.resolve("data").toString());
        server.setProperty("offsets.topic.replication.factor", "1");
        server.setProperty("offsets.topic.num.partitions", "4");
        server.setProperty("transaction.state.log.replication.factor", "1");
        server.setProperty("transaction.state.log.min.isr", "1");
        server.setProperty("transaction.state.log.num.partitions", "4");
        server.setProperty("group.initial.rebalance.delay.ms", "0");
        server.setProperty("auto.create.topics.enable", "false");
        // Flink's exactly-once sink may hold transactions open up to 15 minutes
        server.setProperty("transaction.max.timeout.ms", "900000");
        try (var out = Files.newBufferedWriter(dir.resolve("server.properties"))) {
            server.store(out, "a SASL_SSL broker started by SecuredKafkaBroker");
        }
        KafkaBrokerProcess.run(
                dir.resolve("format.log"),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                dir.resolve("server.properties").toString(),
                "--add-scram",
                "SCRAM-SHA-512=[name=" + USER + ",password=" + password + "]");
        Process process =
                KafkaBrokerProcess.java(
                                dir.resolve("broker.log"),
                                "kafka.Kafka",
                                dir.resolve("server.properties").toString())
                        .start();
        SecuredKafkaBroker broker =
                new SecuredKafkaBroker(
                        dir, port, password, truststore, truststorePassword, process);
        try {
            broker.awaitAnswer();
        } catch (Exception e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    String bootstrapServers() {
        return "localhost:" + port;
    }

    /** The SCRAM password of {@link #USER}. */
    String password() {
        return password;
    }

    String truststorePassword() {
        return truststorePassword;
    }

    /**
     * A truststore with the truststore password that holds another self-signed certificate, not the
     * broker's: a client that uses it refuses the broker.
     */
    Path strangerTruststore() {
        return dir.resolve("stranger-truststore.p12");
    }

    /** The job's {@code kafka.*} keys for this broker, as {@link #USER} with {@code password}. */
    Map<String, String> jobKeys(String password) {
        return jobKeys(password, truststore);
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
        keys.put("kafka.ssl.truststore.password", truststorePassword);
        return keys;
    }

    /** Kafka client properties (no prefix) for this broker as {@link #USER}. */
    Properties clientProperties() {
        Properties props = new Properties();
        jobKeys(password).forEach((k, v) -> props.setProperty(k.substring("kafka.".length()), v));
        return props;
    }

    /** Creates topics, {@code partitions} each, with no time-based retention. */
    void createTopics(int partitions, String... topics) throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            List<NewTopic> newTopics =
                    java.util.Arrays.stream(topics)
                            .map(
                                    t ->
                                            new NewTopic(t, partitions, (short) 1)
                                                    .configs(Map.of("retention.ms", "-1")))
                            .toList();
            for (var result : admin.createTopics(newTopics).values().values()) {
                try {
                    result.get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    /** Waits until the broker answers an authenticated client over TLS. */
    private void awaitAnswer() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Properties props = clientProperties();
        props.put("request.timeout.ms", "2000");
        props.put("default.api.timeout.ms", "3000");
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the broker exited; see " + dir.resolve("broker.log"));
            }
            try (Admin admin = Admin.create(props)) {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return;
            } catch (Exception notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the broker did not answer in 60 s; see " + dir.resolve("broker.log"),
                            notYet);
                }
                Thread.sleep(300);
            }
        }
    }

    private static void keytool(Path dir, String... args) throws Exception {
        List<String> command =
                new java.util.ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "keytool")
                                        .toString()));
        command.addAll(List.of(args));
        Process p =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(
                                ProcessBuilder.Redirect.appendTo(
                                        dir.resolve("keytool.log").toFile()))
                        .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "keytool " + args[0] + " failed; see " + dir.resolve("keytool.log"));
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

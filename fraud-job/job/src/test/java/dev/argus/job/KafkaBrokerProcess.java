package dev.argus.job;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker in KRaft mode (one combined broker and controller) in a JVM of its own, with
 * its data in a directory that outlives the process: it can be stopped and started again on the
 * same data and port, as an operator restarts a broker. The classes are this JVM's own ({@code
 * kafka_2.13}, as {@link dev.argus.sandbox.EmbeddedKafka} uses them), started as {@code kafka.Kafka
 * server.properties} after {@code kafka.tools.StorageTool format}, as Kafka's scripts do.
 */
final class KafkaBrokerProcess implements AutoCloseable {
    private final Path dir;
    private final int port;
    private Process process;

    private KafkaBrokerProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Formats the storage under {@code dir} and starts the broker. */
    static KafkaBrokerProcess start(Path dir) throws Exception {
        Files.createDirectories(dir);
        int port = freePort();
        int controllerPort = freePort();
        Properties server = serverProperties(dir, controllerPort);
        server.setProperty(
                "listeners",
                "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
        server.setProperty("advertised.listeners", "PLAINTEXT://localhost:" + port);
        server.setProperty("inter.broker.listener.name", "PLAINTEXT");
        format(dir, server, "a broker started by KafkaBrokerProcess");
        KafkaBrokerProcess broker = new KafkaBrokerProcess(dir, port);
        broker.startAgain();
        return broker;
    }

    /**
     * The settings of a combined broker and controller, node 1, with its data under {@code dir} and
     * its controller listener, CONTROLLER, on {@code controllerPort}: the caller adds the other
     * listeners.
     */
    static Properties serverProperties(Path dir, int controllerPort) {
        Properties server = new Properties();
        server.setProperty("process.roles", "broker,controller");
        server.setProperty("node.id", "1");
        server.setProperty("controller.quorum.voters", "1@localhost:" + controllerPort);
        server.setProperty("controller.listener.names", "CONTROLLER");
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
        return server;
    }

    /**
     * Writes {@code server} to {@code dir}'s {@code server.properties} and formats the storage
     * ({@code kafka.tools.StorageTool format}, with {@code formatArgs} added).
     */
    static void format(Path dir, Properties server, String comment, String... formatArgs)
            throws Exception {
        try (var out = Files.newBufferedWriter(dir.resolve("server.properties"))) {
            server.store(out, comment);
        }
        List<String> args =
                new java.util.ArrayList<>(
                        List.of(
                                "format",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                dir.resolve("server.properties").toString()));
        args.addAll(List.of(formatArgs));
        run(dir.resolve("format.log"), "kafka.tools.StorageTool", args.toArray(String[]::new));
    }

    String bootstrapServers() {
        return "localhost:" + port;
    }

    /** Starts the broker on its data and port, and waits until it answers. */
    void startAgain() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the broker is running");
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        process = startKafka(dir, props);
    }

    /**
     * Starts {@code kafka.Kafka} on {@code dir}'s {@code server.properties}, logging to {@code
     * dir}'s {@code broker.log}, and waits up to 60 s until an Admin with the {@code client}
     * properties answers; stops the process if it does not.
     */
    static Process startKafka(Path dir, Properties client) throws Exception {
        Process process =
                java(
                                dir.resolve("broker.log"),
                                "kafka.Kafka",
                                dir.resolve("server.properties").toString())
                        .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Properties props = new Properties();
        props.putAll(client);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "the broker exited; see " + dir.resolve("broker.log"));
            }
            try (Admin admin = Admin.create(props)) {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return process;
            } catch (Exception notYet) {
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly().waitFor();
                    throw new IllegalStateException(
                            "the broker did not answer in 60 s; see " + dir.resolve("broker.log"),
                            notYet);
                }
                Thread.sleep(300);
            }
        }
    }

    /** Stops the broker as its scripts do (SIGTERM: a controlled shutdown), and waits. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    static void run(Path log, String main, String... args) throws Exception {
        Process p = java(log, main, args).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(main + " failed; see " + log);
        }
    }

    static ProcessBuilder java(Path log, String main, String... args) {
        List<String> command =
                new java.util.ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx512m",
                                "-cp",
                                System.getProperty("java.class.path"),
                                main));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

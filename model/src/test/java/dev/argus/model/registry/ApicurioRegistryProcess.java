package dev.argus.model.registry;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Runs Apicurio Registry (a real registry with the Confluent API) as a child process on loopback
 * for tests. The jar comes from the system property or environment variable {@code
 * ARGUS_APICURIO_JAR}, else from {@code deploy/test-registry/target}, where {@code ./argus test}
 * builds it.
 */
public final class ApicurioRegistryProcess implements AutoCloseable {
    private static final String JAR_NAME = "apicurio-registry-runner-1.0-runner.jar";

    private final Process process;
    private final int port;
    private final Path log;

    private ApicurioRegistryProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static ApicurioRegistryProcess start() throws IOException, InterruptedException {
        Path jar = findJar();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile("apicurio-registry-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process =
                new ProcessBuilder(
                                List.of(
                                        java,
                                        "-Xmx192m",
                                        "-XX:+UseSerialGC",
                                        "-XX:TieredStopAtLevel=1",
                                        "-Dquarkus.http.port=" + port,
                                        "-Dquarkus.http.host=127.0.0.1",
                                        "-jar",
                                        jar.toString()))
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        ApicurioRegistryProcess registry = new ApicurioRegistryProcess(process, port, log);
        registry.awaitReady(Duration.ofSeconds(90));
        return registry;
    }

    /** The Confluent-compatible base URL. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "Apicurio registry exited with "
                                + process.exitValue()
                                + "; its log:\n"
                                + Files.readString(log));
            }
            try {
                HttpURLConnection c =
                        (HttpURLConnection)
                                URI.create(url() + "/subjects").toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(300);
        }
        close();
        throw new IllegalStateException(
                "Apicurio registry did not answer within " + timeout + "; its log is " + log);
    }

    private static Path findJar() {
        String configured =
                System.getProperty("ARGUS_APICURIO_JAR", System.getenv("ARGUS_APICURIO_JAR"));
        if (configured != null && !configured.isBlank()) {
            Path jar = Path.of(configured);
            if (Files.isRegularFile(jar)) {
                return jar;
            }
            throw new IllegalStateException(
                    "ARGUS_APICURIO_JAR points to " + jar + ", which does not exist");
        }
        for (File dir = new File("").getAbsoluteFile(); dir != null; dir = dir.getParentFile()) {
            Path candidate = dir.toPath().resolve("deploy/test-registry/target").resolve(JAR_NAME);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "The Apicurio registry jar is not built. Run the tests with ./argus test, which"
                        + " builds it, or build it once with: mvn -B -q -f"
                        + " deploy/test-registry/pom.xml package -DskipTests");
    }
}

package dev.argus.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Flink session cluster in separate processes, started and driven by {@code
 * deploy/cluster/flink-cluster.sh} as an operator would: one JobManager and TaskManagers, each its
 * own JVM; the job jar submitted through the REST API; stopped with a savepoint. Reads the job's
 * state and restart count from the REST API, and kills a TaskManager with {@code kill -9}.
 */
final class FlinkClusterProcess implements AutoCloseable {
    static final Path SCRIPT = Path.of("../../deploy/cluster/flink-cluster.sh");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final String rest;
    private final HttpClient http = HttpClient.newHttpClient();

    private FlinkClusterProcess(Path dir, String rest) {
        this.dir = dir;
        this.rest = rest;
    }

    /**
     * Starts a JobManager and {@code taskManagers} TaskManagers of 2 slots each under {@code dir}.
     */
    static FlinkClusterProcess start(Path dir, int taskManagers) throws Exception {
        script("start", dir.toString(), String.valueOf(taskManagers));
        return new FlinkClusterProcess(dir, Files.readString(dir.resolve("rest-url")).strip());
    }

    /** Uploads {@code jar} and runs its main class with {@code args}; returns the job's id. */
    String submit(Path jar, int parallelism, String savepoint, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("submit", dir.toString(), jar.toString()));
        command.add(String.valueOf(parallelism));
        if (savepoint != null) {
            command.add(savepoint);
        }
        command.add("--");
        command.addAll(args);
        return script(command.toArray(String[]::new));
    }

    /**
     * Stops the job with a savepoint, once all its tasks run (Flink refuses a savepoint while one
     * restarts), and returns the savepoint's path.
     */
    String stopWithSavepoint(String jobId) throws Exception {
        awaitRunning(jobId, Duration.ofMinutes(3));
        return script("stop-with-savepoint", dir.toString(), jobId);
    }

    /** Waits until the job's exception history holds a failure. */
    List<String> awaitFailure(String jobId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> failures = failures(jobId);
        while (failures.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(500);
            failures = failures(jobId);
        }
        return failures;
    }

    /** Starts one more TaskManager named {@code name} and waits until it has registered. */
    void startTaskManager(String name) throws Exception {
        script("taskmanager", dir.toString(), name);
    }

    /** {@code kill -9} of the TaskManager named {@code name}: no shutdown, no goodbye. */
    void killTaskManager(String name) throws Exception {
        String pid = Files.readString(dir.resolve("pids").resolve(name + ".pid")).strip();
        Process kill = new ProcessBuilder("kill", "-9", pid).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -9 " + pid + " (" + name + ") failed");
        }
    }

    /** The TaskManager with the most slots in use: its name, which is its resource id. */
    String busiestTaskManager() throws Exception {
        String busiest = null;
        int most = 0;
        for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) {
            int used = tm.path("slotsNumber").asInt() - tm.path("freeSlots").asInt();
            if (used > most) {
                most = used;
                busiest = tm.path("id").asText();
            }
        }
        if (busiest == null) {
            throw new IllegalStateException("no TaskManager runs a task");
        }
        return busiest;
    }

    /** The job's state, for example {@code RUNNING}. */
    String jobState(String jobId) throws Exception {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /**
     * The root causes of the job's failures so far, oldest first, from its exception history (the
     * REST API's {@code numRestarts} metric lags by the metric fetcher's interval).
     */
    List<String> failures(String jobId) throws Exception {
        List<String> causes = new ArrayList<>();
        for (JsonNode e :
                get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries")) {
            causes.add(
                    0,
                    e.path("exceptionName").asText()
                            + ": "
                            + firstLine(e.path("stacktrace").asText()));
        }
        return causes;
    }

    private static String firstLine(String stacktrace) {
        int end = stacktrace.indexOf('\n');
        return end < 0 ? stacktrace : stacktrace.substring(0, end);
    }

    /** Waits until every task of the job runs. */
    void awaitRunning(String jobId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode job = get("/jobs/" + jobId);
            if ("RUNNING".equals(job.path("state").asText())) {
                boolean all = true;
                for (JsonNode v : job.path("vertices")) {
                    all &= "RUNNING".equals(v.path("status").asText());
                }
                if (all) {
                    return;
                }
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException(
                "job " + jobId + " is not running after " + timeout + ": " + jobState(jobId));
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(rest + path))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** The logs of the cluster's processes. */
    Path logs() {
        return dir.resolve("log");
    }

    @Override
    public void close() throws Exception {
        script("stop", dir.toString());
    }

    /** Runs the script; returns its last line of output, or fails with what it printed. */
    private static String script(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(
                    "flink-cluster.sh " + String.join(" ", args) + " failed:\n" + out);
        }
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1].strip();
    }
}

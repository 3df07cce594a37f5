package dev.argus.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark's handle on a {@link BenchJob} process: starts it with this JVM's Java, class path
 * and module options, follows its metrics, sends it commands, and reads its CPU time and peak
 * memory from the operating system.
 */
final class JobProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobProcess.class);

    /** The job process logs to its file: warnings, the job's state and its checkpoints. */
    private static final String LOGGING =
            String.join(
                    "\n",
                    "rootLogger.level = WARN",
                    "rootLogger.appenderRef.file.ref = file",
                    "appender.file.type = File",
                    "appender.file.name = file",
                    "appender.file.fileName = FILE",
                    "appender.file.append = false",
                    "appender.file.layout.type = PatternLayout",
                    "appender.file.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%t] %c{1} - %m%n",
                    "logger.job.name = org.apache.flink.runtime.jobmaster.JobMaster",
                    "logger.job.level = INFO",
                    "logger.checkpoints.name = org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
                    "logger.checkpoints.level = INFO",
                    "logger.metricnames.name = org.apache.flink.metrics.MetricGroup",
                    "logger.metricnames.level = ERROR",
                    "");

    /** One METRICS line of the job process. */
    record Sample(
            long atMillis,
            long records,
            long checkpoints,
            long checkpointMillis,
            long checkpointBytes,
            long checkpointFullBytes,
            long heapUsed,
            long conditionEvaluations,
            EngineCounts engine,
            Map<String, Long> heldByRule) {}

    /** A completed checkpoint, as first seen by the sampler. */
    record Checkpoint(long seenAtMillis, long millis, long bytes, long fullBytes) {}

    private final Process process;
    private final PrintWriter commands;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final List<Checkpoint> checkpoints = new CopyOnWriteArrayList<>();
    private volatile Sample last = new Sample(0, 0, 0, 0, 0, 0, 0, 0, EngineCounts.NONE, Map.of());
    private volatile long peakHeap;
    private volatile String ended;

    private JobProcess(Process process) {
        this.process = process;
        this.commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(this::read, "bench-job-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** The job process's JVM options: its heap, then {@code extra}. */
    static List<String> jvmOptions(String heap, List<String> extra) {
        List<String> options = new ArrayList<>();
        options.add("-Xmx" + heap);
        options.addAll(extra);
        return options;
    }

    /** Starts a job process and waits until its job runs. */
    static JobProcess start(List<String> jobArgs, List<String> jvmOptions, Path logFile)
            throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the module openings and trusted Avro packages of this JVM
            if (arg.startsWith("--add-opens") || arg.startsWith("-Dorg.apache.avro")) {
                command.add(arg);
            }
        }
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        Path logging = logFile.resolveSibling(logFile.getFileName() + ".log4j2.properties");
        Files.writeString(logging, LOGGING.replace("FILE", logFile.toAbsolutePath().toString()));
        command.add("-Dlog4j.configurationFile=" + logging.toAbsolutePath());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchJob.class.getName());
        command.addAll(jobArgs);
        Path errors = Path.of(logFile + ".out");
        Process p =
                new ProcessBuilder(command)
                        .redirectError(ProcessBuilder.Redirect.to(errors.toFile()))
                        .start();
        JobProcess job = new JobProcess(p);
        try {
            job.await("READY", Duration.ofMinutes(2));
        } catch (IllegalStateException e) {
            // the log may be gone with a temporary folder: say why the process did not start
            throw new IllegalStateException(e.getMessage() + lastLines(errors, 30), e);
        }
        return job;
    }

    /** The end of the job process's standard error, for a message: what killed it. */
    private static String lastLines(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (all.isEmpty()) {
                return "";
            }
            return "; its standard error ends with:\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private void read() {
        try (BufferedReader in =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("METRICS ")) {
                    onMetrics(line);
                } else if (line.startsWith("ENDED")) {
                    ended = line.substring("ENDED".length()).trim();
                    replies.add(line);
                } else if (line.matches("^[A-Z]+( .*)?$")) {
                    replies.add(line);
                } else {
                    LOG.info("job process {}: {}", process.pid(), line);
                }
            }
        } catch (IOException e) {
            ended = "lost the job process's output: " + e;
        } finally {
            if (ended == null) {
                ended = "the job process exited with status " + exitStatus();
            }
            replies.add("ENDED " + ended);
        }
    }

    private void onMetrics(String line) {
        String[] f = line.split(" ");
        Sample s =
                new Sample(
                        Long.parseLong(f[1]),
                        Long.parseLong(f[2]),
                        Long.parseLong(f[3]),
                        Long.parseLong(f[4]),
                        Long.parseLong(f[5]),
                        Long.parseLong(f[6]),
                        Long.parseLong(f[7]),
                        Long.parseLong(f[8]),
                        EngineCounts.parse(f, 9),
                        BenchMetrics.parseHeld(f[16]));
        if (s.checkpoints() > last.checkpoints()) {
            checkpoints.add(
                    new Checkpoint(
                            s.atMillis(),
                            s.checkpointMillis(),
                            s.checkpointBytes(),
                            s.checkpointFullBytes()));
        }
        peakHeap = Math.max(peakHeap, s.heapUsed());
        last = s;
    }

    private String exitStatus() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS)
                    ? String.valueOf(process.exitValue())
                    : "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** The latest metrics. */
    Sample sample() {
        return last;
    }

    /** Records the job's source has read so far. */
    long records() {
        return last.records();
    }

    List<Checkpoint> checkpointsBetween(long fromMillis, long toMillis) {
        return checkpoints.stream()
                .filter(c -> c.seenAtMillis() >= fromMillis && c.seenAtMillis() < toMillis)
                .toList();
    }

    long peakHeapUsed() {
        return peakHeap;
    }

    /** CPU time the job process has used so far, all its threads, native ones included. */
    long cpuNanos() {
        return process.toHandle()
                .info()
                .totalCpuDuration()
                .map(Duration::toNanos)
                .orElseThrow(
                        () -> new IllegalStateException("the OS does not report process CPU time"));
    }

    /** The JIT compiler's kind of thread, which a job that runs for long no longer spends on. */
    static final String JIT_COMPILER = "JIT compiler";

    /** The kinds of threads {@link #cpuNanosByKind} tells apart, in the order they are printed. */
    static final List<String> THREAD_KINDS =
            List.of(JIT_COMPILER, "garbage collector", "RocksDB background", "the rest");

    /**
     * CPU time the job process's threads have used so far, by kind of thread: the JIT compiler's,
     * which a long-running job no longer spends once its code is compiled, the garbage collector's,
     * RocksDB's flushes and compactions, and the rest (Flink's tasks, network and checkpoints).
     * Read from Linux's {@code /proc/<pid>/task/*}; empty where the OS has none. Threads that ended
     * between two readings are not counted.
     */
    Map<String, Long> cpuNanosByKind() {
        Map<String, Long> byKind = new LinkedHashMap<>();
        Path tasks = Path.of("/proc", process.pid() + "", "task");
        try (java.util.stream.Stream<Path> threads = Files.list(tasks)) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                try {
                    String name = Files.readString(thread.resolve("comm")).strip();
                    String stat = Files.readString(thread.resolve("stat"));
                    // after the name in parentheses: state is field 3, utime 14 and stime 15
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    byKind.merge(threadKind(name), ticks * TICK_NANOS, Long::sum);
                } catch (IOException | RuntimeException ended) {
                    // the thread ended while being read
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            return Map.of();
        }
        return byKind;
    }

    /** Linux's clock tick for per-thread CPU times: USER_HZ, 100 on every Linux architecture. */
    private static final long TICK_NANOS = 10_000_000L;

    /** The kind of a thread of the job process, by its (15-character) name. */
    static String threadKind(String name) {
        if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            return JIT_COMPILER;
        }
        if (name.startsWith("GC Thread")
                || name.startsWith("G1 ")
                || name.startsWith("VM Thread")) {
            return "garbage collector";
        }
        if (name.startsWith("rocksdb:")) {
            return "RocksDB background";
        }
        return "the rest";
    }

    /** The process's peak resident set size (Linux's VmHWM), or -1 where the OS does not say. */
    long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", process.pid() + "", "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** Waits until the job has read {@code records} records; false on timeout. */
    boolean awaitRecords(long records, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (last.records() < records) {
            if (ended != null) {
                throw new IllegalStateException("the job ended: " + ended);
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** Sends a command and waits for the reply starting with {@code expected}. */
    String call(String command, String expected, Duration timeout) throws InterruptedException {
        commands.println(command);
        return await(expected, timeout);
    }

    private String await(String expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String reply = left > 0 ? replies.poll(left, TimeUnit.NANOSECONDS) : null;
            if (reply == null) {
                throw new IllegalStateException(
                        "the job process did not answer " + expected + " within " + timeout);
            }
            if (reply.startsWith(expected)) {
                return reply.substring(expected.length()).trim();
            }
            if (reply.startsWith("ERROR") || reply.startsWith("ENDED")) {
                throw new IllegalStateException("the job process: " + reply);
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            commands.println("stop");
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}

package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes a golden savepoint of this build (see {@link GoldenSavepoint}): do it for every release,
 * before anything that could change the state's layout moves, and check the folder in. It runs only
 * when asked, from the repository's root:
 *
 * <pre>
 * mvn -B install -DskipTests
 * mvn -B verify -pl fraud-job/sandbox,fraud-job/job -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=GoldenSavepointWriter \
 *     -Dargus.golden.name=VERSION-COMMIT -Dargus.golden.version=VERSION -Dargus.golden.commit=COMMIT
 * </pre>
 *
 * <p>The stream is the labelled stream of the rule pack's test cases. Two jobs read it on fresh
 * brokers: one reads all of it and finishes, and its committed alerts are the expected ones; the
 * other reads its first half and stops with a savepoint. What the savepoint must hold is checked
 * here: profiles, rule-engine state (partial matches, pending timers), events waiting for the
 * watermark, and the alert gate's state.
 */
@EnabledIfSystemProperty(named = "argus.golden.name", matches = ".+")
class GoldenSavepointWriter {

    @Test
    void writesAGoldenSavepoint(@TempDir Path tmp) throws Exception {
        String name = System.getProperty("argus.golden.name");
        Path dir = GoldenSavepoint.ROOT.resolve(name);
        assertThat(dir).as("a golden savepoint is never overwritten").doesNotExist();
        Path staging = tmp.resolve(name);
        GoldenSavepoint golden = new GoldenSavepoint(staging);
        // the pack with its test cases: the cases make the stream
        copyTree(Path.of("../../rules/pack"), golden.pack());

        RulePackLoader.Result pack = KafkaTestBed.loadPack(golden.pack());
        Instant start = KafkaTestBed.labelledStreamStart();
        List<Transaction> stream = LabelledStream.stream(pack.tests(), start);
        int split = stream.size() / 2;
        GoldenSavepoint.write(
                staging.resolve(GoldenSavepoint.TRANSACTIONS), Transaction.class, stream);
        // written under the default ordering of this version, recorded in the manifest
        Map<String, String> keys = Map.of("rules.path", golden.pack().toString());

        // the expected alerts: a job that reads the whole stream without stopping
        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config = bed.config(GoldenSavepointITCase.GROUP, "1 s", keys);
            bed.produce(config, stream);
            bed.produceClosing(config, GoldenSavepointITCase.closingTime(start));
            KafkaTestBed.runToEnd(config, "argus-golden-uninterrupted");
            List<Alert> alerts = bed.committedAlerts(config);
            assertThat(alerts).isNotEmpty();
            assertThat(bed.committed(config, "topic.dead-letters", DeadLetter.class)).isEmpty();
            GoldenSavepoint.write(
                    staging.resolve(GoldenSavepoint.ALERTS_UNINTERRUPTED), Alert.class, alerts);
        }

        // the savepoint: a job that reads the first half and stops
        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config = bed.config(GoldenSavepointITCase.GROUP, "1 s", keys);
            bed.produce(config, stream.subList(0, split));
            JobClient job = KafkaTestBed.run(config, null);
            bed.awaitConsumed(config, Duration.ofSeconds(90));
            Path savepoints = tmp.resolve("savepoints");
            String written =
                    job.stopWithSavepoint(
                                    false,
                                    savepoints.toUri().toString(),
                                    SavepointFormatType.CANONICAL)
                            .get(60, TimeUnit.SECONDS);
            Files.move(Path.of(java.net.URI.create(written)), golden.savepoint());
            GoldenSavepoint.write(
                    staging.resolve(GoldenSavepoint.ALERTS_BEFORE),
                    Alert.class,
                    bed.committedAlerts(config));
        }
        GoldenSavepointITCase.assertHoldsEveryKindOfState(golden.savepoint());

        Properties manifest = new Properties();
        manifest.setProperty("argus.version", System.getProperty("argus.golden.version", name));
        manifest.setProperty("argus.commit", System.getProperty("argus.golden.commit", "unknown"));
        manifest.setProperty("written", Instant.now().toString());
        manifest.setProperty("stream.start", start.toString());
        manifest.setProperty("stream.split", Integer.toString(split));
        manifest.setProperty("rules.ordering", JobConfig.DEFAULTS.get("rules.ordering"));
        manifest.setProperty("parallelism", "2");
        manifest.setProperty("format", "CANONICAL");
        try (OutputStream out = Files.newOutputStream(staging.resolve(GoldenSavepoint.MANIFEST))) {
            manifest.store(
                    out,
                    " A golden savepoint; written by GoldenSavepointWriter (see its javadoc for the"
                            + " command)");
        }
        copyTree(staging, dir);
    }

    /** Copies a directory tree; {@code to} may exist. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}

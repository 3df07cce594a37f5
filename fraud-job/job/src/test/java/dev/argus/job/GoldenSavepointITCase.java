package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.EngineSavepointContents;
import dev.argus.job.savepoint.States;
import dev.argus.job.savepoint.Uids;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.util.FileUtils;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden savepoint, written by a released Argus (see {@link GoldenSavepoint}), restores into
 * this build and its stream goes on as if the job had never stopped: the alerts committed after the
 * restore are exactly those of an uninterrupted run that the old version had not committed yet,
 * each once, and nothing is dead-lettered. This is how operators upgrade: stop with a savepoint,
 * start the new version from it.
 *
 * <p>The restored job reads a fresh broker on which the whole stream was produced again as the
 * writer produced it, so the source's offsets in the savepoint point at the same records.
 */
class GoldenSavepointITCase {
    static final String GROUP = "argus-golden";

    static List<GoldenSavepoint> goldenSavepoints() throws Exception {
        List<GoldenSavepoint> all = GoldenSavepoint.all();
        assertThat(all).as("golden savepoints under " + GoldenSavepoint.ROOT).isNotEmpty();
        return all;
    }

    /** When the closing events come: after the whole stream, so that every window closes. */
    static Instant closingTime(Instant start) {
        return start.plus(Duration.ofDays(300));
    }

    /**
     * Every golden savepoint at the parallelism it was written at (2), and rescaled to 1 and 3: the
     * waiting events (union list state) and the keyed state are redistributed. The newest also into
     * a job with the state changelog ({@code checkpoint.changelog}), which restores in CLAIM mode.
     */
    static Stream<Arguments> restores() throws Exception {
        List<GoldenSavepoint> all = goldenSavepoints();
        return Stream.concat(
                all.stream().flatMap(g -> Stream.of(1, 2, 3).map(p -> Arguments.of(g, p, false))),
                Stream.of(Arguments.of(all.get(all.size() - 1), 2, true)));
    }

    @ParameterizedTest(name = "{0} at parallelism {1}, checkpoint.changelog={2}")
    @MethodSource("restores")
    void restoresIntoThisVersionAndAlertsExactlyOnceWithNothingLost(
            GoldenSavepoint golden, int parallelism, boolean changelog) throws Exception {
        assertHoldsEveryKindOfState(golden.savepoint());
        List<Transaction> stream = golden.transactions();
        List<Alert> expected = golden.alerts(GoldenSavepoint.ALERTS_UNINTERRUPTED);
        Set<String> before = ids(golden.alerts(GoldenSavepoint.ALERTS_BEFORE));
        Set<String> expectedAfter = new HashSet<>(ids(expected));
        expectedAfter.removeAll(before);
        assertThat(expectedAfter).as("alerts the savepoint still owes").isNotEmpty();

        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config =
                    bed.config(
                            GROUP,
                            "1 s",
                            Map.of(
                                    "rules.path",
                                    golden.pack().toString(),
                                    "rules.ordering",
                                    golden.ordering(),
                                    "checkpoint.changelog",
                                    String.valueOf(changelog)));
            // the first part again, so that the savepoint's offsets point at the same records
            bed.produce(config, stream.subList(0, golden.split()));
            bed.produce(config, stream.subList(golden.split(), stream.size()));
            bed.produceClosing(config, closingTime(golden.start()));

            // a job that claims the savepoint may delete it: it gets a copy
            Path savepoint = changelog ? copy(golden.savepoint()) : golden.savepoint();
            JobClient job =
                    KafkaTestBed.run(
                            config, savepoint.toAbsolutePath().toUri().toString(), parallelism);
            List<Alert> after = List.of();
            List<DeadLetter> deadLetters;
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (System.nanoTime() < deadline && after.size() < expectedAfter.size()) {
                    Thread.sleep(500);
                    after = bed.committedAlerts(config);
                }
                // two more checkpoints: anything duplicated would show by now
                Thread.sleep(2_500);
                after = bed.committedAlerts(config);
                deadLetters = bed.committed(config, "topic.dead-letters", DeadLetter.class);
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
                if (changelog) {
                    FileUtils.deleteDirectoryQuietly(savepoint.toFile());
                }
            }

            assertThat(after).extracting(Alert::getAlertId).doesNotHaveDuplicates();
            Map<String, Alert> byId = new java.util.HashMap<>();
            expected.forEach(a -> byId.put(a.getAlertId(), a));
            after.forEach(a -> byId.put(a.getAlertId(), a));
            Set<String> missing = new HashSet<>(expectedAfter);
            missing.removeAll(ids(after));
            Set<String> unexpected = new HashSet<>(ids(after));
            unexpected.removeAll(expectedAfter);
            assertThat(ids(after))
                    .as(
                            "alerts after the restore; missing %s, not expected %s",
                            describe(missing, byId), describe(unexpected, byId))
                    .isEqualTo(expectedAfter);
            assertThat(deadLetters).isEmpty();
        }
    }

    /** A copy of a savepoint's directory in a new temporary directory. */
    private static Path copy(Path savepoint) throws IOException {
        Path copy = Files.createTempDirectory("argus-golden-");
        GoldenSavepointWriter.copyTree(savepoint, copy);
        return copy;
    }

    /** Alerts by rule and account, for a failure that a person can read. */
    private static List<String> describe(Set<String> ids, Map<String, Alert> byId) {
        return ids.stream()
                .map(byId::get)
                .map(a -> a.getRuleId() + " on " + a.getAccountId())
                .sorted()
                .toList();
    }

    private static Set<String> ids(List<Alert> alerts) {
        return alerts.stream().map(Alert::getAlertId).collect(Collectors.toSet());
    }

    /**
     * The savepoint holds what an upgrade must carry over: profiles, the rule engine's accounts
     * with partial matches and pending timers, events waiting for the watermark, and the alert
     * gate's last alerts. (The gate's entries have a processing-time TTL of the longest quiet
     * period, so an old golden savepoint restores them expired: this test cannot see the gate's
     * suppression; StatesTest pins the gate state's contract instead.)
     */
    static void assertHoldsEveryKindOfState(Path savepoint) throws Exception {
        assertThat(GoldenSavepoint.contents(savepoint, Uids.ACCOUNT_PROFILE).keyedState())
                .as("account profiles")
                .isTrue();
        assertThat(GoldenSavepoint.contents(savepoint, Uids.ALERT_GATE).keyedState())
                .as("alert gate")
                .isTrue();
        assertThat(
                        GoldenSavepoint.contents(savepoint, Uids.RULE_ENGINE)
                                .listEntries()
                                .getOrDefault(States.RULE_ENGINE_WAITING, 0))
                .as("events waiting for the watermark")
                .isPositive();
        EngineSavepointContents engine =
                EngineSavepointContents.read(savepoint.toAbsolutePath().toUri().toString());
        assertThat(engine.withPartialMatches()).as("accounts with partial matches").isPositive();
        assertThat(engine.withTimers()).as("accounts with a pending timer").isPositive();
    }
}

package dev.argus.cli.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.ArgusRun;
import dev.argus.model.Alert;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The control topic end to end: a running job (MiniCluster, RocksDB, exactly-once) on a real KRaft
 * broker and a registry over HTTP, changed without a restart by the command line's {@code argus
 * rules mode}, {@code argus snooze} and {@code argus unsnooze}, which wait for the job's answers;
 * {@code argus rules history} prints them all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlCommandsITCase {
    RunningJob job;

    @BeforeAll
    void startTheJob() throws Exception {
        job = RunningJob.start(Map.of("rules.ordering", "arrival"));
    }

    @AfterAll
    void stop() throws Exception {
        if (job != null) {
            job.close();
        }
    }

    @Test
    void changesTheRunningJobWithoutARestartAndAnswersEveryCommand() throws Exception {
        // the pack in force: card-testing enforces
        job.burst("acc-1", Instant.now());
        job.awaitAlert(job.alerts, "acc-1");

        // to shadow: alerts from its effective time on go to the shadow topic only
        ArgusRun mode = job.argus("rules", "mode", "card-testing", "shadow");
        assertThat(mode.status()).as(mode.err()).isZero();
        assertThat(mode.out())
                .startsWith("applied: set rule card-testing to SHADOW (was ENFORCE), from ");
        Instant shadowFrom = RunningJob.effectiveAt(mode.out());
        job.burst("acc-2", later(shadowFrom));
        job.awaitAlert(job.shadowAlerts, "acc-2");

        // a snooze silences the rule for one account; another account still alerts
        ArgusRun snooze =
                job.argus(
                        "snooze",
                        "card-testing",
                        "acc-3",
                        "--until",
                        Instant.now().plus(Duration.ofDays(1)).toString(),
                        "--reason",
                        "RISK-1042: card reported as tested by the customer");
        assertThat(snooze.status()).as(snooze.err()).isZero();
        Instant snoozedFrom = RunningJob.effectiveAt(snooze.out());
        job.bursts(later(snoozedFrom), "acc-3", "acc-4");
        job.awaitAlert(job.shadowAlerts, "acc-4");

        // the snooze ends: the account alerts again
        ArgusRun unsnooze = job.argus("unsnooze", "card-testing", "acc-3");
        assertThat(unsnooze.status()).as(unsnooze.err()).isZero();
        job.burst("acc-3", later(RunningJob.effectiveAt(unsnooze.out())));
        job.awaitAlert(job.shadowAlerts, "acc-3");

        // refused, with the reason and a hint; the job goes on
        ArgusRun refused = job.argus("rules", "mode", "card-testng", "off");
        assertThat(refused.status()).isEqualTo(1);
        assertThat(refused.err())
                .contains(
                        "refused: set rule card-testng to OFF",
                        "rule 'card-testng': the job runs no rule card-testng",
                        "hint: it runs ",
                        "card-testing, ");
        // a record nobody can read is answered too
        job.sendToControlTopic("{\"not\": \"a command\"}".getBytes(StandardCharsets.UTF_8));

        // every alert of acc-3 during its snooze was held back: only the one after it went out
        String seen =
                "alerts "
                        + job.alerts.stream().map(RunningJob::seen).toList()
                        + ", shadow alerts "
                        + job.shadowAlerts.stream().map(RunningJob::seen).toList()
                        + "; shadow from "
                        + shadowFrom
                        + ", snoozed from "
                        + snoozedFrom;
        assertThat(job.alerts).as(seen).extracting(Alert::getAccountId).containsExactly("acc-1");
        assertThat(job.shadowAlerts)
                .as(seen)
                .extracting(Alert::getAccountId)
                .containsExactly("acc-2", "acc-4", "acc-3");
        assertThat(job.shadowAlerts)
                .allSatisfy(a -> assertThat(a.getLastEventTime()).isAfterOrEqualTo(shadowFrom));

        // the audit trail, in order
        List<String> history = new ArrayList<>();
        long deadline = System.nanoTime() + RunningJob.PATIENCE.toNanos();
        while (history.size() < 5 && System.nanoTime() < deadline) {
            ArgusRun h = job.argus("rules", "history");
            assertThat(h.status()).isZero();
            history = h.out().lines().filter(l -> l.matches("^\\d{4}-.*")).toList();
        }
        assertThat(history)
                .hasSize(5)
                .satisfiesExactly(
                        l -> assertThat(l).contains("applied: set rule card-testing to SHADOW"),
                        l ->
                                assertThat(l)
                                        .contains(
                                                "applied: snooze rule card-testing for account"
                                                        + " acc-3",
                                                "RISK-1042"),
                        l ->
                                assertThat(l)
                                        .contains(
                                                "applied: unsnooze rule card-testing for account"
                                                        + " acc-3"),
                        l -> assertThat(l).contains("refused: set rule card-testng to OFF"),
                        l -> assertThat(l).contains("refused: (unreadable)"));
    }

    /** A second after {@code effective}, and never before now. */
    private static Instant later(Instant effective) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return (effective.isAfter(now) ? effective : now).plusSeconds(1);
    }
}

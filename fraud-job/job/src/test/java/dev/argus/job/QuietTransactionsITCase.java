package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pause in the transactions, longer than {@code events.idle-timeout}, moves no clock: with or
 * without a control topic, the job waits through it and then alerts on the shipped pack's test
 * cases exactly as without the pause. The cases' first hour is produced, the job reads it and the
 * transactions stay idle for six idle timeouts; then the rest of the stream comes. All of it on one
 * partition of two: the other is idle throughout.
 *
 * <p>Before the fix, the profile's second input (the stand-in for the control topic) was a source
 * that had ended, whose last watermark is the maximum: while the transactions were idle, that
 * watermark alone counted, so every profile expired, every partial match timed out and every
 * absence rule fired in the pause.
 */
class QuietTransactionsITCase {

    private static boolean allPassed(List<RuleTestCase> cases, List<Alert> alerts) {
        return LabelledStream.compare(cases, alerts, List.of()).stream()
                .allMatch(LabelledStream.CaseResult::passed);
    }

    @ParameterizedTest(name = "control.enabled={0}")
    @ValueSource(booleans = {false, true})
    void aPauseLongerThanTheIdleTimeoutChangesNoAlert(boolean control) throws Exception {
        RulePackLoader.Result pack = KafkaTestBed.loadPack(Path.of("../../rules/pack"));
        List<RuleTestCase> cases = pack.tests();
        Instant start = KafkaTestBed.labelledStreamStart();
        List<Transaction> stream = LabelledStream.stream(cases, start);
        Instant pause = start.plus(Duration.ofHours(1));
        int split = 0;
        while (stream.get(split).getEventTime().isBefore(pause)) {
            split++;
        }
        long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();

        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config =
                    bed.config(
                            "quiet-itcase-" + control,
                            "1 s",
                            Map.of(
                                    "events.idle-timeout",
                                    "1 s",
                                    "control.enabled",
                                    String.valueOf(control),
                                    "control.margin",
                                    "1 s"));
            if (control) {
                bed.kafka.createTopics(
                        1,
                        Map.of("message.timestamp.type", "LogAppendTime"),
                        config.get("topic.control"),
                        config.get("topic.control-status"));
            }
            // one partition: when traffic resumed on two, the first to resume would carry the
            // watermark past the other's next records while that one was still idle
            bed.produce(config, stream.subList(0, split), 0);
            JobClient job = KafkaTestBed.run(config, null, 2);
            List<Alert> alerts;
            List<DeadLetter> deadLetters;
            try {
                bed.awaitConsumed(config, Duration.ofMinutes(2));
                Thread.sleep(6_000);
                bed.produce(config, stream.subList(split, stream.size()), 0);
                bed.produce(
                        config,
                        List.of(KafkaTestBed.closing(0, GoldenSavepointITCase.closingTime(start))),
                        0);
                alerts = bed.committedAlerts(config);
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (!allPassed(cases, alerts) && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                    alerts = bed.committedAlerts(config);
                }
                System.out.printf(
                        "quiet: %d alerts, %d expected; on accounts of no case: %s%n",
                        alerts.size(),
                        expected,
                        alerts.stream()
                                .filter(a -> !a.getAccountId().startsWith("c"))
                                .map(a -> a.getRuleId() + " on " + a.getAccountId())
                                .toList());
                // two more checkpoints: an alert too many would show by now
                Thread.sleep(2_500);
                alerts = bed.committedAlerts(config);
                deadLetters = bed.committed(config, "topic.dead-letters", DeadLetter.class);
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            assertThat(split).as("events before the pause").isBetween(1, stream.size() - 1);
            KafkaTestBed.assertAlertsOfCases(cases, alerts, deadLetters);
        }
    }
}

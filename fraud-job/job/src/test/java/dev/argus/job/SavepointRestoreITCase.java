package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade in the middle of the stream: the job reads the first half of the labelled stream,
 * stops with a savepoint while partial matches, profiles and timers are in its state, and a new job
 * restored from the savepoint reads the second half. A read_committed consumer sees exactly the
 * alerts of an uninterrupted run, each once.
 */
class SavepointRestoreITCase {

    @Test
    void aJobRestoredFromASavepointMidStreamAlertsExactlyAsAnUninterruptedOne(@TempDir Path dir)
            throws Exception {
        RulePackLoader.Result pack = KafkaTestBed.loadPack(Path.of("../../rules/pack"));
        List<RuleTestCase> cases = pack.tests();
        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config = bed.config("savepoint-itcase", "1 s");
            Instant start = KafkaTestBed.labelledStreamStart();
            List<Transaction> stream = LabelledStream.stream(cases, start);
            List<Transaction> firstHalf = stream.subList(0, stream.size() / 2);
            List<Transaction> secondHalf = stream.subList(stream.size() / 2, stream.size());

            bed.produce(config, firstHalf);
            JobClient first = KafkaTestBed.run(config, null);
            bed.awaitConsumed(config, Duration.ofSeconds(90));
            String savepoint =
                    first.stopWithSavepoint(
                                    false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                            .get(60, TimeUnit.SECONDS);
            assertThat(Files.exists(Path.of(java.net.URI.create(savepoint)))).isTrue();

            // the rest of the stream, then one late event per partition so that every pending
            // match and absence window closes in event time
            bed.produce(config, secondHalf);
            bed.produceClosing(config, start.plus(Duration.ofDays(300)));
            JobClient second = KafkaTestBed.run(config, savepoint);

            long expected = cases.stream().mapToLong(c -> c.expected().size()).sum();
            List<Alert> alerts = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline) {
                alerts = bed.committedAlerts(config);
                if (alerts.stream().filter(a -> a.getAccountId().startsWith("c")).count()
                        >= expected) {
                    break;
                }
                Thread.sleep(500);
            }
            // two more checkpoints: anything duplicated would show by now
            Thread.sleep(2_500);
            alerts = bed.committedAlerts(config);
            second.cancel().get(30, TimeUnit.SECONDS);

            KafkaTestBed.assertAlertsOfCases(
                    cases, alerts, bed.committed(config, "topic.dead-letters", DeadLetter.class));
        }
    }
}

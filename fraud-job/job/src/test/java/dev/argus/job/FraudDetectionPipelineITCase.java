package dev.argus.job;

import static dev.argus.model.TransactionBuilder.cardPayment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.ingest.Decoded;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.Sources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The production topology on a MiniCluster with RocksDB and checkpoints, fed by a bounded source:
 * exactly the alerts expected, and dead letters passed through.
 */
class FraudDetectionPipelineITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = new MiniClusterExtension();

    private static final Instant T = Instant.parse("2026-11-02T09:00:00Z");

    @Test
    void alertsExactlyOnTheCardTestingBurstsAndPassesDeadLettersThrough() throws Exception {
        List<Decoded> input = new ArrayList<>();
        // acc-1: card testing
        input.add(valid(small("1-s1", "acc-1", 0)));
        input.add(valid(small("1-s2", "acc-1", 30)));
        input.add(
                Decoded.deadLetter(
                        DeadLetter.newBuilder()
                                .setReason(DeadLetterReason.UNDECODABLE)
                                .setDetail("garbage")
                                .setDeadLetterTime(Instant.now())
                                .build()));
        input.add(valid(small("1-s3", "acc-1", 60)));
        input.add(valid(large("1-big", "acc-1", 120)));
        // acc-2: two small only, then large
        input.add(valid(small("2-s1", "acc-2", 130)));
        input.add(valid(small("2-s2", "acc-2", 140)));
        input.add(valid(large("2-big", "acc-2", 150)));
        // acc-3: three small but the large one 11 minutes after the first
        input.add(valid(small("3-s1", "acc-3", 200)));
        input.add(valid(small("3-s2", "acc-3", 210)));
        input.add(valid(small("3-s3", "acc-3", 220)));
        input.add(valid(large("3-big", "acc-3", 200 + 11 * 60)));
        // acc-4: card testing interleaved with others' events
        input.add(valid(small("4-s1", "acc-4", 900)));
        input.add(valid(small("4-s2", "acc-4", 905)));
        input.add(valid(small("9-s1", "acc-9", 906)));
        input.add(valid(small("4-s3", "acc-4", 910)));
        input.add(valid(large("4-big", "acc-4", 915)));

        JobConfig config = JobConfig.inProcess("500 ms");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        FraudDetectionJob.flinkConfiguration(config));
        // one source subtask keeps the input order; the rules run in parallel
        env.setParallelism(1);
        DataGeneratorSource<Decoded> source = Sources.of(input, Decoded.typeInfo());
        FraudDetectionPipeline.Outputs outputs =
                FraudDetectionPipeline.build(
                        env,
                        source,
                        new PipelineConfig(
                                Duration.ofSeconds(5),
                                Duration.ofSeconds(30),
                                List.of(
                                        // card-testing of pack 2026.12.1 (test resources)
                                        RulePackLoader.loadForJob(
                                                        "classpath:harness-pack",
                                                        CepPatternCheck.INSTANCE)
                                                .rule("card-testing")
                                                .orElseThrow())));
        CloseableIterator<Alert> alerts = outputs.alerts().collectAsync();
        CloseableIterator<DeadLetter> deadLetters = outputs.deadLetters().collectAsync();
        env.execute("pipeline-itcase");

        List<List<String>> matched = new ArrayList<>();
        alerts.forEachRemaining(
                a ->
                        matched.add(
                                a.getMatchedEvents().stream()
                                        .map(MatchedEvent::getTransactionId)
                                        .toList()));
        assertThat(matched)
                .containsExactlyInAnyOrder(
                        List.of("1-s1", "1-s2", "1-s3", "1-big"),
                        List.of("4-s1", "4-s2", "4-s3", "4-big"));
        List<DeadLetter> dead = new ArrayList<>();
        deadLetters.forEachRemaining(dead::add);
        assertThat(dead)
                .extracting(DeadLetter::getReason)
                .containsExactly(DeadLetterReason.UNDECODABLE);
    }

    private static Decoded valid(Transaction t) {
        return Decoded.valid(t, "transactions", 0, 0);
    }

    private static Transaction small(String id, String account, long seconds) {
        return cardPayment(id, account, T.plusSeconds(seconds), "2.00");
    }

    private static Transaction large(String id, String account, long seconds) {
        return cardPayment(id, account, T.plusSeconds(seconds), "650.00");
    }
}

package dev.argus.cli.report;

import dev.argus.job.FraudDetectionJob;
import dev.argus.job.FraudDetectionPipeline;
import dev.argus.job.JobConfig;
import dev.argus.job.PipelineConfig;
import dev.argus.job.ingest.DeadLetters;
import dev.argus.job.ingest.Decoded;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionValidator;
import dev.argus.rules.Rule;
import dev.argus.sandbox.Sources;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * The production pipeline ({@link FraudDetectionPipeline}: validation, dead letters, profile, rule
 * engine, suppression, shadow routing) on RocksDB with checkpoints, in this JVM, over a bounded
 * list of transactions in arrival order. What rule tests and traffic reports run on.
 */
public final class BoundedRun {
    /** Every alert (enforced and shadow) and every dead letter of a run. */
    public record Result(List<Alert> alerts, List<DeadLetter> deadLetters) {}

    private BoundedRun() {}

    /**
     * Runs {@code rules} over {@code events}; {@code source} names them in dead letters. Events are
     * validated as the deserializer validates them in production (with no bound on future event
     * times: history may be anywhere in time).
     */
    public static Result run(List<Rule> rules, List<Transaction> events, String source)
            throws Exception {
        TransactionValidator validator = new TransactionValidator(Long.MAX_VALUE / 2);
        List<DeadLetter> invalid = new ArrayList<>();
        List<Decoded> input = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            Transaction t = events.get(i);
            Optional<TransactionValidator.Violation> v = validator.check(t, -1);
            if (v.isPresent()) {
                invalid.add(DeadLetters.invalid(t, v.get()));
            } else {
                input.add(Decoded.valid(t, source, 0, i));
            }
        }
        JobConfig config = JobConfig.inProcess("1 s");
        PipelineConfig pipeline =
                new PipelineConfig(
                        config.duration("events.max-out-of-orderness"),
                        config.duration("events.idle-timeout"),
                        rules);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        FraudDetectionJob.localFlinkConfiguration(config));
        env.setParallelism(1); // one source subtask keeps the records in their order
        DataGeneratorSource<Decoded> bounded = Sources.of(input, Decoded.typeInfo());
        FraudDetectionPipeline.Outputs outputs =
                FraudDetectionPipeline.build(env, bounded, pipeline);
        CloseableIterator<Alert> alertIt =
                outputs.alerts().union(outputs.shadowAlerts()).collectAsync();
        CloseableIterator<DeadLetter> deadIt = outputs.deadLetters().collectAsync();
        env.execute("argus-" + source);
        List<Alert> alerts = new ArrayList<>();
        alertIt.forEachRemaining(alerts::add);
        List<DeadLetter> dead = new ArrayList<>(invalid);
        deadIt.forEachRemaining(dead::add);
        return new Result(alerts, dead);
    }
}

package dev.argus.cli.rules;

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
import dev.argus.rules.RulePack;
import dev.argus.rules.RuleSpec;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import dev.argus.sandbox.Sources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs rule test cases on Flink as in production: the production topology ({@link
 * FraudDetectionPipeline}) on RocksDB with checkpoints, with the rules' compiled patterns, fed with
 * every case's events in one bounded stream. Each case gets its own accounts, so cases cannot see
 * each other; events are delivered in time order. Rules under test run whatever their mode.
 */
public final class RuleTestRunner {
    private RuleTestRunner() {}

    /** Runs the cases of the pack's rules on a local Flink MiniCluster and compares. */
    public static List<LabelledStream.CaseResult> run(RulePack pack, List<RuleTestCase> cases)
            throws Exception {
        if (cases.isEmpty()) {
            return List.of();
        }
        LinkedHashSet<String> ruleIds = new LinkedHashSet<>();
        cases.forEach(c -> ruleIds.add(c.ruleId()));
        List<Rule> rules = new ArrayList<>();
        for (String id : ruleIds) {
            rules.add(pack.rule(id).orElseThrow().withMode(RuleSpec.Mode.ENFORCE));
        }
        Instant start = Instant.parse("2026-01-05T00:00:00Z");
        List<Transaction> events = LabelledStream.stream(cases, start);

        // the deserializer validates in production; a bounded source skips it, so check here
        TransactionValidator validator = new TransactionValidator(Long.MAX_VALUE / 2);
        List<DeadLetter> invalid = new ArrayList<>();
        List<Decoded> input = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            Transaction t = events.get(i);
            Optional<TransactionValidator.Violation> v = validator.check(t, -1);
            if (v.isPresent()) {
                invalid.add(DeadLetters.invalid(t, v.get()));
            } else {
                input.add(Decoded.valid(t, "rule-tests", 0, i));
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
        env.setParallelism(1); // one source subtask keeps the stream in time order
        DataGeneratorSource<Decoded> source = Sources.of(input, Decoded.typeInfo());
        FraudDetectionPipeline.Outputs outputs =
                FraudDetectionPipeline.build(env, source, pipeline);
        CloseableIterator<Alert> alertIt =
                outputs.alerts().union(outputs.shadowAlerts()).collectAsync();
        CloseableIterator<DeadLetter> deadIt = outputs.deadLetters().collectAsync();
        env.execute("argus-rule-tests");
        List<Alert> alerts = new ArrayList<>();
        alertIt.forEachRemaining(alerts::add);
        List<DeadLetter> dead = new ArrayList<>(invalid);
        deadIt.forEachRemaining(dead::add);
        return LabelledStream.compare(cases, alerts, dead);
    }
}

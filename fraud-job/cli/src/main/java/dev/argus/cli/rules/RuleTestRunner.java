package dev.argus.cli.rules;

import dev.argus.cli.report.BoundedRun;
import dev.argus.job.FraudDetectionPipeline;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RuleSpec;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

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
        BoundedRun.Result result = BoundedRun.run(rules, events, "rule-tests");
        return LabelledStream.compare(cases, result.alerts(), result.deadLetters());
    }
}

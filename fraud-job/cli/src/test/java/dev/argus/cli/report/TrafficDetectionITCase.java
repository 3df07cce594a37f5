package dev.argus.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Transaction;
import dev.argus.rules.PatternCheck;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.Generated;
import dev.argus.sandbox.traffic.BankTraffic;
import dev.argus.sandbox.traffic.CaseLabel;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped pack over the bank traffic, through the production pipeline: the report a risk team
 * reads. The traffic must give every typology fraud cases and look-alikes, and the cases made as a
 * rule describes its typology must be caught by it: otherwise the traffic does not test the pack.
 * {@code -Dargus.traffic.accounts} and {@code -Dargus.traffic.days} make it larger.
 */
class TrafficDetectionITCase {
    @Test
    void thePackCatchesTheClassicCaseOfEveryTypology() throws Exception {
        int accounts = Integer.getInteger("argus.traffic.accounts", 1_500);
        int days = Integer.getInteger("argus.traffic.days", 8);
        BankTraffic traffic =
                new BankTraffic(
                        new BankTraffic.Options(
                                accounts,
                                11,
                                Instant.parse("2026-10-05T00:00:00Z"),
                                days,
                                12,
                                12,
                                0));
        List<Transaction> events = new ArrayList<>();
        Generated g;
        while ((g = traffic.next()) != null) {
            events.add(g.transaction());
        }
        RulePack pack = RulePackLoader.loadForJob("../../rules/pack", PatternCheck.NONE);
        List<Rule> rules = pack.active();
        BoundedRun.Result result = BoundedRun.run(rules, events, "traffic");
        List<CaseLabel> labels = traffic.labels();
        Instant start = traffic.start();
        DetectionReport report =
                DetectionReport.of(
                        rules,
                        labels,
                        result.alerts(),
                        accounts,
                        start.plus(java.time.Duration.ofDays(1)),
                        start.plus(java.time.Duration.ofDays(days)));
        PrintWriter out = new PrintWriter(System.out, true);
        out.printf(
                "%,d events, %,d alerts, %d dead letters%n",
                events.size(), result.alerts().size(), result.deadLetters().size());
        report.print(out);
        report.printVariants(out);
        assertThat(result.deadLetters()).isEmpty();
        for (DetectionReport.Row row : report.rows()) {
            assertThat(row.injected()).as("fraud cases of %s", row.typology()).isPositive();
            assertThat(row.lookAlikes()).as("look-alikes of %s", row.typology()).isPositive();
            assertThat(row.rules()).as("rules of %s", row.typology()).isNotEmpty();
        }
        // the cases made as the rules describe them are caught; evasions may or may not be
        report.variants()
                .forEach(
                        (variant, n) -> {
                            if (variant.contains(" fraud ") && !variant.contains("evasion-")) {
                                assertThat(n[1]).as("%s caught", variant).isEqualTo(n[0]);
                            }
                        });
        assertThat(report.benignAlertRate()).isPositive();
    }
}

package dev.argus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke test of {@code argus bench}: a short run of the real thing (broker, registry, a job
 * process on RocksDB with exactly-once sinks) must print every figure, and the figures must be
 * measurements, not placeholders. Performance itself is the benchmark's business, not the tests'.
 */
class BenchITCase {
    @TempDir Path logs;

    @Test
    void aShortRunPrintsEveryFigure() throws Exception {
        BenchOptions options =
                options(
                        "--rules", "card-testing,count-velocity",
                        "--rate", "50",
                        "--latency-duration", "30s");
        StringWriter printed = new StringWriter();
        new Bench(options, new PrintWriter(printed, true), logs).run();
        String out = printed.toString();

        assertThat(out).contains("traffic                     bank: 3.0 events per account-day");
        assertThat(number(out, "unthrottled, ([\\d,]+) transactions in"))
                .isGreaterThanOrEqualTo(20000);
        assertThat(number(out, "throughput +([\\d,.]+) transactions/s")).isPositive();
        assertThat(number(out, "cores: ([\\d,.]+) transactions per CPU-second")).isPositive();
        assertThat(number(out, "rule conditions +([\\d,.]+) evaluations per transaction"))
                .isPositive();
        // the two rules' partial matches end at their windows' ends, each account's by its timer
        assertThat(number(out, "timers +([\\d,.]+) fired per transaction")).isPositive();
        assertThat(number(out, "for ([\\d,.]+) rules whose partial match left its window"))
                .isPositive()
                .isGreaterThanOrEqualTo(number(out, "; ([\\d,.]+) of them ended"));
        assertThat(number(out, "achieved +([\\d,.]+) transactions/s")).isPositive();
        // the bench's own process in each window: with the job's, how much of the machine it took
        assertThat(out.split("broker, producer, consumers", -1)).hasSize(3);
        assertThat(
                        number(
                                out.substring(out.indexOf("offered 50 transactions/s")),
                                "broker, producer, consumers ([\\d.]+) cores"))
                .isPositive();
        for (String isolation : new String[] {"read_uncommitted", "read_committed"}) {
            double p50 = number(out, isolation + " +p50 ([\\d.]+) s");
            double p95 = number(out, isolation + " +p50 [\\d.]+ s +p95 ([\\d.]+) s");
            double p99 = number(out, isolation + " +p50 [\\d.]+ s +p95 [\\d.]+ s +p99 ([\\d.]+) s");
            assertThat(p50).isPositive().isLessThanOrEqualTo(p95);
            assertThat(p95).isLessThanOrEqualTo(p99);
        }
        // rule by rule, the same alerts: each of the two rules' alerts counted once
        Matcher rows =
                Pattern.compile("\n {6}([a-z-]+) +\\S+ / +\\S+ / +\\S+ s +\\S+ s +\\(([\\d,]+)\\)")
                        .matcher(out);
        Set<String> rules = new TreeSet<>();
        long byRule = 0;
        while (rows.find()) {
            rules.add(rows.group(1));
            byRule += Long.parseLong(rows.group(2).replace(",", ""));
        }
        assertThat(rules).isNotEmpty().isSubsetOf("card-testing", "count-velocity");
        assertThat((double) byRule)
                .isEqualTo(number(out, "read_uncommitted +p50 [^\\n]*\\(([\\d,]+) alerts\\)"));
        double held = number(out, "matches held back +([\\d,]+):");
        Matcher heldRules = Pattern.compile("how long\\); by rule: ([^\\n]+)").matcher(out);
        long heldByRule = 0;
        if (heldRules.find()) {
            for (String entry : heldRules.group(1).split(", ")) {
                heldByRule += Long.parseLong(entry.substring(entry.lastIndexOf(' ') + 1));
            }
        }
        assertThat((double) heldByRule).as("the held matches, rule by rule").isEqualTo(held);
        // committed alerts wait for a checkpoint; uncommitted ones do not
        assertThat(number(out, "read_committed +p50 ([\\d.]+) s"))
                .isGreaterThanOrEqualTo(number(out, "read_uncommitted +p50 ([\\d.]+) s"));
        assertThat(number(out, "in the measured windows: duration p50 ([\\d.]+) s")).isPositive();
        assertThat(number(out, "state +([\\d,]+) accounts")).isBetween(1.0, 2000.0);
        assertThat(number(out, "= ([\\d,]+) bytes per account")).isPositive();
        assertThat(number(out, "peak RSS ([\\d.]+) [MG]B")).isPositive();
        assertThat(number(out, "alerts +([\\d,]+) read committed")).isPositive();
        assertThat(out).contains(" 0 duplicates");
    }

    @Test
    void rulePacksPrintTheCostPerRule() throws Exception {
        BenchOptions options = options("--rule-packs", "5,20");
        StringWriter printed = new StringWriter();
        new Bench(options, new PrintWriter(printed, true), logs).run();
        String out = printed.toString();

        // each pack ran as the job loads a pack, from the directory the bench wrote
        assertThat(out).contains("=== argus (Argus as deployed), 5 rules,");
        assertThat(out).contains("=== argus (Argus as deployed), 20 rules,");
        assertThat(out).doesNotContain("offered 50 transactions/s");
        assertThat(logs.resolve("rule-packs/20/variants")).isDirectory();
        assertThat(out).contains("=== argus bench --rule-packs: argus, 2,000 accounts, 1 run(s)");
        for (int size : new int[] {5, 20}) {
            // rules, transactions/s, per CPU-second, CPU us/tx, steps/tx, CPU us per step, relative
            String[] row = tableRow(out, size);
            assertThat(row).as("the row of %d rules", size).hasSize(7);
            for (int column = 1; column < 4; column++) {
                assertThat(Double.parseDouble(row[column].replace(",", "")))
                        .as("column %d of %d rules in:%n%s", column, size, out)
                        .isPositive();
            }
            // rule steps are counted where the engine is, behind the source by what the network
            // buffers hold: a window this short can end before the engine took its records
            assertThat(Double.parseDouble(row[4].replace(",", "")))
                    .as("rule steps per transaction of %d rules in:%n%s", size, out)
                    .isNotNegative();
        }
        assertThat(tableRow(out, 5)[6]).isEqualTo("1.00");
        assertThat(out).containsPattern("marginal, 20 against 5 rules: -?[\\d,.]+ us more CPU");
    }

    @Test
    void aWindowOfTransactionsEndsAtTheSameTransactionForEveryVariant() throws Exception {
        BenchOptions options =
                BenchCommand.parse(
                        "--accounts", "2000",
                        "--rules", "card-testing",
                        "--warmup-transactions", "5000",
                        "--transactions", "10000",
                        "--latency-duration", "0",
                        "--checkpoint-interval", "1s",
                        "--job-heap", "512m",
                        "--managed-memory", "128m");
        StringWriter printed = new StringWriter();
        new Bench(options, new PrintWriter(printed, true), logs).run();
        String out = printed.toString();

        // the traffic stops at the window's last transaction: the savepoint holds the state of
        // exactly those, however fast the variant (whether a window of a second was input-bound
        // depends on the machine's moment, so it is not asserted)
        assertThat(out).contains("accounts after 15,000 transactions; canonical savepoint");
        assertThat(number(out, "unthrottled, ([\\d,]+) transactions in")).isBetween(1.0, 10_000.0);
    }

    /** A short run's options: a small job on 2,000 accounts, then {@code specific} ones. */
    private static BenchOptions options(String... specific) {
        java.util.List<String> args =
                new java.util.ArrayList<>(
                        java.util.List.of(
                                "--accounts", "2000",
                                // the bank traffic, with cases enough for alerts in a short window
                                "--fraud-rate", "300",
                                "--warmup", "3s",
                                // the window over a number of transactions, not a time
                                "--transactions", "20000",
                                "--checkpoint-interval", "1s",
                                "--job-heap", "512m",
                                "--managed-memory", "128m"));
        args.addAll(java.util.List.of(specific));
        return BenchCommand.parse(args.toArray(String[]::new));
    }

    /** The columns of the --rule-packs table's row of a pack size. */
    private static String[] tableRow(String text, int rules) {
        Matcher m = Pattern.compile("(?m)^ +(" + rules + " .*)$").matcher(text);
        assertThat(m.find()).as("a table row of %d rules in:%n%s", rules, text).isTrue();
        return m.group(1).trim().split(" +");
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("output has /%s/:%n%s", regex, text).isTrue();
        return Double.parseDouble(m.group(1).replace(",", ""));
    }
}

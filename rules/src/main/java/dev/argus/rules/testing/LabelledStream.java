package dev.argus.rules.testing;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Transaction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labelled stream of a set of rule test cases: every case's events in one stream, each case on
 * accounts of its own, and the comparison of the alerts a run produced on it with what each case
 * expects. The rule test runner, the job's integration tests and the golden savepoints use it.
 */
public final class LabelledStream {
    private static final String SEP = "/";

    private LabelledStream() {}

    /** The outcome of one case: the alerts expected and found, as matched ids in time order. */
    public record CaseResult(
            RuleTestCase testCase,
            List<String> expected,
            List<String> actual,
            List<String> deadLetters,
            List<String> explanations) {
        public boolean passed() {
            return deadLetters.isEmpty()
                    && expected.stream()
                            .sorted()
                            .toList()
                            .equals(actual.stream().sorted().toList());
        }
    }

    /** How a case's events are placed in the common stream. */
    public record Placement(String caseKey, Instant start) {
        public String account(String account) {
            return caseKey + SEP + account;
        }

        public String transactionId(String id) {
            return caseKey + SEP + id;
        }
    }

    /**
     * The events of all cases as one stream in time order, each case's account and transaction ids
     * prefixed with its key ({@code c0/}, {@code c1/}, ...) and its times counted from {@code
     * start}.
     */
    public static List<Transaction> stream(List<RuleTestCase> cases, Instant start) {
        record Timed(Transaction t, int caseIndex, int eventIndex) {}
        List<Timed> all = new ArrayList<>();
        for (int c = 0; c < cases.size(); c++) {
            Placement placement = new Placement("c" + c, start);
            List<RuleTestCase.Event> events = cases.get(c).events();
            for (int e = 0; e < events.size(); e++) {
                RuleTestCase.Event event = events.get(e);
                Transaction t =
                        Transaction.newBuilder(event.transaction())
                                .setTransactionId(placement.transactionId(event.id()))
                                .setAccountId(placement.account(event.account()))
                                .setEventTime(start.plus(event.at()))
                                .build();
                all.add(new Timed(t, c, e));
            }
        }
        all.sort(
                Comparator.comparing((Timed x) -> x.t().getEventTime())
                        .thenComparingInt(Timed::caseIndex)
                        .thenComparingInt(Timed::eventIndex));
        return all.stream().map(Timed::t).toList();
    }

    /** Compares the alerts of a stream built by {@link #stream} with the cases' expectations. */
    public static List<CaseResult> compare(
            List<RuleTestCase> cases, List<Alert> alerts, List<DeadLetter> deadLetters) {
        List<CaseResult> results = new ArrayList<>();
        for (int c = 0; c < cases.size(); c++) {
            RuleTestCase tc = cases.get(c);
            String prefix = "c" + c + SEP;
            List<String> expected =
                    tc.expected().stream().map(x -> describe(x.ruleId(), x.matched())).toList();
            List<String> actual = new ArrayList<>();
            List<String> explanations = new ArrayList<>();
            for (Alert a : alerts) {
                if (a.getAccountId().startsWith(prefix) && a.getRuleId().equals(tc.ruleId())) {
                    explanations.add(a.getExplanation());
                    actual.add(
                            describe(
                                    a.getRuleId(),
                                    a.getMatchedEvents().stream()
                                            .map(MatchedEvent::getTransactionId)
                                            .map(id -> id.substring(prefix.length()))
                                            .toList()));
                }
            }
            List<String> dead = new ArrayList<>();
            for (DeadLetter d : deadLetters) {
                Transaction t = d.getTransaction();
                if (t != null && t.getAccountId().startsWith(prefix)) {
                    dead.add(
                            t.getTransactionId().substring(prefix.length())
                                    + ": "
                                    + d.getReason()
                                    + " "
                                    + d.getDetail());
                }
            }
            results.add(new CaseResult(tc, expected, actual, dead, explanations));
        }
        return results;
    }

    private static String describe(String ruleId, List<String> ids) {
        return ruleId + " " + ids;
    }

    /**
     * A readable report: a diff for each failing case, with its alerts' explanations, then "N
     * passed, N failed"; {@code verbose} lists the passing cases too, with their alerts'
     * explanations.
     */
    public static String report(List<CaseResult> results, boolean verbose) {
        StringBuilder out = new StringBuilder();
        int passed = 0;
        Map<String, Integer> failedByRule = new LinkedHashMap<>();
        for (CaseResult r : results) {
            RuleTestCase tc = r.testCase();
            if (r.passed()) {
                passed++;
                if (verbose) {
                    out.append("PASS ").append(tc.title()).append('\n');
                    explain(out, r);
                }
                continue;
            }
            failedByRule.merge(tc.ruleId(), 1, Integer::sum);
            out.append("FAIL ")
                    .append(tc.title())
                    .append("  (")
                    .append(tc.file())
                    .append(':')
                    .append(tc.line())
                    .append(")\n");
            List<String> missing = new ArrayList<>(r.expected());
            r.actual().forEach(missing::remove);
            List<String> unexpected = new ArrayList<>(r.actual());
            r.expected().forEach(unexpected::remove);
            out.append("  expected: ").append(list(r.expected())).append('\n');
            out.append("  actual:   ").append(list(r.actual())).append('\n');
            missing.forEach(m -> out.append("  - missing alert    ").append(m).append('\n'));
            unexpected.forEach(u -> out.append("  + unexpected alert ").append(u).append('\n'));
            explain(out, r);
            r.deadLetters()
                    .forEach(
                            d ->
                                    out.append("  ! event dead-lettered, fix the case: ")
                                            .append(d)
                                            .append('\n'));
        }
        out.append(passed).append(" passed, ").append(results.size() - passed).append(" failed\n");
        return out.toString();
    }

    /** Each alert's explanation as the template rendered it: what an analyst will read. */
    private static void explain(StringBuilder out, CaseResult r) {
        r.explanations().forEach(e -> out.append("  explanation: ").append(e).append('\n'));
    }

    private static String list(List<String> alerts) {
        return alerts.isEmpty() ? "no alerts" : String.join("; ", alerts);
    }
}

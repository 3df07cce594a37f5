package dev.argus.cli.backtest;

import dev.argus.job.alerting.AlertIds;
import dev.argus.model.Alert;
import dev.argus.model.MatchedEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The alerts of a candidate pack against those of the pack in force, over the same history, per
 * rule. Alerts are matched by their deterministic alert id computed without the rule version (rule,
 * account, matched transactions): a rule whose version changed but which alerts on the same events
 * shows those alerts unchanged, not lost and gained.
 */
final class PackDiff {
    /** One rule's counts. */
    record Row(
            String rule,
            long gained,
            long lost,
            long unchanged,
            long gainedOnFraud,
            long lostOnFraud) {}

    /** An alert only one of the packs raised. */
    record Change(boolean gained, Alert alert, Scores.Truth truth) {}

    final List<Row> rows = new ArrayList<>();
    final List<Change> changes = new ArrayList<>();

    /**
     * @param candidate the scores of the pack under test ({@code --pack})
     * @param inForce those of the pack it is compared with ({@code --against})
     */
    PackDiff(Scores candidate, Scores inForce) {
        Map<String, Alert> mine = byKey(candidate.alerts);
        Map<String, Alert> theirs = byKey(inForce.alerts);
        TreeSet<String> rules = new TreeSet<>();
        candidate.alerts.forEach(a -> rules.add(a.getRuleId()));
        inForce.alerts.forEach(a -> rules.add(a.getRuleId()));
        candidate.rules.forEach(r -> rules.add(r.rule()));
        inForce.rules.forEach(r -> rules.add(r.rule()));
        Map<String, long[]> counts = new TreeMap<>(); // gained, lost, unchanged, +fraud, -fraud
        rules.forEach(r -> counts.put(r, new long[5]));
        for (Map.Entry<String, Alert> e : mine.entrySet()) {
            long[] n = counts.get(e.getValue().getRuleId());
            if (theirs.containsKey(e.getKey())) {
                n[2]++;
            } else {
                n[0]++;
                Scores.Truth t = candidate.truth(e.getValue());
                n[3] += t == Scores.Truth.FRAUD ? 1 : 0;
                changes.add(new Change(true, e.getValue(), t));
            }
        }
        for (Map.Entry<String, Alert> e : theirs.entrySet()) {
            if (!mine.containsKey(e.getKey())) {
                long[] n = counts.get(e.getValue().getRuleId());
                n[1]++;
                Scores.Truth t = inForce.truth(e.getValue());
                n[4] += t == Scores.Truth.FRAUD ? 1 : 0;
                changes.add(new Change(false, e.getValue(), t));
            }
        }
        counts.forEach((r, n) -> rows.add(new Row(r, n[0], n[1], n[2], n[3], n[4])));
        changes.sort(
                (a, b) ->
                        BacktestOutput.ORDER.compare(a.alert(), b.alert()) != 0
                                ? BacktestOutput.ORDER.compare(a.alert(), b.alert())
                                : Boolean.compare(b.gained(), a.gained()));
    }

    long gained() {
        return rows.stream().mapToLong(Row::gained).sum();
    }

    long lost() {
        return rows.stream().mapToLong(Row::lost).sum();
    }

    long unchanged() {
        return rows.stream().mapToLong(Row::unchanged).sum();
    }

    /** The key alerts are matched by: their alert id with the rule version left out. */
    static String key(Alert a) {
        List<String> ids = new ArrayList<>();
        for (MatchedEvent e : a.getMatchedEvents()) {
            ids.add(e.getTransactionId());
        }
        return AlertIds.of(a.getRuleId(), 0, a.getAccountId(), ids);
    }

    private static Map<String, Alert> byKey(List<Alert> alerts) {
        Map<String, Alert> out = new LinkedHashMap<>();
        alerts.forEach(a -> out.put(key(a), a));
        return out;
    }
}

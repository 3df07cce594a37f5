package dev.argus.cli.backtest;

import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.MatchedEvent;
import dev.argus.rules.Rule;
import dev.argus.sandbox.traffic.CaseLabel;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one pack did over the history, per rule and per typology, and with labels how right it was.
 *
 * <p>Everything is counted from the end of the warm-up on ({@code scoreFrom}): alerts whose last
 * event is earlier, and cases that begin earlier, are left out, because the run starts with empty
 * profiles and on its first days every device, country and payee is new to it. A later alert on a
 * case that began in the warm-up is still judged by that case's label: it is on fraud, not a false
 * positive.
 *
 * <p>With labels, an alert is <b>on fraud</b> when one of the transactions it matched belongs to a
 * fraud case (of any typology); otherwise it is a false positive. A fraud case is <b>caught</b>
 * when an alert of any rule matched one of its transactions; a rule <b>caught</b> a case when an
 * alert of that rule did. Precision counts alerts, recall counts cases: what an analyst reviews
 * against what the bank loses.
 */
final class Scores {
    /** Whether an alert was right, from the labels. */
    enum Truth {
        FRAUD,
        LOOK_ALIKE,
        BENIGN,
        UNLABELLED
    }

    /**
     * One rule's line. With no labels the last six are zero or NaN.
     *
     * @param late alerts a live job would have sent more than {@link #LATE} after their last event:
     *     the match was held back behind an earlier partial match of the rule (absence rules, which
     *     alert when a window ends, are not counted)
     * @param longestWaitMinutes the longest such wait, in minutes of event time; 0 without any
     * @param falseNegatives fraud cases of the rule's typology it did not alert on
     * @param recall cases of its typology it caught, over the cases
     */
    record RuleScore(
            String rule,
            String typology,
            String mode,
            long alerts,
            long accounts,
            double alertsPerDay,
            long shadow,
            long quieted,
            long snoozed,
            long late,
            double longestWaitMinutes,
            long truePositives,
            long falsePositives,
            long falseNegatives,
            double precision,
            double recall,
            double f1) {}

    /**
     * One typology's line: its rules' alerts, and its cases as a confusion matrix (fraud and
     * look-alike cases, alerted or not, by any rule).
     */
    record TypologyScore(
            String typology,
            List<String> rules,
            long alerts,
            long alertsOnFraud,
            int fraudCases,
            int caught,
            int lookAlikes,
            int lookAlikesAlerted,
            double precision,
            double recall,
            double f1) {}

    /** The pack as a whole. */
    record Overall(
            long alerts,
            long alertsOnFraud,
            double precision,
            int fraudCases,
            int caught,
            double recall,
            double f1,
            long benignAlerts,
            long benignAccounts,
            double days,
            double benignPerThousandAccountDays,
            long warmUpAlerts) {}

    /** The column names of a rule's counts, and of its scores with labels, in every table. */
    static final List<String> RULE_COUNTS =
            List.of(
                    "alerts",
                    "accounts",
                    "per day",
                    "shadow",
                    "quieted",
                    "snoozed",
                    "late",
                    "longest wait");

    /**
     * How long after its last event an alert may go out and not count as late: the events' arrival
     * disorder (a few seconds) delays none by more, a match held behind an earlier partial match of
     * its rule by up to the rule's {@code within}.
     */
    static final Duration LATE = Duration.ofMinutes(1);

    static final List<String> RULE_SCORES = List.of("TP", "FP", "FN", "precision", "recall", "F1");

    final List<RuleScore> rules = new ArrayList<>();
    final List<TypologyScore> typologies = new ArrayList<>();
    final Overall overall;

    /** Per rule, alerts per UTC day of their last event, every day of the history. */
    final Map<String, Map<LocalDate, Long>> perDay = new TreeMap<>();

    /** Per {@code typology / label / variant}: cases, and how many were alerted on. */
    final Map<String, int[]> variants = new TreeMap<>();

    /** Fraud cases no alert matched. */
    final List<CaseLabel> missed = new ArrayList<>();

    /** The scored alerts in output order, with their truth and case. */
    final List<Alert> alerts;

    private final Map<String, CaseLabel> caseOfAlert = new HashMap<>();
    private final Map<String, Truth> truthOfAlert = new HashMap<>();
    final boolean labelled;

    /**
     * @param labels the cases, or null without labels
     * @param accounts how many accounts the history has
     * @param scoreFrom the end of the warm-up
     * @param start the history's first day
     * @param last its last event time
     */
    Scores(
            List<Rule> pack,
            BacktestJob.PackRun run,
            List<CaseLabel> labels,
            long accounts,
            Instant scoreFrom,
            LocalDate start,
            Instant last) {
        this.labelled = labels != null;
        double days =
                Math.max(1e-9, (last.toEpochMilli() - scoreFrom.toEpochMilli()) / 86_400_000.0);
        Map<String, CaseLabel> caseOfTransaction = new HashMap<>();
        Set<String> fraudAccounts = new HashSet<>();
        List<CaseLabel> scoredCases = new ArrayList<>();
        if (labels != null) {
            for (CaseLabel c : labels) {
                // a case that began in the warm-up is not scored, but an alert on it afterwards
                // is still an alert on fraud, and its account is not a benign one
                c.transactionIds().forEach(id -> caseOfTransaction.put(id, c));
                if (c.fraud()) {
                    fraudAccounts.add(c.accountId());
                }
                if (!c.firstEventTime().isBefore(scoreFrom)) {
                    scoredCases.add(c);
                }
            }
        }
        // alerts, in output order, and each one's truth
        List<Alert> all = run.alerts(); // in output order
        List<Alert> scored = new ArrayList<>();
        long warmUp = 0;
        LocalDate firstDay = start;
        LocalDate lastDay = day(last);
        for (Rule r : pack) {
            Map<LocalDate, Long> series = new TreeMap<>();
            for (LocalDate d = firstDay; !d.isAfter(lastDay); d = d.plusDays(1)) {
                series.put(d, 0L);
            }
            perDay.put(r.id(), series);
        }
        for (Alert a : all) {
            if (!day(a.getLastEventTime()).isBefore(start)) {
                perDay.computeIfAbsent(a.getRuleId(), k -> new TreeMap<>())
                        .merge(day(a.getLastEventTime()), 1L, Long::sum);
            }
            if (a.getLastEventTime().isBefore(scoreFrom)) {
                warmUp++;
                continue;
            }
            scored.add(a);
            Truth truth = labels == null ? Truth.UNLABELLED : Truth.BENIGN;
            CaseLabel hit = null;
            for (MatchedEvent e : a.getMatchedEvents()) {
                CaseLabel c = caseOfTransaction.get(e.getTransactionId());
                if (c != null && (hit == null || (c.fraud() && !hit.fraud()))) {
                    hit = c;
                }
            }
            if (hit != null) {
                truth = hit.fraud() ? Truth.FRAUD : Truth.LOOK_ALIKE;
                caseOfAlert.put(a.getAlertId(), hit);
            }
            truthOfAlert.put(a.getAlertId(), truth);
        }
        this.alerts = scored;

        // which rules alerted on which cases
        Map<String, Set<String>> rulesOnCase = new HashMap<>();
        for (Alert a : scored) {
            for (MatchedEvent e : a.getMatchedEvents()) {
                CaseLabel c = caseOfTransaction.get(e.getTransactionId());
                if (c != null) {
                    rulesOnCase
                            .computeIfAbsent(c.caseId(), k -> new HashSet<>())
                            .add(a.getRuleId());
                }
            }
        }
        for (CaseLabel c : scoredCases) {
            boolean alerted = rulesOnCase.containsKey(c.caseId());
            int[] v =
                    variants.computeIfAbsent(
                            c.typology() + " / " + c.label() + " / " + c.variant(),
                            k -> new int[2]);
            v[0]++;
            if (alerted) {
                v[1]++;
            } else if (c.fraud()) {
                missed.add(c);
            }
        }

        // per rule
        Map<String, long[]> held = new HashMap<>(); // quieted, snoozed
        for (BacktestJob.Held h : run.held()) {
            if (!h.lastEventTime().isBefore(scoreFrom)) {
                held.computeIfAbsent(h.rule(), k -> new long[2])[
                        h.how().equals("quieted") ? 0 : 1]++;
            }
        }
        for (Rule r : pack) {
            List<Alert> mine = scored.stream().filter(a -> a.getRuleId().equals(r.id())).toList();
            long shadow = mine.stream().filter(a -> a.getMode() == AlertMode.SHADOW).count();
            long onFraud = mine.stream().filter(a -> truth(a) == Truth.FRAUD).count();
            String typology = r.spec().typology();
            int cases = 0;
            int caught = 0;
            for (CaseLabel c : scoredCases) {
                if (c.fraud() && c.typology().equals(typology)) {
                    cases++;
                    if (rulesOnCase.getOrDefault(c.caseId(), Set.of()).contains(r.id())) {
                        caught++;
                    }
                }
            }
            double precision = ratio(onFraud, mine.size());
            double recall = typology == null ? Double.NaN : ratio(caught, cases);
            long[] h = held.getOrDefault(r.id(), new long[2]);
            long late = 0;
            long longestWait = 0;
            // an absence rule alerts when its window ends, after its last event by design
            for (Alert a : r.alertsOnTimeout() ? List.<Alert>of() : mine) {
                long wait =
                        a.getDetectionTime().toEpochMilli() - a.getLastEventTime().toEpochMilli();
                if (wait > LATE.toMillis()) {
                    late++;
                    longestWait = Math.max(longestWait, wait);
                }
            }
            rules.add(
                    new RuleScore(
                            r.id(),
                            typology == null ? "" : typology,
                            r.mode().name().toLowerCase(java.util.Locale.ROOT),
                            mine.size(),
                            mine.stream().map(Alert::getAccountId).distinct().count(),
                            mine.size() / days,
                            shadow,
                            h[0],
                            h[1],
                            late,
                            longestWait / 60_000.0,
                            labelled ? onFraud : 0,
                            labelled ? mine.size() - onFraud : 0,
                            labelled ? cases - caught : 0,
                            labelled ? precision : Double.NaN,
                            labelled ? recall : Double.NaN,
                            labelled ? f1(precision, recall) : Double.NaN));
        }

        // per typology
        Map<String, List<String>> rulesOf = new TreeMap<>();
        for (Rule r : pack) {
            if (r.spec().typology() != null) {
                rulesOf.computeIfAbsent(r.spec().typology(), k -> new ArrayList<>()).add(r.id());
            }
        }
        scoredCases.forEach(c -> rulesOf.computeIfAbsent(c.typology(), k -> new ArrayList<>()));
        for (Map.Entry<String, List<String>> e : rulesOf.entrySet()) {
            Set<String> its = new HashSet<>(e.getValue());
            long alertsOf = 0;
            long onFraud = 0;
            for (Alert a : scored) {
                if (its.contains(a.getRuleId())) {
                    alertsOf++;
                    if (truth(a) == Truth.FRAUD) {
                        onFraud++;
                    }
                }
            }
            int fraud = 0;
            int caught = 0;
            int lookAlikes = 0;
            int lookAlikesAlerted = 0;
            for (CaseLabel c : scoredCases) {
                if (!c.typology().equals(e.getKey())) {
                    continue;
                }
                boolean alerted = rulesOnCase.containsKey(c.caseId());
                if (c.fraud()) {
                    fraud++;
                    caught += alerted ? 1 : 0;
                } else {
                    lookAlikes++;
                    lookAlikesAlerted += alerted ? 1 : 0;
                }
            }
            double precision = ratio(onFraud, alertsOf);
            double recall = ratio(caught, fraud);
            typologies.add(
                    new TypologyScore(
                            e.getKey(),
                            e.getValue(),
                            alertsOf,
                            onFraud,
                            fraud,
                            caught,
                            lookAlikes,
                            lookAlikesAlerted,
                            labelled ? precision : Double.NaN,
                            labelled ? recall : Double.NaN,
                            labelled ? f1(precision, recall) : Double.NaN));
        }

        // overall
        long onFraud = scored.stream().filter(a -> truth(a) == Truth.FRAUD).count();
        long benign =
                scored.stream().filter(a -> !fraudAccounts.contains(a.getAccountId())).count();
        int fraudCases = (int) scoredCases.stream().filter(CaseLabel::fraud).count();
        int caught = fraudCases - missed.size();
        double precision = ratio(onFraud, scored.size());
        double recall = ratio(caught, fraudCases);
        long benignAccounts = Math.max(0, accounts - fraudAccounts.size());
        overall =
                new Overall(
                        scored.size(),
                        onFraud,
                        labelled ? precision : Double.NaN,
                        fraudCases,
                        caught,
                        labelled ? recall : Double.NaN,
                        labelled ? f1(precision, recall) : Double.NaN,
                        benign,
                        benignAccounts,
                        days,
                        benignAccounts == 0
                                ? Double.NaN
                                : benign * 1000.0 / (benignAccounts * days),
                        warmUp);
    }

    /** Whether the alert is counted: its last event is after the warm-up. */
    boolean scored(Alert a) {
        return truthOfAlert.containsKey(a.getAlertId());
    }

    Truth truth(Alert a) {
        return truthOfAlert.getOrDefault(
                a.getAlertId(), labelled ? Truth.BENIGN : Truth.UNLABELLED);
    }

    /** The case an alert matched a transaction of, or null. */
    CaseLabel caseOf(Alert a) {
        return caseOfAlert.get(a.getAlertId());
    }

    static LocalDate day(Instant t) {
        return LocalDate.ofInstant(t, ZoneOffset.UTC);
    }

    static double ratio(long part, long whole) {
        return whole == 0 ? Double.NaN : part / (double) whole;
    }

    static double f1(double precision, double recall) {
        if (Double.isNaN(precision) || Double.isNaN(recall) || precision + recall == 0) {
            return Double.NaN;
        }
        return 2 * precision * recall / (precision + recall);
    }
}

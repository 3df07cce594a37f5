package dev.argus.cli.report;

import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.MatchedEvent;
import dev.argus.rules.Rule;
import dev.argus.sandbox.traffic.CaseLabel;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a rule pack made of labelled traffic, per typology: the fraud cases injected, caught and
 * missed, the look-alikes it alerted on, and its false alarms; under it, the alert rate on benign
 * accounts.
 *
 * <p>The rules name their typology ({@code typology} in the rule file). A fraud case is
 * <b>caught</b> when an alert of a rule of its typology, on its account, matched at least one of
 * its transactions (alerts to the shadow topic count: they are how a shadow rule is measured). A
 * <b>false alarm</b> of a typology is an alert of one of its rules on an account with no fraud case
 * of that typology; some of those accounts have fraud of another typology, and the report says how
 * many. A <b>benign account</b> has no fraud case at all.
 *
 * <p>False alarms and the benign rate count from a time on: the job starts with empty profiles, and
 * on the traffic's first day every country, device and payee is new to it (a warm-up that a
 * deployment fills from history).
 */
public final class DetectionReport {
    /** One typology's line. */
    public record Row(
            String typology,
            List<String> rules,
            int injected,
            int caught,
            int lookAlikes,
            int lookAlikesAlerted,
            int falseAlarms,
            int falseAlarmsOnOtherFraud) {
        public int missed() {
            return injected - caught;
        }

        /** Caught over injected; NaN when nothing was injected. */
        public double recall() {
            return injected == 0 ? Double.NaN : caught / (double) injected;
        }
    }

    private final List<Row> rows;
    private final Map<String, int[]> variants;
    private final List<CaseLabel> missedCases;
    private final long benignAccounts;
    private final double days;
    private final long benignAlerts;
    private final long benignShadowAlerts;

    private DetectionReport(
            List<Row> rows,
            Map<String, int[]> variants,
            List<CaseLabel> missedCases,
            long benignAccounts,
            double days,
            long benignAlerts,
            long benignShadowAlerts) {
        this.rows = rows;
        this.variants = variants;
        this.missedCases = missedCases;
        this.benignAccounts = benignAccounts;
        this.days = days;
        this.benignAlerts = benignAlerts;
        this.benignShadowAlerts = benignShadowAlerts;
    }

    /**
     * @param rules the pack that ran: each rule's typology and mode
     * @param labels the cases injected (complete ones only)
     * @param alerts every alert, of the alerts and the shadow-alerts topics
     * @param accounts how many accounts the traffic had
     * @param countFrom false alarms count from here (alerts whose last event is earlier do not)
     * @param until the end of the traffic: with {@code countFrom}, the days of the benign rate
     */
    public static DetectionReport of(
            Collection<Rule> rules,
            List<CaseLabel> labels,
            Collection<Alert> alerts,
            long accounts,
            Instant countFrom,
            Instant until) {
        double days = Math.max(0, until.toEpochMilli() - countFrom.toEpochMilli()) / 86_400_000.0;
        Map<String, String> typologyOf = new HashMap<>();
        Map<String, List<String>> rulesOf = new TreeMap<>();
        for (Rule r : rules) {
            String t = r.spec().typology() == null ? "(none)" : r.spec().typology();
            typologyOf.put(r.id(), t);
            rulesOf.computeIfAbsent(t, k -> new ArrayList<>()).add(r.id());
        }
        // which accounts have fraud, and of which typology
        Map<String, Set<String>> fraudTypologies = new HashMap<>();
        for (CaseLabel c : labels) {
            rulesOf.computeIfAbsent(c.typology(), k -> new ArrayList<>());
            if (c.fraud()) {
                fraudTypologies
                        .computeIfAbsent(c.accountId(), k -> new HashSet<>())
                        .add(c.typology());
            }
        }
        // the transactions each account's alerts matched, by typology
        Map<String, Set<String>> matchedByAccountTypology = new HashMap<>();
        Map<String, int[]> falseAlarms = new HashMap<>();
        long benignAlerts = 0;
        long benignShadow = 0;
        for (Alert a : alerts) {
            String typology = typologyOf.getOrDefault(a.getRuleId(), "(none)");
            Set<String> ids =
                    matchedByAccountTypology.computeIfAbsent(
                            a.getAccountId() + "|" + typology, k -> new HashSet<>());
            for (MatchedEvent e : a.getMatchedEvents()) {
                ids.add(e.getTransactionId());
            }
            if (a.getLastEventTime().isBefore(countFrom)) {
                continue;
            }
            Set<String> frauds = fraudTypologies.getOrDefault(a.getAccountId(), Set.of());
            if (!frauds.contains(typology)) {
                int[] n = falseAlarms.computeIfAbsent(typology, k -> new int[2]);
                n[0]++;
                if (!frauds.isEmpty()) {
                    n[1]++;
                }
            }
            if (frauds.isEmpty()) {
                if (a.getMode() == AlertMode.SHADOW) {
                    benignShadow++;
                } else {
                    benignAlerts++;
                }
            }
        }
        Map<String, int[]> counts = new TreeMap<>(); // injected, caught, look-alikes, alerted
        Map<String, int[]> variants = new TreeMap<>(); // per typology/variant: cases, alerted
        List<CaseLabel> missed = new ArrayList<>();
        for (CaseLabel c : labels) {
            Set<String> matched =
                    matchedByAccountTypology.getOrDefault(
                            c.accountId() + "|" + c.typology(), Set.of());
            boolean alerted = c.transactionIds().stream().anyMatch(matched::contains);
            int[] n = counts.computeIfAbsent(c.typology(), k -> new int[4]);
            n[c.fraud() ? 0 : 2]++;
            if (alerted) {
                n[c.fraud() ? 1 : 3]++;
            } else if (c.fraud()) {
                missed.add(c);
            }
            int[] v =
                    variants.computeIfAbsent(
                            c.typology() + " " + c.label() + " " + c.variant(), k -> new int[2]);
            v[0]++;
            if (alerted) {
                v[1]++;
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : rulesOf.entrySet()) {
            int[] n = counts.getOrDefault(e.getKey(), new int[4]);
            int[] f = falseAlarms.getOrDefault(e.getKey(), new int[2]);
            rows.add(new Row(e.getKey(), e.getValue(), n[0], n[1], n[2], n[3], f[0], f[1]));
        }
        return new DetectionReport(
                rows,
                variants,
                missed,
                accounts - fraudTypologies.size(),
                days,
                benignAlerts,
                benignShadow);
    }

    public List<Row> rows() {
        return rows;
    }

    public Row row(String typology) {
        return rows.stream().filter(r -> r.typology().equals(typology)).findFirst().orElseThrow();
    }

    /**
     * Per {@code "typology label variant"} (label {@code fraud} or {@code look-alike}): the cases
     * and how many of them its typology's rules alerted on.
     */
    public Map<String, int[]> variants() {
        return variants;
    }

    public List<CaseLabel> missedCases() {
        return missedCases;
    }

    /** Alerts (to the alerts topic) per 1,000 account-days on accounts with no fraud case. */
    public double benignAlertRate() {
        return benignAccounts == 0 || days <= 0
                ? Double.NaN
                : benignAlerts * 1000.0 / (benignAccounts * days);
    }

    /** The same for shadow alerts. */
    public double benignShadowAlertRate() {
        return benignAccounts == 0 || days <= 0
                ? Double.NaN
                : benignShadowAlerts * 1000.0 / (benignAccounts * days);
    }

    /** Prints the table, the variants, and the rate on benign accounts. */
    public void print(PrintWriter out) {
        out.printf(
                Locale.ROOT,
                "%-28s %-27s %8s %6s %6s %6s %12s %12s%n",
                "typology",
                "rules",
                "injected",
                "caught",
                "missed",
                "recall",
                "look-alikes",
                "false alarms");
        int injected = 0;
        int caught = 0;
        int lookAlikes = 0;
        int lookAlikesAlerted = 0;
        int falseAlarms = 0;
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "%-28s %-27s %8d %6d %6d %6s %12s %12s%n",
                    r.typology(),
                    String.join(",", r.rules()),
                    r.injected(),
                    r.caught(),
                    r.missed(),
                    percent(r.recall()),
                    r.lookAlikesAlerted() + " of " + r.lookAlikes(),
                    r.falseAlarms()
                            + (r.falseAlarmsOnOtherFraud() > 0
                                    ? " (" + r.falseAlarmsOnOtherFraud() + "*)"
                                    : ""));
            injected += r.injected();
            caught += r.caught();
            lookAlikes += r.lookAlikes();
            lookAlikesAlerted += r.lookAlikesAlerted();
            falseAlarms += r.falseAlarms();
        }
        out.printf(
                Locale.ROOT,
                "%-28s %-27s %8d %6d %6d %6s %12s %12d%n",
                "all",
                "",
                injected,
                caught,
                injected - caught,
                percent(injected == 0 ? Double.NaN : caught / (double) injected),
                lookAlikesAlerted + " of " + lookAlikes,
                falseAlarms);
        out.println(
                "  look-alikes: benign cases made to resemble the typology, and how many its rules"
                        + " alerted on; false alarms: alerts of the typology's rules on accounts"
                        + " without fraud of that typology (*: of which on accounts with fraud of"
                        + " another typology)");
        out.printf(
                Locale.ROOT,
                "alert rate on benign accounts: %.2f alerts per 1,000 account-days (%d alerts, %,d"
                        + " accounts without fraud, %.1f days after the first); shadow rules: %.2f"
                        + " more%n",
                benignAlertRate(),
                benignAlerts,
                benignAccounts,
                days,
                benignShadowAlertRate());
    }

    /** Prints, per variant, the cases and how many were alerted on. */
    public void printVariants(PrintWriter out) {
        out.printf(
                Locale.ROOT, "%-60s %6s %8s%n", "typology, label and variant", "cases", "alerted");
        variants.forEach((k, v) -> out.printf(Locale.ROOT, "%-60s %6d %8d%n", k, v[0], v[1]));
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * share);
    }
}

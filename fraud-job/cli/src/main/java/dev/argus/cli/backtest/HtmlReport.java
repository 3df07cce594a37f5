package dev.argus.cli.backtest;

import dev.argus.model.Alert;
import dev.argus.model.MatchedEvent;
import dev.argus.sandbox.traffic.CaseLabel;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The backtest's report: one HTML file with its styles and charts inside (inline SVG, no script,
 * nothing fetched), so it opens anywhere and can be mailed. Sections: the summary, the rules'
 * table, alert volume per rule per day (a chart), per typology the confusion matrix, the diff
 * against the pack in force, example alerts with their explanations, dead letters, and what the
 * figures mean.
 */
final class HtmlReport {
    /** Colours of the rules' lines, in the rules' order (then again). */
    static final String[] PALETTE = {
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#e7ba52", "#7b4173", "#3182bd"
    };

    private final StringBuilder h = new StringBuilder(64 * 1024);
    private final Backtest.Report report;
    private final Scores s;

    private HtmlReport(Backtest.Report report) {
        this.report = report;
        this.s = report.scores();
    }

    /**
     * The report; {@code generatedAt} is its one line that differs between two runs of the same
     * backtest.
     */
    static String render(Backtest.Report report, String generatedAt) {
        HtmlReport r = new HtmlReport(report);
        r.document(generatedAt);
        return r.h.toString();
    }

    private void document(String generatedAt) {
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.append("<title>Argus backtest: ").append(esc(report.packVersion())).append("</title>\n");
        h.append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Backtest of rule pack ").append(esc(report.packVersion())).append("</h1>\n");
        h.append("<p class=\"meta\">Pack <code>")
                .append(esc(report.packPath()))
                .append("</code> over ")
                .append(esc(report.input()))
                .append(
                        report.labelsPath() == null
                                ? ", without labels"
                                : ", labels <code>" + esc(report.labelsPath()) + "</code>")
                .append(
                        report.againstPath() == null
                                ? ""
                                : ", against <code>"
                                        + esc(report.againstPath())
                                        + "</code> ("
                                        + esc(report.againstVersion())
                                        + ")")
                .append(".</p>\n");
        h.append("<p class=\"meta\" id=\"generated\">Generated ")
                .append(esc(generatedAt))
                .append("</p>\n");
        summary();
        rulesTable();
        volumeChart();
        if (s.labelled) {
            typologies();
        }
        if (report.diff() != null) {
            diff();
        }
        examples();
        deadLetters();
        definitions();
        h.append("</body>\n</html>\n");
    }

    private void summary() {
        BacktestJob.Result r = report.result();
        Scores.Overall o = s.overall;
        h.append("<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">\n");
        card("records read", String.format(Locale.ROOT, "%,d", report.records()));
        card("valid transactions", String.format(Locale.ROOT, "%,d", r.valid()));
        card("accounts", String.format(Locale.ROOT, "%,d", r.accounts()));
        card("alerts", String.format(Locale.ROOT, "%,d", o.alerts()));
        if (s.labelled) {
            card("precision", BacktestOutput.share(o.precision()));
            card("recall", BacktestOutput.share(o.recall()));
            card("F1", BacktestOutput.share(o.f1()));
            card(
                    "benign alerts per 1,000 account-days",
                    String.format(Locale.ROOT, "%.2f", o.benignPerThousandAccountDays()));
        }
        h.append("</div>\n<p>History from ")
                .append(report.start())
                .append(" to ")
                .append(r.lastEvent())
                .append("; scored from ")
                .append(report.scoreFrom())
                .append(
                        String.format(
                                Locale.ROOT,
                                " (%.1f days). %,d alerts before that are warm-up, not counted: the run"
                                        + " starts with empty profiles.",
                                o.days(),
                                o.warmUpAlerts()));
        if (s.labelled) {
            h.append(
                    String.format(
                            Locale.ROOT,
                            " %d of %d fraud cases caught; %,d of %,d alerts on fraud; %,d alerts on %,d"
                                    + " accounts without fraud.",
                            o.caught(),
                            o.fraudCases(),
                            o.alertsOnFraud(),
                            o.alerts(),
                            o.benignAlerts(),
                            o.benignAccounts()));
        }
        h.append("</p>\n</section>\n");
    }

    private void card(String label, String value) {
        h.append("<div class=\"card\"><div class=\"value\">")
                .append(esc(value))
                .append("</div><div class=\"label\">")
                .append(esc(label))
                .append("</div></div>\n");
    }

    private void rulesTable() {
        h.append("<section id=\"rules\"><h2>Rules</h2>\n<table class=\"num\">\n<thead><tr>");
        List<String> columns = new ArrayList<>(List.of("rule", "typology", "mode"));
        columns.addAll(Scores.RULE_COUNTS);
        if (s.labelled) {
            columns.addAll(Scores.RULE_SCORES);
        }
        for (String c : columns) {
            h.append("<th>").append(c).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        int i = 0;
        for (Scores.RuleScore r : s.rules) {
            h.append("<tr><td><span class=\"swatch\" style=\"background:")
                    .append(PALETTE[i++ % PALETTE.length])
                    .append("\"></span>")
                    .append(esc(r.rule()))
                    .append("</td><td class=\"t\">")
                    .append(esc(r.typology()))
                    .append("</td><td class=\"t\">")
                    .append(esc(r.mode()))
                    .append("</td>");
            cells(r.alerts(), r.accounts());
            h.append(String.format(Locale.ROOT, "<td>%.1f</td>", r.alertsPerDay()));
            cells(r.shadow(), r.quieted(), r.snoozed(), r.late());
            h.append("<td>").append(esc(BacktestOutput.waitText(r))).append("</td>");
            if (s.labelled) {
                cells(r.truePositives(), r.falsePositives(), r.falseNegatives());
                ratioCells(r.precision(), r.recall(), r.f1());
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table>\n</section>\n");
    }

    private void cells(long... values) {
        for (long v : values) {
            h.append(String.format(Locale.ROOT, "<td>%,d</td>", v));
        }
    }

    private void ratioCells(double... values) {
        for (double v : values) {
            String cls = Double.isNaN(v) ? "" : v >= 0.9 ? "good" : v >= 0.5 ? "fair" : "poor";
            h.append("<td class=\"")
                    .append(cls)
                    .append("\">")
                    .append(BacktestOutput.share(v))
                    .append("</td>");
        }
    }

    /** Alerts per rule per day: one line per rule, the warm-up shaded. */
    private void volumeChart() {
        h.append("<section id=\"volume\"><h2>Alerts per day, per rule</h2>\n");
        List<LocalDate> days = new ArrayList<>();
        long max = 1;
        for (Map<LocalDate, Long> series : s.perDay.values()) {
            for (Map.Entry<LocalDate, Long> e : series.entrySet()) {
                if (!days.contains(e.getKey())) {
                    days.add(e.getKey());
                }
                max = Math.max(max, e.getValue());
            }
        }
        days.sort(null);
        int width = 960;
        int height = 320;
        int left = 50;
        int right = 20;
        int top = 15;
        int bottom = 40;
        double plotW = width - left - right;
        double plotH = height - top - bottom;
        double step = days.size() <= 1 ? plotW : plotW / (days.size() - 1);
        long yMax = (niceCeiling(max) + 3) / 4 * 4; // four grid steps of whole alerts
        h.append("<svg class=\"chart\" id=\"volume-chart\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\" viewBox=\"0 0 ")
                .append(width)
                .append(' ')
                .append(height)
                .append("\" role=\"img\" aria-label=\"alerts per day per rule\">\n");
        // warm-up
        LocalDate scoredDay = Scores.day(report.scoreFrom());
        int warm = 0;
        while (warm < days.size() && days.get(warm).isBefore(scoredDay)) {
            warm++;
        }
        if (warm > 0) {
            double x = left + Math.min(plotW, (warm - 0.5) * step);
            h.append(
                    String.format(
                            Locale.ROOT,
                            "<rect class=\"warmup\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\"/>"
                                    + "<text x=\"%d\" y=\"%d\" class=\"axis\">warm-up</text>\n",
                            left,
                            top,
                            x - left,
                            plotH,
                            left + 4,
                            top + 12));
        }
        // grid and y labels
        for (int g = 0; g <= 4; g++) {
            double y = top + plotH - plotH * g / 4.0;
            h.append(
                    String.format(
                            Locale.ROOT,
                            "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
                                    + "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n",
                            left,
                            y,
                            width - right,
                            y,
                            left - 6,
                            y + 4,
                            yMax * g / 4));
        }
        // x labels: at most 10
        int every = Math.max(1, (int) Math.ceil(days.size() / 10.0));
        for (int d = 0; d < days.size(); d += every) {
            h.append(
                    String.format(
                            Locale.ROOT,
                            "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                            left + d * step,
                            height - bottom + 18,
                            days.get(d).toString().substring(5)));
        }
        int i = 0;
        for (Map.Entry<String, Map<LocalDate, Long>> e : s.perDay.entrySet()) {
            String colour = colourOf(e.getKey(), i++);
            StringBuilder points = new StringBuilder();
            for (int d = 0; d < days.size(); d++) {
                long v = e.getValue().getOrDefault(days.get(d), 0L);
                points.append(
                        String.format(
                                Locale.ROOT,
                                "%.1f,%.1f ",
                                left + d * step,
                                top + plotH - plotH * v / yMax));
            }
            h.append("<polyline class=\"series\" data-rule=\"")
                    .append(esc(e.getKey()))
                    .append("\" fill=\"none\" stroke=\"")
                    .append(colour)
                    .append("\" stroke-width=\"2.5\" points=\"")
                    .append(points.toString().trim())
                    .append("\"><title>")
                    .append(esc(e.getKey()))
                    .append("</title></polyline>\n");
        }
        h.append("</svg>\n<ul class=\"legend\">");
        i = 0;
        for (String rule : s.perDay.keySet()) {
            h.append("<li><span class=\"swatch\" style=\"background:")
                    .append(colourOf(rule, i++))
                    .append("\"></span>")
                    .append(esc(rule))
                    .append("</li>");
        }
        h.append("</ul>\n</section>\n");
    }

    private String colourOf(String rule, int fallback) {
        for (int i = 0; i < s.rules.size(); i++) {
            if (s.rules.get(i).rule().equals(rule)) {
                return PALETTE[i % PALETTE.length];
            }
        }
        return PALETTE[fallback % PALETTE.length];
    }

    private static long niceCeiling(long max) {
        long[] steps = {1, 2, 4, 5, 8, 10};
        long scale = 1;
        while (true) {
            for (long st : steps) {
                if (st * scale >= max) {
                    return Math.max(4, st * scale);
                }
            }
            scale *= 10;
        }
    }

    private void typologies() {
        h.append("<section id=\"typologies\"><h2>Typologies</h2>\n");
        h.append("<table class=\"num\"><thead><tr>");
        for (String c :
                List.of(
                        "typology",
                        "rules",
                        "alerts",
                        "on fraud",
                        "fraud cases",
                        "caught",
                        "missed",
                        "look-alikes",
                        "alerted",
                        "precision",
                        "recall",
                        "F1")) {
            h.append("<th>").append(c).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Scores.TypologyScore t : s.typologies) {
            h.append("<tr><td>")
                    .append(esc(t.typology()))
                    .append("</td><td>")
                    .append(esc(String.join(", ", t.rules())))
                    .append("</td>");
            cells(
                    t.alerts(),
                    t.alertsOnFraud(),
                    t.fraudCases(),
                    t.caught(),
                    t.fraudCases() - t.caught(),
                    t.lookAlikes(),
                    t.lookAlikesAlerted());
            ratioCells(t.precision(), t.recall(), t.f1());
            h.append("</tr>\n");
        }
        h.append("</tbody></table>\n");
        h.append("<h3>Confusion matrices: cases, alerted by any rule or not</h3>\n");
        h.append("<div class=\"matrices\">\n");
        for (Scores.TypologyScore t : s.typologies) {
            int[][] m = {
                {t.caught(), t.fraudCases() - t.caught()},
                {t.lookAlikesAlerted(), t.lookAlikes() - t.lookAlikesAlerted()}
            };
            h.append("<table class=\"matrix\" data-typology=\"")
                    .append(esc(t.typology()))
                    .append("\"><caption>")
                    .append(esc(t.typology()))
                    .append("</caption><tr><th></th><th>alerted</th><th>not alerted</th></tr>");
            String[] rows = {"fraud", "look-alike"};
            for (int r = 0; r < 2; r++) {
                int total = Math.max(1, m[r][0] + m[r][1]);
                h.append("<tr><th>").append(rows[r]).append("</th>");
                for (int c = 0; c < 2; c++) {
                    boolean right = (r == 0) == (c == 0);
                    double share = m[r][c] / (double) total;
                    h.append(
                            String.format(
                                    Locale.ROOT,
                                    "<td class=\"%s\" style=\"background:rgba(%s,%.2f)\">%d</td>",
                                    right ? "right" : "wrong",
                                    right ? "44,160,44" : "214,39,40",
                                    0.1 + 0.6 * share,
                                    m[r][c]));
                }
                h.append("</tr>");
            }
            h.append("</table>\n");
        }
        h.append("</div>\n");
        if (!s.variants.isEmpty()) {
            h.append(
                    "<h3>Cases, by variant</h3>\n<table class=\"num\"><thead><tr>"
                            + "<th>typology / label / variant</th><th>cases</th><th>alerted</th>"
                            + "</tr></thead><tbody>\n");
            s.variants.forEach(
                    (k, v) ->
                            h.append("<tr><td>")
                                    .append(esc(k))
                                    .append("</td>")
                                    .append(
                                            String.format(
                                                    Locale.ROOT,
                                                    "<td>%d</td><td>%d</td></tr>\n",
                                                    v[0],
                                                    v[1])));
            h.append("</tbody></table>\n");
        }
        h.append("</section>\n");
    }

    private void diff() {
        PackDiff d = report.diff();
        h.append("<section id=\"diff\"><h2>Against ")
                .append(esc(report.againstVersion()))
                .append("</h2>\n<p>")
                .append(
                        String.format(
                                Locale.ROOT,
                                "%,d alerts gained, %,d lost, %,d unchanged (matched by alert id without"
                                        + " the rule version).",
                                d.gained(),
                                d.lost(),
                                d.unchanged()))
                .append(
                        "</p>\n<table class=\"num\"><thead><tr><th>rule</th><th>gained</th>"
                                + "<th>lost</th><th>unchanged</th>");
        if (s.labelled) {
            h.append("<th>gained on fraud</th><th>lost on fraud</th>");
        }
        h.append("</tr></thead><tbody>\n");
        for (PackDiff.Row r : d.rows) {
            h.append("<tr><td>").append(esc(r.rule())).append("</td>");
            cells(r.gained(), r.lost(), r.unchanged());
            if (s.labelled) {
                cells(r.gainedOnFraud(), r.lostOnFraud());
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table>\n");
        int shown = 0;
        if (!d.changes.isEmpty()) {
            h.append("<h3>Gained and lost alerts (the first 50; diff.jsonl has all)</h3>\n");
            h.append(
                    "<table class=\"alerts\"><thead><tr><th>change</th><th>rule</th>"
                            + "<th>account</th><th>transactions</th><th>truth</th><th>explanation</th>"
                            + "</tr></thead><tbody>\n");
            for (PackDiff.Change c : d.changes) {
                if (shown++ == 50) {
                    break;
                }
                h.append("<tr class=\"")
                        .append(c.gained() ? "gained" : "lost")
                        .append("\"><td>")
                        .append(c.gained() ? "gained" : "lost")
                        .append("</td><td>")
                        .append(esc(c.alert().getRuleId()))
                        .append("</td><td>")
                        .append(esc(c.alert().getAccountId()))
                        .append("</td><td>")
                        .append(esc(transactions(c.alert())))
                        .append("</td><td>")
                        .append(truth(c.truth()))
                        .append("</td><td>")
                        .append(esc(c.alert().getExplanation()))
                        .append("</td></tr>\n");
            }
            h.append("</tbody></table>\n");
        }
        h.append("</section>\n");
    }

    private void examples() {
        h.append(
                "<section id=\"examples\"><h2>Example alerts</h2>\n"
                        + "<p>The first two scored alerts of each rule (alerts.jsonl has every one).</p>\n"
                        + "<table class=\"alerts\"><thead><tr><th>rule</th><th>account</th>"
                        + "<th>last event</th><th>transactions</th><th>truth</th><th>explanation</th>"
                        + "<th>features read</th></tr></thead><tbody>\n");
        for (Scores.RuleScore r : s.rules) {
            int n = 0;
            for (Alert a : s.alerts) {
                if (!a.getRuleId().equals(r.rule())) {
                    continue;
                }
                if (n++ == 2) {
                    break;
                }
                CaseLabel c = s.caseOf(a);
                h.append("<tr><td>")
                        .append(esc(a.getRuleId()))
                        .append("</td><td>")
                        .append(esc(a.getAccountId()))
                        .append("</td><td>")
                        .append(a.getLastEventTime())
                        .append("</td><td>")
                        .append(esc(transactions(a)))
                        .append("</td><td>")
                        .append(truth(s.truth(a)))
                        .append(
                                c == null
                                        ? ""
                                        : "<br><small>"
                                                + esc(c.caseId() + " " + c.variant())
                                                + "</small>")
                        .append("</td><td>")
                        .append(esc(a.getExplanation()))
                        .append("</td><td><small>");
                new java.util.TreeMap<>(a.getFeatures())
                        .forEach((k, v) -> h.append(esc(k)).append('=').append(esc(v)).append(' '));
                h.append("</small></td></tr>\n");
            }
        }
        h.append("</tbody></table>\n</section>\n");
    }

    private void deadLetters() {
        BacktestJob.Result r = report.result();
        h.append("<section id=\"dead-letters\"><h2>Dead letters</h2>\n");
        if (r.deadLetters().isEmpty()) {
            h.append("<p>None: every record decoded, was valid and arrived in time.</p>\n");
        } else {
            h.append(
                    "<p>Records the job would have written to its dead-letter topic, by"
                            + " reason.</p>\n<table class=\"num\"><thead><tr><th>reason</th><th>records"
                            + "</th><th>for example</th></tr></thead><tbody>\n");
            r.deadLetters()
                    .forEach(
                            (reason, n) ->
                                    h.append("<tr><td>")
                                            .append(esc(reason))
                                            .append("</td>")
                                            .append(String.format(Locale.ROOT, "<td>%,d</td>", n))
                                            .append("<td>")
                                            .append(esc(r.deadLetterExamples().get(reason).get(0)))
                                            .append("</td></tr>\n"));
            h.append("</tbody></table>\n");
        }
        h.append("</section>\n");
    }

    private void definitions() {
        h.append(
                "<section id=\"definitions\"><h2>What the figures mean</h2>\n<ul>\n"
                        + "<li><b>Alerts</b> count both modes; <b>shadow</b> is how many of them a rule in"
                        + " shadow mode raised. <b>Quieted</b>: matches held back within the rule's quiet"
                        + " period on the account; <b>snoozed</b>: held back by snoozes.yaml (as of"
                        + " now). Neither is an alert.</li>\n"
                        + "<li>An alert is <b>on fraud</b> (TP) when one of the transactions it matched"
                        + " belongs to a fraud case of the labels, of any typology; any other alert is a"
                        + " false positive (FP). <b>Precision</b> = TP / alerts.</li>\n"
                        + "<li>A rule's <b>recall</b> is the share of fraud cases of its typology that it"
                        + " alerted on; FN are the others. A typology's <b>caught</b> cases are those any"
                        + " rule of the pack alerted on.</li>\n"
                        + "<li><b>Look-alikes</b> are benign cases made to resemble a typology; an alerted"
                        + " look-alike is a false positive the rule should learn to tell apart.</li>\n"
                        + "<li><b>Benign alerts per 1,000 account-days</b>: alerts on accounts with no"
                        + " fraud case, per 1,000 such accounts and day of the scored period.</li>\n"
                        + "<li>The <b>warm-up</b> at the start is not scored: the run starts with empty"
                        + " profiles, so every device, country and payee is new to it.</li>\n"
                        + "</ul>\n</section>\n");
    }

    private static String transactions(Alert a) {
        List<String> ids = new ArrayList<>();
        for (MatchedEvent e : a.getMatchedEvents()) {
            ids.add(e.getTransactionId());
        }
        return String.join(", ", ids);
    }

    private static String truth(Scores.Truth t) {
        return switch (t) {
            case FRAUD -> "<span class=\"good\">fraud</span>";
            case LOOK_ALIKE -> "<span class=\"poor\">look-alike</span>";
            case BENIGN -> "<span class=\"poor\">benign</span>";
            case UNLABELLED -> "-";
        };
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static final String CSS =
            """
            body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px;
                   color: #222; max-width: 1200px; }
            h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; } h3 { font-size: 15px; }
            .meta { color: #555; font-size: 13px; }
            code { background: #f3f3f3; padding: 1px 4px; }
            .cards { display: flex; flex-wrap: wrap; gap: 12px; }
            .card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 120px; }
            .card .value { font-size: 22px; font-weight: 600; }
            .card .label { font-size: 12px; color: #666; }
            table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
            th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
            th { background: #f5f5f5; }
            table.num td { text-align: right; } table.num td:first-child, table.num td.t { text-align: left; }
            .good { color: #1a7f1a; } .fair { color: #b36b00; } .poor { color: #c0392b; }
            td.good, td.fair, td.poor { font-weight: 600; }
            .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px;
                      border-radius: 2px; }
            .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px;
                      font-size: 12px; }
            svg.chart { border: 1px solid #eee; }
            .grid { stroke: #e5e5e5; } .axis { font-size: 11px; fill: #666; }
            .warmup { fill: #f2f2f2; }
            .matrices { display: flex; flex-wrap: wrap; gap: 16px; }
            table.matrix td { text-align: center; min-width: 60px; font-weight: 600; }
            table.matrix caption { font-size: 12px; font-weight: 600; text-align: left; }
            table.alerts { font-size: 12px; } tr.gained td:first-child { color: #1a7f1a; }
            tr.lost td:first-child { color: #c0392b; }
            """;
}

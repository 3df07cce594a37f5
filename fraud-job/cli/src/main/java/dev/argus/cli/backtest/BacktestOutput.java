package dev.argus.cli.backtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.argus.model.Alert;
import dev.argus.model.MatchedEvent;
import dev.argus.sandbox.traffic.CaseLabel;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The backtest's files and its summary on the terminal. Everything but {@code run.json} (when and
 * how fast it ran) and the report's one "generated" line is a function of the input alone: the same
 * history and packs give the same bytes.
 */
final class BacktestOutput {
    /** The order alerts are written in: by last event time, rule, alert id. */
    static final Comparator<Alert> ORDER =
            Comparator.comparing(Alert::getLastEventTime)
                    .thenComparing(Alert::getRuleId)
                    .thenComparing(Alert::getAlertId);

    static final ObjectMapper JSON = new ObjectMapper();

    private BacktestOutput() {}

    /**
     * A rule's longest wait between its last event and the alert: minutes under two hours, else
     * hours; "-" when no alert was late.
     */
    static String waitText(Scores.RuleScore r) {
        if (r.late() == 0) {
            return "-";
        }
        double minutes = r.longestWaitMinutes();
        return minutes < 120
                ? String.format(Locale.ROOT, "%.0f min", minutes)
                : String.format(Locale.ROOT, "%.1f h", minutes / 60);
    }

    /** Writes the alerts of one pack as Avro and as JSON lines into {@code dir}. */
    static void writeAlerts(Path dir, BacktestJob.PackRun run, Scores scores) throws IOException {
        Files.createDirectories(dir);
        List<Alert> all = run.alerts(); // in output order
        DataFileWriter<Alert> avro = new DataFileWriter<>(new SpecificDatumWriter<>(Alert.class));
        avro.setCodec(CodecFactory.deflateCodec(1));
        try (OutputStream out = Files.newOutputStream(dir.resolve("alerts.avro"));
                avro) {
            // a fixed sync marker: Avro picks a random one, which would make two runs differ
            avro.create(Alert.getClassSchema(), out, syncMarker());
            for (Alert a : all) {
                avro.append(a);
            }
        }
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("alerts.jsonl"), StandardCharsets.UTF_8)) {
            for (Alert a : all) {
                w.write(JSON.writeValueAsString(alertJson(a, scores)));
                w.write('\n');
            }
        }
    }

    /** One alert as the JSON line analysts read: the contract's fields, and the labels' word. */
    static ObjectNode alertJson(Alert a, Scores scores) {
        ObjectNode o = JSON.createObjectNode();
        o.put("alert_id", a.getAlertId());
        o.put("rule_id", a.getRuleId());
        o.put("rule_version", a.getRuleVersion());
        o.put("pack_version", a.getPackVersion());
        o.put("mode", a.getMode().name());
        o.put("account_id", a.getAccountId());
        o.put("severity", a.getSeverity().name());
        o.put("score", a.getScore());
        o.put("recommended_action", a.getRecommendedAction().name());
        o.put("explanation", a.getExplanation());
        o.put("last_event_time", a.getLastEventTime().toString());
        o.put("detection_time", a.getDetectionTime().toString());
        ArrayNode events = o.putArray("matched_events");
        for (MatchedEvent e : a.getMatchedEvents()) {
            ObjectNode m = events.addObject();
            m.put("stage", e.getStage());
            m.put("transaction_id", e.getTransactionId());
            m.put("event_time", e.getEventTime().toString());
            m.put("type", e.getType().name());
            if (e.getAmount() != null) {
                m.put("amount", dev.argus.model.Amounts.format(e.getAmount()));
            }
        }
        ObjectNode features = o.putObject("features");
        new TreeMap<>(a.getFeatures()).forEach(features::put);
        boolean scored = scores.scored(a);
        o.put("warm_up", !scored);
        if (scores.labelled && scored) {
            o.put("truth", scores.truth(a).name().toLowerCase(Locale.ROOT).replace('_', '-'));
            CaseLabel c = scores.caseOf(a);
            if (c != null) {
                o.put("case_id", c.caseId());
                o.put("case_typology", c.typology());
                o.put("case_variant", c.variant());
            }
        }
        return o;
    }

    /** Every gained and lost alert, one JSON line each. */
    static void writeDiff(Path file, PackDiff diff, Scores candidate, Scores inForce)
            throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (PackDiff.Change c : diff.changes) {
                ObjectNode o = JSON.createObjectNode();
                o.put("change", c.gained() ? "gained" : "lost");
                o.setAll(alertJson(c.alert(), c.gained() ? candidate : inForce));
                w.write(JSON.writeValueAsString(o));
                w.write('\n');
            }
        }
    }

    /** summary.json: every figure of the report, for scripts. */
    static void writeSummary(Path file, Backtest.Report report) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "argus-backtest/1");
        o.put("input", report.input());
        o.put("pack", report.packPath());
        o.put("pack_version", report.packVersion());
        if (report.againstPath() != null) {
            o.put("against", report.againstPath());
            o.put("against_version", report.againstVersion());
        }
        o.put("labels", report.labelsPath());
        o.put("records", report.records());
        o.put("valid_transactions", report.result().valid());
        o.put("accounts", report.result().accounts());
        o.put("history_start", report.start().toString());
        o.put("first_event", String.valueOf(report.result().firstEvent()));
        o.put("last_event", String.valueOf(report.result().lastEvent()));
        o.put("scored_from", report.scoreFrom().toString());
        ObjectNode dead = o.putObject("dead_letters");
        report.result().deadLetters().forEach(dead::put);
        o.set("scores", scoresJson(report.scores()));
        if (report.againstScores() != null) {
            o.set("against_scores", scoresJson(report.againstScores()));
            ObjectNode d = o.putObject("diff");
            d.put("gained", report.diff().gained());
            d.put("lost", report.diff().lost());
            d.put("unchanged", report.diff().unchanged());
            ArrayNode rows = d.putArray("rules");
            for (PackDiff.Row r : report.diff().rows) {
                rows.add(JSON.valueToTree(r));
            }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o);
    }

    private static ObjectNode scoresJson(Scores s) {
        ObjectNode o = JSON.createObjectNode();
        o.set("overall", number(JSON.valueToTree(s.overall)));
        ArrayNode rules = o.putArray("rules");
        s.rules.forEach(r -> rules.add(number(JSON.valueToTree(r))));
        ArrayNode typologies = o.putArray("typologies");
        s.typologies.forEach(t -> typologies.add(number(JSON.valueToTree(t))));
        ObjectNode variants = o.putObject("variants");
        s.variants.forEach(
                (k, v) -> {
                    ObjectNode n = variants.putObject(k);
                    n.put("cases", v[0]);
                    n.put("alerted", v[1]);
                });
        ObjectNode perDay = o.putObject("alerts_per_day");
        s.perDay.forEach(
                (rule, days) -> {
                    ObjectNode n = perDay.putObject(rule);
                    days.forEach((d, c) -> n.put(d.toString(), c));
                });
        return o;
    }

    /** NaN is not JSON: a ratio with nothing to divide by is written as null. */
    private static ObjectNode number(com.fasterxml.jackson.databind.JsonNode node) {
        ObjectNode o = (ObjectNode) node;
        List<String> nan = new ArrayList<>();
        o.fields()
                .forEachRemaining(
                        e -> {
                            if (e.getValue().isDouble()
                                    && Double.isNaN(e.getValue().doubleValue())) {
                                nan.add(e.getKey());
                            }
                        });
        nan.forEach(o::putNull);
        return o;
    }

    /** run.json: when the run was and how fast, the one file two runs never share. */
    static void writeRun(Path file, BacktestJob.Result r, long records) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("finished_at", java.time.Instant.now().toString());
        o.put("seconds", r.seconds());
        o.put("cpu_seconds", r.cpuSeconds());
        o.put("records_per_second", records / r.seconds());
        o.put("records_per_cpu_second", records / Math.max(r.cpuSeconds(), 1e-3));
        o.put("java", System.getProperty("java.version"));
        o.put("cores", Runtime.getRuntime().availableProcessors());
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o);
    }

    /** The terminal's summary. */
    static void print(PrintWriter out, Backtest.Report report) {
        Scores s = report.scores();
        BacktestJob.Result r = report.result();
        out.printf(
                Locale.ROOT,
                "%,d records: %,d valid transactions of %,d accounts; the history runs from %s to %s"
                        + " (first event %s); scored from %s (%,d alerts before it are warm-up: the"
                        + " profiles started empty)%n",
                report.records(),
                r.valid(),
                r.accounts(),
                report.start(),
                r.lastEvent(),
                r.firstEvent(),
                report.scoreFrom(),
                s.overall.warmUpAlerts());
        if (!r.deadLetters().isEmpty()) {
            out.println(
                    "dead letters, by reason (as the job's dead-letter topic would have them):");
            r.deadLetters()
                    .forEach(
                            (reason, n) ->
                                    out.printf(
                                            Locale.ROOT,
                                            "  %-20s %,9d   e.g. %s%n",
                                            reason,
                                            n,
                                            r.deadLetterExamples().get(reason).get(0)));
        }
        out.println();
        out.printf(Locale.ROOT, "%-28s %-7s", "rule", "mode");
        out.printf(Locale.ROOT, " %8s %8s %7s %6s %7s %7s %5s %12s", Scores.RULE_COUNTS.toArray());
        if (s.labelled) {
            out.printf(Locale.ROOT, " %6s %6s %6s %9s %6s %5s", Scores.RULE_SCORES.toArray());
        }
        out.println();
        for (Scores.RuleScore x : s.rules) {
            out.printf(
                    Locale.ROOT,
                    "%-28s %-7s %8d %8d %7.1f %6d %7d %7d %5d %12s",
                    x.rule(),
                    x.mode(),
                    x.alerts(),
                    x.accounts(),
                    x.alertsPerDay(),
                    x.shadow(),
                    x.quieted(),
                    x.snoozed(),
                    x.late(),
                    waitText(x));
            if (s.labelled) {
                out.printf(
                        Locale.ROOT,
                        " %6d %6d %6d %9s %6s %5s",
                        x.truePositives(),
                        x.falsePositives(),
                        x.falseNegatives(),
                        share(x.precision()),
                        share(x.recall()),
                        share(x.f1()));
            }
            out.println();
        }
        if (s.labelled) {
            out.println();
            out.printf(
                    Locale.ROOT,
                    "%-28s %7s %6s %6s %7s %11s %8s %9s %6s %5s%n",
                    "typology",
                    "alerts",
                    "fraud",
                    "caught",
                    "missed",
                    "look-alikes",
                    "alerted",
                    "precision",
                    "recall",
                    "F1");
            for (Scores.TypologyScore t : s.typologies) {
                out.printf(
                        Locale.ROOT,
                        "%-28s %7d %6d %6d %7d %11d %8d %9s %6s %5s%n",
                        t.typology(),
                        t.alerts(),
                        t.fraudCases(),
                        t.caught(),
                        t.fraudCases() - t.caught(),
                        t.lookAlikes(),
                        t.lookAlikesAlerted(),
                        share(t.precision()),
                        share(t.recall()),
                        share(t.f1()));
            }
            Scores.Overall o = s.overall;
            out.printf(
                    Locale.ROOT,
                    "%nall: %,d alerts, %,d on fraud: precision %s; %d of %d fraud cases caught:"
                            + " recall %s; F1 %s%n",
                    o.alerts(),
                    o.alertsOnFraud(),
                    share(o.precision()),
                    o.caught(),
                    o.fraudCases(),
                    share(o.recall()),
                    share(o.f1()));
            out.printf(
                    Locale.ROOT,
                    "benign: %,d alerts on %,d accounts without fraud over %.1f days: %.2f per 1,000"
                            + " account-days%n",
                    o.benignAlerts(),
                    o.benignAccounts(),
                    o.days(),
                    o.benignPerThousandAccountDays());
        }
        if (report.diff() != null) {
            PackDiff d = report.diff();
            out.printf(
                    Locale.ROOT,
                    "%nagainst %s (%s): %,d alerts gained, %,d lost, %,d unchanged%n",
                    report.againstPath(),
                    report.againstVersion(),
                    d.gained(),
                    d.lost(),
                    d.unchanged());
            for (PackDiff.Row row : d.rows) {
                if (row.gained() + row.lost() > 0) {
                    out.printf(
                            Locale.ROOT,
                            "  %-28s +%-6d -%-6d =%-6d%s%n",
                            row.rule(),
                            row.gained(),
                            row.lost(),
                            row.unchanged(),
                            s.labelled
                                    ? String.format(
                                            Locale.ROOT,
                                            "  (on fraud: +%d -%d)",
                                            row.gainedOnFraud(),
                                            row.lostOnFraud())
                                    : "");
                }
            }
        }
        out.flush();
    }

    static String share(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static byte[] syncMarker() {
        try {
            return MessageDigest.getInstance("MD5")
                    .digest("argus-backtest".getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code text} to {@code file}. */
    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}

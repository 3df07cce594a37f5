package dev.argus.cli.backtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** What a backtest found, and the files it writes. */
final class Backtest {
    private Backtest() {}

    /** Everything the report shows. */
    record Report(
            String input,
            String packPath,
            String packVersion,
            String againstPath,
            String againstVersion,
            String labelsPath,
            long records,
            BacktestJob.Result result,
            LocalDate start,
            Instant scoreFrom,
            Scores scores,
            Scores againstScores,
            PackDiff diff) {}

    /**
     * The day the history starts: the first with at least a tenth of the busiest day's
     * transactions. Earlier events (an account's activity long before, as a dormant account has) go
     * into the profiles but do not make the history longer.
     */
    static LocalDate start(Map<LocalDate, Long> perDay) {
        long busiest = perDay.values().stream().mapToLong(Long::longValue).max().orElse(0);
        for (Map.Entry<LocalDate, Long> e : perDay.entrySet()) {
            if (e.getValue() * 10 >= busiest) {
                return e.getKey();
            }
        }
        return perDay.keySet().iterator().next();
    }

    /** The start of the scored period: the history's first day, plus the warm-up. */
    static Instant scoreFrom(LocalDate start, java.time.Duration warmUp) {
        return start.atStartOfDay(ZoneOffset.UTC).toInstant().plus(warmUp);
    }

    /** The files a backtest writes; a folder holding only these may be written again. */
    static final List<String> FILES =
            List.of(
                    "alerts.avro",
                    "alerts.jsonl",
                    "summary.json",
                    "report.html",
                    "run.json",
                    "diff.jsonl",
                    "against");

    /**
     * Makes {@code out} ready: created when absent; a folder of an earlier backtest loses that
     * backtest's files; any other non-empty folder is refused.
     */
    static void prepare(Path out) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IOException(out + " is a file: give a folder for the results");
        }
        Files.createDirectories(out);
        try (var entries = Files.list(out)) {
            List<String> other =
                    entries.map(p -> p.getFileName().toString())
                            .filter(n -> !FILES.contains(n))
                            .sorted()
                            .toList();
            if (!other.isEmpty()) {
                throw new IOException(
                        out
                                + " holds files a backtest does not write ("
                                + String.join(", ", other.subList(0, Math.min(5, other.size())))
                                + "): give a new or empty folder");
            }
        }
        for (String name : FILES) {
            Path p = out.resolve(name);
            if (Files.isDirectory(p)) {
                try (var inner = Files.list(p)) {
                    for (Path f : inner.toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.deleteIfExists(p);
        }
    }

    /** Writes the results: alerts, diff, summary and report. */
    static void write(Path out, Report report) throws IOException {
        BacktestJob.Result result = report.result();
        BacktestOutput.writeAlerts(out, result.pack(), report.scores());
        if (report.diff() != null) {
            BacktestOutput.writeAlerts(
                    out.resolve("against"), result.against(), report.againstScores());
            BacktestOutput.writeDiff(
                    out.resolve("diff.jsonl"),
                    report.diff(),
                    report.scores(),
                    report.againstScores());
        }
        BacktestOutput.writeSummary(out.resolve("summary.json"), report);
        BacktestOutput.write(
                out.resolve("report.html"), HtmlReport.render(report, Instant.now().toString()));
    }
}

package dev.argus.cli.backtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.argus.cli.ArgusRun;
import dev.argus.cli.browser.HeadlessChromium;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.Alert;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.traffic.BankTraffic;
import dev.argus.sandbox.traffic.Dataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus backtest} over files, as the risk team runs it: a candidate pack against the pack in
 * force over a labelled data set. The same run twice must give the same files. Each run starts its
 * own Flink in this JVM, as the command does for a user.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BacktestCommandITCase {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The shipped pack's rules that alert when a window ends without the awaited event. */
    static final Set<String> ABSENCE_RULES =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE)
                    .active()
                    .stream()
                    .filter(Rule::alertsOnTimeout)
                    .map(Rule::id)
                    .collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** Rules in the shipped pack; its 14 typologies each have one or more. */
    static final int SHIPPED_RULES = 16;

    Path dir;
    Path data;
    Path candidate;
    Path first;
    ArgusRun firstRun;

    static ArgusRun argus(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (all.get(0).equals("backtest") && !all.contains("--pack")) {
            all.addAll(List.of("--pack", "../../rules/pack")); // the tests run in fraud-job/cli
        }
        return ArgusRun.execute(all);
    }

    /** A small labelled data set with plenty of cases. */
    static Path dataset(Path dir) throws IOException {
        Path data = dir.resolve("data");
        Dataset.write(
                new BankTraffic.Options(
                        600, 5, Instant.parse("2026-10-05T00:00:00Z"), 6, 40, 40, 0),
                data,
                (n, day) -> {});
        return data;
    }

    /** The shipped pack with amount-velocity's limit lowered to 1,000.00, as a new version. */
    static Path candidatePack(Path dir) throws IOException {
        Path pack = dir.resolve("candidate");
        Path shipped = Path.of("../../rules/pack");
        try (Stream<Path> files = Files.walk(shipped)) {
            for (Path f : files.toList()) {
                Path to = pack.resolve(shipped.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        Path rule = pack.resolve("velocity/amount-velocity.yaml");
        String text = Files.readString(rule);
        java.util.regex.Matcher version =
                java.util.regex.Pattern.compile("(?m)^version: (\\d+)$").matcher(text);
        assertThat(version.find()).isTrue();
        String lowered =
                text.replaceFirst(
                                "(?m)^version: \\d+$",
                                "version: " + (Integer.parseInt(version.group(1)) + 1))
                        .replaceAll(">= \\d{6}\\b", ">= 100000");
        assertThat(lowered).isNotEqualTo(text).contains(">= 100000");
        Files.writeString(rule, lowered);
        Path tests = pack.resolve("velocity/amount-velocity.test.yaml");
        Files.delete(tests); // its cases are about the shipped limit
        return pack;
    }

    @BeforeAll
    void runOnce(@TempDir Path dir) throws IOException {
        this.dir = dir;
        data = dataset(dir);
        candidate = candidatePack(dir);
        first = dir.resolve("first");
        firstRun = backtest(first);
    }

    private ArgusRun backtest(Path out) {
        return argus(
                "backtest",
                "--pack",
                candidate.toString(),
                "--input",
                data.toString(),
                "--labels",
                data.resolve("labels.jsonl").toString(),
                "--against",
                "../../rules/pack",
                "--out",
                out.toString());
    }

    @Test
    void itScoresEveryRuleAndTypologyAndWritesTheAlerts() throws IOException {
        assertThat(firstRun.status()).as(firstRun.out() + firstRun.err()).isZero();
        assertThat(firstRun.out())
                .contains("records/s", "records per CPU-second", "precision", "recall");
        JsonNode summary = JSON.readTree(first.resolve("summary.json").toFile());
        JsonNode scores = summary.get("scores");
        assertThat(scores.get("rules")).hasSize(SHIPPED_RULES);
        assertThat(summary.get("accounts").asLong()).isEqualTo(600);

        // the JSON lines and the Avro file hold the same alerts, in the same order
        List<JsonNode> lines = jsonLines(first.resolve("alerts.jsonl"));
        List<String> avroIds = new ArrayList<>();
        try (DataFileReader<Alert> in =
                new DataFileReader<>(
                        first.resolve("alerts.avro").toFile(),
                        new SpecificDatumReader<>(Alert.class))) {
            in.forEach(a -> avroIds.add(a.getAlertId()));
        }
        assertThat(lines).hasSizeGreaterThan(50);
        assertThat(avroIds).isEqualTo(lines.stream().map(l -> l.get("alert_id").asText()).toList());
        assertThat(lines).allSatisfy(l -> assertThat(l.get("explanation").asText()).isNotBlank());
        assertThat(lines)
                .as("alerts of rules that read the profile carry the features they read")
                .anySatisfy(l -> assertThat(l.get("features").size()).isPositive());

        // the scores agree with the alerts' truth, rule by rule
        for (JsonNode rule : scores.get("rules")) {
            String id = rule.get("rule").asText();
            long fraud =
                    lines.stream()
                            .filter(l -> l.get("rule_id").asText().equals(id))
                            .filter(l -> !l.get("warm_up").asBoolean())
                            .filter(l -> l.get("truth").asText().equals("fraud"))
                            .count();
            assertThat(rule.get("truePositives").asLong()).as(id).isEqualTo(fraud);
            // late: sent (in event time) more than a minute after the last matched event; an
            // absence rule's alerts come when its window ends, and are not counted
            long late =
                    ABSENCE_RULES.contains(id)
                            ? 0
                            : lines.stream()
                                    .filter(l -> l.get("rule_id").asText().equals(id))
                                    .filter(l -> !l.get("warm_up").asBoolean())
                                    .filter(l -> wait(l).compareTo(Scores.LATE) > 0)
                                    .count();
            assertThat(rule.get("late").asLong()).as(id).isEqualTo(late);
        }
        assertThat(lines)
                .as("no alert is sent before its last event")
                .allSatisfy(l -> assertThat(wait(l).isNegative()).isFalse());
        JsonNode overall = scores.get("overall");
        assertThat(overall.get("fraudCases").asInt()).isPositive();
        assertThat(overall.get("recall").asDouble()).isBetween(0.3, 1.0);
        // every typology the data set injected has a line, with its cases
        Set<String> typologies = new HashSet<>();
        scores.get("typologies").forEach(t -> typologies.add(t.get("typology").asText()));
        assertThat(typologies).hasSize(14);
    }

    /** From an alert's last event to its detection, both in event time. */
    private static java.time.Duration wait(JsonNode alert) {
        return java.time.Duration.between(
                Instant.parse(alert.get("last_event_time").asText()),
                Instant.parse(alert.get("detection_time").asText()));
    }

    @Test
    void theDiffAgainstThePackInForceIsPerRuleAndPerAlert() throws IOException {
        assertThat(firstRun.status()).as(firstRun.err()).isZero();
        JsonNode diff = JSON.readTree(first.resolve("summary.json").toFile()).get("diff");
        long gained = 0;
        long lost = 0;
        for (JsonNode row : diff.get("rules")) {
            long changed = row.get("gained").asLong() + row.get("lost").asLong();
            if (!row.get("rule").asText().equals("amount-velocity")) {
                assertThat(changed).as(row.toString()).isZero();
            }
            gained += row.get("gained").asLong();
            lost += row.get("lost").asLong();
        }
        assertThat(gained).as("a lower limit gains alerts").isPositive();
        List<JsonNode> changes = jsonLines(first.resolve("diff.jsonl"));
        assertThat(changes).hasSize((int) (gained + lost));
        Set<String> inForce = new HashSet<>();
        jsonLines(first.resolve("against/alerts.jsonl"))
                .forEach(l -> inForce.add(l.get("alert_id").asText()));
        for (JsonNode c : changes) {
            assertThat(c.get("rule_id").asText()).isEqualTo("amount-velocity");
            assertThat(c.get("account_id").asText()).isNotBlank();
            assertThat(c.get("explanation").asText()).isNotBlank();
            if (c.get("change").asText().equals("lost")) {
                assertThat(inForce).contains(c.get("alert_id").asText());
            }
        }
        assertThat(firstRun.out()).contains("alerts gained", "amount-velocity");
    }

    /** Same input, same report: every file byte for byte, apart from the run's own time. */
    @Test
    void theSameBacktestTwiceWritesTheSameFiles() throws IOException {
        Path second = dir.resolve("second");
        ArgusRun again = backtest(second);
        assertThat(again.status()).as(again.err()).isZero();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(first)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(8);
        for (Path f : files) {
            Path rel = first.relativize(f);
            if (rel.toString().equals("run.json")) {
                continue; // when it ran, and how fast
            }
            byte[] a = withoutGeneratedLine(Files.readAllBytes(f), rel);
            byte[] b = withoutGeneratedLine(Files.readAllBytes(second.resolve(rel)), rel);
            assertThat(b).as(rel.toString()).isEqualTo(a);
        }
    }

    /**
     * The report in a real browser: every section laid out, every table with rows, one line per
     * rule drawn in the chart, and the chart's pixels in the rules' colours. The screenshot is kept
     * in target/backtest-report/ beside the report.
     */
    @Test
    void theReportRendersInChromium() throws Exception {
        assertThat(firstRun.status()).as(firstRun.err()).isZero();
        Path artifacts = Path.of("target/backtest-report");
        Files.createDirectories(artifacts);
        Files.copy(
                first.resolve("report.html"),
                artifacts.resolve("report.html"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path png = artifacts.resolve("report.png");
        JsonNode page;
        try (HeadlessChromium chromium = HeadlessChromium.start()) {
            chromium.open(artifacts.resolve("report.html"));
            chromium.screenshot(png, 1280); // lays the page out 1280 pixels wide
            page =
                    chromium.evaluate(
                            """
                            (() => {
                              const box = e => { const r = e.getBoundingClientRect();
                                return {x: r.left + scrollX, y: r.top + scrollY,
                                        w: r.width, h: r.height}; };
                              const svg = document.getElementById('volume-chart');
                              return {
                                sections: [...document.querySelectorAll('section')]
                                    .map(s => ({id: s.id, h: box(s).h})),
                                tables: [...document.querySelectorAll('table')]
                                    .map(t => ({rows: t.rows.length, h: box(t).h})),
                                matrices: document.querySelectorAll('table.matrix').length,
                                chart: box(svg),
                                lines: [...svg.querySelectorAll('polyline.series')]
                                    .map(p => ({rule: p.dataset.rule,
                                                length: p.getTotalLength(),
                                                colour: p.getAttribute('stroke')}))
                              };
                            })()
                            """);
        }
        List<String> sections = new ArrayList<>();
        page.get("sections")
                .forEach(
                        x -> {
                            sections.add(x.get("id").asText());
                            assertThat(x.get("h").asDouble()).as(x.toString()).isPositive();
                        });
        assertThat(sections)
                .contains(
                        "summary",
                        "rules",
                        "volume",
                        "typologies",
                        "diff",
                        "examples",
                        "dead-letters");
        page.get("tables")
                .forEach(
                        t -> {
                            assertThat(t.get("rows").asInt()).as(t.toString()).isGreaterThan(1);
                            assertThat(t.get("h").asDouble()).as(t.toString()).isPositive();
                        });
        assertThat(page.get("matrices").asInt()).isEqualTo(14);
        assertThat(page.get("lines")).hasSize(SHIPPED_RULES);
        page.get("lines")
                .forEach(
                        l ->
                                assertThat(l.get("length").asDouble())
                                        .as(l.toString())
                                        .isGreaterThan(100));

        // the chart as drawn: its pixels in the rules' colours
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
        JsonNode chart = page.get("chart");
        assertThat(chart.get("w").asDouble()).isGreaterThan(500);
        Set<Integer> colours = new HashSet<>();
        page.get("lines")
                .forEach(
                        l ->
                                colours.add(
                                        Integer.parseInt(
                                                l.get("colour").asText().substring(1), 16)));
        Set<Integer> drawn = new HashSet<>();
        int x0 = chart.get("x").asInt();
        int y0 = chart.get("y").asInt();
        for (int y = y0; y < Math.min(image.getHeight(), y0 + chart.get("h").asInt()); y++) {
            for (int x = x0; x < Math.min(image.getWidth(), x0 + chart.get("w").asInt()); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                if (colours.contains(rgb)) {
                    drawn.add(rgb);
                }
            }
        }
        assertThat(drawn).as("rule colours drawn in the chart").hasSizeGreaterThanOrEqualTo(10);
    }

    private static byte[] withoutGeneratedLine(byte[] content, Path rel) {
        if (!rel.toString().equals("report.html")) {
            return content;
        }
        String html = new String(content, StandardCharsets.UTF_8);
        return html.replaceAll("<p class=\"meta\" id=\"generated\">Generated [^<]*</p>", "")
                .getBytes(StandardCharsets.UTF_8);
    }

    static List<JsonNode> jsonLines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }
}

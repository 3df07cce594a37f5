package dev.argus.job;

import static dev.argus.model.TransactionBuilder.cardPayment;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionType;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard against the job's real metrics: the job runs on a MiniCluster with Flink's
 * Prometheus reporter on a free port, over a real KRaft broker, with control commands on, and is
 * fed transactions that raise alerts (enforced, shadow and suppressed) and dead letters. Its {@code
 * /metrics} is scraped over HTTP, and every metric that a query ({@code expr}) of {@code
 * deploy/grafana/argus-dashboard.json} names must be in the scrape: a panel that queries a metric
 * the job does not have fails here.
 */
class MetricsDashboardITCase {
    static final Path DASHBOARD = Path.of("../../deploy/grafana/argus-dashboard.json");

    /** Where the last scrape is written, to see what the names really are. */
    static final Path SCRAPE = Path.of("target/metrics-scrape.txt");

    private static final String OPERATOR = "flink_taskmanager_job_task_operator_argus_";

    @Test
    void everyMetricTheDashboardQueriesIsOnTheJobsPrometheusEndpoint() throws Exception {
        Set<String> queried = dashboardMetrics(DASHBOARD);
        assertThat(queried).as("metrics the dashboard queries").hasSizeGreaterThan(10);

        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config =
                    bed.config(
                            "metrics-itcase",
                            "1 s",
                            Map.of(
                                    "rules.path", "classpath:harness-pack",
                                    "control.enabled", "true",
                                    "control.margin", "1 s"));
            bed.kafka.createTopics(
                    1,
                    Map.of("message.timestamp.type", "LogAppendTime"),
                    config.get("topic.control"),
                    config.get("topic.control-status"));
            int port = freePort();
            Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
            FraudDetectionJob.prometheusEndpoint(flink, port);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(flink);
            env.setParallelism(2);
            FraudDetectionJob.attach(env, config, false);
            JobClient job = env.executeAsync("argus-metrics-itcase");
            try {
                Instant t0 =
                        Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
                bed.produce(config, traffic(t0));
                produceEmpty(config, "acc-a", 2);
                // a day of event time later on both partitions: the absence rule's window ends
                bed.produceClosing(config, t0.plus(Duration.ofHours(26)));

                // card testing on acc-a and acc-c (enforce), the absence rule on acc-d (shadow)
                awaitAlerts(bed, config, 2, 1);
                // behind the watermark now: a LATE dead letter
                bed.produce(config, List.of(cardPayment("late", "acc-e", t0, "10.00")));
                long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                while (bed.committed(config, "topic.dead-letters", DeadLetter.class).size() < 3) {
                    assertThat(System.nanoTime()).as("three dead letters").isLessThan(deadline);
                    Thread.sleep(500);
                }

                // the checkpoint and Kafka metrics come within seconds of the start; wait for
                // every one the dashboard names, then tell which are missing
                Scrape scrape = Scrape.of(get("http://127.0.0.1:" + port + "/metrics"));
                deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!scrape.names().containsAll(queried) && System.nanoTime() < deadline) {
                    Thread.sleep(1_000);
                    scrape = Scrape.of(get("http://127.0.0.1:" + port + "/metrics"));
                }
                Files.createDirectories(SCRAPE.getParent());
                Files.writeString(SCRAPE, scrape.text());
                Set<String> missing = new TreeSet<>(queried);
                missing.removeAll(scrape.names());
                assertThat(missing)
                        .as(
                                "metrics %s queries that the job's endpoint does not have (the"
                                        + " scrape is in %s)",
                                DASHBOARD, SCRAPE.toAbsolutePath())
                        .isEmpty();

                // and they count what happened, by rule, pack and reason (the reporter replaces
                // the characters Prometheus does not allow in names, - and ., with _, in label
                // values too)
                assertThat(scrape.sum(OPERATOR + "rule_alerts", "rule", "card_testing"))
                        .isEqualTo(2);
                assertThat(scrape.sum(OPERATOR + "rule_suppressed", "rule", "card_testing"))
                        .isEqualTo(1);
                assertThat(scrape.sum(OPERATOR + "rule_shadow", "rule", "new_device_owner_silent"))
                        .isEqualTo(1);
                assertThat(scrape.sum(OPERATOR + "pack_rule_alerts", "pack", "2026_12_1"))
                        .isEqualTo(3);
                assertThat(scrape.sum(OPERATOR + "reason_dead_letters", "reason", "EMPTY"))
                        .isEqualTo(2);
                assertThat(scrape.sum(OPERATOR + "reason_dead_letters", "reason", "LATE"))
                        .isEqualTo(1);
                assertThat(scrape.sum(OPERATOR + "rule_matches", "rule", "card_testing"))
                        .isEqualTo(3);
                assertThat(
                                scrape.sum(
                                        OPERATOR + "alert_gate_detection_latency_ms_count",
                                        null,
                                        null))
                        .isEqualTo(3);
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void findsTheMetricsOfAQueryAndNothingElse() {
        assertThat(
                        metricsOf(
                                "histogram_quantile(0.99, sum by (le) (rate(a_b{rule=~\"x|y\","
                                        + " job=\"j\"}[$__rate_interval]))) / ignoring(pack)"
                                        + " group_left sum without (instance) (c_d offset 5m) or"
                                        + " on(rule) max_over_time(e[5m:1m]) > bool 2 unless"
                                        + " label_replace(f, \"r\", \"$1\", \"g\", \"(.*)\")"
                                        + " and topk(3, h) * 1e3"))
                .containsExactlyInAnyOrder("a_b", "c_d", "e", "f", "h");
    }

    /** The transactions: two card-testing bursts an hour's quiet period apart, and a takeover. */
    private static List<Transaction> traffic(Instant t0) {
        List<Transaction> events = new ArrayList<>();
        // acc-a: card testing
        for (int i = 0; i < 3; i++) {
            events.add(cardPayment("a-s" + i, "acc-a", t0.plusSeconds(10L * i), "1.50"));
        }
        events.add(cardPayment("a-big", "acc-a", t0.plusSeconds(40), "800.00"));
        // acc-c: card testing, and again 20 minutes later, within the hour it stays quiet
        for (int burst = 0; burst < 2; burst++) {
            long at = 200 + burst * 1_200L;
            for (int i = 0; i < 3; i++) {
                events.add(
                        cardPayment(
                                "c" + burst + "-s" + i,
                                "acc-c",
                                t0.plusSeconds(at + 10L * i),
                                "1.50"));
            }
            events.add(
                    cardPayment("c" + burst + "-big", "acc-c", t0.plusSeconds(at + 40), "800.00"));
        }
        // acc-d: a new device sends a transfer and no other device signs in (shadow rule)
        events.add(
                payment("d-enrol")
                        .account("acc-d")
                        .deviceId("dev-new")
                        .at(t0.plusSeconds(300))
                        .type(TransactionType.NEW_DEVICE)
                        .noAmount()
                        .build());
        events.add(
                payment("d-transfer")
                        .account("acc-d")
                        .deviceId("dev-new")
                        .at(t0.plusSeconds(360))
                        .type(TransactionType.TRANSFER)
                        .amount("900.00", "EUR")
                        .build());
        return events;
    }

    /** {@code n} records with no value: dead letters of reason EMPTY. */
    private static void produceEmpty(JobConfig config, String key, int n) {
        var props = new java.util.Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                producer.send(
                        new ProducerRecord<>(
                                config.get("topic.transactions"),
                                key.getBytes(StandardCharsets.UTF_8),
                                new byte[0]));
            }
        }
    }

    private static void awaitAlerts(KafkaTestBed bed, JobConfig config, int enforced, int shadow)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (bed.committed(config, "topic.alerts", Alert.class).size() < enforced
                || bed.committed(config, "topic.shadow-alerts", Alert.class).size() < shadow) {
            assertThat(System.nanoTime())
                    .as("%d alerts and %d shadow alerts committed", enforced, shadow)
                    .isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    // ---- the dashboard's queries

    /**
     * Every metric name in the {@code expr} of every target of every panel of the dashboard, and in
     * the queries of its template variables.
     */
    static Set<String> dashboardMetrics(Path dashboard) throws IOException {
        JsonNode root = new ObjectMapper().readTree(dashboard.toFile());
        List<String> exprs = new ArrayList<>();
        collectExprs(root.path("panels"), exprs);
        for (JsonNode variable : root.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                // label_values(metric, label): the metric is a query of its own
                exprs.add(
                        variable.path("definition")
                                .asText()
                                .replaceAll("^label_values\\(([^,]+),.*\\)$", "$1"));
            }
        }
        assertThat(exprs).as("queries in %s", dashboard).isNotEmpty();
        Set<String> names = new TreeSet<>();
        for (String expr : exprs) {
            Set<String> found = metricsOf(expr);
            assertThat(found).as("metrics in the query %s", expr).isNotEmpty();
            names.addAll(found);
        }
        return names;
    }

    private static void collectExprs(JsonNode node, List<String> exprs) {
        if (node.isObject()) {
            node.fields()
                    .forEachRemaining(
                            e -> {
                                if (e.getKey().equals("expr") && e.getValue().isTextual()) {
                                    exprs.add(e.getValue().asText());
                                } else {
                                    collectExprs(e.getValue(), exprs);
                                }
                            });
        } else if (node.isArray()) {
            node.forEach(n -> collectExprs(n, exprs));
        }
    }

    private static final Set<String> KEYWORDS =
            Set.of(
                    "and",
                    "or",
                    "unless",
                    "by",
                    "without",
                    "on",
                    "ignoring",
                    "group_left",
                    "group_right",
                    "offset",
                    "bool",
                    "inf",
                    "nan");

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /**
     * The metric names of a PromQL query: after its string literals, label matchers ({@code
     * {...}}), ranges ({@code [...]}), grouping lists ({@code by (...)} and the like) and Grafana
     * variables are taken out, the identifiers that are not followed by {@code (} (a function) and
     * are not keywords or numbers.
     */
    static Set<String> metricsOf(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
        s = s.replaceAll("\\{[^}]*}", " ");
        s = s.replaceAll("\\[[^]]*]", " ");
        s = s.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        s = s.replaceAll("\\$\\{?[a-zA-Z0-9_]+}?", " ");
        // numbers such as 1e3 or 0.99, and durations after offset (5m)
        s = s.replaceAll("(?<![a-zA-Z0-9_:])[0-9][0-9.eE+-]*[a-zA-Z]*", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String id = m.group();
            boolean call = s.substring(m.end()).matches("(?s)\\s*\\(.*");
            if (!call && !KEYWORDS.contains(id.toLowerCase())) {
                names.add(id);
            }
        }
        return names;
    }

    // ---- the scrape

    /** A scrape in Prometheus' text format: its samples by metric name. */
    record Scrape(String text, Map<String, List<String>> samples) {
        static Scrape of(String text) {
            Map<String, List<String>> samples = new TreeMap<>();
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int end = 0;
                while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                    end++;
                }
                samples.computeIfAbsent(line.substring(0, end), k -> new ArrayList<>()).add(line);
            }
            return new Scrape(text, samples);
        }

        Set<String> names() {
            return samples.keySet();
        }

        /** The sum of the metric's samples with {@code label="value"} (any, if label is null). */
        double sum(String metric, String label, String value) {
            double sum = 0;
            for (String line : samples.getOrDefault(metric, List.of())) {
                if (label == null || line.contains(label + "=\"" + value + "\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        }
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(url))
                                        .timeout(Duration.ofSeconds(10))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s", url).isEqualTo(200);
        return response.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

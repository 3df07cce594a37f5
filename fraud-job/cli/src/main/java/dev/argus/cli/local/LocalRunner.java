package dev.argus.cli.local;

import dev.argus.cli.bench.Stats;
import dev.argus.cli.report.DetectionReport;
import dev.argus.cli.watch.DetectionLatency;
import dev.argus.cli.watch.TopicWatcher;
import dev.argus.job.FraudDetectionJob;
import dev.argus.job.JobConfig;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.model.serde.WireFormatException;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.Generated;
import dev.argus.sandbox.TransactionGenerator;
import dev.argus.sandbox.traffic.BankTraffic;
import dev.argus.sandbox.traffic.CaseLabel;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code argus local}: the whole of Argus on one machine with nothing installed. Starts a real
 * Kafka broker (KRaft) and the in-process schema registry, runs the job on a Flink MiniCluster with
 * RocksDB and the web UI, feeds it generated traffic with labelled fraud, prints every alert as it
 * becomes visible to a {@code read_committed} consumer, and ends with a detection report.
 */
public final class LocalRunner {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final Options options;
    private final AtomicLong transactionsIn = new AtomicLong();
    private final AtomicLong brokenSent = new AtomicLong();
    private final Map<DeadLetterReason, Long> deadLetters = new ConcurrentHashMap<>();
    private final Map<String, Alert> alertsById = new ConcurrentHashMap<>();
    private final Map<String, Alert> shadowAlerts = new ConcurrentHashMap<>();

    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private volatile DetectionLatency latency;

    /** Days of event time the traffic covered. */
    private volatile double eventDays;

    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);

    /** The options of {@code argus local}, as {@link LocalCommand} parsed and checked them. */
    record Options(
            double rate,
            int accounts,
            Duration duration,
            double fraudRate,
            double lookAlikeRate,
            double badRatio,
            int uiPort,
            int metricsPort,
            int registryPort,
            long seed,
            Duration checkpointInterval) {}

    LocalRunner(Options options) {
        this.options = options;
    }

    void run() throws Exception {
        say("starting a Kafka broker (KRaft) ...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                InProcessSchemaRegistry registry =
                        InProcessSchemaRegistry.start(options.registryPort())) {
            Map<String, String> values = new HashMap<>();
            values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
            values.put("schema.registry.url", registry.url());
            values.put("checkpoint.interval", options.checkpointInterval().toMillis() + " ms");
            values.put("events.idle-timeout", "5 s");
            values.put("control.enabled", "true");
            JobConfig config = JobConfig.of(values);
            String transactionsTopic = config.get("topic.transactions");
            String alertsTopic = config.get("topic.alerts");
            String shadowAlertsTopic = config.get("topic.shadow-alerts");
            String deadLettersTopic = config.get("topic.dead-letters");
            // the broker stamps append times: they measure the detection latency
            kafka.createTopics(
                    4,
                    DetectionLatency.TOPIC_CONFIG,
                    transactionsTopic,
                    alertsTopic,
                    shadowAlertsTopic,
                    deadLettersTopic);
            // one partition each: commands are decided in the order they were written; the broker
            // stamps the append times the default effective times start from
            kafka.createTopics(
                    1,
                    Map.of("message.timestamp.type", "LogAppendTime"),
                    config.get("topic.control"),
                    config.get("topic.control-status"));
            int uiPort = freePortOr(options.uiPort(), "the web UI");
            int metricsPort = freePortOr(options.metricsPort(), "the metrics endpoint");

            Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
            flink.set(RestOptions.PORT, uiPort);
            flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            FraudDetectionJob.prometheusEndpoint(flink, metricsPort);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(2);
            FraudDetectionJob.attach(env, config, false);
            JobClient job = env.executeAsync("argus-local");

            say("Kafka broker     " + kafka.bootstrapServers());
            say("schema registry  " + registry.url());
            say("Flink web UI     http://127.0.0.1:" + uiPort);
            say(
                    "metrics          http://127.0.0.1:"
                            + metricsPort
                            + "/metrics (Prometheus; dashboard: deploy/grafana/argus-dashboard.json)");
            say(
                    "topics           "
                            + transactionsTopic
                            + " -> "
                            + alertsTopic
                            + ", "
                            + shadowAlertsTopic
                            + ", "
                            + deadLettersTopic);
            say(
                    "control          "
                            + config.get("topic.control")
                            + " -> "
                            + config.get("topic.control-status")
                            + ", e.g. ./argus rules mode card-testing shadow --bootstrap-servers "
                            + kafka.bootstrapServers()
                            + " --registry-url "
                            + registry.url());
            BankTraffic traffic = new BankTraffic(trafficOptions());
            double secondsPerDay =
                    options.accounts() * BankTraffic.expectedEventsPerAccountDay() / options.rate();
            say(
                    String.format(
                            "generating %.0f transactions/s over %,d accounts%s; Ctrl-C to stop",
                            options.rate(),
                            options.accounts(),
                            options.duration().isZero()
                                    ? ""
                                    : " for " + options.duration().toSeconds() + " s"));
            say(
                    String.format(
                            "event time runs from %s, a day of the accounts' life about every %.0f"
                                    + " s; %.0f fraud cases and %.0f look-alikes per 1,000"
                                    + " account-days, from the second day (docs/traffic.md)",
                            traffic.start().toString().substring(0, 10),
                            secondsPerDay,
                            options.fraudRate(),
                            options.lookAlikeRate()));

            Runtime.getRuntime().addShutdownHook(new Thread(this::onCtrlC, "argus-local-stop"));
            DetectionLatency latency =
                    new DetectionLatency(config, config.pipeline().rules(), "argus-local");
            this.latency = latency;
            Thread alerts = watch(config, alertsTopic, Alert.class, this::onAlert);
            Thread shadow =
                    watch(
                            config,
                            shadowAlertsTopic,
                            Alert.class,
                            a -> shadowAlerts.putIfAbsent(a.getAlertId(), a));
            Thread dlq =
                    watch(
                            config,
                            deadLettersTopic,
                            DeadLetter.class,
                            d -> deadLetters.merge(d.getReason(), 1L, Long::sum));
            try {
                produce(traffic, config, latency);
                // the last alerts become visible when the checkpoint after them completes
                Thread.sleep(2 * options.checkpointInterval().toMillis() + 1_000);
            } finally {
                stopRequested.set(true);
                latency.close();
                alerts.join(5_000);
                shadow.join(5_000);
                dlq.join(5_000);
                report(traffic, config, latency);
                job.cancel().get(30, TimeUnit.SECONDS);
                finished.countDown();
            }
        }
    }

    /**
     * Where event time starts: far enough back that the run, at its rate, ends before now (the job
     * refuses events from the future), at a UTC midnight.
     */
    private BankTraffic.Options trafficOptions() {
        double seconds = options.duration().isZero() ? 600 : options.duration().toSeconds();
        // and room for the drain: cases last up to a day and a half, then a day passes them
        double days =
                seconds
                                * options.rate()
                                / (options.accounts() * BankTraffic.expectedEventsPerAccountDay())
                                * 1.2
                        + 4;
        long start = System.currentTimeMillis() - (long) (days * 86_400_000L);
        start -= Math.floorMod(start, 86_400_000L);
        return new BankTraffic.Options(
                options.accounts(),
                options.seed(),
                Instant.ofEpochMilli(start),
                0,
                options.fraudRate(),
                options.lookAlikeRate(),
                options.badRatio());
    }

    /**
     * The rate while the cases complete: four times the run's, and at least a day of the accounts'
     * event time every 20 s, so that the drain does not outlast the run.
     */
    private double drainRate() {
        return Math.max(
                options.rate() * 4,
                options.accounts() * BankTraffic.expectedEventsPerAccountDay() / 20);
    }

    /**
     * Produces until the duration ends or Ctrl-C; then, injecting no more, until the cases begun
     * are complete and a day of event time has passed their last events, so that windows of up to a
     * day (and absence rules' timeouts) are decided. Event time never passes the wall clock.
     */
    private void produce(BankTraffic traffic, JobConfig config, DetectionLatency latency)
            throws InterruptedException {
        String topic = config.get("topic.transactions");
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        ConfluentAvroSerializer<Transaction> serializer =
                new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
        long start = System.currentTimeMillis();
        long end =
                options.duration().isZero()
                        ? Long.MAX_VALUE
                        : start + options.duration().toMillis();
        boolean draining = false;
        long drainUntilEventTime = Long.MAX_VALUE;
        long sent = 0;
        Generated held = null;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            while (true) {
                long now = System.currentTimeMillis();
                if (!draining && (now >= end || stopSignal.getCount() == 0)) {
                    traffic.stopInjecting();
                    draining = true;
                    // from here faster, owing nothing for the time before
                    start = now - (long) (sent * 1000.0 / drainRate());
                    say(
                            "stopping: letting the injected cases complete and a day of event time"
                                    + " pass them ...");
                }
                if (draining && !traffic.hasPendingCases()) {
                    if (drainUntilEventTime == Long.MAX_VALUE) {
                        drainUntilEventTime = traffic.clock() + 25 * 3_600_000L;
                    }
                    if (traffic.clock() >= drainUntilEventTime) {
                        break;
                    }
                }
                // faster while draining: the report waits for it
                double rate = draining ? drainRate() : options.rate();
                long target = (long) ((now - start) / 1000.0 * rate);
                while (sent < target) {
                    Generated g = held != null ? held : traffic.next();
                    held = null;
                    if (g.transaction() != null
                            && g.transaction().getEventTime().toEpochMilli() > now) {
                        held = g; // caught up with the clock: from here on, real time
                        break;
                    }
                    send(producer, serializer, topic, g, latency);
                    sent++;
                }
                if (draining) {
                    start = now - (long) (sent * 1000.0 / rate); // owe no backlog
                    if (held != null) {
                        say(
                                "event time has caught up with the clock: stopping without"
                                        + " waiting for the rest in real time (cases not complete"
                                        + " are left out of the report)");
                        break;
                    }
                }
                Thread.sleep(10);
            }
            eventDays = (traffic.clock() - traffic.start().toEpochMilli()) / 86_400_000.0;
        }
    }

    private void send(
            KafkaProducer<byte[], byte[]> producer,
            ConfluentAvroSerializer<Transaction> serializer,
            String topic,
            Generated g,
            DetectionLatency latency) {
        byte[] value;
        long sequence = -1;
        if (g.transaction() != null) {
            value = serializer.serialize(topic, g.transaction());
            sequence = TransactionGenerator.sequenceOf(g.transaction().getTransactionId());
            transactionsIn.incrementAndGet();
        } else {
            value = g.rawValue();
            brokenSent.incrementAndGet();
        }
        long transactionSequence = sequence;
        producer.send(
                new ProducerRecord<>(topic, g.accountId().getBytes(StandardCharsets.UTF_8), value),
                (metadata, error) -> {
                    if (error == null && transactionSequence >= 0) {
                        latency.appended(transactionSequence, metadata.timestamp());
                    }
                });
    }

    private void onAlert(Alert alert) {
        if (alertsById.putIfAbsent(alert.getAlertId(), alert) != null) {
            say("DUPLICATE alert " + alert.getAlertId());
            return;
        }
        DetectionLatency l = latency;
        long appended = l == null ? -1 : l.lastAppended(alert);
        say(
                String.format(
                        "ALERT %s v%d %s score %d %s: %s%s",
                        alert.getRuleId(),
                        alert.getRuleVersion(),
                        alert.getSeverity(),
                        alert.getScore(),
                        alert.getAccountId(),
                        alert.getExplanation(),
                        appended < 0
                                ? ""
                                : String.format(
                                        " [visible %.1f s after its last transaction reached the"
                                                + " broker]",
                                        (System.currentTimeMillis() - appended) / 1000.0)));
    }

    /** Reads {@code topic} as a {@code read_committed} consumer until the run stops. */
    private <T extends SpecificRecord> Thread watch(
            JobConfig config, String topic, Class<T> type, Consumer<T> handler) {
        ConfluentAvroDeserializer<T> deserializer =
                new ConfluentAvroDeserializer<>(config.registry(), type);
        return TopicWatcher.start(
                config,
                topic,
                "read_committed",
                "argus-local",
                stopRequested::get,
                (r, received) -> {
                    try {
                        handler.accept(deserializer.deserialize(r.value()));
                    } catch (WireFormatException e) {
                        say("cannot read a record of " + topic + ": " + e);
                    }
                });
    }

    private void report(BankTraffic traffic, JobConfig config, DetectionLatency latency) {
        Collection<Alert> alerts = alertsById.values();
        Map<String, Long> alertsPerRule = new TreeMap<>();
        alerts.forEach(a -> alertsPerRule.merge(a.getRuleId(), 1L, Long::sum));
        Map<String, Long> shadowPerRule = new TreeMap<>();
        shadowAlerts.values().forEach(a -> shadowPerRule.merge(a.getRuleId(), 1L, Long::sum));
        Map<DeadLetterReason, Long> dead = new TreeMap<>(deadLetters);

        System.out.println();
        System.out.println("=== Argus local run: summary ===");
        System.out.printf(
                "transactions in            %d (plus %d deliberately broken records), %.1f days of"
                        + " event time over %,d accounts%n",
                transactionsIn.get(), brokenSent.get(), eventDays, options.accounts());
        System.out.printf(
                "dead letters               %d %s%n",
                dead.values().stream().mapToLong(Long::longValue).sum(), dead);
        System.out.printf("alerts per rule            %s%n", alertsPerRule);
        System.out.printf("shadow alerts per rule     %s%n", shadowPerRule);
        System.out.printf(
                "detection latency          broker append of the latest matched transaction ->"
                        + " alert, checkpoints every %d ms:%n",
                options.checkpointInterval().toMillis());
        for (boolean committed : new boolean[] {false, true}) {
            List<Long> ms = latency.latencies(committed);
            System.out.printf(
                    "  %-24s %s%n",
                    committed ? "read_committed" : "read_uncommitted",
                    ms.isEmpty()
                            ? "no alerts"
                            : String.format(
                                    "p50 %.2f s, p99 %.2f s, max %.2f s (%d alerts)",
                                    Stats.percentile(ms, 50) / 1000.0,
                                    Stats.percentile(ms, 99) / 1000.0,
                                    ms.get(ms.size() - 1) / 1000.0,
                                    ms.size()));
        }
        System.out.printf(
                "  event time ran about %,.0f times faster than the clock, so the watermark's wait"
                        + " (%s of event time) took almost none: argus bench measures latency with"
                        + " event time at wall pace%n",
                86_400
                        * options.rate()
                        / (options.accounts() * BankTraffic.expectedEventsPerAccountDay()),
                config.get("events.max-out-of-orderness"));
        System.out.println();
        System.out.println("detection per typology (the labelled cases that completed):");
        List<Alert> all = new ArrayList<>(alerts);
        all.addAll(shadowAlerts.values());
        DetectionReport report =
                DetectionReport.of(
                        config.pipeline().rules(),
                        traffic.labels(),
                        all,
                        options.accounts(),
                        traffic.start().plus(Duration.ofDays(1)),
                        Instant.ofEpochMilli(traffic.clock()));
        PrintWriter out = new PrintWriter(System.out, true);
        report.print(out);
        List<String> missedVariants = new ArrayList<>();
        report.variants()
                .forEach(
                        (variant, n) -> {
                            if (variant.contains(" fraud ") && n[1] < n[0]) {
                                missedVariants.add(
                                        variant.replace(" fraud ", "/") + " " + (n[0] - n[1]));
                            }
                        });
        out.println("missed, by variant: " + String.join(", ", missedVariants));
        int shown = 0;
        for (CaseLabel c : report.missedCases()) {
            if (shown++ == 10) {
                out.printf("  ... and %d more missed cases%n", report.missedCases().size() - 10);
                break;
            }
            out.printf(
                    "  missed %s %s/%s on %s: %s%n",
                    c.caseId(), c.typology(), c.variant(), c.accountId(), c.description());
        }
        out.flush();
    }

    private void onCtrlC() {
        stopSignal.countDown();
        try {
            // let the run stop cleanly and print its summary before the JVM exits
            finished.await(180, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePortOr(int wanted, String what) throws IOException {
        if (wanted != 0) {
            try (ServerSocket s = new ServerSocket(wanted)) {
                return wanted;
            } catch (IOException busy) {
                say("port " + wanted + " is busy; " + what + " takes a free one");
            }
        }
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void say(String line) {
        System.out.println(LocalTime.now(ZoneId.systemDefault()).format(CLOCK) + "  " + line);
    }
}

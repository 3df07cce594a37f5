package dev.argus.cli.local;

import dev.argus.cli.bench.Stats;
import dev.argus.cli.watch.DetectionLatency;
import dev.argus.cli.watch.TopicWatcher;
import dev.argus.job.FraudDetectionJob;
import dev.argus.job.JobConfig;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.model.serde.WireFormatException;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.TransactionGenerator;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
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
    private final Map<String, Long> shadowAlerts = new ConcurrentHashMap<>();

    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);

    /** The options of {@code argus local}, as {@link LocalCommand} parsed and checked them. */
    record Options(
            double rate,
            int accounts,
            Duration duration,
            double fraudRatio,
            double badRatio,
            int uiPort,
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
            int uiPort = freePortOr(options.uiPort());

            Configuration flink = FraudDetectionJob.localFlinkConfiguration(config);
            flink.set(RestOptions.PORT, uiPort);
            flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(2);
            FraudDetectionJob.attach(env, config, false);
            JobClient job = env.executeAsync("argus-local");

            say("Kafka broker     " + kafka.bootstrapServers());
            say("schema registry  " + registry.url());
            say("Flink web UI     http://127.0.0.1:" + uiPort);
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
                    String.format(
                            "generating %.0f transactions/s over %d accounts%s; Ctrl-C to stop",
                            options.rate(),
                            options.accounts(),
                            options.duration().isZero()
                                    ? ""
                                    : " for " + options.duration().toSeconds() + " s"));

            Runtime.getRuntime().addShutdownHook(new Thread(this::onCtrlC, "argus-local-stop"));
            TransactionGenerator generator =
                    new TransactionGenerator(
                            options.seed(),
                            options.accounts(),
                            options.fraudRatio(),
                            options.badRatio());
            DetectionLatency latency =
                    new DetectionLatency(config, config.pipeline().rules(), "argus-local");
            Thread alerts = watch(config, alertsTopic, Alert.class, this::onAlert);
            Thread shadow =
                    watch(
                            config,
                            shadowAlertsTopic,
                            Alert.class,
                            a -> shadowAlerts.merge(a.getRuleId(), 1L, Long::sum));
            Thread dlq =
                    watch(
                            config,
                            deadLettersTopic,
                            DeadLetter.class,
                            d -> deadLetters.merge(d.getReason(), 1L, Long::sum));
            try {
                produce(generator, config, latency);
                // the last alerts become visible when the checkpoint after them completes
                Thread.sleep(2 * options.checkpointInterval().toMillis() + 1_000);
            } finally {
                stopRequested.set(true);
                latency.close();
                alerts.join(5_000);
                shadow.join(5_000);
                dlq.join(5_000);
                report(generator, latency);
                job.cancel().get(30, TimeUnit.SECONDS);
                finished.countDown();
            }
        }
    }

    /** Produces until the duration ends or Ctrl-C, then drains the injected cases. */
    private void produce(TransactionGenerator generator, JobConfig config, DetectionLatency latency)
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
        // after injecting stops, ordinary traffic goes on long enough for the watermark to pass
        // the last injected events
        long drainMillis = config.duration("events.max-out-of-orderness").toMillis() + 3_000;
        long drainUntil = Long.MAX_VALUE;
        long sent = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            while (true) {
                long now = System.currentTimeMillis();
                if (drainUntil == Long.MAX_VALUE && (now >= end || stopSignal.getCount() == 0)) {
                    generator.stopInjecting();
                    say("stopping: letting the injected cases complete ...");
                    drainUntil = now + drainMillis;
                }
                if (now >= drainUntil && !generator.hasPendingCases()) {
                    break;
                }
                for (TransactionGenerator.Generated g : generator.due(now)) {
                    send(producer, serializer, topic, g, latency);
                    if (drainUntil != Long.MAX_VALUE) {
                        drainUntil = Math.max(drainUntil, now + drainMillis);
                    }
                }
                long target = (long) ((now - start) / 1000.0 * options.rate());
                while (sent < target) {
                    send(producer, serializer, topic, generator.next(now), latency);
                    sent++;
                }
                Thread.sleep(10);
            }
        }
    }

    private void send(
            KafkaProducer<byte[], byte[]> producer,
            ConfluentAvroSerializer<Transaction> serializer,
            String topic,
            TransactionGenerator.Generated g,
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
        double visibleAfter =
                (System.currentTimeMillis() - alert.getLastEventTime().toEpochMilli()) / 1000.0;
        say(
                String.format(
                        "ALERT %s v%d %s score %d %s: %s [visible %.1f s after the last event]",
                        alert.getRuleId(),
                        alert.getRuleVersion(),
                        alert.getSeverity(),
                        alert.getScore(),
                        alert.getAccountId(),
                        alert.getExplanation(),
                        visibleAfter));
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

    private void report(TransactionGenerator generator, DetectionLatency latency) {
        Collection<Alert> alerts = alertsById.values();
        Set<String> alerted = new HashSet<>();
        Map<String, Long> alertsPerRule = new TreeMap<>();
        for (Alert a : alerts) {
            a.getMatchedEvents().forEach(e -> alerted.add(e.getTransactionId()));
            alertsPerRule.merge(a.getRuleId(), 1L, Long::sum);
        }
        List<TransactionGenerator.FraudCase> cases = generator.fraudCases();
        Set<String> fraudLarge = new HashSet<>();
        cases.forEach(c -> fraudLarge.add(c.largeTransactionId()));
        List<TransactionGenerator.FraudCase> missed =
                cases.stream().filter(c -> !alerted.contains(c.largeTransactionId())).toList();
        // the generator labels card-testing cases only; other rules' alerts are counted, not judged
        List<Alert> falseAlarms =
                alerts.stream()
                        .filter(a -> a.getRuleId().equals(TransactionGenerator.LABELLED_RULE))
                        .filter(
                                a ->
                                        a.getMatchedEvents().stream()
                                                .map(MatchedEvent::getTransactionId)
                                                .noneMatch(fraudLarge::contains))
                        .toList();
        Map<DeadLetterReason, Long> dead = new TreeMap<>(deadLetters);

        System.out.println();
        System.out.println("=== Argus local run: summary ===");
        System.out.printf(
                "transactions in            %d (plus %d deliberately broken records)%n",
                transactionsIn.get(), brokenSent.get());
        System.out.printf(
                "dead letters               %d %s%n",
                dead.values().stream().mapToLong(Long::longValue).sum(), dead);
        System.out.printf("alerts per rule            %s%n", alertsPerRule);
        System.out.printf("shadow alerts per rule     %s%n", new TreeMap<>(shadowAlerts));
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
                "injected card-testing      %d cases (and %d look-alike decoys)%n",
                cases.size(), generator.decoys());
        System.out.printf("  caught                   %d%n", cases.size() - missed.size());
        System.out.printf("  missed                   %d%n", missed.size());
        System.out.printf(
                "false alarms               %d (%s alerts on no injected case)%n",
                falseAlarms.size(), TransactionGenerator.LABELLED_RULE);
        for (Alert a : falseAlarms) {
            System.out.printf(
                    "  false alarm on %s: %s%n",
                    a.getAccountId(),
                    a.getMatchedEvents().stream().map(MatchedEvent::getTransactionId).toList());
        }
        for (TransactionGenerator.FraudCase c : missed) {
            System.out.printf(
                    "  missed on %s: %s then %s%n",
                    c.accountId(), c.smallIds(), c.largeTransactionId());
        }
        System.out.flush();
    }

    private void onCtrlC() {
        stopSignal.countDown();
        try {
            // let the run stop cleanly and print its summary before the JVM exits
            finished.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePortOr(int wanted) throws IOException {
        if (wanted != 0) {
            try (ServerSocket s = new ServerSocket(wanted)) {
                return wanted;
            } catch (IOException busy) {
                say("port " + wanted + " is busy; the web UI takes a free one");
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

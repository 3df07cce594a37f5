package dev.argus.cli.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.ArgusRun;
import dev.argus.job.FraudDetectionJob;
import dev.argus.job.JobConfig;
import dev.argus.model.Alert;
import dev.argus.model.Channel;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Money;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.model.serde.WireFormatException;
import dev.argus.sandbox.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The job with its control topic, running for a test: a real KRaft broker, a registry over HTTP,
 * the job on a MiniCluster (RocksDB, exactly-once, parallelism 2), a producer of transactions,
 * readers of both alert topics (read_committed), and the command line pointed at them.
 */
final class RunningJob implements AutoCloseable {
    static final Duration PATIENCE = Duration.ofSeconds(60);

    final EmbeddedKafka kafka;
    final InProcessSchemaRegistry registry;
    final JobConfig config;
    final List<Alert> alerts = new ArrayList<>();
    final List<Alert> shadowAlerts = new ArrayList<>();
    private final JobClient job;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ConfluentAvroSerializer<Transaction> serializer;
    private final Map<String, KafkaConsumer<byte[], byte[]>> consumers = new HashMap<>();

    /** Starts everything; {@code settings} add to or override the job's properties. */
    static RunningJob start(Map<String, String> settings) throws Exception {
        return new RunningJob(settings);
    }

    private RunningJob(Map<String, String> settings) throws Exception {
        kafka = EmbeddedKafka.start();
        registry = InProcessSchemaRegistry.start(0);
        kafka.createTopics(2, "transactions", "alerts", "alerts-shadow", "dead-letters");
        kafka.createTopics(
                1,
                Map.of("message.timestamp.type", "LogAppendTime"),
                "argus-control",
                "argus-control-status");
        Map<String, String> values = new HashMap<>();
        values.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        values.put("schema.registry.url", registry.url());
        values.put("topic.dead-letters", "dead-letters");
        values.put("checkpoint.interval", "500 ms");
        values.put("events.idle-timeout", "1 s");
        values.put("control.enabled", "true");
        values.put("control.margin", "2 s");
        values.putAll(settings);
        config = JobConfig.of(values);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        FraudDetectionJob.localFlinkConfiguration(config));
        env.setParallelism(2);
        FraudDetectionJob.attach(env, config, false);
        job = env.executeAsync("argus-control-it");

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        serializer =
                new ConfluentAvroSerializer<>(
                        RegistryConfig.of(registry.url()), Transaction.class, true);
    }

    @Override
    public void close() throws Exception {
        try {
            job.cancel().get();
        } finally {
            consumers.values().forEach(KafkaConsumer::close);
            producer.close();
            registry.close();
            kafka.close();
        }
    }

    /** Runs the command line against this job's broker and registry. */
    ArgusRun argus(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(
                List.of(
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--registry-url",
                        registry.url()));
        return ArgusRun.execute(all);
    }

    /** The effective time in an answer the command line printed. */
    static Instant effectiveAt(String answer) {
        Matcher m = Pattern.compile(", from (\\S+) \\(pack").matcher(answer);
        assertThat(m.find()).as(answer).isTrue();
        return Instant.parse(m.group(1));
    }

    /** A card-testing burst on the account: two 1.00 payments online, then 800.00. */
    void burst(String account, Instant at) throws Exception {
        bursts(at, account);
    }

    /**
     * A card-testing burst on each account, the n-th account's a second after the (n-1)-th's, sent
     * in event-time order: bursts sent one after another would be 39 s out of order, beyond the
     * allowed disorder, and a watermark between them would make the later ones late.
     */
    void bursts(Instant at, String... accounts) throws Exception {
        String[] steps = {"s1", "s2", "big"};
        for (int step = 0; step < steps.length; step++) {
            for (int n = 0; n < accounts.length; n++) {
                Instant first = at.plusSeconds(n);
                send(
                        cardPayment(
                                accounts[n] + "-" + first.toEpochMilli() + "-" + steps[step],
                                accounts[n],
                                first.plusSeconds(20L * step),
                                step == 2 ? "800.00" : "1.00"));
            }
        }
    }

    /** An approved online card payment on the account's card. */
    static Transaction cardPayment(String id, String account, Instant at, String euros) {
        return Transaction.newBuilder()
                .setTransactionId(id)
                .setAccountId(account)
                .setEventTime(at)
                .setType(TransactionType.CARD_PAYMENT)
                .setChannel(Channel.ECOMMERCE)
                .setStatus(TransactionStatus.APPROVED)
                .setAmount(
                        new Money(
                                new java.math.BigDecimal(euros).movePointRight(2).longValueExact(),
                                "EUR"))
                .setMerchant(new Merchant("m-1", "Web Shop", "5732", "DE"))
                .setCardToken("card-" + account)
                .setCardPresent(false)
                .setDeviceId("dev-" + account)
                .setIpAddress("192.0.2.10")
                .setLocation(new Location(52.52, 13.405, "DE"))
                .build();
    }

    void send(Transaction t) throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                "transactions",
                                null,
                                t.getEventTime().toEpochMilli(),
                                t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize("transactions", t)))
                .get();
    }

    /** Writes raw bytes to the control topic, as a tool that is not the command line might. */
    void sendToControlTopic(byte[] value) throws Exception {
        producer.send(new ProducerRecord<>("argus-control", value)).get();
    }

    /** Reads both alert topics until the account has an alert in {@code list}. */
    void awaitAlert(List<Alert> list, String account) throws Exception {
        awaitAlert(list, a -> a.getAccountId().equals(account), "an alert of " + account);
    }

    /** Reads both alert topics until an alert in {@code list} matches. */
    void awaitAlert(List<Alert> list, Predicate<Alert> wanted, String what) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (list.stream().noneMatch(wanted)) {
            assertThat(System.nanoTime())
                    .as(
                            "%s; seen: alerts %s, shadow alerts %s",
                            what,
                            alerts.stream().map(RunningJob::seen).toList(),
                            shadowAlerts.stream().map(RunningJob::seen).toList())
                    .isLessThan(deadline);
            Thread.sleep(200);
            readAlerts();
        }
    }

    /** An alert as a failed wait lists it: account, rule, mode, last event time. */
    static String seen(Alert a) {
        return a.getAccountId()
                + "/"
                + a.getRuleId()
                + "/"
                + a.getMode()
                + "@"
                + a.getLastEventTime();
    }

    /** Reads what both alert topics hold now. */
    void readAlerts() throws WireFormatException {
        read("alerts", alerts);
        read("alerts-shadow", shadowAlerts);
    }

    private void read(String topic, List<Alert> into) throws WireFormatException {
        KafkaConsumer<byte[], byte[]> consumer =
                consumers.computeIfAbsent(
                        topic,
                        t -> {
                            Properties props = new Properties();
                            props.put(
                                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers());
                            props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + t);
                            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                            var c =
                                    new KafkaConsumer<>(
                                            props,
                                            new ByteArrayDeserializer(),
                                            new ByteArrayDeserializer());
                            c.subscribe(List.of(t));
                            return c;
                        });
        ConfluentAvroDeserializer<Alert> deserializer =
                new ConfluentAvroDeserializer<>(RegistryConfig.of(registry.url()), Alert.class);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
            into.add(deserializer.deserialize(r.value()));
        }
    }
}

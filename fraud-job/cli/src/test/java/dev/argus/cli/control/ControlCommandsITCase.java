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
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The control topic end to end: a running job (MiniCluster, RocksDB, exactly-once) on a real KRaft
 * broker and a registry over HTTP, changed without a restart by the command line's {@code argus
 * rules mode}, {@code argus snooze} and {@code argus unsnooze}, which wait for the job's answers;
 * {@code argus rules history} prints them all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlCommandsITCase {
    static final Duration PATIENCE = Duration.ofSeconds(60);

    EmbeddedKafka kafka;
    InProcessSchemaRegistry registry;
    JobConfig config;
    JobClient job;
    KafkaProducer<byte[], byte[]> producer;
    ConfluentAvroSerializer<Transaction> serializer;
    final List<Alert> alerts = new ArrayList<>();
    final List<Alert> shadowAlerts = new ArrayList<>();

    @BeforeAll
    void startTheJob() throws Exception {
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
        values.put("rules.ordering", "arrival");
        values.put("control.enabled", "true");
        values.put("control.margin", "2 s");
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

    @AfterAll
    void stop() throws Exception {
        if (job != null) {
            job.cancel().get();
        }
        producer.close();
        registry.close();
        kafka.close();
    }

    @Test
    void changesTheRunningJobWithoutARestartAndAnswersEveryCommand() throws Exception {
        // the pack in force: card-testing enforces
        burst("acc-1", Instant.now());
        awaitAlert(alerts, "acc-1");

        // to shadow: alerts from its effective time on go to the shadow topic only
        ArgusRun mode = argus("rules", "mode", "card-testing", "shadow");
        assertThat(mode.status()).as(mode.err()).isZero();
        assertThat(mode.out())
                .startsWith("applied: set rule card-testing to SHADOW (was ENFORCE), from ");
        Instant shadowFrom = effectiveAt(mode.out());
        burst("acc-2", later(shadowFrom));
        awaitAlert(shadowAlerts, "acc-2");

        // a snooze silences the rule for one account; another account still alerts
        ArgusRun snooze =
                argus(
                        "snooze",
                        "card-testing",
                        "acc-3",
                        "--until",
                        Instant.now().plus(Duration.ofDays(1)).toString(),
                        "--reason",
                        "RISK-1042: card reported as tested by the customer");
        assertThat(snooze.status()).as(snooze.err()).isZero();
        Instant snoozedFrom = effectiveAt(snooze.out());
        burst("acc-3", later(snoozedFrom));
        burst("acc-4", later(snoozedFrom).plusSeconds(1));
        awaitAlert(shadowAlerts, "acc-4");

        // the snooze ends: the account alerts again
        ArgusRun unsnooze = argus("unsnooze", "card-testing", "acc-3");
        assertThat(unsnooze.status()).as(unsnooze.err()).isZero();
        burst("acc-3", later(effectiveAt(unsnooze.out())));
        awaitAlert(shadowAlerts, "acc-3");

        // refused, with the reason and a hint; the job goes on
        ArgusRun refused = argus("rules", "mode", "card-testng", "off");
        assertThat(refused.status()).isEqualTo(1);
        assertThat(refused.err())
                .contains(
                        "refused: set rule card-testng to OFF",
                        "rule 'card-testng': the job runs no rule card-testng",
                        "hint: it runs ",
                        "card-testing, ");
        // a record nobody can read is answered too
        producer.send(
                        new ProducerRecord<>(
                                "argus-control",
                                "{\"not\": \"a command\"}".getBytes(StandardCharsets.UTF_8)))
                .get();

        // every alert of acc-3 during its snooze was held back: only the one after it went out
        assertThat(alerts).extracting(Alert::getAccountId).containsExactly("acc-1");
        assertThat(shadowAlerts)
                .extracting(Alert::getAccountId)
                .containsExactly("acc-2", "acc-4", "acc-3");
        assertThat(shadowAlerts)
                .allSatisfy(a -> assertThat(a.getLastEventTime()).isAfterOrEqualTo(shadowFrom));

        // the audit trail, in order
        List<String> history = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (history.size() < 5 && System.nanoTime() < deadline) {
            ArgusRun h = argus("rules", "history");
            assertThat(h.status()).isZero();
            history = h.out().lines().filter(l -> l.matches("^\\d{4}-.*")).toList();
        }
        assertThat(history)
                .hasSize(5)
                .satisfiesExactly(
                        l -> assertThat(l).contains("applied: set rule card-testing to SHADOW"),
                        l ->
                                assertThat(l)
                                        .contains(
                                                "applied: snooze rule card-testing for account"
                                                        + " acc-3",
                                                "RISK-1042"),
                        l ->
                                assertThat(l)
                                        .contains(
                                                "applied: unsnooze rule card-testing for account"
                                                        + " acc-3"),
                        l -> assertThat(l).contains("refused: set rule card-testng to OFF"),
                        l -> assertThat(l).contains("refused: (unreadable)"));
    }

    /** A card-testing burst on the account: two 1.00 payments online, then 800.00. */
    private void burst(String account, Instant at) throws Exception {
        String id = account + "-" + at.toEpochMilli();
        send(cardPayment(id + "-s1", account, at, "1.00"));
        send(cardPayment(id + "-s2", account, at.plusSeconds(20), "1.00"));
        send(cardPayment(id + "-big", account, at.plusSeconds(40), "800.00"));
    }

    /** An approved online card payment on the account's card. */
    private static Transaction cardPayment(String id, String account, Instant at, String euros) {
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

    private void send(Transaction t) throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                "transactions",
                                null,
                                t.getEventTime().toEpochMilli(),
                                t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize("transactions", t)))
                .get();
    }

    /** A second after {@code effective}, and never before now. */
    private static Instant later(Instant effective) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return (effective.isAfter(now) ? effective : now).plusSeconds(1);
    }

    private static Instant effectiveAt(String answer) {
        Matcher m = Pattern.compile(", from (\\S+) \\(pack").matcher(answer);
        assertThat(m.find()).as(answer).isTrue();
        return Instant.parse(m.group(1));
    }

    /** Reads both alert topics (read_committed) until the account has an alert in {@code list}. */
    private void awaitAlert(List<Alert> list, String account) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (list.stream().noneMatch(a -> a.getAccountId().equals(account))) {
            assertThat(System.nanoTime()).as("an alert of " + account).isLessThan(deadline);
            Thread.sleep(200);
            read("alerts", alerts);
            read("alerts-shadow", shadowAlerts);
        }
    }

    private final Map<String, KafkaConsumer<byte[], byte[]>> consumers = new HashMap<>();

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

    private ArgusRun argus(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(
                List.of(
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--registry-url",
                        registry.url()));
        return ArgusRun.execute(all);
    }
}

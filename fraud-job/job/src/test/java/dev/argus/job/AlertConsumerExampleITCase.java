package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.MatchedEvent;
import dev.argus.model.RecommendedAction;
import dev.argus.model.Severity;
import dev.argus.model.TransactionType;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.sandbox.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example consumer of docs/alerts.md, compiled from the page itself and run against a real
 * broker: it acts on committed alerts once each, skips a replayed duplicate, and never sees the
 * alert of an aborted transaction.
 */
class AlertConsumerExampleITCase {
    private static final Pattern EXAMPLE =
            Pattern.compile(
                    "<!-- example: AlertConsumer -->\\s*```java\\n(.*?)```", Pattern.DOTALL);

    @Test
    void theDocumentedConsumerActsOnceOnEachCommittedAlert(@TempDir Path dir) throws Exception {
        Matcher m = EXAMPLE.matcher(Files.readString(Path.of("../../docs/alerts.md")));
        assertThat(m.find()).as("docs/alerts.md has the example consumer").isTrue();
        Path source = dir.resolve("AlertConsumer.java");
        Files.writeString(source, m.group(1));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status =
                javac.run(
                        null,
                        null,
                        null,
                        "-classpath",
                        System.getProperty("java.class.path"),
                        "-d",
                        dir.toString(),
                        source.toString());
        assertThat(status).as("the example compiles").isZero();

        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0)) {
            kafka.createTopics(2, "alerts");
            RegistryConfig registryConfig = RegistryConfig.of(registry.url());
            ConfluentAvroSerializer<Alert> serializer =
                    new ConfluentAvroSerializer<>(registryConfig, Alert.class, true);
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "example-itcase");
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(
                            props, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
                // an attempt that failed: its alert must never be acted on
                producer.beginTransaction();
                send(producer, serializer, alert("aborted", "acc-9"));
                producer.flush();
                producer.abortTransaction();
                // the committed alerts, one of them twice as after a replay
                producer.beginTransaction();
                send(producer, serializer, alert("a-1", "acc-1"));
                send(producer, serializer, alert("a-2", "acc-2"));
                send(producer, serializer, alert("a-2", "acc-2"));
                send(producer, serializer, alert("a-3", "acc-1"));
                producer.commitTransaction();
            }

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream original = System.out;
            try (URLClassLoader loader =
                    new URLClassLoader(
                            new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
                var main = loader.loadClass("AlertConsumer").getMethod("main", String[].class);
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                CompletableFuture.runAsync(
                                () -> {
                                    try {
                                        main.invoke(
                                                null,
                                                (Object)
                                                        new String[] {
                                                            kafka.bootstrapServers(),
                                                            registry.url(),
                                                            "alerts",
                                                            "3"
                                                        });
                                    } catch (ReflectiveOperationException e) {
                                        throw new IllegalStateException(e);
                                    }
                                })
                        .get(60, TimeUnit.SECONDS);
            } finally {
                System.setOut(original);
            }
            List<String> acted =
                    out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            assertThat(acted)
                    .containsExactlyInAnyOrder(
                            "STEP_UP acc-1 card-testing score 80: alert a-1",
                            "STEP_UP acc-2 card-testing score 80: alert a-2",
                            "STEP_UP acc-1 card-testing score 80: alert a-3");
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer,
            ConfluentAvroSerializer<Alert> serializer,
            Alert alert) {
        producer.send(
                new ProducerRecord<>(
                        "alerts",
                        alert.getAccountId().getBytes(StandardCharsets.UTF_8),
                        serializer.serialize("alerts", alert)));
    }

    private static Alert alert(String id, String account) {
        Instant t = Instant.parse("2026-11-02T09:00:00Z");
        return Alert.newBuilder()
                .setAlertId(id)
                .setRuleId("card-testing")
                .setRuleVersion(1)
                .setPackVersion("test")
                .setMode(AlertMode.ENFORCE)
                .setAccountId(account)
                .setSeverity(Severity.HIGH)
                .setScore(80)
                .setRecommendedAction(RecommendedAction.STEP_UP)
                .setExplanation("alert " + id)
                .setMatchedEvents(
                        List.of(
                                MatchedEvent.newBuilder()
                                        .setStage("large")
                                        .setTransactionId("t-" + id)
                                        .setEventTime(t)
                                        .setType(TransactionType.CARD_PAYMENT)
                                        .build()))
                .setFeatures(Map.of())
                .setLastEventTime(t)
                .setDetectionTime(t.plusSeconds(5))
                .build();
    }
}

package dev.argus.cli.backtest;

import static dev.argus.cli.backtest.BacktestCommandITCase.JSON;
import static dev.argus.cli.backtest.BacktestCommandITCase.argus;
import static dev.argus.cli.backtest.BacktestCommandITCase.jsonLines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.argus.cli.ArgusRun;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.sandbox.EmbeddedKafka;
import dev.argus.sandbox.traffic.Dataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus backtest --topic}: the history on a real broker (KRaft) in the Confluent wire
 * format, with records the job cannot use among it, read with the job's own Kafka source and a
 * registry over HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BacktestTopicITCase {
    static final String TOPIC = "transactions";

    EmbeddedKafka kafka;
    InProcessSchemaRegistry registry;
    Path dir;
    Path data;
    int produced;

    @BeforeAll
    void produceTheHistory(@TempDir Path dir) throws Exception {
        this.dir = dir;
        kafka = EmbeddedKafka.start();
        registry = InProcessSchemaRegistry.start(0);
        kafka.createTopics(2, TOPIC);
        data = BacktestCommandITCase.dataset(dir);
        List<Transaction> history = new ArrayList<>();
        Dataset.read(data, history::add);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        ConfluentAvroSerializer<Transaction> serializer =
                new ConfluentAvroSerializer<>(
                        RegistryConfig.of(registry.url()), Transaction.class, true);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            int i = 0;
            for (Transaction t : history) {
                byte[] key = t.getAccountId().getBytes(StandardCharsets.UTF_8);
                long time = t.getEventTime().toEpochMilli();
                producer.send(
                        new ProducerRecord<>(
                                TOPIC, null, time, key, serializer.serialize(TOPIC, t)));
                if (++i % 2_000 == 0) {
                    // records the job cannot use, among the good ones
                    producer.send(
                            new ProducerRecord<>(
                                    TOPIC,
                                    null,
                                    time,
                                    key,
                                    "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8)));
                    producer.send(new ProducerRecord<>(TOPIC, null, time, key, new byte[0]));
                }
            }
            produced = history.size();
        }
    }

    @AfterAll
    void stop() throws Exception {
        registry.close();
        kafka.close();
    }

    private ArgusRun backtest(Path out, String from, String to, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "backtest",
                                "--topic",
                                TOPIC,
                                "--from",
                                from,
                                "--to",
                                to,
                                "--bootstrap-servers",
                                kafka.bootstrapServers(),
                                "--registry-url",
                                registry.url(),
                                "--out",
                                out.toString()));
        args.addAll(List.of(more));
        return argus(args.toArray(String[]::new));
    }

    /** The same history from the topic and from the files: the same alerts, by id. */
    @Test
    void theTopicGivesTheAlertsTheFilesGiveAndCountsBadRecordsByReason() throws IOException {
        Path fromTopic = dir.resolve("topic");
        ArgusRun run =
                backtest(
                        fromTopic,
                        "2020-01-01",
                        "2030-01-01",
                        "--labels",
                        data.resolve("labels.jsonl").toString());
        assertThat(run.status()).as(run.out() + run.err()).isZero();
        Path fromFiles = dir.resolve("files");
        ArgusRun files =
                argus(
                        "backtest",
                        "--input",
                        data.toString(),
                        "--labels",
                        data.resolve("labels.jsonl").toString(),
                        "--out",
                        fromFiles.toString());
        assertThat(files.status()).as(files.err()).isZero();
        assertThat(ids(fromTopic)).hasSizeGreaterThan(50).isEqualTo(ids(fromFiles));

        JsonNode summary = JSON.readTree(fromTopic.resolve("summary.json").toFile());
        assertThat(summary.get("valid_transactions").asLong()).isEqualTo(produced);
        int bad = produced / 2_000;
        assertThat(summary.get("dead_letters").get("WRONG_MAGIC_BYTE").asLong()).isEqualTo(bad);
        assertThat(summary.get("dead_letters").get("EMPTY").asLong()).isEqualTo(bad);
        assertThat(run.out()).contains("WRONG_MAGIC_BYTE", "EMPTY");
    }

    @Test
    void offsetsBoundTheRange() throws IOException {
        Path out = dir.resolve("offsets");
        ArgusRun run = backtest(out, "0:0,1:0", "0:300,1:200");
        assertThat(run.status()).as(run.out() + run.err()).isZero();
        JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("records").asLong()).isEqualTo(500);
    }

    @Test
    void aRangeWithoutRecordsOrATopicThatIsNotThereIsAnError() {
        ArgusRun empty = backtest(dir.resolve("empty"), "2031-01-01", "2032-01-01");
        assertThat(empty.status()).isEqualTo(1);
        assertThat(empty.err())
                .contains(
                        "topic 'transactions' holds no records from 2031-01-01T00:00:00Z to 2032-01-01T00:00:00Z");
        ArgusRun missing =
                argus(
                        "backtest",
                        "--topic",
                        "payments",
                        "--from",
                        "2026-10-01",
                        "--to",
                        "2026-11-01",
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--registry-url",
                        registry.url(),
                        "--out",
                        dir.resolve("missing").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("topic 'payments' does not exist", "transactions");
        ArgusRun partial = backtest(dir.resolve("partial"), "0:0", "2030-01-01");
        assertThat(partial.status()).isEqualTo(1);
        assertThat(partial.err()).contains("--from names no offset for partition 1");
    }

    private static List<String> ids(Path out) throws IOException {
        return jsonLines(out.resolve("alerts.jsonl")).stream()
                .map(l -> l.get("alert_id").asText())
                .toList();
    }
}

package dev.argus.job;

import dev.argus.job.control.ControlDeserializer;
import dev.argus.job.ingest.Decoded;
import dev.argus.job.ingest.TransactionDeserializationSchema;
import dev.argus.model.Alert;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeadLetter;
import dev.argus.model.ReceivedCommand;
import java.nio.ByteBuffer;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Builds the job's Kafka source and sinks from its configuration. */
public final class KafkaIo {
    private KafkaIo() {}

    /** The transactions source; {@code bounded} stops at the offsets current at start (tests). */
    public static KafkaSource<Decoded> transactionsSource(JobConfig config, boolean bounded) {
        return transactionsSource(config, bounded, transactionDeserializer(config));
    }

    /** The registry-aware deserializer of the transactions topic: a record in, a Decoded out. */
    public static KafkaRecordDeserializationSchema<Decoded> transactionDeserializer(
            JobConfig config) {
        return new TransactionDeserializationSchema(
                config.registry(), config.duration("events.max-future-skew").toMillis());
    }

    /** The transactions source with a given deserializer (tests inject failures with it). */
    public static KafkaSource<Decoded> transactionsSource(
            JobConfig config,
            boolean bounded,
            KafkaRecordDeserializationSchema<Decoded> deserializer) {
        return transactionsSource(
                config,
                startingOffsets(config.get("source.starting-offsets")),
                bounded ? OffsetsInitializer.latest() : null,
                deserializer);
    }

    /**
     * The transactions source between two points of each partition ({@code stopping} null:
     * unbounded); a backtest reads a fixed range of history with it.
     */
    public static KafkaSource<Decoded> transactionsSource(
            JobConfig config,
            OffsetsInitializer starting,
            OffsetsInitializer stopping,
            KafkaRecordDeserializationSchema<Decoded> deserializer) {
        Properties props = config.kafkaProperties();
        // read only committed records of transactional producers upstream
        props.putIfAbsent("isolation.level", "read_committed");
        var builder =
                KafkaSource.<Decoded>builder()
                        .setBootstrapServers(config.bootstrapServers())
                        .setTopics(config.get("topic.transactions"))
                        .setGroupId(config.get("kafka.group.id"))
                        .setProperties(props)
                        .setStartingOffsets(starting)
                        .setDeserializer(deserializer);
        if (stopping != null) {
            builder.setBounded(stopping);
        }
        return builder.build();
    }

    /** The alerts sink: exactly once, keyed by account, timestamped with the detection time. */
    public static KafkaSink<Alert> alertsSink(JobConfig config) {
        return alertsSink(config, "alerts", "topic.alerts");
    }

    /** The shadow-alerts sink: the same contract on the topic payment systems never read. */
    public static KafkaSink<Alert> shadowAlertsSink(JobConfig config) {
        return alertsSink(config, "shadow-alerts", "topic.shadow-alerts");
    }

    private static KafkaSink<Alert> alertsSink(JobConfig config, String name, String topicKey) {
        return exactlyOnce(
                config,
                name,
                new RegistryRecordSerializationSchema<>(
                                config.get(topicKey),
                                config.registry(),
                                Alert.class,
                                config.autoRegisterSchemas(),
                                a -> RegistryRecordSerializationSchema.utf8(a.getAccountId()),
                                a -> a.getDetectionTime().toEpochMilli())
                        // the alert contract: consumers on an older schema keep reading
                        .withSubjectCompatibility("BACKWARD"));
    }

    /**
     * The control topic's source: its one partition from the beginning (the topic is the log of
     * every command; a job started without a savepoint decides them all again), read_committed.
     */
    public static KafkaSource<ReceivedCommand> controlSource(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.putIfAbsent("isolation.level", "read_committed");
        props.remove("group.id");
        return KafkaSource.<ReceivedCommand>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.get("topic.control"))
                .setGroupId(config.get("kafka.group.id") + "-control")
                .setProperties(props)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new ControlDeserializer(config.registry()))
                .build();
    }

    /** The status topic's sink: each answer exactly once, keyed by its command's id. */
    public static KafkaSink<ControlStatus> controlStatusSink(JobConfig config) {
        return exactlyOnce(
                config,
                "control-status",
                new RegistryRecordSerializationSchema<>(
                        config.get("topic.control-status"),
                        config.registry(),
                        ControlStatus.class,
                        config.autoRegisterSchemas(),
                        s -> RegistryRecordSerializationSchema.utf8(s.getCommandId()),
                        s -> s.getRecordedAt().toEpochMilli()));
    }

    /** The dead-letter sink: exactly once, keyed by the original record key. */
    public static KafkaSink<DeadLetter> deadLettersSink(JobConfig config) {
        return exactlyOnce(
                config,
                "dead-letters",
                new RegistryRecordSerializationSchema<>(
                        config.get("topic.dead-letters"),
                        config.registry(),
                        DeadLetter.class,
                        config.autoRegisterSchemas(),
                        KafkaIo::deadLetterKey,
                        d -> d.getDeadLetterTime().toEpochMilli()));
    }

    private static byte[] deadLetterKey(DeadLetter d) {
        if (d.getRawKey() != null) {
            ByteBuffer key = d.getRawKey().duplicate();
            byte[] bytes = new byte[key.remaining()];
            key.get(bytes);
            return bytes;
        }
        return d.getTransaction() == null
                ? null
                : RegistryRecordSerializationSchema.utf8(d.getTransaction().getAccountId());
    }

    private static <T> KafkaSink<T> exactlyOnce(
            JobConfig config,
            String name,
            org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> serializer) {
        Properties props = config.kafkaProperties();
        props.remove("group.id");
        props.remove("isolation.level");
        props.setProperty(
                "transaction.timeout.ms",
                String.valueOf(config.duration("sink.transaction-timeout").toMillis()));
        return KafkaSink.<T>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setKafkaProducerConfig(props)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(config.get("sink.transactional-id-prefix") + "-" + name)
                .build();
    }

    private static OffsetsInitializer startingOffsets(String mode) {
        return switch (mode) {
            case "earliest" -> OffsetsInitializer.earliest();
            case "latest" -> OffsetsInitializer.latest();
            case "committed-or-earliest" ->
                    OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            default ->
                    throw new IllegalArgumentException(
                            "source.starting-offsets = '"
                                    + mode
                                    + "': use earliest, latest or committed-or-earliest");
        };
    }
}

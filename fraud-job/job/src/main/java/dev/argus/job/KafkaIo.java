package dev.argus.job;

import dev.argus.job.control.ControlDeserializer;
import dev.argus.job.ingest.Decoded;
import dev.argus.job.ingest.TransactionDeserializationSchema;
import dev.argus.model.Alert;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeadLetter;
import dev.argus.model.ReceivedCommand;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the job's Kafka source and sinks from its configuration. */
public final class KafkaIo {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaIo.class);

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

    /** How long {@link #checkAccess} waits for the brokers. */
    static final Duration ACCESS_CHECK_TIMEOUT = Duration.ofSeconds(15);

    /**
     * Connects to Kafka as the job's clients will (every {@code kafka.*} key) and asks for the
     * cluster's id, so that credentials or TLS settings Kafka refuses stop the job at its start
     * with a message that names the keys to fix, instead of failing its tasks over and over with
     * Kafka's exception. Brokers that do not answer in {@link #ACCESS_CHECK_TIMEOUT} are not an
     * error here (they may be starting; the job's clients keep trying): that is only logged.
     *
     * @throws IllegalStateException when Kafka refuses the credentials, the TLS handshake fails, or
     *     the client settings cannot be used (for example a truststore that cannot be read); the
     *     message never holds a password
     */
    public static void checkAccess(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.remove("group.id");
        props.remove("isolation.level");
        props.put("request.timeout.ms", String.valueOf(ACCESS_CHECK_TIMEOUT.toMillis()));
        props.put("default.api.timeout.ms", String.valueOf(ACCESS_CHECK_TIMEOUT.toMillis()));
        String servers = config.bootstrapServers();
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            throw new IllegalStateException(
                    "Kafka client settings refused ("
                            + rootMessage(e)
                            + "): check the kafka.* keys, for TLS kafka.ssl.truststore.location,"
                            + " kafka.ssl.truststore.password and kafka.ssl.truststore.type",
                    e);
        }
        try (admin) {
            admin.describeCluster()
                    .clusterId()
                    .get(ACCESS_CHECK_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SaslAuthenticationException) {
                throw new IllegalStateException(
                        "Kafka at "
                                + servers
                                + " refused the credentials of user "
                                + user(config.get("kafka.sasl.jaas.config"))
                                + " (SASL: "
                                + cause.getMessage()
                                + "): check the username and password in kafka.sasl.jaas.config,"
                                + " and kafka.sasl.mechanism (the user must have credentials for"
                                + " that mechanism on the brokers)",
                        cause);
            }
            if (cause instanceof SslAuthenticationException) {
                throw new IllegalStateException(
                        "the TLS handshake with Kafka at "
                                + servers
                                + " failed ("
                                + rootMessage(cause)
                                + "): check that kafka.ssl.truststore.location holds the CA"
                                + " that signed the brokers' certificates, and that the brokers'"
                                + " host names are in their certificates",
                        cause);
            }
            if (cause instanceof AuthenticationException
                    || cause instanceof AuthorizationException) {
                throw new IllegalStateException(
                        "Kafka at "
                                + servers
                                + " refused the job ("
                                + cause.getMessage()
                                + "): check kafka.security.protocol, kafka.sasl.mechanism and"
                                + " kafka.sasl.jaas.config",
                        cause);
            }
            LOG.warn("Could not check the access to Kafka at {}: {}", servers, rootMessage(cause));
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn(
                    "Kafka at {} did not answer in {} s; the job starts anyway and its clients"
                            + " keep trying (check kafka.bootstrap.servers and"
                            + " kafka.security.protocol if this persists)",
                    servers,
                    ACCESS_CHECK_TIMEOUT.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the access to Kafka", e);
        }
    }

    /** The user name in a JAAS configuration's {@code username="..."}, or a placeholder. */
    static String user(String jaas) {
        if (jaas != null) {
            Matcher m = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"").matcher(jaas);
            if (m.find()) {
                return m.group(1);
            }
        }
        return "(no username in kafka.sasl.jaas.config)";
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e
                ? String.valueOf(e.getMessage())
                : e.getMessage() + ": " + root.getMessage();
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

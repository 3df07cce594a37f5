package dev.argus.cli.control;

import dev.argus.job.JobConfig;
import dev.argus.model.ControlCommand;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlProblem;
import dev.argus.model.ControlStatus;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.model.serde.WireFormatException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The command line's side of the control topic: writes a {@link ControlCommand} and waits for the
 * job's answer on the status topic, or reads the status topic as the pack's audit trail.
 */
public final class ControlClient {
    private final JobConfig config;
    private final String controlTopic;
    private final String statusTopic;

    public ControlClient(JobConfig config) {
        this.config = config;
        this.controlTopic = config.get("topic.control");
        this.statusTopic = config.get("topic.control-status");
    }

    /** A new command with a fresh id, from this user on this host. */
    public static ControlCommand.Builder command(Object what, Instant effectiveAt) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return ControlCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setIssuedBy(System.getProperty("user.name", "unknown") + "@" + host)
                .setIssuedAt(Instant.now())
                .setEffectiveAt(effectiveAt)
                .setCommand(what);
    }

    /**
     * Sends the command and waits up to {@code wait} for its answer.
     *
     * @return the answer; empty when none came in time
     */
    public Optional<ControlStatus> send(ControlCommand command, Duration wait) throws Exception {
        return Optional.ofNullable(sendAll(List.of(command), wait, s -> {}).get(0));
    }

    /**
     * Sends the commands, in order, and waits up to {@code wait} after the last was written for
     * their answers, each to {@code onAnswer} as it comes.
     *
     * @return the answers in the commands' order; null where none came in time
     */
    public List<ControlStatus> sendAll(
            List<ControlCommand> commands, Duration wait, Consumer<ControlStatus> onAnswer)
            throws Exception {
        try (KafkaConsumer<byte[], byte[]> statuses = consumer()) {
            TopicPartition partition = new TopicPartition(statusTopic, 0);
            statuses.assign(List.of(partition));
            // answers come after the commands: start from the status topic's end before sending
            long from = statuses.endOffsets(List.of(partition)).get(partition);
            statuses.seek(partition, from);
            write(commands);
            java.util.Map<String, Integer> index = new java.util.HashMap<>();
            for (int i = 0; i < commands.size(); i++) {
                index.put(commands.get(i).getCommandId(), i);
            }
            ControlStatus[] answers = new ControlStatus[commands.size()];
            int answered = 0;
            ConfluentAvroDeserializer<ControlStatus> deserializer =
                    new ConfluentAvroDeserializer<>(config.registry(), ControlStatus.class);
            long deadline = System.nanoTime() + wait.toNanos();
            while (answered < answers.length && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : statuses.poll(Duration.ofMillis(200))) {
                    ControlStatus status = decode(deserializer, r);
                    Integer i = status == null ? null : index.get(status.getCommandId());
                    if (i != null && answers[i] == null) {
                        answers[i] = status;
                        answered++;
                        onAnswer.accept(status);
                    }
                }
            }
            return java.util.Arrays.asList(answers);
        }
    }

    private void write(List<ControlCommand> commands) throws Exception {
        Properties props = config.kafkaProperties();
        props.remove("group.id");
        props.remove("isolation.level");
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        ConfluentAvroSerializer<ControlCommand> serializer =
                new ConfluentAvroSerializer<>(
                        config.registry(), ControlCommand.class, config.autoRegisterSchemas());
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            try {
                List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
                for (ControlCommand command : commands) {
                    sent.add(
                            producer.send(
                                    new ProducerRecord<>(
                                            controlTopic,
                                            0,
                                            command.getCommandId().getBytes(StandardCharsets.UTF_8),
                                            serializer.serialize(controlTopic, command))));
                }
                for (java.util.concurrent.Future<?> f : sent) {
                    f.get();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.KafkaException k) {
                    throw k; // the broker or the topic is not there: the command says so
                }
                throw e;
            }
        }
    }

    /** Every answer on the status topic, oldest first, to {@code each}; returns how many. */
    public int history(Consumer<ControlStatus> each) {
        try (KafkaConsumer<byte[], byte[]> statuses = consumer()) {
            TopicPartition partition = new TopicPartition(statusTopic, 0);
            statuses.assign(List.of(partition));
            statuses.seekToBeginning(List.of(partition));
            long end = statuses.endOffsets(List.of(partition)).get(partition);
            ConfluentAvroDeserializer<ControlStatus> deserializer =
                    new ConfluentAvroDeserializer<>(config.registry(), ControlStatus.class);
            int n = 0;
            // read_committed: the position stops short of the end at aborted transactions' markers
            long idle = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (statuses.position(partition) < end && System.nanoTime() < idle) {
                for (ConsumerRecord<byte[], byte[]> r : statuses.poll(Duration.ofMillis(200))) {
                    ControlStatus status = decode(deserializer, r);
                    if (status != null) {
                        each.accept(status);
                        n++;
                    }
                    idle = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                }
            }
            return n;
        }
    }

    private static ControlStatus decode(
            ConfluentAvroDeserializer<ControlStatus> deserializer,
            ConsumerRecord<byte[], byte[]> r) {
        try {
            return deserializer.deserialize(r.value());
        } catch (WireFormatException e) {
            return null; // not an answer of the job's: nothing to show
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties props = config.kafkaProperties();
        props.remove("group.id");
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** What to tell a user whose command could not reach the job's Kafka. */
    public String unreachable(org.apache.kafka.common.KafkaException e) {
        return String.format(
                "cannot reach the control topics at %s (%s): check --bootstrap-servers or the"
                        + " config file, and that %s and %s exist (docs/operations.md, \"Control"
                        + " topic\")",
                config.bootstrapServers(), e.getMessage(), controlTopic, statusTopic);
    }

    /** An answer, as the commands and the history print it. */
    public static void print(PrintWriter out, ControlStatus s, boolean withTime) {
        StringBuilder line = new StringBuilder();
        if (withTime) {
            line.append(s.getRecordedAt()).append("  ");
        }
        line.append(s.getOutcome() == ControlOutcome.APPLIED ? "applied" : "refused")
                .append(": ")
                .append(s.getCommand());
        if (s.getOutcome() == ControlOutcome.APPLIED) {
            line.append(", from ").append(s.getEffectiveAt());
        }
        line.append(" (pack ").append(s.getPackVersion()).append(", by ").append(s.getIssuedBy());
        if (s.getControlOffset() >= 0) {
            line.append(", control offset ").append(s.getControlOffset());
        }
        line.append(')'); // a brake is the job's own decision: no command, no offset
        out.println(line);
        for (ControlProblem p : s.getProblems()) {
            StringBuilder where = new StringBuilder("  - ");
            if (p.getFile() != null) {
                where.append(p.getFile());
                if (p.getLine() != null) {
                    where.append(':').append(p.getLine());
                }
                where.append(": ");
            }
            if (p.getRuleId() != null) {
                where.append("rule '").append(p.getRuleId()).append("': ");
            }
            out.println(where.append(p.getMessage()));
            if (p.getHint() != null) {
                out.println("    hint: " + p.getHint());
            }
        }
    }
}

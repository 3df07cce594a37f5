package dev.argus.cli.watch;

import dev.argus.job.JobConfig;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A daemon thread that reads a topic from its start, at an isolation level, until told to stop: how
 * {@code argus local} and {@code argus bench} watch the job's output topics.
 */
public final class TopicWatcher {
    /** What to do with each record; {@code receivedMillis} is when the consumer got it. */
    public interface Handler {
        void accept(ConsumerRecord<byte[], byte[]> record, long receivedMillis);
    }

    private TopicWatcher() {}

    /**
     * @param isolation {@code read_committed} or {@code read_uncommitted}
     * @param group the consumer group's prefix; topic and isolation are appended
     */
    public static Thread start(
            JobConfig config,
            String topic,
            String isolation,
            String group,
            BooleanSupplier stop,
            Handler handler) {
        // the job's kafka.* keys: SASL and TLS settings included
        Properties props = config.kafkaProperties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group + "-" + topic + "-" + isolation);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Thread t =
                new Thread(
                        () -> {
                            try (KafkaConsumer<byte[], byte[]> consumer =
                                    new KafkaConsumer<>(
                                            props,
                                            new ByteArrayDeserializer(),
                                            new ByteArrayDeserializer())) {
                                consumer.subscribe(List.of(topic));
                                while (!stop.getAsBoolean()) {
                                    for (ConsumerRecord<byte[], byte[]> r :
                                            consumer.poll(Duration.ofMillis(100))) {
                                        handler.accept(r, System.currentTimeMillis());
                                    }
                                }
                            }
                        },
                        group + "-" + topic + "-" + isolation);
        t.setDaemon(true);
        t.start();
        return t;
    }
}

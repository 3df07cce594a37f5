package dev.argus.cli.backtest;

import dev.argus.job.JobConfig;
import dev.argus.job.KafkaIo;
import dev.argus.job.PipelineConfig;
import dev.argus.job.ingest.Decoded;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * History on the transactions topic: the records between two points of each partition, read with
 * the job's own Kafka source and registry-aware deserializer ({@link KafkaIo}), bounded. A point is
 * a time (the first record at or after it, by record timestamp) or explicit offsets per partition.
 * The offsets are resolved once, before the run, so the range is fixed and an empty one is refused.
 */
final class TopicHistory implements History {
    private final JobConfig config;
    private final String topic;
    private final Map<TopicPartition, Long> start;
    private final Map<TopicPartition, Long> end;
    private final String range;

    private TopicHistory(
            JobConfig config,
            String topic,
            Map<TopicPartition, Long> start,
            Map<TopicPartition, Long> end,
            String range) {
        this.config = config;
        this.topic = topic;
        this.start = start;
        this.end = end;
        this.range = range;
    }

    /** A point of the topic: a time, or offsets per partition. */
    record Point(Instant time, Map<Integer, Long> offsets) {
        /**
         * Parses {@code 2026-10-05T00:00:00Z}, {@code 2026-10-05} (midnight UTC) or {@code
         * 0:1200,1:1187} (partition:offset, every partition named).
         */
        static Point parse(String text) {
            String s = text.trim();
            if (s.matches("\\d+:\\d+(,\\d+:\\d+)*")) {
                Map<Integer, Long> offsets = new TreeMap<>();
                for (String part : s.split(",")) {
                    String[] po = part.split(":");
                    offsets.put(Integer.parseInt(po[0]), Long.parseLong(po[1]));
                }
                return new Point(null, offsets);
            }
            try {
                return new Point(
                        s.length() == 10
                                ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant()
                                : Instant.parse(s),
                        null);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(
                        "'"
                                + text
                                + "' is neither a time (2026-10-05 or 2026-10-05T08:00:00Z, UTC)"
                                + " nor offsets (0:1200,1:1187: partition:offset for every"
                                + " partition)");
            }
        }

        @Override
        public String toString() {
            return time != null ? time.toString() : "offsets " + offsets;
        }
    }

    /**
     * Resolves the range of the job's transactions topic ({@code topic.transactions}) on the
     * broker.
     *
     * @throws IOException when the topic does not exist, a partition is not named, or the range
     *     holds no records
     */
    static TopicHistory open(JobConfig config, Point from, Point to) throws IOException {
        String topic = config.get("topic.transactions");
        Properties props = config.kafkaProperties();
        props.setProperty("bootstrap.servers", config.bootstrapServers());
        props.remove("group.id");
        props.setProperty("isolation.level", "read_committed");
        props.putIfAbsent("default.api.timeout.ms", "30000");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            Map<String, List<PartitionInfo>> topics = consumer.listTopics();
            List<PartitionInfo> infos = topics.get(topic);
            if (infos == null || infos.isEmpty()) {
                throw new IOException(
                        "topic '"
                                + topic
                                + "' does not exist on "
                                + config.bootstrapServers()
                                + "; topics there: "
                                + new TreeMap<>(topics).keySet());
            }
            List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            Map<TopicPartition, Long> earliest = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> latest = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> start = resolve(consumer, partitions, from, latest, "--from");
            Map<TopicPartition, Long> end = resolve(consumer, partitions, to, latest, "--to");
            long records = 0;
            for (TopicPartition tp : partitions) {
                long s = Math.max(start.get(tp), earliest.get(tp));
                start.put(tp, s);
                end.put(tp, Math.max(s, Math.min(end.get(tp), latest.get(tp))));
                records += end.get(tp) - s;
            }
            String range = "from " + from + " to " + to;
            if (records == 0) {
                throw new IOException(
                        "topic '"
                                + topic
                                + "' holds no records "
                                + range
                                + " (offsets per partition: "
                                + describe(partitions, start, end)
                                + "); check the times (record timestamps, UTC) or the offsets");
            }
            return new TopicHistory(config, topic, start, end, range);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new IOException(
                    "cannot read topic '"
                            + topic
                            + "' on "
                            + config.bootstrapServers()
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private static Map<TopicPartition, Long> resolve(
            KafkaConsumer<byte[], byte[]> consumer,
            List<TopicPartition> partitions,
            Point point,
            Map<TopicPartition, Long> latest,
            String option)
            throws IOException {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (point.offsets() != null) {
            for (TopicPartition tp : partitions) {
                Long offset = point.offsets().get(tp.partition());
                if (offset == null) {
                    throw new IOException(
                            option
                                    + " names no offset for partition "
                                    + tp.partition()
                                    + " of '"
                                    + tp.topic()
                                    + "': name every partition ("
                                    + partitions.size()
                                    + "), e.g. 0:0,1:0");
                }
                out.put(tp, offset);
            }
            for (Integer p : point.offsets().keySet()) {
                if (p < 0 || p >= partitions.size()) {
                    throw new IOException(
                            option
                                    + " names partition "
                                    + p
                                    + ", but '"
                                    + partitions.get(0).topic()
                                    + "' has partitions 0 to "
                                    + (partitions.size() - 1));
                }
            }
            return out;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, point.time().toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = found.get(tp);
            out.put(tp, o == null ? latest.get(tp) : o.offset());
        }
        return out;
    }

    private static String describe(
            List<TopicPartition> partitions,
            Map<TopicPartition, Long> start,
            Map<TopicPartition, Long> end) {
        List<String> parts = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            parts.add(tp.partition() + ": " + start.get(tp) + "-" + end.get(tp));
        }
        return String.join(", ", parts);
    }

    @Override
    public String describe() {
        List<TopicPartition> partitions = new ArrayList<>(start.keySet());
        partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        return String.format(
                Locale.ROOT,
                "topic %s on %s %s (offsets %s)",
                topic,
                config.bootstrapServers(),
                range,
                describe(partitions, start, end));
    }

    @Override
    public long records() {
        long n = 0;
        for (TopicPartition tp : start.keySet()) {
            n += end.get(tp) - start.get(tp);
        }
        return n;
    }

    @Override
    public Source<Decoded, ?, ?> source(Progress.Counter progress) {
        // the job's own source; no checkpoints are taken, so no offsets are committed
        return KafkaIo.transactionsSource(
                config,
                OffsetsInitializer.offsets(new HashMap<>(start)),
                OffsetsInitializer.offsets(new HashMap<>(end)),
                new Counting(KafkaIo.transactionDeserializer(config), progress));
    }

    /** One reader per partition, at most two (the machine's cores are what limit it). */
    @Override
    public int parallelism() {
        return Math.max(1, Math.min(start.size(), Runtime.getRuntime().availableProcessors()));
    }

    /** The job's own watermarks: periodic, per partition. */
    @Override
    public WatermarkStrategy<Decoded> watermarks(PipelineConfig config) {
        return dev.argus.job.FraudDetectionPipeline.watermarks(config);
    }

    /** The job's deserializer, counting the records it reads for the progress line. */
    static final class Counting implements KafkaRecordDeserializationSchema<Decoded> {
        private static final long serialVersionUID = 1L;
        private final KafkaRecordDeserializationSchema<Decoded> inner;
        private final Progress.Counter progress;
        private transient int unreported;

        Counting(KafkaRecordDeserializationSchema<Decoded> inner, Progress.Counter progress) {
            this.inner = inner;
            this.progress = progress;
        }

        @Override
        public void open(
                org.apache.flink.api.common.serialization.DeserializationSchema
                                .InitializationContext
                        context)
                throws Exception {
            inner.open(context);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out)
                throws IOException {
            inner.deserialize(record, out);
            if (++unreported == 1_000) {
                progress.add(unreported);
                unreported = 0;
            }
        }

        @Override
        public TypeInformation<Decoded> getProducedType() {
            return inner.getProducedType();
        }
    }
}

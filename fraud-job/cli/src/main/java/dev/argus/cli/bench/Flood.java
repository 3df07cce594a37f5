package dev.argus.cli.bench;

import dev.argus.job.JobConfig;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.sandbox.MalformedRecords;
import dev.argus.sandbox.TopicReader;
import dev.argus.sandbox.TransactionGenerator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The malformed records of {@code argus bench --flood}: {@link MalformedRecords} of all eight kinds
 * in turn, produced into the transactions topic beside the valid traffic by a thread of their own,
 * at an even rate, keyed by account ids so that they land on every partition. Each record's
 * partition and offset are kept, to find its dead letter afterwards ({@link #check}).
 */
final class Flood implements AutoCloseable {
    /** How the flood went: what was produced, and what of it the dead-letter topic holds. */
    record Outcome(
            long produced,
            Map<MalformedRecords.Kind, Long> producedByKind,
            long deadLettered,
            long wrongReason,
            long missing,
            long otherDeadLetters,
            long sendFailures,
            double seconds) {

        /** Every flood record has its dead letter, with the reason of its kind. */
        boolean complete() {
            return produced > 0 && deadLettered == produced && wrongReason == 0 && missing == 0;
        }
    }

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final MalformedRecords records;
    private final TransactionGenerator valid;
    private final long total;
    private final double rate;
    private final Map<Long, MalformedRecords.Kind> sent = new ConcurrentHashMap<>();
    private final Map<MalformedRecords.Kind, Long> byKind =
            new EnumMap<>(MalformedRecords.Kind.class);
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong produced = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private volatile long startMillis;
    private volatile long endMillis;

    /**
     * @param total how many malformed records to produce
     * @param rate how many per second
     */
    Flood(JobConfig config, int accounts, long seed, long total, double rate) {
        this.topic = config.get("topic.transactions");
        this.total = total;
        this.rate = rate;
        this.records = new MalformedRecords(config.registry(), topic);
        // the records are made from transactions of the uniform workload
        this.valid = new TransactionGenerator(seed ^ 0x5eed, accounts, 0, 0);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        this.producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.thread = new Thread(this::run, "bench-flood");
        this.thread.setDaemon(true);
    }

    /** Starts producing. */
    void start() {
        startMillis = System.currentTimeMillis();
        thread.start();
    }

    /** Whether every record has been produced and acknowledged. */
    boolean done() {
        return endMillis > 0;
    }

    long startMillis() {
        return startMillis;
    }

    /** When the last record was acknowledged, or 0 while the flood goes on. */
    long endMillis() {
        return endMillis;
    }

    private void run() {
        long count = 0;
        while (!closed && count < total) {
            long due =
                    Math.min(
                            total,
                            (long) ((System.currentTimeMillis() - startMillis) / 1000.0 * rate)
                                    + 1);
            while (count < due) {
                send(records.next(valid.next(System.currentTimeMillis()).transaction()));
                count++;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
        producer.flush();
        endMillis = System.currentTimeMillis();
    }

    /** Records handed to the producer so far. */
    long produced() {
        return produced.get();
    }

    private void send(MalformedRecords.Malformed m) {
        produced.incrementAndGet();
        synchronized (byKind) {
            byKind.merge(m.kind(), 1L, Long::sum);
        }
        producer.send(
                new ProducerRecord<>(topic, m.key(), m.value()),
                (metadata, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                    } else {
                        sent.put(coordinates(metadata.partition(), metadata.offset()), m.kind());
                    }
                });
    }

    private static long coordinates(int partition, long offset) {
        return ((long) partition << 48) | offset;
    }

    /**
     * Reads the dead-letter topic (read_committed) and finds each flood record's dead letter by its
     * partition and offset: its reason must be its kind's.
     */
    Outcome check(JobConfig config) throws Exception {
        List<DeadLetter> letters =
                TopicReader.readCommitted(
                        config.bootstrapServers(),
                        config.get("topic.dead-letters"),
                        config.registry(),
                        DeadLetter.class);
        Map<Long, DeadLetterReason> found = new HashMap<>();
        long other = 0;
        for (DeadLetter d : letters) {
            if (!topic.equals(d.getSourceTopic()) || d.getSourcePartition() == null) {
                other++;
                continue;
            }
            long at = coordinates(d.getSourcePartition(), d.getSourceOffset());
            if (sent.containsKey(at)) {
                found.put(at, d.getReason());
            } else {
                other++;
            }
        }
        long right = 0;
        long wrong = 0;
        for (Map.Entry<Long, MalformedRecords.Kind> e : sent.entrySet()) {
            DeadLetterReason reason = found.get(e.getKey());
            if (reason == e.getValue().reason()) {
                right++;
            } else if (reason != null) {
                wrong++;
            }
        }
        Map<MalformedRecords.Kind, Long> kinds;
        synchronized (byKind) {
            kinds = new EnumMap<>(byKind);
        }
        long produced = sent.size();
        return new Outcome(
                produced,
                kinds,
                right,
                wrong,
                produced - right - wrong,
                other,
                failed.get(),
                ((endMillis > 0 ? endMillis : System.currentTimeMillis()) - startMillis) / 1000.0);
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join(10_000);
        producer.close();
    }
}

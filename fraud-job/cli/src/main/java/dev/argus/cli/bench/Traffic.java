package dev.argus.cli.bench;

import dev.argus.cli.watch.DetectionLatency;
import dev.argus.job.JobConfig;
import dev.argus.model.Transaction;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.sandbox.TransactionGenerator;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmark's input: the local generator's traffic (see {@link TransactionGenerator}) over many
 * accounts, produced to the transactions topic by a thread of its own.
 *
 * <p>The workload does not depend on how fast it is consumed. Event times advance by {@code 1 /
 * rate} per ordinary transaction, so every variant sees the same events with the same times, the
 * same per-account density and the same partial matches. Two ways to produce them:
 *
 * <ul>
 *   <li><b>unthrottled</b>: a little ahead of what the job has consumed (a few seconds' worth), so
 *       the job is never starved and the backlog stays small; the event clock starts a day in the
 *       past and runs as fast as the job reads.
 *   <li><b>offered</b>: {@code rate} transactions per wall-clock second, the event clock running at
 *       wall-clock pace from where it stood.
 * </ul>
 *
 * Transaction ids carry a sequence number; the producer tells the {@link DetectionLatency} each
 * one's broker append time (the topic uses {@code LogAppendTime}).
 */
final class Traffic implements AutoCloseable {
    private enum Mode {
        PAUSED,
        UNTHROTTLED,
        OFFERED
    }

    private final TransactionGenerator generator;
    private final double rate;
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ConfluentAvroSerializer<Transaction> serializer;
    private final LongSupplier consumed;
    private final LongSupplier lead;
    private final DetectionLatency latency;
    private final BitSet accounts = new BitSet();
    private final AtomicLong produced = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Thread thread;

    private volatile Mode mode = Mode.PAUSED;
    private volatile boolean closed;

    /** Simulated event time of the next ordinary transaction, epoch ms. */
    private double eventClock;

    private long ordinary;
    private long offeredFromWall;
    private double offeredFromClock;
    private long offeredFromOrdinary;

    /**
     * @param consumed how many records the job has read so far
     * @param lead how far ahead of the job to stay when unthrottled, in records
     * @param latency told each transaction's broker append time
     */
    Traffic(
            JobConfig config,
            BenchOptions options,
            long startMillis,
            LongSupplier consumed,
            LongSupplier lead,
            DetectionLatency latency) {
        this.generator =
                new TransactionGenerator(
                        options.seed(), options.accounts(), options.fraudRatio(), 0.0);
        this.rate = options.rate();
        this.topic = config.get("topic.transactions");
        this.consumed = consumed;
        this.lead = lead;
        this.eventClock = startMillis - 86_400_000.0;
        this.latency = latency;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
        this.producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
        this.thread = new Thread(this::run, "bench-producer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Produces as fast as the job consumes, a little ahead of it. */
    void unthrottled() {
        mode = Mode.UNTHROTTLED;
    }

    /** Produces {@code rate} per wall-clock second from now on. */
    synchronized void offered() {
        offeredFromWall = System.currentTimeMillis();
        offeredFromClock = eventClock;
        offeredFromOrdinary = ordinary;
        mode = Mode.OFFERED;
    }

    /** Stops producing; the records sent so far are flushed. */
    void pause() {
        mode = Mode.PAUSED;
        synchronized (this) {
            producer.flush();
        }
    }

    long produced() {
        return produced.get();
    }

    long sendFailures() {
        return failed.get();
    }

    /** How many distinct accounts the transactions sent so far belong to. */
    synchronized int accountsTouched() {
        return accounts.cardinality();
    }

    private void run() {
        while (!closed) {
            Mode m = mode;
            synchronized (this) {
                if (m == Mode.UNTHROTTLED) {
                    long target = consumed.getAsLong() + lead.getAsLong();
                    while (mode == Mode.UNTHROTTLED && produced.get() < target) {
                        sendNext(eventClock);
                    }
                } else if (m == Mode.OFFERED) {
                    long now = System.currentTimeMillis();
                    long target =
                            offeredFromOrdinary + (long) ((now - offeredFromWall) / 1000.0 * rate);
                    double clock = offeredFromClock + (now - offeredFromWall);
                    while (ordinary < target) {
                        sendNext(Math.max(eventClock, clock));
                    }
                }
            }
            try {
                Thread.sleep(m == Mode.UNTHROTTLED ? 1 : 5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Sends the injected events due by {@code clock}, then one ordinary transaction at it. */
    private void sendNext(double clock) {
        long at = (long) clock;
        for (TransactionGenerator.Generated g : generator.due(at)) {
            send(g);
        }
        send(generator.next(at));
        ordinary++;
        eventClock = Math.max(eventClock, clock) + 1000.0 / rate;
    }

    private void send(TransactionGenerator.Generated g) {
        Transaction t = g.transaction();
        byte[] value = t != null ? serializer.serialize(topic, t) : g.rawValue();
        long sequence = t != null ? TransactionGenerator.sequenceOf(t.getTransactionId()) : -1;
        if (t != null) {
            accounts.set(TransactionGenerator.accountNumberOf(t.getAccountId()));
        }
        produced.incrementAndGet();
        producer.send(
                new ProducerRecord<>(topic, g.accountId().getBytes(StandardCharsets.UTF_8), value),
                (metadata, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                    } else if (sequence >= 0) {
                        latency.appended(sequence, metadata.timestamp());
                    }
                });
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join(10_000);
        producer.close();
    }
}

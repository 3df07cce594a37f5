package dev.argus.cli.bench;

import dev.argus.cli.watch.DetectionLatency;
import dev.argus.job.JobConfig;
import dev.argus.model.Transaction;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.sandbox.Generated;
import dev.argus.sandbox.TransactionGenerator;
import dev.argus.sandbox.traffic.BankTraffic;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The benchmark's input, produced to the transactions topic by a thread of its own: by default the
 * bank traffic of {@code argus local} ({@link BankTraffic}: accounts of several kinds, each with a
 * few events a day, and labelled cases), or with {@code --traffic uniform} the earlier workload
 * ({@link TransactionGenerator}: every account alike, event times advancing by {@code 1 / rate} per
 * transaction, card-testing cases only).
 *
 * <p>The workload does not depend on how fast it is consumed: event times are the traffic's own, so
 * every variant sees the same events with the same times, the same per-account density and the same
 * partial matches. Two ways to produce them:
 *
 * <ul>
 *   <li><b>unthrottled</b>: a little ahead of what the job has consumed (a few seconds' worth), so
 *       the job is never starved and the backlog stays small; the event clock starts in the past
 *       (far enough that it never passes the wall clock) and runs as fast as the job reads.
 *   <li><b>offered</b>: {@code rate} transactions per wall-clock second. In arrival ordering (the
 *       default) the records keep their own event times, so the offered phase is the same traffic
 *       as the unthrottled one, at a set pace: the same per-account density, hence the same state
 *       and work per transaction as where the maximum rate was measured. In event-time ordering
 *       they are stamped with a clock running at wall-clock pace from where the traffic stood
 *       ({@link #atWallPace}), as the latency there is the wait for the watermark, which in
 *       production waits the allowed disorder in wall seconds; at a high rate that compresses the
 *       bank traffic's days into minutes, so every account's windows hold far more events than in
 *       the bank's traffic. The choice follows {@code --ordering}, not the variant, so that every
 *       variant of a run gets the same records: stock flink-cep, which always orders by event time,
 *       waits a compressed watermark in arrival ordering's offered phase, and shows its production
 *       latency with {@code --ordering event-time}.
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

    /** The records to send, in order; never ends. */
    interface Source {
        Generated next();

        /** Event time of the latest record, epoch ms. */
        long clock();
    }

    private final Source source;
    private final double rate;
    private final boolean wallPace;
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
    private volatile long limit = Long.MAX_VALUE;
    private volatile boolean closed;

    private long sent;
    private long offeredFromWall;
    private long offeredFromSent;
    private long offeredFromClock;

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
        this.source = source(options, startMillis);
        this.rate = options.rate();
        this.wallPace = offeredAtWallPace(options);
        this.topic = config.get("topic.transactions");
        this.consumed = consumed;
        this.lead = lead;
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

    /** The traffic of {@code options}, its event time ending before {@code startMillis}. */
    static Source source(BenchOptions options, long startMillis) {
        if (options.traffic() == BenchOptions.TrafficKind.UNIFORM) {
            double span = expectedRecords(options) * 1000.0 / options.rate() * 1.2;
            return new Uniform(options, startMillis - Math.max(86_400_000.0, span));
        }
        // start far enough back that event time stays in the past however long the run
        double days =
                expectedRecords(options)
                                / (options.accounts() * BankTraffic.expectedEventsPerAccountDay())
                                * 1.3
                        + 1;
        long start = startMillis - (long) (days * 86_400_000L);
        BankTraffic bank =
                new BankTraffic(
                        new BankTraffic.Options(
                                options.accounts(),
                                options.seed(),
                                Instant.ofEpochMilli(start - Math.floorMod(start, 86_400_000L)),
                                0,
                                options.fraudRate(),
                                options.fraudRate(),
                                0.0));
        return new Source() {
            @Override
            public Generated next() {
                return bank.next();
            }

            @Override
            public long clock() {
                return bank.clock();
            }
        };
    }

    private static double expectedRecords(BenchOptions o) {
        double seconds =
                o.warmup().toSeconds() + o.duration().toSeconds() + o.latencyDuration().toSeconds();
        // unthrottled phases run at up to ~100,000 records/s (the plain keyed variant)
        return o.warmupTransactions() + o.transactions() + seconds * Math.max(o.rate(), 150_000);
    }

    /** The earlier workload: every account alike, event time 1 / rate per transaction. */
    private static final class Uniform implements Source {
        private final TransactionGenerator generator;
        private final double step;
        private final ArrayDeque<Generated> due = new ArrayDeque<>();
        private double clock;

        Uniform(BenchOptions options, double start) {
            this.generator =
                    new TransactionGenerator(
                            options.seed(), options.accounts(), options.fraudRatio(), 0.0);
            this.step = 1000.0 / options.rate();
            this.clock = start;
        }

        @Override
        public Generated next() {
            if (due.isEmpty()) {
                long at = (long) clock;
                due.addAll(generator.due(at));
                due.add(generator.next(at));
                clock += step;
            }
            return due.poll();
        }

        @Override
        public long clock() {
            return (long) clock;
        }
    }

    /** Produces as fast as the job consumes, a little ahead of it. */
    void unthrottled() {
        mode = Mode.UNTHROTTLED;
    }

    /**
     * Stops the unthrottled traffic once {@code records} have been produced in all, so that every
     * variant reads the same transactions and its state at the end is that of the same history.
     */
    void stopUnthrottledAt(long records) {
        limit = records;
    }

    /** Whether the unthrottled traffic has produced all it may ({@link #stopUnthrottledAt}). */
    boolean atLimit() {
        return produced.get() >= limit;
    }

    /**
     * Whether the offered phase stamps the records with a clock at wall-clock pace (event-time
     * ordering) rather than leaving them their own event times (arrival ordering).
     */
    static boolean offeredAtWallPace(BenchOptions options) {
        return "event-time".equals(options.ordering());
    }

    /** Produces {@code rate} per wall-clock second from now on. */
    synchronized void offered() {
        offeredFromWall = System.currentTimeMillis();
        offeredFromSent = sent;
        offeredFromClock = source.clock();
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
                    long target = Math.min(limit, consumed.getAsLong() + lead.getAsLong());
                    while (mode == Mode.UNTHROTTLED && produced.get() < target) {
                        send(source.next());
                    }
                } else if (m == Mode.OFFERED) {
                    long now = System.currentTimeMillis();
                    long target =
                            offeredFromSent + (long) ((now - offeredFromWall) / 1000.0 * rate);
                    while (sent < target) {
                        send(wallPace ? atWallPace(source.next(), now) : source.next());
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

    /**
     * The record with its event time on a clock that runs at wall pace from where the traffic stood
     * when the offered phase began, keeping its few seconds of arrival disorder: in production
     * event time is wall time, and the watermark's wait is the allowed disorder in wall seconds.
     * The bank traffic's own pace is that of its accounts (100,000 accounts make about 3.5 events a
     * second), so the latency phase compresses or stretches it to {@code rate}.
     */
    private Generated atWallPace(Generated g, long now) {
        Transaction t = g.transaction();
        if (t != null) {
            long lag =
                    Math.min(3_000, Math.max(0, source.clock() - t.getEventTime().toEpochMilli()));
            t.setEventTime(Instant.ofEpochMilli(offeredFromClock + (now - offeredFromWall) - lag));
        }
        return g;
    }

    private void send(Generated g) {
        Transaction t = g.transaction();
        byte[] value = t != null ? serializer.serialize(topic, t) : g.rawValue();
        long sequence = t != null ? TransactionGenerator.sequenceOf(t.getTransactionId()) : -1;
        if (t != null) {
            accounts.set(TransactionGenerator.accountNumberOf(t.getAccountId()));
        }
        produced.incrementAndGet();
        sent++;
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

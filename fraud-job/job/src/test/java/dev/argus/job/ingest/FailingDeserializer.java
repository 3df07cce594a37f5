package dev.argus.job.ingest;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Wraps the production deserializer, slows reading down so that checkpoints complete in between,
 * and fails the source task once the job has read given numbers of records in total (replays
 * included), so the job restarts from its last checkpoint. The counters are static: the job runs in
 * a MiniCluster in the test's JVM, and they must outlive the task's restarts.
 */
public final class FailingDeserializer implements KafkaRecordDeserializationSchema<Decoded> {
    private static final long serialVersionUID = 1L;

    public static final AtomicLong RECORDS = new AtomicLong();
    public static final AtomicInteger FAILURES = new AtomicInteger();
    public static final AtomicLong LAST_FAILURE_MILLIS = new AtomicLong();
    private static final AtomicLong CHECKPOINT_AT_LAST_FAILURE = new AtomicLong();
    private static final long RESTARTING = Long.MAX_VALUE;

    private final KafkaRecordDeserializationSchema<Decoded> delegate;
    private final long[] failAt;
    private final long millisPerRecord;
    private final String checkpointDirectory;

    public FailingDeserializer(
            KafkaRecordDeserializationSchema<Decoded> delegate,
            String checkpointDirectory,
            long millisPerRecord,
            long... failAtOffsets) {
        this.delegate = delegate;
        this.checkpointDirectory = checkpointDirectory;
        this.millisPerRecord = millisPerRecord;
        this.failAt = failAtOffsets.clone();
        RECORDS.set(0);
        FAILURES.set(0);
        LAST_FAILURE_MILLIS.set(0);
        CHECKPOINT_AT_LAST_FAILURE.set(0);
    }

    @Override
    public void open(
            org.apache.flink.api.common.serialization.DeserializationSchema.InitializationContext
                    context)
            throws Exception {
        delegate.open(context);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out)
            throws IOException {
        long n = RECORDS.incrementAndGet();
        if (CHECKPOINT_AT_LAST_FAILURE.get() == RESTARTING) {
            // the first record after a restart: the newest checkpoint is the one restored (one
            // may complete between the failure and the restart), so the next failure waits for
            // a checkpoint taken after this restart
            CHECKPOINT_AT_LAST_FAILURE.compareAndSet(RESTARTING, latestCheckpoint());
        }
        int failed = FAILURES.get();
        if (failed < failAt.length
                && record.offset() >= failAt[failed]
                && latestCheckpoint() > CHECKPOINT_AT_LAST_FAILURE.get()
                && FAILURES.compareAndSet(failed, failed + 1)) {
            CHECKPOINT_AT_LAST_FAILURE.set(RESTARTING);
            LAST_FAILURE_MILLIS.set(System.currentTimeMillis());
            throw new IOException(
                    "injected failure "
                            + (failed + 1)
                            + " at offset "
                            + record.offset()
                            + " after "
                            + n
                            + " records");
        }
        try {
            Thread.sleep(millisPerRecord);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        delegate.deserialize(record, out);
    }

    /** The number of the newest completed checkpoint in the directory, 0 for none. */
    private long latestCheckpoint() throws IOException {
        java.nio.file.Path dir = java.nio.file.Path.of(java.net.URI.create(checkpointDirectory));
        try (var files = java.nio.file.Files.walk(dir, 3)) {
            return files.filter(f -> f.getFileName().toString().equals("_metadata"))
                    .map(f -> f.getParent().getFileName().toString())
                    .filter(name -> name.startsWith("chk-"))
                    .mapToLong(name -> Long.parseLong(name.substring(4)))
                    .max()
                    .orElse(0);
        }
    }

    @Override
    public TypeInformation<Decoded> getProducedType() {
        return delegate.getProducedType();
    }
}

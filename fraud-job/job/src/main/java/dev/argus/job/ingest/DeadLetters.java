package dev.argus.job.ingest;

import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionValidator;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;

/**
 * Every dead letter of the job is built here, whatever its reason, so that each carries what an
 * operator needs to find and replay the record: the reason, a detail that says what to do, the
 * record's coordinates and raw bytes where there was a record, and the transaction where it could
 * be decoded. {@link Count} counts them by reason in {@code argus.reason.<REASON>.dead_letters}, in
 * every operator that dead-letters.
 */
public final class DeadLetters {
    /** The side output dead letters leave the routing function by. */
    public static final OutputTag<DeadLetter> TAG =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private DeadLetters() {}

    /** The dead letter of a record the source could not decode, or decoded into no transaction. */
    public static DeadLetter ofRecord(
            ConsumerRecord<byte[], byte[]> record,
            DeadLetterReason reason,
            String detail,
            Transaction transaction) {
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setDetail(detail)
                .setSourceTopic(record.topic())
                .setSourcePartition(record.partition())
                .setSourceOffset(record.offset())
                .setSourceTimestamp(
                        record.timestampType() == TimestampType.NO_TIMESTAMP_TYPE
                                ? null
                                : Instant.ofEpochMilli(record.timestamp()))
                .setRawKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setRawValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setTransaction(transaction)
                .setDeadLetterTime(Instant.now())
                .build();
    }

    /** The dead letter of a decoded transaction that is not a possible one. */
    public static DeadLetter invalid(Transaction t, TransactionValidator.Violation violation) {
        return DeadLetter.newBuilder()
                .setReason(violation.reason())
                .setDetail(violation.detail())
                .setTransaction(t)
                .setDeadLetterTime(Instant.now())
                .build();
    }

    /** The dead letter of a valid event that came too late, with where it was read from. */
    public static DeadLetter late(Decoded decoded, long watermark) {
        Transaction t = decoded.transaction;
        long behind = watermark - t.getEventTime().toEpochMilli();
        return late(
                        t,
                        "event_time "
                                + t.getEventTime()
                                + " is "
                                + behind
                                + " ms behind the watermark "
                                + Instant.ofEpochMilli(watermark)
                                + ": it arrived after events up to that time had been evaluated;"
                                + " raise events.max-out-of-orderness if such delays are normal")
                .setSourceTopic(decoded.sourceTopic)
                .setSourcePartition(decoded.sourcePartition)
                .setSourceOffset(decoded.sourceOffset)
                .build();
    }

    /**
     * The dead letter of an event that the rule stage found behind its time ({@code where}, for
     * example "the rule engine"). Routing removes late events before the rules, so this is a safety
     * net that keeps anything from being dropped silently.
     */
    public static DeadLetter lateAtRules(Transaction t, String where) {
        return late(
                        t,
                        "event_time "
                                + t.getEventTime()
                                + " was behind the time "
                                + where
                                + " had reached: it arrived after later events of its account"
                                + " had been evaluated (right after a restore, whose watermark"
                                + " starts over, or delayed beyond events.max-out-of-orderness)")
                .build();
    }

    private static DeadLetter.Builder late(Transaction t, String detail) {
        return DeadLetter.newBuilder()
                .setReason(DeadLetterReason.LATE)
                .setDetail(detail)
                .setTransaction(t)
                .setDeadLetterTime(Instant.now());
    }

    /**
     * Counts an operator's dead letters by reason: {@code argus.reason.<REASON>.dead_letters}, in
     * Prometheus {@code flink_taskmanager_job_task_operator_argus_reason_dead_letters} with the
     * reason a label, so that a dashboard sums them by reason.
     */
    public static final class Count {
        private final MetricGroup group;
        private final Map<DeadLetterReason, Counter> counters =
                new EnumMap<>(DeadLetterReason.class);

        /**
         * @param registered the reasons counted from the start, at 0, so that a dashboard shows 0
         *     rather than no data; any other reason is counted from its first dead letter
         */
        public Count(MetricGroup operatorGroup, DeadLetterReason... registered) {
            this.group = operatorGroup.addGroup("argus");
            for (DeadLetterReason reason : registered) {
                counter(reason);
            }
        }

        private Counter counter(DeadLetterReason reason) {
            return counters.computeIfAbsent(
                    reason, r -> group.addGroup("reason", r.name()).counter("dead_letters"));
        }

        /** Counts {@code deadLetter} and returns it. */
        public DeadLetter inc(DeadLetter deadLetter) {
            counter(deadLetter.getReason()).inc();
            return deadLetter;
        }
    }
}

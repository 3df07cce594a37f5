package dev.argus.job.ingest;

import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * What the source emits for one Kafka record: either the decoded, valid {@link Transaction} with
 * where it came from, or the {@link DeadLetter} that says why it could not be decoded. A Flink POJO
 * whose fields are Avro types, so it is serialized without Kryo.
 */
public final class Decoded implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** Set when the record decoded and passed validation. */
    public Transaction transaction;

    /** Set when it did not. */
    public DeadLetter deadLetter;

    /** Where a valid transaction was read from; a dead letter carries its own coordinates. */
    public String sourceTopic;

    public int sourcePartition;
    public long sourceOffset;

    public Decoded() {}

    public static Decoded valid(Transaction transaction, String topic, int partition, long offset) {
        Decoded d = new Decoded();
        d.transaction = Objects.requireNonNull(transaction);
        d.sourceTopic = topic;
        d.sourcePartition = partition;
        d.sourceOffset = offset;
        return d;
    }

    public static Decoded deadLetter(DeadLetter deadLetter) {
        Decoded d = new Decoded();
        d.deadLetter = Objects.requireNonNull(deadLetter);
        return d;
    }

    /**
     * The record's event time for watermarks: the transaction's; dead letters carry none and must
     * not move the watermark.
     */
    public static long eventTime(Decoded d, long recordTime) {
        return d.transaction != null ? d.transaction.getEventTime().toEpochMilli() : Long.MIN_VALUE;
    }

    /** Flink's type information for this class: a POJO with Avro-serialized fields. */
    public static TypeInformation<Decoded> typeInfo() {
        Map<String, TypeInformation<?>> fields = new HashMap<>();
        fields.put("transaction", new AvroTypeInfo<>(Transaction.class));
        fields.put("deadLetter", new AvroTypeInfo<>(DeadLetter.class));
        fields.put("sourceTopic", Types.STRING);
        fields.put("sourcePartition", Types.INT);
        fields.put("sourceOffset", Types.LONG);
        return Types.POJO(Decoded.class, fields);
    }

    @Override
    public String toString() {
        return transaction != null
                ? "Decoded{" + transaction.getTransactionId() + "}"
                : "Decoded{dead letter: " + deadLetter.getReason() + "}";
    }
}

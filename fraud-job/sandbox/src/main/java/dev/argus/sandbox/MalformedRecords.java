package dev.argus.sandbox;

import dev.argus.model.DeadLetterReason;
import dev.argus.model.Money;
import dev.argus.model.Transaction;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.registry.SchemaRegistryClient;
import dev.argus.model.serde.ConfluentAvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * Records a producer gets wrong, of every kind the job must send to its dead-letter topic with a
 * reason, made from valid transactions: for the flood of {@code argus bench --flood} and the tests
 * that check nothing of such a flood reaches the rules or holds up the valid records. Each {@link
 * Kind} always gets the same {@link DeadLetterReason}. {@link #next} cycles through the kinds. Not
 * thread-safe.
 */
public final class MalformedRecords {
    /** The first of the schema ids used for {@link Kind#UNKNOWN_SCHEMA_ID}. */
    static final int UNKNOWN_IDS_FROM = 1_900_000_000;

    /** How many distinct unknown schema ids the records carry. */
    static final int UNKNOWN_IDS = 8;

    /** What is wrong with a record, and the reason the job gives it. */
    public enum Kind {
        /** A value of no bytes. */
        EMPTY(DeadLetterReason.EMPTY),
        /** JSON text, as from a producer without the registry's serializer. */
        NOT_WIRE_FORMAT(DeadLetterReason.WRONG_MAGIC_BYTE),
        /** In turn only part of the header, and a valid record with its last bytes cut off. */
        CUT_SHORT(DeadLetterReason.TRUNCATED),
        /** A valid body behind a schema id the registry does not have (one of eight ids). */
        UNKNOWN_SCHEMA_ID(DeadLetterReason.UNKNOWN_SCHEMA_ID),
        /** A string, written with a registered string schema a transaction cannot be read from. */
        INCOMPATIBLE_SCHEMA(DeadLetterReason.INCOMPATIBLE_SCHEMA),
        /** A valid record with bytes after its end: its body was not written with that schema. */
        TRAILING_GARBAGE(DeadLetterReason.UNDECODABLE),
        /** A valid record whose account id is empty. */
        MISSING_FIELD(DeadLetterReason.MISSING_FIELD),
        /** A valid record with an impossible value: in turn a negative amount and a 1970 time. */
        INVALID_VALUE(DeadLetterReason.INVALID_VALUE);

        private final DeadLetterReason reason;

        Kind(DeadLetterReason reason) {
            this.reason = reason;
        }

        /** The reason the job's dead letter of such a record carries. */
        public DeadLetterReason reason() {
            return reason;
        }
    }

    /** One record to produce: its key, its value and what is wrong with it. */
    public record Malformed(Kind kind, byte[] key, byte[] value) {}

    private final String topic;
    private final ConfluentAvroSerializer<Transaction> serializer;
    private final int incompatibleId;
    private long count;

    /**
     * Registers the incompatible writer schema (a string, under subject {@code
     * <topic>-flood-value}) and the transaction schema of {@code topic} if they are not there yet.
     */
    public MalformedRecords(RegistryConfig registry, String topic) {
        this.topic = topic;
        this.serializer = new ConfluentAvroSerializer<>(registry, Transaction.class, true);
        this.incompatibleId =
                new SchemaRegistryClient(registry)
                        .register(topic + "-flood-value", Schema.create(Schema.Type.STRING));
    }

    /** The next malformed record, made from {@code valid}, a transaction that would pass. */
    public Malformed next(Transaction valid) {
        int kinds = Kind.values().length;
        Kind kind = Kind.values()[(int) (count % kinds)];
        long round = count / kinds;
        count++;
        byte[] key = valid.getAccountId().getBytes(StandardCharsets.UTF_8);
        return new Malformed(kind, key, value(kind, valid, round));
    }

    private byte[] value(Kind kind, Transaction valid, long round) {
        boolean alternate = round % 2 == 1;
        switch (kind) {
            case EMPTY:
                return new byte[0];
            case NOT_WIRE_FORMAT:
                return ("{\"transaction_id\":\""
                                + valid.getTransactionId()
                                + "\",\"account_id\":\""
                                + valid.getAccountId()
                                + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
            case CUT_SHORT:
                {
                    if (!alternate) {
                        return new byte[] {0, 0, 0};
                    }
                    byte[] whole = encode(valid);
                    return Arrays.copyOf(whole, whole.length - 4);
                }
            case UNKNOWN_SCHEMA_ID:
                {
                    byte[] bytes = encode(valid);
                    ByteBuffer.wrap(bytes)
                            .putInt(1, UNKNOWN_IDS_FROM + (int) (round % UNKNOWN_IDS));
                    return bytes;
                }
            case INCOMPATIBLE_SCHEMA:
                return stringRecord(valid.getTransactionId());
            case TRAILING_GARBAGE:
                {
                    byte[] whole = encode(valid);
                    byte[] bytes = Arrays.copyOf(whole, whole.length + 3);
                    bytes[whole.length] = 7;
                    return bytes;
                }
            case MISSING_FIELD:
                {
                    Transaction t = Transaction.newBuilder(valid).setAccountId("").build();
                    return encode(t);
                }
            case INVALID_VALUE:
                {
                    Transaction.Builder t = Transaction.newBuilder(valid);
                    if (alternate && valid.getAmount() != null) {
                        t.setAmount(
                                Money.newBuilder(valid.getAmount())
                                        .setAmountMinor(
                                                -Math.abs(valid.getAmount().getAmountMinor()) - 1)
                                        .build());
                    } else {
                        t.setEventTime(Instant.EPOCH);
                    }
                    return encode(t.build());
                }
            default:
                throw new IllegalStateException("no record for " + kind);
        }
    }

    private byte[] encode(Transaction t) {
        return serializer.serialize(topic, t);
    }

    /** A string in the Confluent wire format, under the registered string schema. */
    private byte[] stringRecord(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(incompatibleId).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            encoder.writeString(text);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}

package dev.argus.model.serde;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import java.io.IOException;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Writes a {@link Transaction}, or an {@link EnrichedTransaction}, to an Avro {@link Encoder} with
 * the same calls, in the same order, as Avro's {@link SpecificDatumWriter}: the same bytes, from
 * any encoder.
 *
 * <p>Why: with {@code -Dorg.apache.avro.specific.use_custom_coders=true} Avro's generated classes
 * write their own fields, but its compiler generates no such code for a record with a logical type
 * anywhere inside it, and a transaction has one ({@code event_time}, {@code timestamp-millis}). So
 * a transaction, and every record holding one, goes through the generic writer, which looks up a
 * conversion and resolves each union branch by schema name for every field. The job writes every
 * transaction at least twice (over the network to the account profile; into the rule engine's
 * state), and that generic writer took a sixth of its Java time. Here the transaction's fields are
 * written directly; its nested records ({@code Money}, {@code Merchant}, {@code Location}, {@code
 * ProfileFeatures}) write themselves with their generated coders, as the generic writer has them
 * do.
 *
 * <p>A field added to {@code Transaction.avsc} must be added here: {@code TransactionEncodingTest}
 * fails until it is, since it fills every field of the schema and compares the bytes with Avro's.
 */
public final class TransactionEncoding {
    private TransactionEncoding() {}

    /** An enriched transaction: its transaction, then its profile features. */
    public static void write(EnrichedTransaction enriched, Encoder out) throws IOException {
        write(enriched.getTransaction(), out);
        enriched.getProfile().customEncode(out);
    }

    /** A transaction, field by field in the schema's order. */
    public static void write(Transaction t, Encoder out) throws IOException {
        out.writeString(t.getTransactionId());
        out.writeString(t.getAccountId());
        out.writeLong(t.getEventTime().toEpochMilli());
        out.writeEnum(t.getType().ordinal());
        out.writeEnum(t.getChannel().ordinal());
        out.writeEnum(t.getStatus().ordinal());
        if (t.getAmount() == null) {
            writeNull(out);
        } else {
            out.writeIndex(1);
            t.getAmount().customEncode(out);
        }
        if (t.getMerchant() == null) {
            writeNull(out);
        } else {
            out.writeIndex(1);
            t.getMerchant().customEncode(out);
        }
        writeOptional(t.getCounterpartyId(), out);
        writeOptional(t.getCounterpartyCountry(), out);
        writeOptional(t.getCardToken(), out);
        out.writeBoolean(t.getCardPresent());
        writeOptional(t.getDeviceId(), out);
        writeOptional(t.getIpAddress(), out);
        if (t.getLocation() == null) {
            writeNull(out);
        } else {
            out.writeIndex(1);
            t.getLocation().customEncode(out);
        }
    }

    /** A {@code ["null", "string"]} union. */
    private static void writeOptional(String value, Encoder out) throws IOException {
        if (value == null) {
            writeNull(out);
        } else {
            out.writeIndex(1);
            out.writeString(value);
        }
    }

    /** The null branch of a {@code ["null", ...]} union. */
    private static void writeNull(Encoder out) throws IOException {
        out.writeIndex(0);
        out.writeNull();
    }
}

package dev.argus.model.serde;

import dev.argus.model.Channel;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Money;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import java.io.IOException;
import java.time.Instant;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.Decoder;
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
 * <p>It also reads a transaction, or an enriched one, back with the same calls as Avro's reader,
 * from bytes written with this build's schema: where a transaction crosses the network between two
 * tasks of one job, which run one build, and the rule engine's events, which its versioned value
 * keeps in this build's schema; and Kafka records whose writer schema the registry gives as this
 * build's ({@link ConfluentAvroDeserializer.DirectReader}). Bytes of another schema need Avro's
 * reader, which resolves the writer's schema against this one.
 *
 * <p>A field added to {@code Transaction.avsc} must be added here: {@code TransactionEncodingTest}
 * fails until it is, since it fills every field of the schema and compares the bytes with Avro's.
 */
public final class TransactionEncoding {
    private static final TransactionType[] TYPES = TransactionType.values();
    private static final Channel[] CHANNELS = Channel.values();
    private static final TransactionStatus[] STATUSES = TransactionStatus.values();

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

    /** A transaction written by {@link #write(Transaction, Encoder)} with this build's schema. */
    public static Transaction read(Decoder in) throws IOException {
        Transaction t = new Transaction();
        t.setTransactionId(in.readString());
        t.setAccountId(in.readString());
        t.setEventTime(Instant.ofEpochMilli(in.readLong()));
        t.setType(TYPES[in.readEnum()]);
        t.setChannel(CHANNELS[in.readEnum()]);
        t.setStatus(STATUSES[in.readEnum()]);
        if (present(in)) {
            long minor = in.readLong();
            t.setAmount(new Money(minor, in.readString()));
        }
        if (present(in)) {
            String id = in.readString();
            String name = readOptional(in);
            String category = in.readString();
            t.setMerchant(new Merchant(id, name, category, readOptional(in)));
        }
        t.setCounterpartyId(readOptional(in));
        t.setCounterpartyCountry(readOptional(in));
        t.setCardToken(readOptional(in));
        t.setCardPresent(in.readBoolean());
        t.setDeviceId(readOptional(in));
        t.setIpAddress(readOptional(in));
        t.setLocation(readOptionalLocation(in));
        return t;
    }

    /**
     * An enriched transaction written by {@link #write(EnrichedTransaction, Encoder)} with this
     * build's schema.
     */
    public static EnrichedTransaction readEnriched(Decoder in) throws IOException {
        Transaction t = read(in);
        return new EnrichedTransaction(t, readFeatures(in));
    }

    /**
     * Profile features, field by field in the schema's order, as their generated coder has them.
     */
    private static ProfileFeatures readFeatures(Decoder in) throws IOException {
        ProfileFeatures f = new ProfileFeatures();
        f.setEventCount(in.readLong());
        f.setCount1h(in.readLong());
        f.setSum1h(in.readLong());
        f.setCount24h(in.readLong());
        f.setSum24h(in.readLong());
        f.setCount7d(in.readLong());
        f.setSum7d(in.readLong());
        f.setAmountCount(in.readLong());
        f.setAmountMean(in.readDouble());
        f.setAmountStddev(in.readDouble());
        f.setAmountZscore(in.readDouble());
        f.setNewDevice(in.readBoolean());
        f.setDeviceFirstSeen(in.readLong());
        f.setNewIp(in.readBoolean());
        f.setIpFirstSeen(in.readLong());
        f.setNewCountry(in.readBoolean());
        f.setCountryFirstSeen(in.readLong());
        f.setNewMerchant(in.readBoolean());
        f.setMerchantFirstSeen(in.readLong());
        f.setNewMcc(in.readBoolean());
        f.setMccFirstSeen(in.readLong());
        f.setNewPayee(in.readBoolean());
        f.setPayeeFirstSeen(in.readLong());
        f.setFirstSeen(in.readLong());
        f.setAccountAgeDays(in.readDouble());
        f.setLastEventTime(in.readLong());
        f.setDaysSinceLastEvent(in.readDouble());
        f.setLastLocation(readOptionalLocation(in));
        f.setTravelSpeedKmh(in.readDouble());
        f.setDeclines1h(in.readLong());
        f.setDistinctCountries24h(in.readLong());
        return f;
    }

    /** A {@code ["null", "Location"]} union. */
    static Location readOptionalLocation(Decoder in) throws IOException {
        if (!present(in)) {
            return null;
        }
        double latitude = in.readDouble();
        double longitude = in.readDouble();
        return new Location(latitude, longitude, readOptional(in));
    }

    /**
     * Whether a {@code ["null", ...]} union holds a value (then read it), or null (read). Any other
     * branch fails, as in Avro's reader: Kafka records are read with this too.
     */
    private static boolean present(Decoder in) throws IOException {
        int branch = in.readIndex();
        if (branch == 1) {
            return true;
        }
        if (branch != 0) {
            throw new AvroRuntimeException(
                    "union branch " + branch + " of a [\"null\", ...] union, which has two");
        }
        in.readNull();
        return false;
    }

    private static String readOptional(Decoder in) throws IOException {
        return present(in) ? in.readString() : null;
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

package dev.argus.model.serde;

import dev.argus.model.Buckets;
import dev.argus.model.ProfileState;
import dev.argus.model.Seen;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Writes and reads an account's {@link ProfileState} with the same {@link Encoder} and {@link
 * Decoder} calls as Avro's specific writer and reader ({@link SpecificDatumReader}): the same
 * bytes, through any encoder.
 *
 * <p>Why: the profile reads each account's state once per transaction, and Avro's reader (its fast
 * reader, by default) sets every field through a lambda, boxes through its generic arrays and makes
 * each record by reflection; that reading took a seventh of the job's Java time. Writing is the
 * generated class's own code ({@link ProfileState#customEncode}), which Avro's writer calls too.
 *
 * <p>It reads only bytes written with this build's schema, where Avro's reader would resolve
 * another writer's schema: the profile's state serializer keeps Flink's Avro snapshot, so a
 * savepoint written with another schema is rewritten with this one when it is restored (Flink's
 * state migration) before anything reads it here. A field added to {@code ProfileState.avsc} must
 * be added here: {@code ProfileStateEncodingTest} fails until it is.
 */
public final class ProfileStateEncoding {
    private ProfileStateEncoding() {}

    /** The state, field by field in the schema's order: {@link ProfileState#customEncode}. */
    public static void write(ProfileState state, Encoder out) throws IOException {
        state.customEncode(out);
    }

    /** A state written by {@link #write} with this build's schema. */
    public static ProfileState read(Decoder in) throws IOException {
        ProfileState s = new ProfileState();
        s.setEventCount(in.readLong());
        s.setFirstSeen(in.readLong());
        s.setLastEventTime(in.readLong());
        s.setLastLocation(TransactionEncoding.readOptionalLocation(in));
        s.setLastCardPresentLocation(TransactionEncoding.readOptionalLocation(in));
        s.setLastCardPresentTime(in.readLong());
        s.setAmountCount(in.readLong());
        s.setAmountMean(in.readDouble());
        s.setAmountM2(in.readDouble());
        s.setAmounts1h(readBuckets(in));
        s.setAmounts24h(readBuckets(in));
        s.setAmounts7d(readBuckets(in));
        s.setDeclines1h(readBuckets(in));
        s.setDevices(readSeen(in));
        s.setIps(readSeen(in));
        s.setCountries(readSeen(in));
        s.setMerchants(readSeen(in));
        s.setMccs(readSeen(in));
        s.setPayees(readSeen(in));
        return s;
    }

    private static Buckets readBuckets(Decoder in) throws IOException {
        long bucketMillis = in.readLong();
        long windowMillis = in.readLong();
        List<Long> starts = readLongs(in);
        List<Long> counts = readLongs(in);
        return new Buckets(bucketMillis, windowMillis, starts, counts, readLongs(in));
    }

    /** An {@code {"type": "array", "items": "long"}}, in Avro's blocks. */
    private static List<Long> readLongs(Decoder in) throws IOException {
        long block = in.readArrayStart();
        List<Long> values = new ArrayList<>((int) Math.min(block, 64));
        for (; block > 0; block = in.arrayNext()) {
            for (long i = 0; i < block; i++) {
                values.add(in.readLong());
            }
        }
        return values;
    }

    /** A {@code {"type": "map", "values": "Seen"}}, in Avro's blocks. */
    private static Map<String, Seen> readSeen(Decoder in) throws IOException {
        long block = in.readMapStart();
        Map<String, Seen> seen = new HashMap<>((int) (Math.min(block, 64) * 4 / 3) + 1);
        for (; block > 0; block = in.mapNext()) {
            for (long i = 0; i < block; i++) {
                String value = in.readString();
                long first = in.readLong();
                seen.put(value, new Seen(first, in.readLong()));
            }
        }
        return seen;
    }
}

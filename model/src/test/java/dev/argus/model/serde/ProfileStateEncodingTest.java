package dev.argus.model.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.ProfileState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * {@link ProfileStateEncoding} writes the bytes Avro writes and reads what Avro reads. The records
 * are {@link RandomRecords} over the whole schema (maps and arrays of several blocks' lengths
 * included), so a field added to the schema and not to the reader fails here.
 */
class ProfileStateEncodingTest {
    private static final int RECORDS = 1_000;

    @Test
    void readsWhatAvrosReaderReadsForEveryFieldOfTheState() throws IOException {
        int compared = 0;
        for (ProfileState state : RandomRecords.of(ProfileState.class, RECORDS, 5L)) {
            byte[] avro = avros(state);
            assertThat(encoded(state)).isEqualTo(avro);
            ProfileState read =
                    ProfileStateEncoding.read(DecoderFactory.get().binaryDecoder(avro, null));
            assertThat(read).isEqualTo(avrosRead(avro)).isEqualTo(state);
            compared++;
        }
        assertThat(compared).isEqualTo(RECORDS);
    }

    @Test
    void randomStatesHoldLocationsAndFullCollections() {
        // the comparison is only as good as the records: locations present and absent, and maps
        // and arrays with entries
        List<ProfileState> states = RandomRecords.of(ProfileState.class, RECORDS, 5L);
        assertThat(states).anyMatch(s -> s.getLastLocation() == null);
        assertThat(states)
                .anyMatch(
                        s ->
                                s.getLastLocation() != null
                                        && s.getLastLocation().getCountry() != null);
        assertThat(states)
                .anyMatch(
                        s ->
                                s.getLastLocation() != null
                                        && s.getLastLocation().getCountry() == null);
        assertThat(states).anyMatch(s -> s.getLastCardPresentLocation() != null);
        assertThat(states).anyMatch(s -> s.getPayees().size() > 1 && s.getDevices().size() > 1);
        assertThat(states).anyMatch(s -> s.getDeclines1h().getSums().size() > 1);
    }

    private static byte[] encoded(ProfileState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        ProfileStateEncoding.write(state, out);
        return bytes.toByteArray();
    }

    /** Avro's own bytes for the state: its specific writer's. */
    private static byte[] avros(ProfileState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new SpecificDatumWriter<ProfileState>(ProfileState.SCHEMA$).write(state, out);
        return bytes.toByteArray();
    }

    private static ProfileState avrosRead(byte[] bytes) throws IOException {
        return new SpecificDatumReader<>(ProfileState.class)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    }
}

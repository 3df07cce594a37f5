package dev.argus.job.savepoint;

import dev.argus.model.ProfileState;
import dev.argus.model.serde.ProfileStateEncoding;
import java.io.IOException;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.Encoder;

/**
 * The profile's state serializer: the bytes and the snapshot of Flink's Avro serializer for {@link
 * ProfileState}, written and read with {@link ProfileStateEncoding} rather than Avro's writer and
 * (fast) reader, which took a seventh of the job's Java time reading each account's state.
 *
 * <p>Savepoints do not change: a savepoint of an earlier build restores as Flink's serializer would
 * restore it. With the same schema the stored bytes are read here as they are; with another (a
 * field added with a default) Flink's Avro snapshot answers "compatible after migration", and the
 * state backend reads every value with the old schema and writes it with this one when the job
 * restores, before this serializer reads any ({@link AvroCodedSerializer}).
 */
public final class ProfileStateSerializer extends AvroCodedSerializer<ProfileState> {
    private static final long serialVersionUID = 1L;

    public ProfileStateSerializer() {
        super(ProfileState.class);
    }

    @Override
    protected void write(ProfileState state, Encoder out) throws IOException {
        ProfileStateEncoding.write(state, out);
    }

    @Override
    protected ProfileState read(Decoder in) throws IOException {
        return ProfileStateEncoding.read(in);
    }

    @Override
    public ProfileStateSerializer duplicate() {
        return new ProfileStateSerializer();
    }
}

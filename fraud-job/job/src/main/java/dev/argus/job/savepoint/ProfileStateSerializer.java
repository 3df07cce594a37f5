package dev.argus.job.savepoint;

import dev.argus.model.ProfileState;
import dev.argus.model.serde.ProfileStateEncoding;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.utils.DataInputDecoder;
import org.apache.flink.formats.avro.utils.DataOutputEncoder;

/**
 * The profile's state serializer: the bytes of Flink's {@link AvroSerializer} for {@link
 * ProfileState}, written and read with {@link ProfileStateEncoding} rather than Avro's writer and
 * (fast) reader, which took a seventh of the job's Java time reading each account's state.
 *
 * <p>Its snapshot is Flink's Avro snapshot of the same schema, so savepoints do not change: a
 * savepoint of an earlier build restores as Flink's serializer would restore it. With the same
 * schema the stored bytes are read here as they are; with another (a field added with a default)
 * Flink's Avro snapshot answers "compatible after migration", and the state backend reads every
 * value with the old schema and writes it with this one when the job restores, before this
 * serializer reads any. Copies are Flink's serializer's. Not thread-safe, as Flink's serializers
 * are not: {@link #duplicate} gives each thread its own.
 */
public final class ProfileStateSerializer extends TypeSerializer<ProfileState> {
    private static final long serialVersionUID = 1L;

    private final AvroSerializer<ProfileState> avro = new AvroSerializer<>(ProfileState.class);
    private transient DataOutputEncoder encoder;
    private transient DataInputDecoder decoder;

    @Override
    public void serialize(ProfileState state, DataOutputView target) throws IOException {
        if (encoder == null) {
            encoder = new DataOutputEncoder();
        }
        encoder.setOut(target);
        ProfileStateEncoding.write(state, encoder);
    }

    @Override
    public ProfileState deserialize(DataInputView source) throws IOException {
        if (decoder == null) {
            decoder = new DataInputDecoder();
        }
        decoder.setIn(source);
        return ProfileStateEncoding.read(decoder);
    }

    @Override
    public ProfileState deserialize(ProfileState reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        avro.copy(source, target);
    }

    @Override
    public ProfileState copy(ProfileState from) {
        return avro.copy(from);
    }

    @Override
    public ProfileState copy(ProfileState from, ProfileState reuse) {
        return avro.copy(from, reuse);
    }

    @Override
    public ProfileState createInstance() {
        return avro.createInstance();
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public TypeSerializer<ProfileState> duplicate() {
        return new ProfileStateSerializer();
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof ProfileStateSerializer;
    }

    @Override
    public int hashCode() {
        return ProfileStateSerializer.class.hashCode();
    }

    /**
     * Flink's Avro snapshot: the bytes are its serializer's, and it decides, against a restored
     * snapshot's schema, whether the state is read as it is or migrated first.
     */
    @Override
    public TypeSerializerSnapshot<ProfileState> snapshotConfiguration() {
        return avro.snapshotConfiguration();
    }
}

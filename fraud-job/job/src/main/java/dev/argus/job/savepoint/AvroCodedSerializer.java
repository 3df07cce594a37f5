package dev.argus.job.savepoint;

import java.io.IOException;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.utils.DataInputDecoder;
import org.apache.flink.formats.avro.utils.DataOutputEncoder;

/**
 * The bytes of Flink's {@link AvroSerializer} for {@code T}, written and read by code of Argus's
 * own (a subclass's {@link #write} and {@link #read}, with the encoder's and decoder's calls in the
 * schema's order) rather than Avro's writer and readers. Copies are Flink's serializer's.
 *
 * <p>Its snapshot is Flink's Avro snapshot of this build's schema, since the bytes are that
 * serializer's: what restores from it is Flink's serializer with Avro's schema evolution, and as
 * state, bytes of another schema are migrated by Flink on restore before this reads any. So {@link
 * #read} only ever sees bytes of this build's schema. Not thread-safe, as Flink's serializers are
 * not: {@link #duplicate} gives each thread its own.
 */
public abstract class AvroCodedSerializer<T extends SpecificRecord> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;

    private final AvroSerializer<T> avro;
    private transient DataOutputEncoder encoder;
    private transient DataInputDecoder decoder;

    protected AvroCodedSerializer(Class<T> type) {
        this.avro = new AvroSerializer<>(type);
    }

    /** Writes {@code value} with the calls of Avro's writer. */
    protected abstract void write(T value, Encoder out) throws IOException;

    /** Reads a value written by {@link #write} with this build's schema. */
    protected abstract T read(Decoder in) throws IOException;

    @Override
    public final void serialize(T value, DataOutputView target) throws IOException {
        if (encoder == null) {
            encoder = new DataOutputEncoder();
        }
        encoder.setOut(target);
        write(value, encoder);
    }

    @Override
    public final T deserialize(DataInputView source) throws IOException {
        if (decoder == null) {
            decoder = new DataInputDecoder();
        }
        decoder.setIn(source);
        return read(decoder);
    }

    @Override
    public final T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public final void copy(DataInputView source, DataOutputView target) throws IOException {
        avro.copy(source, target);
    }

    @Override
    public final T copy(T from) {
        return avro.copy(from);
    }

    @Override
    public final T copy(T from, T reuse) {
        return avro.copy(from, reuse);
    }

    @Override
    public final T createInstance() {
        return avro.createInstance();
    }

    @Override
    public final boolean isImmutableType() {
        return false;
    }

    @Override
    public final int getLength() {
        return -1;
    }

    @Override
    public final boolean equals(Object obj) {
        return obj != null && obj.getClass() == getClass();
    }

    @Override
    public final int hashCode() {
        return getClass().hashCode();
    }

    /** Flink's Avro snapshot of this build's schema: the bytes are its serializer's. */
    @Override
    public final TypeSerializerSnapshot<T> snapshotConfiguration() {
        return avro.snapshotConfiguration();
    }
}

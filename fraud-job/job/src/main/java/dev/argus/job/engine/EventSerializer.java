package dev.argus.job.engine;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.serde.TransactionEncoding;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.utils.DataInputDecoder;
import org.apache.flink.formats.avro.utils.DataOutputEncoder;

/**
 * The engine's serializer for the events in the rules' shared buffers and in the account's waiting
 * list: Avro, each event preceded by its length, and each event encoded once per account step. It
 * writes and reads with {@link TransactionEncoding}, which gives the bytes of Flink's {@link
 * AvroSerializer} without Avro's generic writer and reader; the bytes are this build's schema's (a
 * change of the event's schema needs a new value format, see {@link AccountValue}). An event taken
 * by several rules, or read back from the account's value and stored again, is not encoded again:
 * the bytes it was read from or first written as are remembered for the object until the engine
 * moves to the next account ({@link #forget}).
 *
 * <p>It lives inside one engine operator instance and is used by one thread; Flink never stores it
 * (the engine writes its own value), so it has no snapshot.
 */
final class EventSerializer extends TypeSerializer<EnrichedTransaction> {
    private static final long serialVersionUID = 1L;

    private final AvroSerializer<EnrichedTransaction> avro =
            new AvroSerializer<>(EnrichedTransaction.class);
    private transient Map<EnrichedTransaction, byte[]> encoded = new IdentityHashMap<>();
    private final transient DataOutputSerializer scratch = new DataOutputSerializer(1024);
    private final transient DataOutputEncoder encoder = new DataOutputEncoder();
    private final transient DataInputDeserializer input = new DataInputDeserializer();
    private final transient DataInputDecoder decoder = new DataInputDecoder();

    /** Reading the engine's first value format: events without their length. */
    private transient boolean firstFormat;

    /** Drops the remembered encodings: the next account's events are other objects. */
    void forget() {
        // clearing costs the table's length, not the entries': one account's few events leave it
        // small, a snapshot's thousands of waiting events would leave it large for good
        if (encoded.size() > 64) {
            encoded = new IdentityHashMap<>();
        } else if (!encoded.isEmpty()) {
            encoded.clear();
        }
    }

    void readingFirstFormat(boolean on) {
        firstFormat = on;
    }

    /** The event's Avro encoding, remembered for the object. */
    byte[] encode(EnrichedTransaction event) throws IOException {
        byte[] bytes = encoded.get(event);
        if (bytes == null) {
            scratch.clear();
            encoder.setOut(scratch);
            TransactionEncoding.write(event, encoder);
            bytes = scratch.getCopyOfBuffer();
            encoded.put(event, bytes);
        }
        return bytes;
    }

    /** An event from its Avro encoding, which is remembered for it. */
    EnrichedTransaction decode(byte[] bytes) throws IOException {
        input.setBuffer(bytes);
        decoder.setIn(input);
        EnrichedTransaction event = TransactionEncoding.readEnriched(decoder);
        encoded.put(event, bytes);
        return event;
    }

    @Override
    public void serialize(EnrichedTransaction event, DataOutputView target) throws IOException {
        byte[] bytes = encode(event);
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    @Override
    public EnrichedTransaction deserialize(DataInputView source) throws IOException {
        if (firstFormat) {
            return avro.deserialize(source);
        }
        byte[] bytes = new byte[source.readInt()];
        source.readFully(bytes);
        return decode(bytes);
    }

    @Override
    public EnrichedTransaction deserialize(EnrichedTransaction reuse, DataInputView source)
            throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        int length = source.readInt();
        target.writeInt(length);
        target.write(source, length);
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    /** The same instance: it is confined to its operator's thread. */
    @Override
    public TypeSerializer<EnrichedTransaction> duplicate() {
        return this;
    }

    @Override
    public EnrichedTransaction createInstance() {
        return avro.createInstance();
    }

    @Override
    public EnrichedTransaction copy(EnrichedTransaction from) {
        return avro.copy(from);
    }

    @Override
    public EnrichedTransaction copy(EnrichedTransaction from, EnrichedTransaction reuse) {
        return avro.copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public boolean equals(Object obj) {
        return obj == this;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public TypeSerializerSnapshot<EnrichedTransaction> snapshotConfiguration() {
        throw new UnsupportedOperationException(
                "the rule engine stores its events in its own versioned value, not through Flink");
    }
}

package dev.argus.job.ingest;

import dev.argus.model.Transaction;
import dev.argus.model.serde.TransactionEncoding;
import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.formats.avro.utils.DataInputDecoder;
import org.apache.flink.formats.avro.utils.DataOutputEncoder;

/**
 * The valid transactions' type between the dead-letter routing and the account profile, where every
 * transaction crosses the network: Flink's Avro type, whose serializer writes and reads with {@link
 * TransactionEncoding} rather than Avro's generic writer and resolving reader. Both ends are tasks
 * of one job, so of one build and one schema. The bytes are those of Flink's {@link
 * AvroSerializer}, which reads them too.
 */
public final class TransactionTypeInfo extends AvroTypeInfo<Transaction> {
    private static final long serialVersionUID = 1L;

    public TransactionTypeInfo() {
        super(Transaction.class);
    }

    @Override
    public TypeSerializer<Transaction> createSerializer(SerializerConfig config) {
        return new Serializer();
    }

    /**
     * Writes and reads with {@link TransactionEncoding}, copies with Flink's {@link
     * AvroSerializer}. Not thread-safe, as Flink's serializers are not: {@link #duplicate} gives
     * each thread its own.
     */
    public static final class Serializer extends TypeSerializer<Transaction> {
        private static final long serialVersionUID = 1L;

        private final AvroSerializer<Transaction> avro = new AvroSerializer<>(Transaction.class);
        private transient DataOutputEncoder encoder;
        private transient DataInputDecoder decoder;

        @Override
        public void serialize(Transaction record, DataOutputView target) throws IOException {
            if (encoder == null) {
                encoder = new DataOutputEncoder();
            }
            encoder.setOut(target);
            TransactionEncoding.write(record, encoder);
        }

        @Override
        public Transaction deserialize(DataInputView source) throws IOException {
            if (decoder == null) {
                decoder = new DataInputDecoder();
            }
            decoder.setIn(source);
            return TransactionEncoding.read(decoder);
        }

        @Override
        public Transaction deserialize(Transaction reuse, DataInputView source) throws IOException {
            return deserialize(source);
        }

        @Override
        public void copy(DataInputView source, DataOutputView target) throws IOException {
            avro.copy(source, target);
        }

        @Override
        public Transaction copy(Transaction from) {
            return avro.copy(from);
        }

        @Override
        public Transaction copy(Transaction from, Transaction reuse) {
            return avro.copy(from, reuse);
        }

        @Override
        public Transaction createInstance() {
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
        public TypeSerializer<Transaction> duplicate() {
            return new Serializer();
        }

        @Override
        public boolean equals(Object obj) {
            return obj instanceof Serializer;
        }

        @Override
        public int hashCode() {
            return Serializer.class.hashCode();
        }

        /**
         * Flink's Avro snapshot, since the bytes are Flink's Avro serializer's: what restores from
         * it is that serializer, with Avro's schema evolution. The job keeps no transaction in
         * state; Flink asks every serializer for a snapshot.
         */
        @Override
        public TypeSerializerSnapshot<Transaction> snapshotConfiguration() {
            return avro.snapshotConfiguration();
        }
    }
}

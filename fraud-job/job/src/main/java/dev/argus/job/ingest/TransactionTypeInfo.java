package dev.argus.job.ingest;

import dev.argus.job.savepoint.AvroCodedSerializer;
import dev.argus.model.Transaction;
import dev.argus.model.serde.TransactionEncoding;
import java.io.IOException;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.Encoder;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

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
     * Writes and reads with {@link TransactionEncoding}; Flink's Avro bytes and snapshot ({@link
     * AvroCodedSerializer}). The job keeps no transaction in state; Flink asks every serializer for
     * a snapshot.
     */
    public static final class Serializer extends AvroCodedSerializer<Transaction> {
        private static final long serialVersionUID = 1L;

        public Serializer() {
            super(Transaction.class);
        }

        @Override
        protected void write(Transaction transaction, Encoder out) throws IOException {
            TransactionEncoding.write(transaction, out);
        }

        @Override
        protected Transaction read(Decoder in) throws IOException {
            return TransactionEncoding.read(in);
        }

        @Override
        public Serializer duplicate() {
            return new Serializer();
        }
    }
}

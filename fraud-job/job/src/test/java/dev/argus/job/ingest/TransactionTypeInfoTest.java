package dev.argus.job.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.RandomData;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot;
import org.junit.jupiter.api.Test;

class TransactionTypeInfoTest {
    private final TypeSerializer<Transaction> serializer =
            new TransactionTypeInfo().createSerializer(new SerializerConfigImpl());
    private final AvroSerializer<Transaction> flinks = new AvroSerializer<>(Transaction.class);

    @Test
    void writesFlinksAvroBytesAndReadsThemBack() throws IOException {
        for (Object random : new RandomData(GenericData.get(), Transaction.SCHEMA$, 1_000, 3L)) {
            Transaction transaction = specific(random);
            DataOutputSerializer ours = new DataOutputSerializer(256);
            serializer.serialize(transaction, ours);
            DataOutputSerializer theirs = new DataOutputSerializer(256);
            flinks.serialize(transaction, theirs);
            assertThat(ours.getCopyOfBuffer()).isEqualTo(theirs.getCopyOfBuffer());
            assertThat(serializer.deserialize(new DataInputDeserializer(ours.getCopyOfBuffer())))
                    .isEqualTo(transaction);
        }
    }

    @Test
    void eachDuplicateWritesOnItsOwnAndRestoresAsFlinksAvroSerializer() {
        assertThat(serializer.duplicate()).isNotSameAs(serializer).isEqualTo(serializer);
        assertThat(serializer.snapshotConfiguration()).isInstanceOf(AvroSerializerSnapshot.class);
        assertThat(serializer.snapshotConfiguration().restoreSerializer())
                .isInstanceOf(AvroSerializer.class);
    }

    private static Transaction specific(Object random) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new GenericDatumWriter<>(Transaction.SCHEMA$).write(random, out);
        return new SpecificDatumReader<>(Transaction.class)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    }
}

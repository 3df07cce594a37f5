package dev.argus.job.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Transaction;
import dev.argus.model.serde.RandomRecords;
import java.io.IOException;
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
        for (Transaction transaction : RandomRecords.of(Transaction.class, 1_000, 3L)) {
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
}

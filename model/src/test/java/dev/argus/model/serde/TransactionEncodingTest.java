package dev.argus.model.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * {@link TransactionEncoding} writes the bytes Avro writes and reads them back. The records are
 * {@link RandomRecords} over the whole schema, so a field added to the schema and not to the
 * encoding fails here.
 */
class TransactionEncodingTest {
    private static final int RECORDS = 2_000;

    @Test
    void writesTheBytesOfAvrosWriterAndReadsThemForEveryFieldOfATransaction() throws IOException {
        int compared = 0;
        for (Transaction transaction : RandomRecords.of(Transaction.class, RECORDS, 7L)) {
            byte[] avro = avros(transaction);
            assertThat(encoded(transaction)).isEqualTo(avro);
            assertThat(TransactionEncoding.read(DecoderFactory.get().binaryDecoder(avro, null)))
                    .isEqualTo(transaction);
            compared++;
        }
        assertThat(compared).isEqualTo(RECORDS);
    }

    @Test
    void writesTheBytesOfAvrosWriterAndReadsThemForEveryFieldOfAnEnrichedTransaction()
            throws IOException {
        for (EnrichedTransaction enriched :
                RandomRecords.of(EnrichedTransaction.class, RECORDS, 11L)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
            TransactionEncoding.write(enriched, out);
            byte[] avro = avros(enriched);
            assertThat(bytes.toByteArray()).isEqualTo(avro);
            assertThat(
                            TransactionEncoding.readEnriched(
                                    DecoderFactory.get().binaryDecoder(avro, null)))
                    .isEqualTo(enriched);
        }
    }

    @Test
    void randomRecordsCoverBothBranchesOfEveryOptionalField() {
        // the comparisons above are only as good as the records: each optional field is seen
        // absent and present
        int fields = Transaction.SCHEMA$.getFields().size();
        boolean[] seenNull = new boolean[fields];
        boolean[] seenValue = new boolean[fields];
        for (Transaction t : RandomRecords.of(Transaction.class, RECORDS, 7L)) {
            for (int i = 0; i < fields; i++) {
                if (t.get(i) == null) {
                    seenNull[i] = true;
                } else {
                    seenValue[i] = true;
                }
            }
        }
        for (Schema.Field field : Transaction.SCHEMA$.getFields()) {
            assertThat(seenValue[field.pos()]).as(field.name()).isTrue();
            if (field.schema().isNullable()) {
                assertThat(seenNull[field.pos()]).as(field.name()).isTrue();
            }
        }
    }

    private static byte[] encoded(Transaction transaction) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        TransactionEncoding.write(transaction, out);
        return bytes.toByteArray();
    }

    /** Avro's own bytes for the record: its specific writer's. */
    private static <T extends SpecificRecord> byte[] avros(T record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new SpecificDatumWriter<T>(record.getSchema()).write(record, out);
        return bytes.toByteArray();
    }
}

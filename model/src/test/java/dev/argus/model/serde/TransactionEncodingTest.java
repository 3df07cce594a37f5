package dev.argus.model.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.api.Test;

/**
 * {@link TransactionEncoding} writes the bytes Avro writes. The records are Avro's random data over
 * the whole schema (every field, both branches of every union, every enum symbol), so a field added
 * to the schema and not to the encoding fails here.
 */
class TransactionEncodingTest {
    private static final int RECORDS = 2_000;

    @Test
    void writesTheBytesOfAvrosWriterAndReadsThemForEveryFieldOfATransaction() throws IOException {
        int compared = 0;
        for (Object random : new RandomData(GenericData.get(), Transaction.SCHEMA$, RECORDS, 7L)) {
            byte[] avro = generic(Transaction.SCHEMA$, random);
            Transaction transaction = specific(Transaction.class, avro);
            assertThat(encoded(transaction)).isEqualTo(avro).isEqualTo(avros(transaction));
            assertThat(TransactionEncoding.read(DecoderFactory.get().binaryDecoder(avro, null)))
                    .isEqualTo(transaction);
            compared++;
        }
        assertThat(compared).isEqualTo(RECORDS);
    }

    @Test
    void writesTheBytesOfAvrosWriterForEveryFieldOfAnEnrichedTransaction() throws IOException {
        for (Object random :
                new RandomData(GenericData.get(), EnrichedTransaction.SCHEMA$, RECORDS, 11L)) {
            byte[] avro = generic(EnrichedTransaction.SCHEMA$, random);
            EnrichedTransaction enriched = specific(EnrichedTransaction.class, avro);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
            TransactionEncoding.write(enriched, out);
            assertThat(bytes.toByteArray()).isEqualTo(avro).isEqualTo(avros(enriched));
        }
    }

    @Test
    void randomDataCoversBothBranchesOfEveryOptionalField() throws IOException {
        // the comparison above is only as good as the records: each optional field is seen absent
        // and present
        int fields = Transaction.SCHEMA$.getFields().size();
        boolean[] seenNull = new boolean[fields];
        boolean[] seenValue = new boolean[fields];
        for (Object random : new RandomData(GenericData.get(), Transaction.SCHEMA$, RECORDS, 7L)) {
            Transaction t = specific(Transaction.class, generic(Transaction.SCHEMA$, random));
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

    private static byte[] generic(Schema schema, Object record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new GenericDatumWriter<>(schema).write(record, out);
        return bytes.toByteArray();
    }

    private static <T extends SpecificRecord> byte[] avros(T record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new SpecificDatumWriter<T>(record.getSchema()).write(record, out);
        return bytes.toByteArray();
    }

    private static <T> T specific(Class<T> type, byte[] bytes) throws IOException {
        return new SpecificDatumReader<>(type)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    }
}

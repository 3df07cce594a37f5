package dev.argus.model.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;

/**
 * Records of a generated Avro class over its whole schema, from Avro's {@link RandomData}: every
 * field, both branches of every union, every enum symbol. For tests that compare an encoding with
 * Avro's: a field added to the schema and not to the encoding shows.
 */
public final class RandomRecords {
    private RandomRecords() {}

    /** {@code count} records of {@code type}, the same for the same {@code seed}. */
    public static <T extends SpecificRecord> List<T> of(Class<T> type, int count, long seed) {
        Schema schema = SpecificData.get().getSchema(type);
        List<T> records = new ArrayList<>(count);
        for (Object random : new RandomData(GenericData.get(), schema, count, seed)) {
            records.add(specific(type, avroBytes(schema, random)));
        }
        return records;
    }

    private static byte[] avroBytes(Schema schema, Object record) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        try {
            new GenericDatumWriter<>(schema).write(record, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static <T> T specific(Class<T> type, byte[] bytes) {
        try {
            return new SpecificDatumReader<>(type)
                    .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

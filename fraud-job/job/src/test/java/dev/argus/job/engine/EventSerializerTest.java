package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.EnrichedTransaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.RandomData;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.junit.jupiter.api.Test;

/**
 * The engine keeps its events in Flink's Avro bytes, which savepoints hold: written without Avro's
 * generic writer, they are still exactly those bytes.
 */
class EventSerializerTest {
    @Test
    void writesTheBytesOfFlinksAvroSerializerAndReadsThemBack() throws IOException {
        EventSerializer engine = new EventSerializer();
        AvroSerializer<EnrichedTransaction> flinks =
                new AvroSerializer<>(EnrichedTransaction.class);
        for (Object random :
                new RandomData(GenericData.get(), EnrichedTransaction.SCHEMA$, 1_000, 5L)) {
            EnrichedTransaction event = specific(random);
            DataOutputSerializer expected = new DataOutputSerializer(512);
            flinks.serialize(event, expected);
            byte[] bytes = engine.encode(event);
            assertThat(bytes).isEqualTo(expected.getCopyOfBuffer());
            engine.forget();
            assertThat(engine.decode(bytes)).isEqualTo(event);
            engine.forget();
        }
    }

    private static EnrichedTransaction specific(Object random) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new GenericDatumWriter<>(EnrichedTransaction.SCHEMA$).write(random, out);
        return new SpecificDatumReader<>(EnrichedTransaction.class)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    }
}

package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.serde.RandomRecords;
import java.io.IOException;
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
        for (EnrichedTransaction event : RandomRecords.of(EnrichedTransaction.class, 1_000, 5L)) {
            DataOutputSerializer expected = new DataOutputSerializer(512);
            flinks.serialize(event, expected);
            byte[] bytes = engine.encode(event);
            assertThat(bytes).isEqualTo(expected.getCopyOfBuffer());
            engine.forget();
            assertThat(engine.decode(bytes)).isEqualTo(event);
            engine.forget();
        }
    }
}

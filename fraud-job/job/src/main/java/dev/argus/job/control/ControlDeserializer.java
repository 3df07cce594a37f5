package dev.argus.job.control;

import dev.argus.model.ControlCommand;
import dev.argus.model.ReceivedCommand;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.WireFormatException;
import java.time.Instant;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads the control topic: every record becomes a {@link ReceivedCommand}, decoded or with the
 * reason it could not be, so that even a record nobody can read is answered on the status topic.
 */
public final class ControlDeserializer
        implements KafkaRecordDeserializationSchema<ReceivedCommand> {
    private static final long serialVersionUID = 1L;

    private final ConfluentAvroDeserializer<ControlCommand> deserializer;

    public ControlDeserializer(RegistryConfig registry) {
        this.deserializer = new ConfluentAvroDeserializer<>(registry, ControlCommand.class);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ReceivedCommand> out) {
        ReceivedCommand.Builder received =
                ReceivedCommand.newBuilder()
                        .setOffset(record.offset())
                        .setAppendedAt(Instant.ofEpochMilli(Math.max(0, record.timestamp())));
        try {
            received.setCommand(deserializer.deserialize(record.value()));
        } catch (WireFormatException e) {
            received.setError(e.reason() + ": " + e.getMessage());
        }
        out.collect(received.build());
    }

    @Override
    public TypeInformation<ReceivedCommand> getProducedType() {
        return new AvroTypeInfo<>(ReceivedCommand.class);
    }
}

package dev.argus.job.ingest;

import dev.argus.model.Transaction;
import dev.argus.model.TransactionValidator;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.TransactionEncoding;
import dev.argus.model.serde.WireFormatException;
import java.util.Optional;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;

/**
 * Decodes transactions from Kafka records in the Confluent wire format and validates them. A record
 * that cannot be decoded or is not a possible transaction becomes a dead letter ({@link
 * DeadLetters#ofRecord}) with its reason, its coordinates and its raw bytes; it never fails the
 * job. A registry that does not answer does fail the task (transiently): Flink restarts from the
 * last checkpoint and reads the record again, rather than dead-lettering good records during an
 * outage.
 */
public final class TransactionDeserializationSchema
        implements KafkaRecordDeserializationSchema<Decoded> {
    private static final long serialVersionUID = 1L;

    private final ConfluentAvroDeserializer<Transaction> deserializer;
    private final TransactionValidator validator;

    public TransactionDeserializationSchema(RegistryConfig registry, long maxFutureSkewMillis) {
        this.deserializer =
                new ConfluentAvroDeserializer<>(
                        registry, Transaction.class, TransactionEncoding::read);
        this.validator = new TransactionValidator(maxFutureSkewMillis);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded> out) {
        out.collect(decode(record));
    }

    /** Decodes one record; never throws for a bad record. */
    private Decoded decode(ConsumerRecord<byte[], byte[]> record) {
        long recordTimestamp =
                record.timestampType() == TimestampType.NO_TIMESTAMP_TYPE ? -1 : record.timestamp();
        Transaction transaction;
        try {
            transaction = deserializer.deserialize(record.value());
        } catch (WireFormatException e) {
            return Decoded.deadLetter(
                    DeadLetters.ofRecord(record, e.reason(), e.getMessage(), null));
        }
        Optional<TransactionValidator.Violation> violation =
                validator.check(transaction, recordTimestamp);
        if (violation.isPresent()) {
            return Decoded.deadLetter(
                    DeadLetters.ofRecord(
                            record,
                            violation.get().reason(),
                            violation.get().detail(),
                            transaction));
        }
        return Decoded.valid(transaction, record.topic(), record.partition(), record.offset());
    }

    @Override
    public TypeInformation<Decoded> getProducedType() {
        return Decoded.typeInfo();
    }
}

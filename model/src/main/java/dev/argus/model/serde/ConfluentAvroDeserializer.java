package dev.argus.model.serde;

import dev.argus.model.DeadLetterReason;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.registry.RegistryException;
import dev.argus.model.registry.SchemaRegistryClient;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads Avro records in the Confluent wire format: checks the magic byte, fetches the writer schema
 * by its id (cached) and resolves it against the reader schema of {@code T}, so records written
 * with an older or newer compatible schema decode into today's class.
 *
 * <p>A record that is not valid fails with a {@link WireFormatException} whose reason is one of the
 * dead-letter reasons; a registry that does not answer fails with an {@link
 * java.io.UncheckedIOException}, which is transient and not the record's fault.
 *
 * <p>Given a {@link DirectReader}, records whose writer schema is this build's schema of {@code T}
 * (equal as Avro compares schemas) are read with it rather than with Avro's resolving reader: the
 * same fields from the same bytes, without resolving one schema against the other for each.
 *
 * <p>Serializable: the registry client is opened lazily where the deserializer runs. Not
 * thread-safe; give each thread its own instance.
 */
public final class ConfluentAvroDeserializer<T extends SpecificRecord> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How many unknown schema ids are remembered at most. */
    static final int MAX_UNKNOWN_IDS = 10_000;

    private final RegistryConfig registry;
    private final Class<T> type;
    private final DirectReader<T> direct;

    private transient SchemaRegistryClient client;
    private transient Schema readerSchema;
    private transient Map<Integer, DatumReader<T>> readersById;
    private transient Map<Integer, Refusal> refusedById;
    private transient Map<Integer, Unknown> unknownIds;
    private transient long missingTtlNanos;
    private transient BinaryDecoder decoder;

    public ConfluentAvroDeserializer(RegistryConfig registry, Class<T> type) {
        this(registry, type, null);
    }

    /**
     * @param direct reads a record written with this build's schema of {@code T}, or null to read
     *     every record with Avro's resolving reader
     */
    public ConfluentAvroDeserializer(
            RegistryConfig registry, Class<T> type, DirectReader<T> direct) {
        this.registry = registry;
        this.type = type;
        this.direct = direct;
    }

    /**
     * Reads a record of this build's schema with the decoder's calls in the schema's order, as
     * {@link TransactionEncoding#read} does; it must throw for bytes that schema cannot have
     * written, as Avro's reader does, so that they are dead-lettered.
     */
    @FunctionalInterface
    public interface DirectReader<T> extends Serializable {
        T read(Decoder in) throws IOException;
    }

    /** Whether records of writer schema {@code id} are read by the direct reader, for tests. */
    boolean readsDirectly(int id) {
        return readersById != null && readersById.get(id) instanceof Direct<?>;
    }

    public T deserialize(byte[] bytes) throws WireFormatException {
        init();
        if (bytes == null || bytes.length == 0) {
            throw new WireFormatException(DeadLetterReason.EMPTY, "the record has no value bytes");
        }
        if (bytes[0] != WireFormat.MAGIC_BYTE) {
            throw new WireFormatException(
                    DeadLetterReason.WRONG_MAGIC_BYTE,
                    String.format(
                            "first byte is 0x%02x, not the magic byte 0x00 of the Confluent wire"
                                    + " format: the producer did not use a schema-registry"
                                    + " serializer",
                            bytes[0]));
        }
        if (bytes.length < WireFormat.HEADER_LENGTH) {
            throw new WireFormatException(
                    DeadLetterReason.TRUNCATED,
                    "the record has "
                            + bytes.length
                            + " bytes, fewer than the 5 of the wire-format header");
        }
        int id =
                ((bytes[1] & 0xff) << 24)
                        | ((bytes[2] & 0xff) << 16)
                        | ((bytes[3] & 0xff) << 8)
                        | (bytes[4] & 0xff);
        DatumReader<T> reader = readerFor(id);
        decoder =
                DecoderFactory.get()
                        .binaryDecoder(
                                bytes,
                                WireFormat.HEADER_LENGTH,
                                bytes.length - WireFormat.HEADER_LENGTH,
                                decoder);
        T record;
        try {
            record = reader.read(null, decoder);
        } catch (EOFException e) {
            throw new WireFormatException(
                    DeadLetterReason.TRUNCATED,
                    "the Avro body ends early for schema id " + id + ": the record is cut short",
                    e);
        } catch (IOException | RuntimeException e) {
            // garbage bytes surface as any of Avro's runtime exceptions, or as index and
            // allocation errors from lengths that make no sense
            throw new WireFormatException(
                    DeadLetterReason.UNDECODABLE,
                    "the Avro body does not decode with schema id " + id + ": " + e,
                    e);
        }
        try {
            if (!decoder.isEnd()) {
                throw new WireFormatException(
                        DeadLetterReason.UNDECODABLE,
                        "bytes left over after decoding with schema id "
                                + id
                                + ": the body was not written with that schema");
            }
        } catch (IOException e) {
            throw new WireFormatException(DeadLetterReason.UNDECODABLE, e.toString(), e);
        }
        return record;
    }

    /**
     * The reader for writer schema {@code id}, or the reason it has none. Every answer is kept: a
     * schema id never changes its schema, so a reader and a refusal (an incompatible schema) hold
     * for the life of the deserializer; that the registry has no such id is kept for {@link
     * RegistryConfig#missingIdCacheTtl()}, since the id may be registered later. A flood of records
     * with a bad id thus costs one registry request per id, not one per record, on the thread that
     * reads the valid records too.
     */
    private DatumReader<T> readerFor(int id) throws WireFormatException {
        DatumReader<T> reader = readersById.get(id);
        if (reader != null) {
            return reader;
        }
        Refusal refusal = refusedById.get(id);
        if (refusal != null) {
            throw refusal.exception();
        }
        Unknown missing = unknownIds.get(id);
        if (missing != null) {
            if (System.nanoTime() - missing.untilNanos() < 0) {
                throw unknown(id, missing.registryAnswer());
            }
            unknownIds.remove(id);
        }
        Schema writerSchema;
        try {
            writerSchema = client.schemaById(id);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                if (missingTtlNanos > 0) {
                    unknownIds.put(
                            id, new Unknown(System.nanoTime() + missingTtlNanos, e.getMessage()));
                }
                throw unknown(id, e.getMessage());
            }
            throw e;
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            boolean missingField =
                    compatibility.getResult().getIncompatibilities().stream()
                            .anyMatch(
                                    i ->
                                            i.getType()
                                                    == SchemaCompatibility.SchemaIncompatibilityType
                                                            .READER_FIELD_MISSING_DEFAULT_VALUE);
            Refusal refused =
                    new Refusal(
                            missingField
                                    ? DeadLetterReason.MISSING_FIELD
                                    : DeadLetterReason.INCOMPATIBLE_SCHEMA,
                            "writer schema id "
                                    + id
                                    + " ("
                                    + writerSchema.getFullName()
                                    + ") cannot be read as "
                                    + readerSchema.getFullName()
                                    + ": "
                                    + compatibility.getResult().getIncompatibilities().stream()
                                            .map(i -> i.getMessage() + " at " + i.getLocation())
                                            .toList());
            refusedById.put(id, refused);
            throw refused.exception();
        }
        reader =
                direct != null && writerSchema.equals(readerSchema)
                        ? new Direct<>(direct)
                        : new SpecificDatumReader<>(writerSchema, readerSchema, SpecificData.get());
        readersById.put(id, reader);
        return reader;
    }

    private static WireFormatException unknown(int id, String registryAnswer) {
        return new WireFormatException(
                DeadLetterReason.UNKNOWN_SCHEMA_ID,
                "the registry has no schema with id " + id + " (" + registryAnswer + ")");
    }

    /** The direct reader as one of Avro's, for the records of this build's schema. */
    private record Direct<T>(DirectReader<T> reader) implements DatumReader<T> {
        @Override
        public void setSchema(Schema schema) {
            throw new UnsupportedOperationException("reads this build's schema only");
        }

        @Override
        public T read(T reuse, Decoder in) throws IOException {
            return reader.read(in);
        }
    }

    /** An id the registry said it does not have, until when that answer holds. */
    private record Unknown(long untilNanos, String registryAnswer) {}

    /** Why the records of a writer schema cannot be read: the same for each of them. */
    private record Refusal(DeadLetterReason reason, String detail) {
        WireFormatException exception() {
            return new WireFormatException(reason, detail);
        }
    }

    private void init() {
        if (readersById != null) {
            return;
        }
        client = new SchemaRegistryClient(registry);
        readerSchema = SpecificData.get().getSchema(type);
        readersById = new HashMap<>();
        refusedById = new HashMap<>();
        unknownIds = bounded();
        missingTtlNanos = registry.missingIdCacheTtl().toNanos();
    }

    /**
     * A map of unknown ids that forgets its oldest entry beyond {@value #MAX_UNKNOWN_IDS}, as
     * Confluent's client bounds its own ({@code missing.cache.size}): a stream of random ids must
     * not grow the heap.
     */
    private static Map<Integer, Unknown> bounded() {
        return new LinkedHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Unknown> eldest) {
                return size() > MAX_UNKNOWN_IDS;
            }
        };
    }
}

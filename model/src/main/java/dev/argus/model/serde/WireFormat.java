package dev.argus.model.serde;

/**
 * The Confluent Schema Registry wire format: one magic byte {@code 0}, the schema id as a 4-byte
 * big-endian integer, then the Avro binary encoding of the value with that schema.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_LENGTH = 5;

    private WireFormat() {}

    /** The subject of a topic's values under Confluent's default TopicNameStrategy. */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }
}

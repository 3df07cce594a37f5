package dev.argus.job.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.ProfileState;
import dev.argus.model.serde.RandomRecords;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot;
import org.apache.flink.formats.avro.utils.DataOutputEncoder;
import org.junit.jupiter.api.Test;

/**
 * The profile's state serializer against Flink's Avro serializer, whose bytes and snapshot it
 * keeps: what savepoints hold does not change, and state of an older schema is migrated before it
 * is read.
 */
class ProfileStateSerializerTest {
    private final ProfileStateSerializer serializer = new ProfileStateSerializer();
    private final AvroSerializer<ProfileState> flinks = new AvroSerializer<>(ProfileState.class);

    @Test
    void writesFlinksAvroBytesAndReadsThemBack() throws IOException {
        for (ProfileState state : RandomRecords.of(ProfileState.class, 500, 13L)) {
            byte[] ours = bytes(serializer, state);
            assertThat(ours).isEqualTo(bytes(flinks, state));
            assertThat(serializer.deserialize(new DataInputDeserializer(ours))).isEqualTo(state);
            assertThat(flinks.deserialize(new DataInputDeserializer(ours))).isEqualTo(state);
        }
    }

    @Test
    void snapshotsAsFlinksAvroSerializerOfTheSameSchema() {
        TypeSerializerSnapshot<ProfileState> snapshot = serializer.snapshotConfiguration();
        assertThat(snapshot).isInstanceOf(AvroSerializerSnapshot.class);
        assertThat(
                        snapshot.resolveSchemaCompatibility(flinks.snapshotConfiguration())
                                .isCompatibleAsIs())
                .isTrue();
        assertThat(serializer.duplicate()).isNotSameAs(serializer).isEqualTo(serializer);
    }

    /**
     * A savepoint whose profile state has an older schema (here, without {@code payees}): Flink's
     * snapshot asks for a migration, and what the old snapshot's serializer reads, this one writes
     * and reads back (the state backend's migration, then the job's reads).
     */
    @Test
    void stateOfAnOlderSchemaIsMigratedBeforeItIsRead() throws IOException {
        Schema older = withoutLastField(ProfileState.SCHEMA$);
        TypeSerializerSnapshot<ProfileState> olderSnapshot = snapshotOf(older);
        TypeSerializerSchemaCompatibility<ProfileState> compatibility =
                serializer.snapshotConfiguration().resolveSchemaCompatibility(olderSnapshot);
        assertThat(compatibility.isCompatibleAfterMigration()).isTrue();

        TypeSerializer<ProfileState> olderReader = olderSnapshot.restoreSerializer();
        for (ProfileState state : RandomRecords.of(ProfileState.class, 200, 17L)) {
            ProfileState migrated =
                    olderReader.deserialize(new DataInputDeserializer(olderBytes(older, state)));
            assertThat(migrated.getPayees()).isEmpty();
            assertThat(migrated.getDevices()).isEqualTo(state.getDevices());
            byte[] rewritten = bytes(serializer, migrated);
            assertThat(serializer.deserialize(new DataInputDeserializer(rewritten)))
                    .isEqualTo(migrated);
        }
    }

    /**
     * The snapshot a savepoint of a build with schema {@code older} holds: the one Flink's Avro
     * serializer writes, made with its constructor (package-private: Flink reads it from the
     * savepoint).
     */
    @SuppressWarnings("unchecked")
    private static TypeSerializerSnapshot<ProfileState> snapshotOf(Schema older) {
        try {
            Constructor<?> constructor =
                    AvroSerializerSnapshot.class.getDeclaredConstructor(Schema.class, Class.class);
            constructor.setAccessible(true);
            return (TypeSerializerSnapshot<ProfileState>)
                    constructor.newInstance(older, ProfileState.class);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Flink's Avro snapshot has no (schema, type) constructor", e);
        }
    }

    private static Schema withoutLastField(Schema schema) {
        List<Schema.Field> fields =
                schema.getFields().subList(0, schema.getFields().size() - 1).stream()
                        .map(f -> new Schema.Field(f, f.schema()))
                        .toList();
        assertThat(schema.getFields().get(fields.size()).name()).isEqualTo("payees");
        return Schema.createRecord(
                schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    /** The state as a build whose schema was {@code older} wrote it through Flink's serializer. */
    private static byte[] olderBytes(Schema older, ProfileState state) throws IOException {
        GenericRecord record = (GenericRecord) GenericData.get().deepCopy(older, state);
        DataOutputSerializer out = new DataOutputSerializer(256);
        DataOutputEncoder encoder = new DataOutputEncoder();
        encoder.setOut(out);
        new GenericDatumWriter<GenericRecord>(older).write(record, encoder);
        return out.getCopyOfBuffer();
    }

    private static <T> byte[] bytes(TypeSerializer<T> serializer, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return out.getCopyOfBuffer();
    }
}

package dev.argus.model.registry;

import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.model.Transaction;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.ConfluentAvroSerializer;
import java.nio.ByteBuffer;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What Argus relies on from any registry that speaks the Confluent REST API. Runs against the
 * in-process registry and against a real, independent implementation (Apicurio), so that the
 * in-process one cannot drift from the real API unnoticed.
 */
public abstract class SchemaRegistryContract {
    private static final Schema V1 =
            SchemaBuilder.record("Thing")
                    .namespace("test")
                    .fields()
                    .requiredString("id")
                    .endRecord();
    private static final Schema V2_WITH_DEFAULT =
            SchemaBuilder.record("Thing")
                    .namespace("test")
                    .fields()
                    .requiredString("id")
                    .name("size")
                    .type()
                    .intType()
                    .intDefault(0)
                    .endRecord();
    private static final Schema V2_WITHOUT_DEFAULT =
            SchemaBuilder.record("Thing")
                    .namespace("test")
                    .fields()
                    .requiredString("id")
                    .requiredInt("size")
                    .endRecord();

    protected SchemaRegistryClient client;
    protected String subject;

    /** Base URL of the registry's Confluent-compatible API. */
    protected abstract String registryUrl();

    @BeforeEach
    void newClientAndSubject() {
        client = new SchemaRegistryClient(RegistryConfig.of(registryUrl()));
        subject = "contract-" + UUID.randomUUID() + "-value";
    }

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameId() {
        int first = client.register(subject, V1);
        SchemaRegistryClient fresh = new SchemaRegistryClient(RegistryConfig.of(registryUrl()));
        assertThat(fresh.register(subject, V1)).isEqualTo(first);
        assertThat(fresh.versions(subject)).containsExactly(1);
    }

    @Test
    void servesARegisteredSchemaByItsId() {
        int id = client.register(subject, V1);
        SchemaRegistryClient fresh = new SchemaRegistryClient(RegistryConfig.of(registryUrl()));
        assertThat(fresh.schemaById(id)).isEqualTo(V1);
    }

    @Test
    void looksUpASchemaWithoutRegisteringIt() {
        assertThat(client.lookup(subject, V1)).isEmpty();
        int id = client.register(subject, V1);
        assertThat(client.lookup(subject, V1))
                .hasValueSatisfying(
                        found -> {
                            assertThat(found.id()).isEqualTo(id);
                            assertThat(found.version()).isEqualTo(1);
                        });
        assertThat(client.lookup(subject, V2_WITH_DEFAULT)).isEmpty();
    }

    @Test
    void latestIsTheLastRegisteredVersion() {
        client.register(subject, V1);
        int v2 = client.register(subject, V2_WITH_DEFAULT);
        RegisteredSchema latest = client.latest(subject);
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(v2);
        assertThat(latest.schema()).isEqualTo(V2_WITH_DEFAULT);
        assertThat(client.versions(subject)).containsExactly(1, 2);
        assertThat(client.subjects()).contains(subject);
    }

    @Test
    void anUnknownIdIsNotFound() {
        assertThatThrownBy(() -> client.schemaById(987_654_321))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.isNotFound()).isTrue());
    }

    @Test
    void anUnknownSubjectIsNotFound() {
        assertThatThrownBy(() -> client.latest(subject))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.isNotFound()).isTrue());
    }

    @Test
    void backwardCompatibilityRefusesAFieldWithoutDefault() {
        client.register(subject, V1);
        client.setCompatibility(subject, "BACKWARD");
        assertThat(client.compatibility(subject)).contains("BACKWARD");
        assertThat(client.isCompatible(subject, V2_WITHOUT_DEFAULT)).isFalse();
        assertThat(client.isCompatible(subject, V2_WITH_DEFAULT)).isTrue();
        assertThatThrownBy(() -> client.register(subject, V2_WITHOUT_DEFAULT))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.isIncompatible()).isTrue());
        client.register(subject, V2_WITH_DEFAULT);
        assertThat(client.versions(subject)).containsExactly(1, 2);
    }

    @Test
    void whatArgusWritesDecodesThroughTheRegistry() throws Exception {
        String topic = subject.substring(0, subject.length() - "-value".length());
        ConfluentAvroSerializer<Transaction> serializer =
                new ConfluentAvroSerializer<>(client.config(), Transaction.class, true);
        Transaction original = payment().amount("12.34", "EUR").build();
        byte[] bytes = serializer.serialize(topic, original);

        ByteBuffer header = ByteBuffer.wrap(bytes, 0, 5);
        assertThat(header.get()).isEqualTo((byte) 0);
        int id = header.getInt();
        assertThat(client.latest(subject).id()).isEqualTo(id);

        ConfluentAvroDeserializer<Transaction> deserializer =
                new ConfluentAvroDeserializer<>(
                        RegistryConfig.of(registryUrl()), Transaction.class);
        assertThat(deserializer.deserialize(bytes)).isEqualTo(original);
    }
}

package dev.argus.model.serde;

import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.MatchedEvent;
import dev.argus.model.Money;
import dev.argus.model.Severity;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionBuilder;
import dev.argus.model.TransactionType;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConfluentAvroSerdeTest {
    private static final String TOPIC = "transactions";
    private static InProcessSchemaRegistry registry;

    private SchemaRegistryClient client;
    private ConfluentAvroSerializer<Transaction> serializer;
    private ConfluentAvroDeserializer<Transaction> deserializer;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = InProcessSchemaRegistry.start(0);
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @BeforeEach
    void setUp() {
        client = new SchemaRegistryClient(RegistryConfig.of(registry.url()));
        serializer = new ConfluentAvroSerializer<>(client.config(), Transaction.class, true);
        deserializer = new ConfluentAvroDeserializer<>(client.config(), Transaction.class);
    }

    @Test
    void roundTripsATransaction() throws Exception {
        Transaction original = payment().amount("1234.56", "EUR").build();
        assertThat(deserializer.deserialize(serializer.serialize(TOPIC, original)))
                .isEqualTo(original);
    }

    @Test
    void roundTripsAnAlert() throws Exception {
        Alert alert =
                Alert.newBuilder()
                        .setAlertId("a-1")
                        .setRuleId("card-testing")
                        .setRuleVersion(1)
                        .setAccountId("acc-1")
                        .setSeverity(Severity.HIGH)
                        .setScore(80)
                        .setExplanation("three small then one large")
                        .setMatchedEvents(
                                List.of(
                                        MatchedEvent.newBuilder()
                                                .setStage("small")
                                                .setTransactionId("t-1")
                                                .setEventTime(TransactionBuilder.T0)
                                                .setType(TransactionType.CARD_PAYMENT)
                                                .setAmount(new Money(100L, "EUR"))
                                                .setMerchantCategoryCode("5411")
                                                .build()))
                        .setFeatures(java.util.Map.of("small.new_device", "true"))
                        .setLastEventTime(TransactionBuilder.T0)
                        .setDetectionTime(TransactionBuilder.T0.plusMillis(40))
                        .build();
        ConfluentAvroSerializer<Alert> alerts =
                new ConfluentAvroSerializer<>(client.config(), Alert.class, true);
        ConfluentAvroDeserializer<Alert> reader =
                new ConfluentAvroDeserializer<>(client.config(), Alert.class);
        assertThat(reader.deserialize(alerts.serialize("alerts", alert))).isEqualTo(alert);
    }

    @Test
    void writesTheConfluentHeaderWithTheRegisteredId() {
        byte[] bytes = serializer.serialize(TOPIC, payment().build());
        ByteBuffer header = ByteBuffer.wrap(bytes);
        assertThat(header.get()).isEqualTo(WireFormat.MAGIC_BYTE);
        assertThat(header.getInt()).isEqualTo(client.latest("transactions-value").id());
    }

    @Test
    void readsARecordWrittenWithAnOlderSchemaFillingDefaults() throws Exception {
        // an older producer that knew only the required fields and an amount
        Schema older =
                new Schema.Parser()
                        .parse(
                                """
                {"type":"record","name":"Transaction","namespace":"dev.argus.model","fields":[
                  {"name":"transaction_id","type":"string"},
                  {"name":"account_id","type":"string"},
                  {"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}},
                  {"name":"type","type":{"type":"enum","name":"TransactionType","symbols":["CARD_PAYMENT","TRANSFER"]}},
                  {"name":"channel","type":{"type":"enum","name":"Channel","symbols":["POS","ECOMMERCE"]}},
                  {"name":"status","type":{"type":"enum","name":"TransactionStatus","symbols":["APPROVED","DECLINED"]}}
                ]}""");
        GenericRecord record = new GenericData.Record(older);
        record.put("transaction_id", "t-old");
        record.put("account_id", "acc-9");
        record.put("event_time", TransactionBuilder.T0.toEpochMilli());
        record.put("type", new GenericData.EnumSymbol(older.getField("type").schema(), "TRANSFER"));
        record.put(
                "channel", new GenericData.EnumSymbol(older.getField("channel").schema(), "POS"));
        record.put(
                "status",
                new GenericData.EnumSymbol(older.getField("status").schema(), "DECLINED"));
        int id = client.register("older-value", older);

        Transaction read = deserializer.deserialize(encode(id, older, record));

        assertThat(read.getTransactionId()).isEqualTo("t-old");
        assertThat(read.getType()).isEqualTo(TransactionType.TRANSFER);
        assertThat(read.getAmount()).isNull();
        assertThat(read.getCardPresent()).isFalse();
        assertThat(read.getLocation()).isNull();
    }

    @Test
    void readsARecordWrittenWithANewerSchemaIgnoringNewFieldsAndSymbols() throws Exception {
        Schema current = Transaction.getClassSchema();
        String json = current.toString();
        Schema newer =
                new Schema.Parser()
                        .parse(
                                json.replace("\"UNKNOWN\"]", "\"UNKNOWN\",\"CRYPTO_PURCHASE\"]")
                                        .replaceFirst(
                                                "\"fields\":\\[",
                                                "\"fields\":[{\"name\":\"risk_hint\",\"type\":\"string\",\"default\":\"\"},"));
        GenericRecord record = new GenericData.Record(newer);
        Transaction base = payment().build();
        for (Schema.Field f : current.getFields()) {
            record.put(f.name(), GenericData.get().deepCopy(f.schema(), toGeneric(base, f)));
        }
        record.put("risk_hint", "x");
        record.put(
                "type",
                new GenericData.EnumSymbol(newer.getField("type").schema(), "CRYPTO_PURCHASE"));
        int id = client.register("newer-value", newer);

        Transaction read = deserializer.deserialize(encode(id, newer, record));

        assertThat(read.getTransactionId()).isEqualTo(base.getTransactionId());
        assertThat(read.getType()).isEqualTo(TransactionType.UNKNOWN);
    }

    @Test
    void readsRecordsOfThisBuildsSchemaDirectlyAsAvrosReaderDoes() throws Exception {
        ConfluentAvroDeserializer<Transaction> direct = directDeserializer();
        for (Transaction original : RandomRecords.of(Transaction.class, 2_000, 23L)) {
            byte[] bytes = serializer.serialize(TOPIC, original);
            assertThat(direct.deserialize(bytes))
                    .isEqualTo(deserializer.deserialize(bytes))
                    .isEqualTo(original);
        }
        assertThat(direct.readsDirectly(serializer.schemaId(TOPIC))).isTrue();
    }

    @Test
    void recordsOfAnotherSchemaAreResolvedByAvroEvenWithADirectReader() throws Exception {
        ConfluentAvroDeserializer<Transaction> direct = directDeserializer();
        Schema newer =
                new Schema.Parser()
                        .parse(
                                Transaction.getClassSchema()
                                        .toString()
                                        .replaceFirst(
                                                "\"fields\":\\[",
                                                "\"fields\":[{\"name\":\"risk_hint\",\"type\":\"string\",\"default\":\"\"},"));
        GenericRecord record = new GenericData.Record(newer);
        Transaction base = payment().build();
        for (Schema.Field f : Transaction.getClassSchema().getFields()) {
            record.put(f.name(), GenericData.get().deepCopy(f.schema(), toGeneric(base, f)));
        }
        record.put("risk_hint", "x");
        int id = client.register("newer-direct-value", newer);

        assertThat(direct.deserialize(encode(id, newer, record))).isEqualTo(base);
        assertThat(direct.readsDirectly(id)).isFalse();
    }

    /**
     * Bytes after a valid header: the direct reader refuses what Avro's refuses, for the same
     * reason.
     */
    @Test
    void theDirectReaderRefusesGarbageAsAvrosReaderDoes() {
        ConfluentAvroDeserializer<Transaction> direct = directDeserializer();
        int id = serializer.schemaId(TOPIC);
        Random random = new Random(43);
        int refused = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] body = new byte[1 + random.nextInt(120)];
            random.nextBytes(body);
            byte[] bytes =
                    ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(id).put(body).array();
            Object avros = outcome(deserializer, bytes);
            assertThat(outcome(direct, bytes)).as("record %d", i).isEqualTo(avros);
            if (avros instanceof DeadLetterReason) {
                refused++;
            }
        }
        // every byte of valid records changed to a few values: union branches and enum symbols
        // that do not exist, lengths that do not fit, as well as records that still read
        for (Transaction valid : RandomRecords.of(Transaction.class, 20, 29L)) {
            byte[] bytes = serializer.serialize(TOPIC, valid);
            for (int at = WireFormat.HEADER_LENGTH; at < bytes.length; at++) {
                for (int value : new int[] {0, 1, 2, 3, 4, 5, 6, 0x3f, 0x7f, 0x80, 0xff}) {
                    byte[] changed = bytes.clone();
                    changed[at] = (byte) value;
                    assertThat(outcome(direct, changed))
                            .as("byte %d set to %d", at, value)
                            .isEqualTo(outcome(deserializer, changed));
                }
            }
        }
        assertThat(direct.readsDirectly(id)).isTrue();
        assertThat(refused).isGreaterThan(4_000);
        // and a valid record, after all those refusals, still reads directly
        byte[] valid = serializer.serialize(TOPIC, payment().build());
        assertThat(outcome(direct, valid)).isInstanceOf(Transaction.class);
    }

    private ConfluentAvroDeserializer<Transaction> directDeserializer() {
        return new ConfluentAvroDeserializer<>(
                client.config(), Transaction.class, TransactionEncoding::read);
    }

    /** The record read, or the dead-letter reason it was refused with. */
    private static Object outcome(
            ConfluentAvroDeserializer<Transaction> deserializer, byte[] bytes) {
        try {
            return deserializer.deserialize(bytes);
        } catch (WireFormatException e) {
            return e.reason();
        }
    }

    @Test
    void anEmptyRecordIsRefused() {
        assertReason(new byte[0], DeadLetterReason.EMPTY);
    }

    @Test
    void aRecordWithoutTheMagicByteIsRefused() {
        assertReason("{\"id\":1}".getBytes(), DeadLetterReason.WRONG_MAGIC_BYTE);
    }

    @Test
    void aRecordShorterThanTheHeaderIsTruncated() {
        assertReason(new byte[] {0, 0, 0}, DeadLetterReason.TRUNCATED);
    }

    @Test
    void aRecordCutShortInItsBodyIsTruncated() {
        byte[] bytes = serializer.serialize(TOPIC, payment().build());
        assertReason(Arrays.copyOf(bytes, bytes.length - 10), DeadLetterReason.TRUNCATED);
    }

    @Test
    void anUnknownSchemaIdIsRefused() {
        byte[] bytes = serializer.serialize(TOPIC, payment().build());
        ByteBuffer.wrap(bytes).put(1, (byte) 0x7f);
        assertReason(bytes, DeadLetterReason.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void aSchemaWithoutARequiredFieldIsAMissingField() throws Exception {
        Schema noAccount =
                new Schema.Parser()
                        .parse(
                                "{\"type\":\"record\",\"name\":\"Transaction\",\"namespace\":\"dev.argus.model\",\"fields\":[{\"name\":\"transaction_id\",\"type\":\"string\"}]}");
        GenericRecord record = new GenericData.Record(noAccount);
        record.put("transaction_id", "t-x");
        int id = client.register("no-account-value", noAccount);
        assertReason(encode(id, noAccount, record), DeadLetterReason.MISSING_FIELD);
    }

    @Test
    void aFieldOfAnotherTypeIsIncompatible() throws Exception {
        Schema other = otherSchema();
        assertThat(other.getField("transaction_id").schema().getType()).isEqualTo(Schema.Type.LONG);
        int id = client.register("other-value", other);
        assertReason(incompatibleRecord(id), DeadLetterReason.INCOMPATIBLE_SCHEMA);
    }

    @Test
    void garbageAfterAValidHeaderIsUndecodableAndNeverCrashes() {
        int id = serializer.schemaId(TOPIC);
        Random random = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            byte[] body = new byte[1 + random.nextInt(120)];
            random.nextBytes(body);
            byte[] bytes =
                    ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(id).put(body).array();
            try {
                deserializer.deserialize(bytes);
            } catch (WireFormatException e) {
                assertThat(e.reason())
                        .isIn(DeadLetterReason.UNDECODABLE, DeadLetterReason.TRUNCATED);
            }
        }
        assertReason(
                ByteBuffer.allocate(9).put((byte) 0).putInt(id).putInt(0xffffffff).array(),
                DeadLetterReason.UNDECODABLE,
                DeadLetterReason.TRUNCATED);
    }

    @Test
    void aFloodOfUnknownOrIncompatibleIdsAsksTheRegistryOncePerId() throws Exception {
        byte[] valid = serializer.serialize(TOPIC, payment().build());
        int incompatibleId = client.register("flood-other-value", otherSchema());
        byte[] incompatible = incompatibleRecord(incompatibleId);
        assertThat(deserializer.deserialize(valid)).isNotNull();
        long before = registry.requests();
        for (int i = 0; i < 500; i++) {
            for (int unknownId : new int[] {900_001, 900_002}) {
                byte[] bytes = valid.clone();
                ByteBuffer.wrap(bytes).putInt(1, unknownId);
                assertReason(bytes, DeadLetterReason.UNKNOWN_SCHEMA_ID);
            }
            assertReason(incompatible, DeadLetterReason.INCOMPATIBLE_SCHEMA);
        }
        // one lookup per id: two unknown ones and the incompatible schema
        assertThat(registry.requests() - before).isEqualTo(3);
        // the valid records still decode, with no request
        assertThat(deserializer.deserialize(valid)).isNotNull();
        assertThat(registry.requests() - before).isEqualTo(3);
    }

    @Test
    void anUnknownIdIsAskedForAgainOnceItsTimeToLiveIsOver() throws Exception {
        RegistryConfig config =
                RegistryConfig.builder(registry.url())
                        .missingIdCacheTtl(java.time.Duration.ofMillis(300))
                        .build();
        ConfluentAvroDeserializer<Transaction> shortLived =
                new ConfluentAvroDeserializer<>(config, Transaction.class);
        byte[] valid = serializer.serialize(TOPIC, payment().build());
        // the id the registry gives the next new schema
        int next = client.register("probe-value", uniqueSchema()) + 1;
        byte[] early = valid.clone();
        ByteBuffer.wrap(early).putInt(1, next);
        long before = registry.requests();
        for (int i = 0; i < 100; i++) {
            assertReason(shortLived, early, DeadLetterReason.UNKNOWN_SCHEMA_ID);
        }
        assertThat(registry.requests() - before).isEqualTo(1);
        // a schema is registered under the id the records named: within the time to live they are
        // still unknown, after it the registry is asked again and its answer holds
        assertThat(client.register("late-value", uniqueSchema())).isEqualTo(next);
        assertReason(shortLived, early, DeadLetterReason.UNKNOWN_SCHEMA_ID);
        Thread.sleep(400);
        assertReason(
                shortLived,
                early,
                DeadLetterReason.MISSING_FIELD,
                DeadLetterReason.INCOMPATIBLE_SCHEMA);
        assertThat(registry.requests() - before).isEqualTo(3);
    }

    /** A record schema no other test registers, so that it gets a new id. */
    private static Schema uniqueSchema() {
        return org.apache.avro.SchemaBuilder.record("Probe" + System.nanoTime())
                .fields()
                .requiredString("name")
                .endRecord();
    }

    @Test
    void aTimeToLiveOfZeroAsksTheRegistryForEveryRecord() {
        ConfluentAvroDeserializer<Transaction> uncached =
                new ConfluentAvroDeserializer<>(
                        RegistryConfig.builder(registry.url())
                                .missingIdCacheTtl(java.time.Duration.ZERO)
                                .build(),
                        Transaction.class);
        byte[] bytes = serializer.serialize(TOPIC, payment().build());
        ByteBuffer.wrap(bytes).putInt(1, 900_003);
        long before = registry.requests();
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> uncached.deserialize(bytes))
                    .isInstanceOf(WireFormatException.class);
        }
        assertThat(registry.requests() - before).isEqualTo(5);
    }

    @Test
    void theTimeToLiveIsReadFromTheConfluentKey() {
        java.util.Map<String, String> props = new java.util.HashMap<>();
        props.put("schema.registry.url", registry.url());
        assertThat(RegistryConfig.fromProperties(props).missingIdCacheTtl()).hasSeconds(60);
        props.put(RegistryConfig.MISSING_ID_CACHE_TTL, "5");
        assertThat(RegistryConfig.fromProperties(props).missingIdCacheTtl()).hasSeconds(5);
        props.put(RegistryConfig.MISSING_ID_CACHE_TTL, "-1");
        assertThatThrownBy(() -> RegistryConfig.fromProperties(props))
                .hasMessageContaining(RegistryConfig.MISSING_ID_CACHE_TTL);
    }

    private static Schema otherSchema() {
        String json = Transaction.getClassSchema().toString();
        return new Schema.Parser()
                .parse(
                        json.replaceFirst(
                                "\\{\"name\":\"transaction_id\",\"type\":\\{[^}]*\\}",
                                "{\"name\":\"transaction_id\",\"type\":\"long\""));
    }

    private byte[] incompatibleRecord(int id) throws Exception {
        Schema other = otherSchema();
        GenericRecord record = new GenericData.Record(other);
        Transaction base = payment().build();
        for (Schema.Field f : other.getFields()) {
            record.put(f.name(), toGeneric(base, f));
        }
        record.put("transaction_id", 5L);
        return encode(id, other, record);
    }

    private void assertReason(byte[] bytes, DeadLetterReason... expected) {
        assertReason(deserializer, bytes, expected);
    }

    private static void assertReason(
            ConfluentAvroDeserializer<Transaction> deserializer,
            byte[] bytes,
            DeadLetterReason... expected) {
        assertThatThrownBy(() -> deserializer.deserialize(bytes))
                .isInstanceOfSatisfying(
                        WireFormatException.class,
                        e -> {
                            assertThat(e.reason()).as(e.getMessage()).isIn((Object[]) expected);
                            assertThat(e.getMessage()).isNotBlank();
                        });
    }

    private static Object toGeneric(Transaction t, Schema.Field f) {
        Object value = t.get(f.pos());
        if (value instanceof java.time.Instant instant) {
            return instant.toEpochMilli();
        }
        return value;
    }

    private static byte[] encode(int id, Schema schema, GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}

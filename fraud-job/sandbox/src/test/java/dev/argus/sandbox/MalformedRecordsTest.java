package dev.argus.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionValidator;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.WireFormatException;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MalformedRecordsTest {
    @Test
    void everyKindGetsItsReasonFromTheJobsDecoderAndValidator() throws Exception {
        try (InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0)) {
            RegistryConfig config = RegistryConfig.of(registry.url());
            MalformedRecords flood = new MalformedRecords(config, "transactions");
            ConfluentAvroDeserializer<Transaction> decoder =
                    new ConfluentAvroDeserializer<>(config, Transaction.class);
            TransactionValidator validator = new TransactionValidator(3_600_000);
            TransactionGenerator valid = new TransactionGenerator(3, 1_000, 0, 0);
            long now = System.currentTimeMillis();
            Map<MalformedRecords.Kind, Integer> seen = new EnumMap<>(MalformedRecords.Kind.class);
            Set<String> details = new HashSet<>();
            for (int i = 0; i < 8 * 40; i++) {
                Transaction t = valid.next(now + i).transaction();
                // the transactions themselves pass
                assertThat(validator.check(t, now + i)).isEmpty();
                MalformedRecords.Malformed m = flood.next(t);
                assertThat(reasonOf(decoder, validator, m.value(), now + i))
                        .as("%s", m.kind())
                        .isEqualTo(m.kind().reason());
                assertThat(new String(m.key(), java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(t.getAccountId());
                seen.merge(m.kind(), 1, Integer::sum);
                details.add(detailOf(decoder, validator, m.value(), now + i));
            }
            assertThat(seen).hasSize(8).allSatisfy((kind, n) -> assertThat(n).isEqualTo(40));
            // both forms of the cut-short and invalid records, and several unknown ids
            assertThat(details).anyMatch(d -> d.contains("fewer than the 5"));
            assertThat(details).anyMatch(d -> d.contains("ends early"));
            assertThat(details).anyMatch(d -> d.contains("is negative"));
            assertThat(details).anyMatch(d -> d.contains("1970"));
            assertThat(details.stream().filter(d -> d.contains("no schema with id")).count())
                    .isEqualTo(MalformedRecords.UNKNOWN_IDS);
        }
    }

    private static DeadLetterReason reasonOf(
            ConfluentAvroDeserializer<Transaction> decoder,
            TransactionValidator validator,
            byte[] value,
            long timestamp) {
        try {
            Optional<TransactionValidator.Violation> v =
                    validator.check(decoder.deserialize(value), timestamp);
            return v.map(TransactionValidator.Violation::reason).orElse(null);
        } catch (WireFormatException e) {
            return e.reason();
        }
    }

    private static String detailOf(
            ConfluentAvroDeserializer<Transaction> decoder,
            TransactionValidator validator,
            byte[] value,
            long timestamp) {
        try {
            return validator
                    .check(decoder.deserialize(value), timestamp)
                    .map(TransactionValidator.Violation::detail)
                    .orElse("valid");
        } catch (WireFormatException e) {
            return e.getMessage();
        }
    }
}

package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.testing.LabelledStream;
import dev.argus.rules.testing.RuleTestCase;
import dev.argus.sandbox.MalformedRecords;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * Bad input changes nothing of what the good input does: the shipped pack's test cases go through
 * Kafka with malformed records of all eight kinds between every two of their transactions, on the
 * same accounts and partitions, more than 10,000 of them. Every case still gets exactly its
 * expected alerts, once each, and every malformed record is in the dead-letter topic with the
 * reason of its kind, found by its partition and offset. How long a flood holds up the valid
 * traffic is measured by {@code argus bench --flood}, not here.
 */
class MalformedFloodITCase {
    private static final int MALFORMED = 10_000;

    @Test
    void everyMalformedRecordIsDeadLetteredAndTheCasesAlertAsWithoutThem() throws Exception {
        RulePackLoader.Result pack = KafkaTestBed.loadPack(Path.of("../../rules/pack"));
        List<RuleTestCase> cases = pack.tests();
        List<Transaction> stream = LabelledStream.stream(cases, KafkaTestBed.labelledStreamStart());
        int perTransaction = (MALFORMED + stream.size() - 1) / stream.size();

        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config = bed.config("flood-itcase", "1 s");
            MalformedRecords flood =
                    new MalformedRecords(config.registry(), config.get("topic.transactions"));
            Map<MalformedRecords.Kind, Integer> produced =
                    new EnumMap<>(MalformedRecords.Kind.class);
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            List<MalformedRecords.Kind> kinds = new ArrayList<>();
            try (TransactionProducer producer = new TransactionProducer(config)) {
                for (Transaction t : stream) {
                    for (int i = 0; i < perTransaction; i++) {
                        MalformedRecords.Malformed m = flood.next(t);
                        sent.add(producer.sendRaw(m.key(), m.value()));
                        kinds.add(m.kind());
                        produced.merge(m.kind(), 1, Integer::sum);
                    }
                    producer.sendOne(t);
                }
                producer.flush();
            }
            Map<String, DeadLetterReason> expected = new HashMap<>();
            for (int i = 0; i < sent.size(); i++) {
                RecordMetadata at = sent.get(i).get();
                expected.put(at.partition() + "/" + at.offset(), kinds.get(i).reason());
            }
            assertThat(expected).hasSizeGreaterThanOrEqualTo(MALFORMED);
            assertThat(produced).hasSize(8);

            KafkaTestBed.runToEnd(config, "argus-flood-itcase");

            List<Alert> alerts = bed.committedAlerts(config);
            List<DeadLetter> deadLetters =
                    bed.committed(config, "topic.dead-letters", DeadLetter.class);
            Map<String, DeadLetterReason> found = new HashMap<>();
            for (DeadLetter d : deadLetters) {
                assertThat(d.getSourceTopic()).isEqualTo(config.get("topic.transactions"));
                assertThat(d.getDetail()).isNotBlank();
                assertThat(
                                found.put(
                                        d.getSourcePartition() + "/" + d.getSourceOffset(),
                                        d.getReason()))
                        .as("one dead letter per record")
                        .isNull();
            }
            assertThat(found).isEqualTo(expected);
            KafkaTestBed.assertAlertsOfCases(cases, alerts, List.of());
        }
    }
}

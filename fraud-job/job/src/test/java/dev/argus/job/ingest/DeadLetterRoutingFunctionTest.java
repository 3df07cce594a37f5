package dev.argus.job.ingest;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import java.time.Instant;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeadLetterRoutingFunctionTest {
    private OneInputStreamOperatorTestHarness<Decoded, Transaction> harness;

    @BeforeEach
    void open() throws Exception {
        harness = ProcessFunctionTestHarnesses.forProcessFunction(new DeadLetterRoutingFunction());
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    @Test
    void passesValidTransactionsOn() throws Exception {
        Transaction t = payment().build();
        process(Decoded.valid(t, "transactions", 0, 7));
        assertThat(harness.extractOutputValues()).containsExactly(t);
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void sendsUndecodableRecordsToTheDeadLetterOutput() throws Exception {
        DeadLetter bad =
                DeadLetter.newBuilder()
                        .setReason(DeadLetterReason.WRONG_MAGIC_BYTE)
                        .setDetail("first byte is 0x7b")
                        .setDeadLetterTime(Instant.now())
                        .build();
        harness.processElement(new StreamRecord<>(Decoded.deadLetter(bad), Long.MIN_VALUE));
        Transaction after = payment().build();
        process(Decoded.valid(after, "transactions", 0, 8));

        assertThat(deadLetters()).containsExactly(bad);
        assertThat(harness.extractOutputValues()).containsExactly(after);
    }

    @Test
    void deadLettersEventsAtOrBehindTheWatermarkAsLateWithTheirCoordinates() throws Exception {
        harness.processWatermark(T0.plusSeconds(60).toEpochMilli());
        Transaction behind = payment("behind").secondsAfterT0(30).build();
        Transaction atWatermark = payment("at").secondsAfterT0(60).build();
        Transaction ahead = payment("ahead").secondsAfterT0(61).build();

        process(Decoded.valid(behind, "transactions", 1, 41));
        process(Decoded.valid(atWatermark, "transactions", 1, 42));
        process(Decoded.valid(ahead, "transactions", 1, 43));

        assertThat(harness.extractOutputValues()).containsExactly(ahead);
        List<DeadLetter> late = deadLetters();
        assertThat(late).extracting(DeadLetter::getReason).containsOnly(DeadLetterReason.LATE);
        assertThat(late)
                .extracting(DeadLetter::getTransaction)
                .containsExactly(behind, atWatermark);
        assertThat(late.get(0).getSourcePartition()).isEqualTo(1);
        assertThat(late.get(0).getSourceOffset()).isEqualTo(41L);
        assertThat(late.get(0).getDetail()).contains("30000 ms behind the watermark");
    }

    private void process(Decoded d) throws Exception {
        harness.processElement(new StreamRecord<>(d, d.transaction.getEventTime().toEpochMilli()));
    }

    private List<DeadLetter> deadLetters() {
        var side = harness.getSideOutput(DeadLetters.TAG);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }
}

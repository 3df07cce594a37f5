package dev.argus.job.ingest;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.cardPayment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.RecordingMetricGroup;
import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

    @Test
    void anEventLateAtTheRulesIsALateDeadLetterThatSaysWhereAndWhatToDo() {
        Transaction t = cardPayment("t1", "acc-1", T0, "10.00");

        DeadLetter d = DeadLetters.lateAtRules(t, "the rule engine");

        assertThat(d.getReason()).isEqualTo(DeadLetterReason.LATE);
        assertThat(d.getTransaction()).isEqualTo(t);
        assertThat(d.getDetail())
                .contains("behind the time the rule engine had reached")
                .contains("after a restore");
    }

    @Test
    void countsEachDeadLetterUnderItsReason() {
        RecordingMetricGroup metrics = new RecordingMetricGroup();
        DeadLetters.Count count = new DeadLetters.Count(metrics, DeadLetterReason.EMPTY);
        Transaction t = cardPayment("t1", "acc-1", T0, "10.00");

        count.inc(DeadLetters.lateAtRules(t, "the rule engine"));
        count.inc(DeadLetters.lateAtRules(t, "the rule engine"));

        assertThat(metrics.count("argus.reason.LATE.dead_letters")).isEqualTo(2);
        assertThat(metrics.registered("argus.reason.EMPTY.dead_letters")).isTrue();
        assertThat(metrics.count("argus.reason.EMPTY.dead_letters")).isZero();
        assertThat(metrics.registered("argus.reason.UNDECODABLE.dead_letters")).isFalse();
    }
}

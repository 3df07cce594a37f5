package dev.argus.job.alerting;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.RocksDbHarness;
import dev.argus.job.StockCep;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.MatchedEvent;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.RecommendedAction;
import dev.argus.model.Severity;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionBuilder;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.time.Duration;
import java.util.List;
import org.apache.flink.cep.operator.CepOperator;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rules compiled from YAML, in the same CEP operator the pipeline runs, on RocksDB, asserting on
 * output, timers and what survives a snapshot and restore. The rules are those of pack 2026.12.1
 * (card-testing, new-device-owner-silent, large-amount-new-device), kept in the test resources'
 * {@code harness-pack/} so that tuning the shipped pack does not move what this test, and the
 * pipeline tests that share them, assert about the operators.
 */
class RuleOperatorHarnessTest {
    private static final RulePack PACK =
            RulePackLoader.loadForJob("classpath:harness-pack", CepPatternCheck.INSTANCE);
    private static final Rule RULE = PACK.rule("card-testing").orElseThrow();
    private static final Rule ABSENCE = PACK.rule("new-device-owner-silent").orElseThrow();

    private KeyedOneInputStreamOperatorTestHarness<String, EnrichedTransaction, Alert> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void alertsWhenThreeSmallPaymentsPrecedeALargeOne() throws Exception {
        harness = open(null);
        process(payment("s1").amount("1.00", "EUR").secondsAfterT0(0).build());
        process(payment("s2").amount("2.50", "EUR").secondsAfterT0(40).build());
        process(payment("s3").amount("4.99", "EUR").secondsAfterT0(80).build());
        process(payment("big").amount("750.00", "EUR").secondsAfterT0(200).build());
        harness.processWatermark(T0.plusSeconds(201).toEpochMilli());

        List<Alert> alerts = harness.extractOutputValues();
        assertThat(alerts).hasSize(1);
        Alert alert = alerts.get(0);
        assertThat(alert.getMatchedEvents())
                .extracting(MatchedEvent::getTransactionId)
                .containsExactly("s1", "s2", "s3", "big");
        assertThat(alert.getMatchedEvents())
                .extracting(MatchedEvent::getStage)
                .containsExactly("small", "small", "small", "large");
        assertThat(alert.getSeverity()).isEqualTo(Severity.HIGH);
        assertThat(alert.getLastEventTime()).isEqualTo(T0.plusSeconds(200));
        assertThat(alert.getExplanation())
                .isEqualTo(
                        "3 small card payments (8.49 EUR in total) were followed by a payment of"
                                + " 750.00 EUR 3.33 minutes after the first.");
        assertThat(alert.getAlertId())
                .isEqualTo(
                        AlertIds.of("card-testing", 1, "acc-1", List.of("s1", "s2", "s3", "big")));
        assertThat(alert.getPackVersion()).isEqualTo(PACK.version());
        assertThat(alert.getMode()).isEqualTo(AlertMode.ENFORCE);
        // score 80 lies in the pack's STEP_UP band (60 to 84)
        assertThat(alert.getRecommendedAction()).isEqualTo(RecommendedAction.STEP_UP);
        assertThat(alert.getMatchedEvents())
                .allSatisfy(
                        e -> {
                            assertThat(e.getMerchantCategoryCode()).isEqualTo("5411");
                            assertThat(e.getDeviceId()).isEqualTo("dev-1");
                            assertThat(e.getCountry()).isEqualTo("DE");
                        });
        assertThat(alert.getFeatures()).isEmpty();
    }

    @Test
    void oneBurstWithMoreSmallPaymentsGivesOneAlertWithAllOfThem() throws Exception {
        harness = open(null);
        for (int i = 1; i <= 5; i++) {
            process(small("s" + i, i * 10L));
        }
        process(payment("big").amount("900.00", "EUR").secondsAfterT0(100).build());
        harness.processWatermark(T0.plusSeconds(101).toEpochMilli());

        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.extractOutputValues().get(0).getMatchedEvents()).hasSize(6);
    }

    @Test
    void oneBurstGivesOneAlertWhenTheWatermarkAdvancesBetweenPayments() throws Exception {
        harness = open(null);
        for (int i = 1; i <= 4; i++) {
            process(small("s" + i, i * 10L));
            harness.processWatermark(T0.plusSeconds(i * 10L).toEpochMilli());
        }
        process(payment("big").amount("900.00", "EUR").secondsAfterT0(100).build());
        harness.processWatermark(T0.plusSeconds(101).toEpochMilli());

        assertThat(harness.extractOutputValues())
                .singleElement()
                .satisfies(
                        a ->
                                assertThat(a.getMatchedEvents())
                                        .extracting(MatchedEvent::getTransactionId)
                                        .containsExactly("s1", "s2", "s3", "s4", "big"));
    }

    @Test
    void staysSilentWhenTheLargePaymentComesAfterTheWindow() throws Exception {
        harness = open(null);
        processSmallPayments(0, 10, 20);
        process(payment("big").amount("900.00", "EUR").secondsAfterT0(601).build());
        harness.processWatermark(T0.plusSeconds(3600).toEpochMilli());

        assertThat(harness.extractOutputValues()).isEmpty();
        // every partial match has expired and its timer fired: nothing is left waiting
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void ignoresDeclinedPaymentsAndOtherCurrencies() throws Exception {
        harness = open(null);
        process(small("s1", 0));
        process(payment("s2").amount("1.00", "USD").secondsAfterT0(10).build());
        process(
                payment("s3")
                        .amount("1.00", "EUR")
                        .status(TransactionStatus.DECLINED)
                        .secondsAfterT0(20)
                        .build());
        process(small("s4", 30));
        process(payment("big").amount("900.00", "EUR").secondsAfterT0(40).build());
        harness.processWatermark(T0.plusSeconds(41).toEpochMilli());

        assertThat(harness.extractOutputValues()).isEmpty();
    }

    @Test
    void keepsPartialMatchesAcrossSnapshotAndRestoreOnRocksDb() throws Exception {
        harness = open(null);
        processSmallPayments(0, 10, 20);
        harness.processWatermark(T0.plusSeconds(21).toEpochMilli());
        assertThat(harness.numEventTimeTimers()).isPositive();
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();

        harness = open(snapshot);
        process(payment("big").amount("900.00", "EUR").secondsAfterT0(30).build());
        harness.processWatermark(T0.plusSeconds(31).toEpochMilli());

        assertThat(harness.extractOutputValues())
                .singleElement()
                .satisfies(
                        a ->
                                assertThat(a.getMatchedEvents())
                                        .extracting(MatchedEvent::getTransactionId)
                                        .containsExactly("s1", "s2", "s3", "big"));
    }

    @Test
    void alertsWhenTheAwaitedEventOfAnAbsenceRuleDoesNotComeInTime() throws Exception {
        harness = open(ABSENCE, null);
        process(account("enrol", 0).type(TransactionType.NEW_DEVICE).noAmount().build());
        process(account("t", 600).type(TransactionType.TRANSFER).amount("900.00", "EUR").build());
        harness.processWatermark(T0.plusSeconds(3600).toEpochMilli());
        assertThat(harness.getSideOutput(AbsenceToAlertFunction.TIMED_OUT)).isNull();
        // the partial match waits for the window's end on an event-time timer
        assertThat(harness.numEventTimeTimers()).isPositive();

        harness.processWatermark(T0.plus(Duration.ofHours(25)).toEpochMilli());

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(AbsenceToAlertFunction.TIMED_OUT))
                .singleElement()
                .satisfies(
                        r -> {
                            Alert a = r.getValue();
                            assertThat(a.getRuleId()).isEqualTo("new-device-owner-silent");
                            assertThat(a.getMatchedEvents())
                                    .extracting(MatchedEvent::getTransactionId)
                                    .containsExactly("enrol", "t");
                            assertThat(a.getExplanation())
                                    .isEqualTo(
                                            "Device dev-new was enrolled and sent 900.00 EUR; no"
                                                    + " other device signed in within 24 hours.");
                        });
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void staysSilentWhenTheAwaitedEventOfAnAbsenceRuleComes() throws Exception {
        harness = open(ABSENCE, null);
        process(account("enrol", 0).type(TransactionType.NEW_DEVICE).noAmount().build());
        process(account("t", 600).type(TransactionType.TRANSFER).amount("900.00", "EUR").build());
        process(
                account("owner", 3600)
                        .type(TransactionType.LOGIN)
                        .noAmount()
                        .deviceId("dev-old")
                        .build());
        harness.processWatermark(T0.plus(Duration.ofHours(25)).toEpochMilli());

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(AbsenceToAlertFunction.TIMED_OUT)).isNull();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void alertsCarryTheProfileFeaturesTheirConditionsRead() {
        Rule rule = PACK.rule("large-amount-new-device").orElseThrow();
        ProfileFeatures profile =
                ProfileFeatures.newBuilder()
                        .setNewDevice(true)
                        .setAmountCount(6)
                        .setAmountZscore(19.5)
                        .build();
        Alert alert =
                AlertBuilder.alert(
                        rule,
                        java.util.Map.of(
                                "payment",
                                List.of(
                                        new EnrichedTransaction(
                                                payment("big").amount("500.00", "EUR").build(),
                                                profile))),
                        T0);
        assertThat(alert.getFeatures())
                .containsExactly(
                        java.util.Map.entry("payment.amount_count", "6"),
                        java.util.Map.entry("payment.amount_zscore", "19.5"),
                        java.util.Map.entry("payment.new_device", "true"));
        assertThat(alert.getExplanation()).contains("19.5 standard deviations");
    }

    private static TransactionBuilder account(String id, long secondsAfterT0) {
        return payment(id).deviceId("dev-new").secondsAfterT0(secondsAfterT0);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, EnrichedTransaction, Alert> open(
            OperatorSubtaskState restoreFrom) throws Exception {
        return open(RULE, restoreFrom);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, EnrichedTransaction, Alert> open(
            Rule rule, OperatorSubtaskState restoreFrom) throws Exception {
        CepOperator<EnrichedTransaction, String, Alert> operator = StockCep.operator(rule);
        return RocksDbHarness.open(operator, e -> e.getTransaction().getAccountId(), restoreFrom);
    }

    /** Small payments of 1.00 EUR named s1, s2, ... at the given seconds after T0. */
    private void processSmallPayments(long... seconds) throws Exception {
        for (int i = 0; i < seconds.length; i++) {
            process(small("s" + (i + 1), seconds[i]));
        }
    }

    private static Transaction small(String id, long secondsAfterT0) {
        return payment(id).amount("1.00", "EUR").secondsAfterT0(secondsAfterT0).build();
    }

    private void process(Transaction t) throws Exception {
        harness.processElement(
                new StreamRecord<>(
                        new EnrichedTransaction(t, ProfileFeatures.newBuilder().build()),
                        t.getEventTime().toEpochMilli()));
    }
}

package dev.argus.job.alerting;

import static dev.argus.model.TransactionBuilder.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.RocksDbHarness;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.MatchedEvent;
import dev.argus.model.RecommendedAction;
import dev.argus.model.Severity;
import dev.argus.model.TransactionType;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The alert gate on RocksDB: quiet periods, snoozes and routing by mode. */
class AlertGateFunctionTest {
    private static final RulePack PACK =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);

    private KeyedOneInputStreamOperatorTestHarness<String, Alert, Alert> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void staysQuietOnTheSameAccountWithinTheRulesQuietPeriod() throws Exception {
        harness = open(null);
        assertThat(PACK.rule("card-testing").orElseThrow().quietPeriod())
                .isEqualTo(Duration.ofHours(1));
        process(alert("a1", "card-testing", "acc-1", 0));
        process(alert("a2", "card-testing", "acc-1", 20 * 60)); // 20 min later: suppressed
        process(alert("b1", "card-testing", "acc-2", 20 * 60)); // another account
        process(alert("c1", "count-velocity", "acc-1", 25 * 60)); // another rule
        process(alert("a3", "card-testing", "acc-1", 2 * 3600)); // after the quiet period

        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("a1", "b1", "c1", "a3");
    }

    @Test
    void remembersTheLastAlertAcrossASnapshotAndRestore() throws Exception {
        harness = open(null);
        process(alert("a1", "card-testing", "acc-1", 0));
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot);
        process(alert("a2", "card-testing", "acc-1", 10 * 60));
        process(alert("a3", "card-testing", "acc-1", 61 * 60));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("a3");
    }

    @Test
    void dropsAlertsOfASnoozedAccountAndRule() throws Exception {
        harness = open(null);
        // snoozes.yaml silences impossible-travel for acc-demo-traveller until 2026-12-31
        process(alert("s1", "impossible-travel", "acc-demo-traveller", 0));
        process(alert("s2", "card-testing", "acc-demo-traveller", 0));
        process(alert("s3", "impossible-travel", "acc-1", 0));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("s2", "s3");
    }

    @Test
    void sendsAlertsOfShadowRulesToTheShadowOutputOnly() throws Exception {
        harness = open(null);
        process(alert("x1", "new-device-owner-silent", "acc-1", 0));
        process(alert("x2", "card-testing", "acc-1", 0));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("x2");
        assertThat(harness.getSideOutput(AlertGateFunction.SHADOW))
                .extracting(r -> r.getValue().getAlertId())
                .containsExactly("x1");
    }

    private void process(Alert alert) throws Exception {
        harness.processElement(new StreamRecord<>(alert, alert.getLastEventTime().toEpochMilli()));
    }

    private static Alert alert(String id, String rule, String account, long secondsAfterT0) {
        Instant at = T0.plusSeconds(secondsAfterT0);
        return Alert.newBuilder()
                .setAlertId(id)
                .setRuleId(rule)
                .setRuleVersion(1)
                .setPackVersion(PACK.version())
                .setMode(AlertMode.ENFORCE)
                .setAccountId(account)
                .setSeverity(Severity.HIGH)
                .setScore(80)
                .setRecommendedAction(RecommendedAction.STEP_UP)
                .setExplanation(id)
                .setMatchedEvents(
                        List.of(
                                MatchedEvent.newBuilder()
                                        .setStage("s")
                                        .setTransactionId("t-" + id)
                                        .setEventTime(at)
                                        .setType(TransactionType.CARD_PAYMENT)
                                        .build()))
                .setFeatures(Map.of())
                .setLastEventTime(at)
                .setDetectionTime(at.plusSeconds(5))
                .build();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Alert, Alert> open(
            OperatorSubtaskState restoreFrom) throws Exception {
        return RocksDbHarness.open(
                new KeyedProcessOperator<>(new AlertGateFunction(PACK.active())),
                Alert::getAccountId,
                restoreFrom);
    }
}

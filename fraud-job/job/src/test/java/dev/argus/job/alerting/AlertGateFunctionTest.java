package dev.argus.job.alerting;

import static dev.argus.model.TransactionBuilder.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.ControlChange;
import dev.argus.model.MatchedEvent;
import dev.argus.model.RecommendedAction;
import dev.argus.model.RuleMode;
import dev.argus.model.SetRuleMode;
import dev.argus.model.Severity;
import dev.argus.model.SnoozeRule;
import dev.argus.model.TransactionType;
import dev.argus.model.UnsnoozeRule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The alert gate on RocksDB: quiet periods, snoozes and routing by mode, as the pack sets them and
 * as the control topic changes them.
 */
class AlertGateFunctionTest {
    private static final RulePack PACK =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);

    private KeyedBroadcastOperatorTestHarness<String, Alert, ControlChange, Alert> harness;

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

    @Test
    void switchesARulesModeAtTheChangesEffectiveTimeAndKeepsItAcrossARestore() throws Exception {
        harness = open(null);
        // card-testing to shadow from T0 + 1 h, by a command of the control topic
        control(change("c1", 1, T0.plusSeconds(3600), mode("card-testing", RuleMode.SHADOW)));
        process(alert("m1", "card-testing", "acc-1", 3599)); // before it: enforce
        process(alert("m2", "card-testing", "acc-2", 3600)); // from it: shadow
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("m1");
        assertThat(harness.getSideOutput(AlertGateFunction.SHADOW))
                .extracting(r -> r.getValue().getAlertId() + " " + r.getValue().getMode())
                .containsExactly("m2 SHADOW"); // the mode it was routed by, not the pack's
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot);
        process(alert("m3", "card-testing", "acc-3", 7200)); // still shadow after the restore
        // then off from T0 + 3 h: no alert at all, counted
        control(change("c2", 2, T0.plusSeconds(3 * 3600), mode("card-testing", RuleMode.OFF)));
        process(alert("m4", "card-testing", "acc-4", 3 * 3600 + 1));
        // a late alert of the shadow period is still judged by the mode of its time
        process(alert("m5", "card-testing", "acc-5", 2 * 3600));

        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(AlertGateFunction.SHADOW))
                .extracting(r -> r.getValue().getAlertId())
                .containsExactly("m3", "m5");
    }

    @Test
    void snoozesAndUnsnoozesFromTheControlTopic() throws Exception {
        harness = open(null);
        Instant until = T0.plus(Duration.ofDays(2));
        control(
                change(
                        "s1",
                        1,
                        T0.plusSeconds(60),
                        SnoozeRule.newBuilder()
                                .setRuleId("card-testing")
                                .setAccountId("acc-1")
                                .setUntil(until)
                                .setReason("RISK-1")
                                .build()));
        process(alert("a1", "card-testing", "acc-1", 30)); // before the snooze's effective time
        process(alert("a2", "card-testing", "acc-1", 2 * 3600)); // snoozed
        process(alert("a3", "card-testing", "acc-2", 2 * 3600)); // another account
        // the pack's own snooze (snoozes.yaml) can be ended too
        control(
                change(
                        "u1",
                        2,
                        T0.plusSeconds(4 * 3600),
                        UnsnoozeRule.newBuilder()
                                .setRuleId("impossible-travel")
                                .setAccountId("acc-demo-traveller")
                                .build()));
        process(alert("a4", "impossible-travel", "acc-demo-traveller", 3600)); // pack's snooze
        process(alert("a5", "impossible-travel", "acc-demo-traveller", 5 * 3600)); // ended

        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("a1", "a3", "a5");
        assertThat(harness.getSideOutput(AlertGateFunction.SNOOZED))
                .extracting(r -> r.getValue().getAlertId())
                .containsExactly("a2", "a4");
    }

    @Test
    void holdsAnAlertBeyondTheHorizonUntilNoChangeCanComeForIt() throws Exception {
        // the job's disorder (5 s) and control margin (10 s): changes decided at watermark W take
        // effect at W + 15 s at the earliest
        harness = open(null, Duration.ofSeconds(15));
        watermark(T0);
        process(alert("h1", "card-testing", "acc-1", 10)); // within the horizon: judged now
        process(alert("h2", "card-testing", "acc-2", 20)); // beyond it: held
        process(alert("h3", "card-testing", "acc-1", 3700)); // beyond it: held
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("h1");

        // decided at watermark T0, so effective from T0 + 15 s: it applies to h2 and h3
        control(change("c1", 1, T0.plusSeconds(15), mode("card-testing", RuleMode.SHADOW)));
        watermark(T0.plusSeconds(10));
        watermark(T0.plusSeconds(3700));

        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("h1");
        assertThat(harness.getSideOutput(AlertGateFunction.SHADOW))
                .extracting(r -> r.getValue().getAlertId())
                .containsExactly("h2", "h3");
    }

    /**
     * Why the control changes reach the gate through {@code NeverIdle}: while the control input is
     * idle, its watermark does not count, and the gate judges a held alert on the alerts' watermark
     * alone, before a change of the alert's time has arrived. Active, the same input holds it back
     * until the change is there.
     */
    @Test
    void anIdleControlInputWouldLetAnAlertPassBeforeItsChange() throws Exception {
        ControlChange shadow =
                change("c1", 1, T0.plusSeconds(15), mode("card-testing", RuleMode.SHADOW));

        harness = open(null, Duration.ofSeconds(15));
        watermark(T0);
        process(alert("i1", "card-testing", "acc-1", 60)); // beyond the horizon: held
        harness.getTwoInputOperator().processWatermarkStatus2(WatermarkStatus.IDLE);
        harness.processWatermark(T0.plusSeconds(60).toEpochMilli());
        control(shadow); // too late: i1 was enforced
        assertThat(harness.extractOutputValues()).extracting(Alert::getAlertId).contains("i1");
        harness.close();

        harness = open(null, Duration.ofSeconds(15));
        watermark(T0);
        process(alert("i1", "card-testing", "acc-1", 60));
        harness.processWatermark(T0.plusSeconds(60).toEpochMilli());
        assertThat(harness.extractOutputValues()).isEmpty(); // waits for the control input
        control(shadow);
        harness.processBroadcastWatermark(T0.plusSeconds(60).toEpochMilli());
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(harness.getSideOutput(AlertGateFunction.SHADOW))
                .extracting(r -> r.getValue().getAlertId())
                .containsExactly("i1");
    }

    @Test
    void keepsTheAlertsItHoldsAcrossARestore() throws Exception {
        harness = open(null, Duration.ofSeconds(15));
        watermark(T0);
        process(alert("r1", "card-testing", "acc-1", 60));
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot, Duration.ofSeconds(15));
        assertThat(harness.extractOutputValues()).isEmpty();
        watermark(T0.plusSeconds(60));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("r1");
    }

    private void watermark(Instant at) throws Exception {
        harness.processWatermark(at.toEpochMilli());
        harness.processBroadcastWatermark(at.toEpochMilli());
    }

    private void control(ControlChange change) throws Exception {
        harness.processBroadcastElement(change, change.getEffectiveAt().toEpochMilli());
    }

    private static ControlChange change(String id, long offset, Instant effective, Object what) {
        return ControlChange.newBuilder()
                .setCommandId(id)
                .setOffset(offset)
                .setEffectiveAt(effective)
                .setChange(what)
                .build();
    }

    private static SetRuleMode mode(String rule, RuleMode mode) {
        return SetRuleMode.newBuilder().setRuleId(rule).setMode(mode).build();
    }

    private void process(Alert alert) throws Exception {
        harness.processElement(new StreamRecord<>(alert, alert.getLastEventTime().toEpochMilli()));
    }

    static Alert alert(String id, String rule, String account, long secondsAfterT0) {
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

    private static KeyedBroadcastOperatorTestHarness<String, Alert, ControlChange, Alert> open(
            OperatorSubtaskState restoreFrom) throws Exception {
        return open(restoreFrom, Duration.ZERO);
    }

    private static KeyedBroadcastOperatorTestHarness<String, Alert, ControlChange, Alert> open(
            OperatorSubtaskState restoreFrom, Duration hold) throws Exception {
        var harness =
                new KeyedBroadcastOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new AlertGateFunction(PACK.active(), hold),
                                List.of(AlertGateFunction.CONTROL)),
                        Alert::getAccountId,
                        Types.STRING,
                        1,
                        1,
                        0);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }
}

package dev.argus.job.alerting;

import static dev.argus.job.alerting.AlertGateFunctionTest.alert;
import static dev.argus.model.TransactionBuilder.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlStatus;
import dev.argus.model.RuleMode;
import dev.argus.model.SetRuleMode;
import dev.argus.rules.PackFiles;
import dev.argus.rules.PatternCheck;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The brake on runaway rules on RocksDB: when it engages, what it announces, what releases it. */
class AlertBrakeFunctionTest {
    /** The built-in pack with card-testing limited to three alerts a minute. */
    private static final List<Rule> RULES = limited();

    private KeyedBroadcastOperatorTestHarness<String, Alert, ControlChange, Alert> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void switchesARuleToShadowPastItsLimitAndAnnouncesItOnce() throws Exception {
        harness = open(null);
        for (int i = 1; i <= 4; i++) {
            process(alert("a" + i, "card-testing", "acc-" + i, 10 * i));
        }
        process(alert("v1", "count-velocity", "acc-1", 45)); // no limit of its own
        process(alert("a5", "card-testing", "acc-5", 70)); // the next minute: still braked

        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("a1", "a2", "a3", "v1");
        assertThat(braked()).containsExactly("a4", "a5");
        assertThat(announcements())
                .singleElement()
                .satisfies(
                        s -> {
                            assertThat(s.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
                            assertThat(s.getEffectiveAt()).isEqualTo(T0.plusSeconds(40));
                            assertThat(s.getCommand())
                                    .startsWith(
                                            "brake rule card-testing: 4 alerts in the minute from")
                                    .contains("max_alerts_per_minute of 3");
                            assertThat(s.getIssuedBy()).isEqualTo("argus (alert brake)");
                        });
    }

    @Test
    void staysOnAcrossARestoreUntilTheModeIsSetAgain() throws Exception {
        harness = open(null);
        for (int i = 1; i <= 4; i++) {
            process(alert("a" + i, "card-testing", "acc-" + i, i));
        }
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot);
        process(alert("b1", "card-testing", "acc-1", 200));
        harness.processBroadcastElement(
                ControlChange.newBuilder()
                        .setCommandId("m1")
                        .setOffset(1)
                        .setEffectiveAt(T0.plusSeconds(300))
                        .setChange(new SetRuleMode("card-testing", RuleMode.ENFORCE))
                        .build(),
                0);
        process(alert("b2", "card-testing", "acc-2", 250)); // before the mode change: braked
        process(alert("b3", "card-testing", "acc-3", 310)); // after it: released

        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAlertId)
                .containsExactly("b3");
        assertThat(braked()).containsExactly("b1", "b2");
    }

    private static List<Rule> limited() {
        try {
            Map<String, String> files =
                    new TreeMap<>(PackFiles.read(RulePackLoader.resolve(RulePackLoader.BUILT_IN)));
            files.computeIfPresent(
                    "cards/card-testing.yaml",
                    (k, v) ->
                            v.replace("mode: enforce", "mode: enforce\nmax_alerts_per_minute: 3"));
            return PackFiles.load(files, PatternCheck.NONE).pack().active();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void process(Alert alert) throws Exception {
        harness.processElement(new StreamRecord<>(alert, alert.getLastEventTime().toEpochMilli()));
    }

    /** The ids of the braked alerts, each of which says it went to the shadow topic. */
    private List<String> braked() {
        var out = harness.getSideOutput(AlertBrakeFunction.BRAKED);
        if (out == null) {
            return List.of();
        }
        assertThat(out)
                .allSatisfy(r -> assertThat(r.getValue().getMode()).isEqualTo(AlertMode.SHADOW));
        return out.stream().map(r -> r.getValue().getAlertId()).toList();
    }

    private List<ControlStatus> announcements() {
        var out = harness.getSideOutput(AlertBrakeFunction.ANNOUNCEMENTS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    private static KeyedBroadcastOperatorTestHarness<String, Alert, ControlChange, Alert> open(
            OperatorSubtaskState restoreFrom) throws Exception {
        var harness =
                new KeyedBroadcastOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(
                                new AlertBrakeFunction(RULES), List.of(AlertBrakeFunction.CONTROL)),
                        Alert::getRuleId,
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

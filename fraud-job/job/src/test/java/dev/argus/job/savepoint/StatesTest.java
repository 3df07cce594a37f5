package dev.argus.job.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.ControlChange;
import dev.argus.model.ProfileState;
import java.time.Duration;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.junit.jupiter.api.Test;

/**
 * The savepoint contract, written out as literals: a change here is a change to what savepoints
 * hold, and needs a migration and a note in docs/operations.md. The golden savepoints cover what
 * they can restore; this covers the alert gate too, whose entries a golden savepoint restores
 * already expired (their time-to-live runs in processing time).
 */
class StatesTest {

    @Test
    void theUidsAreThoseSavepointsWereWrittenWith() {
        assertThat(Uids.TRANSACTIONS_SOURCE).isEqualTo("kafka-transactions-source");
        assertThat(Uids.DEAD_LETTER_ROUTING).isEqualTo("dead-letter-routing");
        assertThat(Uids.ACCOUNT_PROFILE).isEqualTo("account-profile");
        assertThat(Uids.RULE_ENGINE).isEqualTo("rule-engine");
        assertThat(Uids.LATE_AT_RULE_ENGINE).isEqualTo("late-at-rule-engine");
        assertThat(Uids.ALERT_GATE).isEqualTo("alert-gate");
        assertThat(Uids.ALERTS_SINK).isEqualTo("kafka-alerts-sink");
        assertThat(Uids.SHADOW_ALERTS_SINK).isEqualTo("kafka-shadow-alerts-sink");
        assertThat(Uids.DEAD_LETTERS_SINK).isEqualTo("kafka-dead-letters-sink");
        assertThat(Uids.lateAtRule("card-testing")).isEqualTo("late-at-rule-card-testing");
        assertThat(Uids.CONTROL_SOURCE).isEqualTo("kafka-control-source");
        assertThat(Uids.CONTROL_CLOCK).isEqualTo("control-clock");
        assertThat(Uids.CONTROL).isEqualTo("control");
        assertThat(Uids.CONTROL_STATUS_SINK).isEqualTo("kafka-control-status-sink");
    }

    @Test
    void theControlStatesKeepTheirNamesAndSerializers() {
        assertThat(States.controlChanges().getName()).isEqualTo("control-changes");
        assertThat(States.controlChanges().getKeySerializer()).isSameAs(StringSerializer.INSTANCE);
        assertThat(States.controlChanges().getValueSerializer())
                .isEqualTo(new AvroSerializer<>(ControlChange.class));
        assertThat(States.heldAlerts().getName()).isEqualTo("held-alerts");
        assertThat(States.heldAlerts().getElementSerializer())
                .isEqualTo(new AvroSerializer<>(Alert.class));
        assertThat(States.controlModes().getName()).isEqualTo("control-modes");
        assertThat(States.controlModes().getValueSerializer()).isSameAs(StringSerializer.INSTANCE);
        assertThat(States.controlSnoozes().getName()).isEqualTo("control-snoozes");
        assertThat(States.controlSnoozes().getValueSerializer()).isSameAs(LongSerializer.INSTANCE);
    }

    @Test
    void eachStateKeepsItsNameAndSerializer() {
        assertThat(States.profile().getName()).isEqualTo("account-profile");
        // the profile's serializer writes Flink's Avro bytes and snapshots as Flink's Avro
        // serializer: savepoints hold what they held (ProfileStateSerializerTest)
        assertThat(States.profile().getSerializer()).isInstanceOf(ProfileStateSerializer.class);
        assertThat(
                        States.profile()
                                .getSerializer()
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility(
                                        new AvroSerializer<>(ProfileState.class)
                                                .snapshotConfiguration())
                                .isCompatibleAsIs())
                .isTrue();
        assertThat(States.ruleEngineAccounts().getName()).isEqualTo("rule-engine");
        assertThat(States.ruleEngineAccounts().getSerializer())
                .isSameAs(BytePrimitiveArraySerializer.INSTANCE);
        assertThat(States.RULE_ENGINE_TIMERS).isEqualTo("user-timers");
        assertThat(States.ruleEngineWaiting().getName()).isEqualTo("rule-engine-waiting");
        assertThat(States.ruleEngineWaiting().getElementSerializer())
                .isSameAs(BytePrimitiveArraySerializer.INSTANCE);
    }

    @Test
    void theGatesLastAlertsLiveThroughTheLongestQuietPeriodOnly() {
        MapStateDescriptor<String, Long> gate = States.lastAlertByRule(Duration.ofHours(1));
        assertThat(gate.getName()).isEqualTo("last-alert-by-rule");
        assertThat(gate.getKeySerializer()).isSameAs(StringSerializer.INSTANCE);
        assertThat(gate.getValueSerializer()).isSameAs(LongSerializer.INSTANCE);
        StateTtlConfig ttl = gate.getTtlConfig();
        assertThat(ttl.isEnabled()).isTrue();
        assertThat(ttl.getTimeToLive()).isEqualTo(Duration.ofHours(1));
        assertThat(ttl.getUpdateType()).isEqualTo(StateTtlConfig.UpdateType.OnCreateAndWrite);
        assertThat(ttl.getStateVisibility())
                .isEqualTo(StateTtlConfig.StateVisibility.NeverReturnExpired);

        assertThat(States.lastAlertByRule(Duration.ZERO).getTtlConfig().isEnabled()).isFalse();
    }
}

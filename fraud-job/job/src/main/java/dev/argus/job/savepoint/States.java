package dev.argus.job.savepoint;

import dev.argus.model.Alert;
import dev.argus.model.ControlChange;
import dev.argus.model.DeployPack;
import dev.argus.model.ProfileState;
import java.time.Duration;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.BooleanSerializer;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;

/**
 * The job's state, every name and serializer in one place: with {@link Uids}, the savepoint
 * contract. A savepoint finds each state by its operator's UID and the state's name, and reads it
 * with the serializer written beside it, so renaming a state, changing its serializer or turning
 * its TTL on or off orphans or breaks what savepoints hold. Change one only with a migration and a
 * note in docs/operations.md. The golden savepoints' test shows whether a change breaks the profile
 * or the engine; StatesTest pins every name, serializer and time-to-live, the alert gate's included
 * (its entries expire in processing time, so an old savepoint cannot test them).
 *
 * <p>Serializers are explicit and evolvable: Avro for records whose schema may grow, Flink's own
 * for primitives, and bytes in a versioned layout of the engine's own (see {@code
 * engine.AccountValue}). Nothing falls back to Kryo.
 */
public final class States {
    /**
     * Operator {@value Uids#ACCOUNT_PROFILE}: each account's profile (Avro {@link ProfileState}).
     */
    public static final String PROFILE = "account-profile";

    /**
     * Operator {@value Uids#RULE_ENGINE}: each account's value (clock, timer, waiting events, each
     * rule's partial matches) in the engine's own versioned layout.
     */
    public static final String RULE_ENGINE = "rule-engine";

    /**
     * Operator {@value Uids#RULE_ENGINE}: its event-time timers, one per account at most. The name
     * is a {@code KeyedProcessOperator}'s, which the engine once ran in.
     */
    public static final String RULE_ENGINE_TIMERS = "user-timers";

    /**
     * Operator {@value Uids#RULE_ENGINE}: the events waiting for the watermark, as operator union
     * list state (account, time, arrival, event).
     */
    public static final String RULE_ENGINE_WAITING = "rule-engine-waiting";

    /** Operator {@value Uids#ALERT_GATE}: per account, each rule's last alert's event time. */
    public static final String LAST_ALERT_BY_RULE = "last-alert-by-rule";

    /**
     * Operators {@value Uids#ALERT_GATE} and {@value Uids#RULE_ENGINE}: broadcast, the control
     * changes in force (Avro {@link ControlChange}) by command id; the engine keeps the deploys.
     */
    public static final String CONTROL_CHANGES = "control-changes";

    /**
     * Operator {@value Uids#ALERT_GATE}: per account, the alerts held back until no control change
     * can come for them any more (Avro {@link Alert}), in the order they came.
     */
    public static final String HELD_ALERTS = "held-alerts";

    /** Operator {@value Uids#CONTROL}: each rule's mode as changed at run time. */
    public static final String CONTROL_MODES = "control-modes";

    /**
     * Operator {@value Uids#CONTROL}: snoozes applied or ended at run time, by rule and account:
     * until when ({@code Long.MIN_VALUE} for one ended, which also ends a snooze of the pack).
     */
    public static final String CONTROL_SNOOZES = "control-snoozes";

    /**
     * Operator {@value Uids#CONTROL}: each pack version deployed at run time, by version (Avro
     * {@link DeployPack}): what a rollback deploys again.
     */
    public static final String CONTROL_PACKS = "control-packs";

    /**
     * Operator {@value Uids#CONTROL}: the last deploy or rollback applied (Avro {@link
     * ControlChange}).
     */
    public static final String CONTROL_LAST_DEPLOY = "control-last-deploy";

    /**
     * Operator {@value Uids#RULE_ENGINE}: broadcast, the entries of named lists changed through the
     * control topic once the watermark has passed their change, by list and value ({@code
     * <list>\u001f<value>}): in the list (true) or removed from it (false).
     */
    public static final String LIST_ENTRIES = "list-entries";

    /** Operator {@value Uids#ALERT_BRAKE}: per rule, the event time its brake engaged. */
    public static final String BRAKED_FROM = "braked-from";

    /** Operator {@value Uids#ALERT_BRAKE}: per rule, its alerts per minute of event time. */
    public static final String ALERTS_PER_MINUTE = "alerts-per-minute";

    /**
     * Operator {@value Uids#CONTROL}: the highest watermark the control function has seen, to
     * within a second: after a restore, no command takes effect before it.
     */
    public static final String CONTROL_WATERMARK = "control-watermark";

    /**
     * Operator {@value Uids#ALERT_GATE}: per account, when the engine judged each held alert (its
     * record's time), in the order of {@value #HELD_ALERTS}.
     */
    public static final String HELD_ALERT_TIMES = "held-alert-times";

    private States() {}

    public static ListStateDescriptor<Long> heldAlertTimes() {
        return new ListStateDescriptor<>(HELD_ALERT_TIMES, LongSerializer.INSTANCE);
    }

    public static ValueStateDescriptor<Long> controlWatermark() {
        return new ValueStateDescriptor<>(CONTROL_WATERMARK, LongSerializer.INSTANCE);
    }

    public static ValueStateDescriptor<Long> brakedFrom() {
        return new ValueStateDescriptor<>(BRAKED_FROM, LongSerializer.INSTANCE);
    }

    public static MapStateDescriptor<Long, Integer> alertsPerMinute() {
        return new MapStateDescriptor<>(
                ALERTS_PER_MINUTE, LongSerializer.INSTANCE, IntSerializer.INSTANCE);
    }

    public static MapStateDescriptor<String, Boolean> listEntries() {
        return new MapStateDescriptor<>(
                LIST_ENTRIES, StringSerializer.INSTANCE, BooleanSerializer.INSTANCE);
    }

    public static MapStateDescriptor<String, DeployPack> controlPacks() {
        return new MapStateDescriptor<>(
                CONTROL_PACKS, StringSerializer.INSTANCE, new AvroSerializer<>(DeployPack.class));
    }

    public static ValueStateDescriptor<ControlChange> controlLastDeploy() {
        return new ValueStateDescriptor<>(
                CONTROL_LAST_DEPLOY, new AvroSerializer<>(ControlChange.class));
    }

    public static MapStateDescriptor<String, ControlChange> controlChanges() {
        return new MapStateDescriptor<>(
                CONTROL_CHANGES,
                StringSerializer.INSTANCE,
                new AvroSerializer<>(ControlChange.class));
    }

    public static ListStateDescriptor<Alert> heldAlerts() {
        return new ListStateDescriptor<>(HELD_ALERTS, new AvroSerializer<>(Alert.class));
    }

    public static MapStateDescriptor<String, String> controlModes() {
        return new MapStateDescriptor<>(
                CONTROL_MODES, StringSerializer.INSTANCE, StringSerializer.INSTANCE);
    }

    public static MapStateDescriptor<String, Long> controlSnoozes() {
        return new MapStateDescriptor<>(
                CONTROL_SNOOZES, StringSerializer.INSTANCE, LongSerializer.INSTANCE);
    }

    public static ValueStateDescriptor<ProfileState> profile() {
        return new ValueStateDescriptor<>(PROFILE, new ProfileStateSerializer());
    }

    public static ValueStateDescriptor<byte[]> ruleEngineAccounts() {
        return new ValueStateDescriptor<>(RULE_ENGINE, BytePrimitiveArraySerializer.INSTANCE);
    }

    public static ListStateDescriptor<byte[]> ruleEngineWaiting() {
        return new ListStateDescriptor<>(
                RULE_ENGINE_WAITING, BytePrimitiveArraySerializer.INSTANCE);
    }

    /**
     * @param longestQuietPeriod the longest quiet period of the pack's rules: an entry is worth
     *     keeping only through it. Zero keeps entries without a time-to-live. (A savepoint taken
     *     with a TTL restores only into a descriptor with one, and the other way round.)
     */
    public static MapStateDescriptor<String, Long> lastAlertByRule(Duration longestQuietPeriod) {
        MapStateDescriptor<String, Long> d =
                new MapStateDescriptor<>(
                        LAST_ALERT_BY_RULE, StringSerializer.INSTANCE, LongSerializer.INSTANCE);
        if (!longestQuietPeriod.isZero()) {
            d.enableTimeToLive(StateTtlConfig.newBuilder(longestQuietPeriod).build());
        }
        return d;
    }
}

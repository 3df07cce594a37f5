package dev.argus.job.savepoint;

import dev.argus.rules.Rule;

/**
 * The operator UIDs of the job: a savepoint contract. A savepoint maps its state to operators by
 * these strings, so renaming one orphans that operator's state. Change one only with a migration
 * note in docs/operations.md.
 */
public final class Uids {
    public static final String TRANSACTIONS_SOURCE = "kafka-transactions-source";
    public static final String DEAD_LETTER_ROUTING = "dead-letter-routing";
    public static final String ACCOUNT_PROFILE = "account-profile";
    public static final String ALERT_GATE = "alert-gate";

    /** The brake on runaway rules, keyed by rule: only with a control topic. */
    public static final String ALERT_BRAKE = "alert-brake";

    /**
     * The rule engine: every rule in one operator. Its state keeps each rule's partial matches
     * under the rule's id and pattern fingerprint, so a changed pack restores into the same
     * operator.
     */
    public static final String RULE_ENGINE = "rule-engine";

    public static final String LATE_AT_RULE_ENGINE = "late-at-rule-engine";

    /**
     * With stock flink-cep ({@code rules.engine: cep}): the profile's events without the control
     * changes, which flink-cep's operators do not read (no state).
     */
    public static final String CEP_EVENTS = "cep-events";

    public static final String ALERTS_SINK = "kafka-alerts-sink";
    public static final String SHADOW_ALERTS_SINK = "kafka-shadow-alerts-sink";
    public static final String DEAD_LETTERS_SINK = "kafka-dead-letters-sink";

    /** The control topic's source, the function that decides its commands, and their answers. */
    public static final String CONTROL_SOURCE = "kafka-control-source";

    public static final String CONTROL = "control";

    /** The valid transactions without their records: the control function's event time. */
    public static final String CONTROL_CLOCK = "control-clock";

    public static final String CONTROL_STATUS_SINK = "kafka-control-status-sink";

    /** The control changes as the gates and the engine receive them: never idle (no state). */
    public static final String CONTROL_NEVER_IDLE = "control-never-idle";

    /**
     * The empty stand-in for the control topic in a pipeline without one: attached to the valid
     * transactions, idle throughout (no state). Earlier versions had a source that ended at once
     * there, under {@code no-control} and {@code no-control-changes}: those UIDs are retired, never
     * to be reused, since their savepoints hold them as finished, and an operator restored as
     * finished ends at once.
     */
    public static final String NO_CONTROL = "no-control-events";

    private static final String RULE_PREFIX = "rule-";
    private static final String LATE_AT_RULE_PREFIX = "late-at-rule-";

    private Uids() {}

    /**
     * The UID of the CEP operator that runs a rule: its id and the fingerprint of its pattern's
     * structure. A savepoint restores the partial matches of a rule whose structure is unchanged; a
     * rule whose structure changed gets a new UID and starts clean (restore with
     * --allowNonRestoredState to drop the old one's state).
     */
    public static String rule(Rule rule) {
        return RULE_PREFIX + rule.id() + "-" + rule.fingerprint();
    }

    /** The UID of the map that dead-letters events found late at rule {@code ruleId}. */
    public static String lateAtRule(String ruleId) {
        return LATE_AT_RULE_PREFIX + ruleId;
    }
}

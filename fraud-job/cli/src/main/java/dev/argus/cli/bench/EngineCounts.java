package dev.argus.cli.bench;

/**
 * The rule engine's counts over a measured window: rules stepped for an event, rules an event left
 * alone without loading their state, events that arrived out of time order for their account (in
 * arrival ordering judged at the account's time; in event-time ordering they waited), timers that
 * fired for an account, the rules they let time pass for because a partial match's window had
 * ended, of those the rules left with nothing for the account, and matches sent after the step of
 * their last event (held back behind a partial match of the rule that started earlier: flink-cep's
 * order of matches under a skip strategy).
 */
record EngineCounts(
        long ruleSteps,
        long rulesSkipped,
        long outOfOrder,
        long timersFired,
        long rulesTimed,
        long rulesEnded,
        long matchesHeld) {
    /** None yet. */
    static final EngineCounts NONE = new EngineCounts(0, 0, 0, 0, 0, 0, 0);

    /** The counts since {@code start}. */
    EngineCounts minus(EngineCounts start) {
        return new EngineCounts(
                ruleSteps - start.ruleSteps,
                rulesSkipped - start.rulesSkipped,
                outOfOrder - start.outOfOrder,
                timersFired - start.timersFired,
                rulesTimed - start.rulesTimed,
                rulesEnded - start.rulesEnded,
                matchesHeld - start.matchesHeld);
    }

    /** The counts separated by spaces, for the job process's METRICS line. */
    String fields() {
        return ruleSteps
                + " "
                + rulesSkipped
                + " "
                + outOfOrder
                + " "
                + timersFired
                + " "
                + rulesTimed
                + " "
                + rulesEnded
                + " "
                + matchesHeld;
    }

    /** The counts {@link #fields} wrote, from {@code f[from]} on. */
    static EngineCounts parse(String[] f, int from) {
        return new EngineCounts(
                Long.parseLong(f[from]),
                Long.parseLong(f[from + 1]),
                Long.parseLong(f[from + 2]),
                Long.parseLong(f[from + 3]),
                Long.parseLong(f[from + 4]),
                Long.parseLong(f[from + 5]),
                Long.parseLong(f[from + 6]));
    }
}

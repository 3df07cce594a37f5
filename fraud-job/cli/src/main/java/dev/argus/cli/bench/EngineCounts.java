package dev.argus.cli.bench;

/**
 * The rule engine's counts over a measured window: rules stepped for an event, rules an event left
 * alone without loading their state, events that arrived out of time order for their account (in
 * arrival ordering judged at the account's time; in event-time ordering they waited), timers that
 * fired for an account, the rules they let time pass for because a partial match's window had
 * ended, and of those the rules left with nothing for the account.
 */
record EngineCounts(
        long ruleSteps,
        long rulesSkipped,
        long outOfOrder,
        long timersFired,
        long rulesTimed,
        long rulesEnded) {}

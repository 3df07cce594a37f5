package dev.argus.cli.bench;

/**
 * The rule engine's counts over a measured window: rules stepped for an event, rules an event left
 * alone without loading their state, and events that arrived out of time order for their account
 * (in arrival ordering judged at the account's time; in event-time ordering they waited).
 */
record EngineCounts(long ruleSteps, long rulesSkipped, long outOfOrder) {}

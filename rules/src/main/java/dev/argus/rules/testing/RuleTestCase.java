package dev.argus.rules.testing;

import dev.argus.model.Transaction;
import java.time.Duration;
import java.util.List;

/**
 * One test case of a rule: events at times relative to a start, and the alerts expected.
 *
 * @param file the test file
 * @param line the line where the case starts
 * @param ruleId the rule under test
 */
public record RuleTestCase(
        String file,
        int line,
        String ruleId,
        String name,
        List<Event> events,
        List<Expected> expected) {

    /**
     * An event of the case. Its transaction has the case's own ids and times; a runner rewrites
     * account, transaction id and event time to place the case in a stream.
     *
     * @param at the event's time after the case's start
     */
    public record Event(String id, String account, Duration at, Transaction transaction) {}

    /** An alert that must occur, identified by its rule and matched event ids in time order. */
    public record Expected(String ruleId, List<String> matched, int line) {}

    /** "card-testing › name" for reports. */
    public String title() {
        return ruleId + " \u203a " + name;
    }
}

package dev.argus.job.engine;

import dev.argus.rules.Rule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * The rule engine's stored account values ({@code States.RULE_ENGINE}), read-only: what each holds,
 * for tools that inspect a savepoint ({@code argus state inspect}). Nothing is written back.
 *
 * <p>A section of a rule among {@code rules} (same id and pattern fingerprint) is loaded as the
 * engine loads it, sections of formats 1 and 2 converted by {@link LegacySections}: its partial
 * matches and its next deadline are the engine's own. A section of another rule (one the engine
 * running these rules would drop) is read without it: its partial matches, and its deadline from
 * the header of a section of format 3; a section of an older format has no deadline without its
 * rule.
 */
public final class StoredAccounts implements AutoCloseable {
    /**
     * One rule's section of an account.
     *
     * @param key the rule's id and pattern fingerprint, {@code id@fingerprint}
     * @param bytes the section's size as stored
     * @param partialMatches its partial matches past a start state
     * @param deadline when its earliest partial match leaves its window; {@link Long#MAX_VALUE} for
     *     never, or not known
     * @param ofRule whether it was read with its rule (one of those given)
     */
    public record Section(
            String key,
            String ruleId,
            int bytes,
            int partialMatches,
            long deadline,
            boolean ofRule) {}

    /**
     * One account's value.
     *
     * @param format the layout it was written in ({@link #FORMAT} today)
     * @param clock the time up to which its rules have been advanced
     * @param timer its event-time timer, {@link Long#MIN_VALUE} for none
     * @param waitingEvents events waiting in the value for the watermark
     */
    public record Account(
            int format, long clock, long timer, int waitingEvents, List<Section> sections) {}

    /** The layout the engine writes today. */
    public static final int FORMAT = AccountValue.FORMAT;

    private final Map<String, RuleRunner> runners = new HashMap<>();
    private final EventSerializer events = new EventSerializer();

    /**
     * @param rules the rules whose sections are read with them (a pack's active rules)
     * @param context a runtime context to open their conditions in
     */
    public StoredAccounts(List<Rule> rules, RuntimeContext context) throws Exception {
        for (Rule rule : rules) {
            String key = AccountValue.sectionKey(rule);
            if (!runners.containsKey(key)) {
                runners.put(key, new RuleRunner(rule, context, events));
            }
        }
    }

    /** The key of a rule's sections, {@code id@fingerprint}. */
    public static String sectionKey(Rule rule) {
        return AccountValue.sectionKey(rule);
    }

    /** An account's stored value, decoded. */
    public Account read(byte[] value) throws IOException {
        events.forget(); // another account: other event objects
        AccountValue account = new AccountValue(0);
        List<String> keys = new ArrayList<>();
        List<byte[]> stored = new ArrayList<>();
        int format =
                AccountValue.parse(
                        value,
                        account,
                        (key, section) -> {
                            keys.add(key);
                            stored.add(section);
                        });
        List<Section> sections = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            byte[] bytes = stored.get(i);
            String ruleId = key.substring(0, Math.max(0, key.lastIndexOf('@')));
            RuleRunner runner = runners.get(key);
            if (runner != null) {
                runner.load(bytes, format);
                sections.add(
                        new Section(
                                key,
                                ruleId,
                                bytes.length,
                                runner.partialMatches(),
                                runner.nextDeadline(),
                                true));
            } else if (format >= 3) {
                sections.add(
                        new Section(
                                key,
                                ruleId,
                                bytes.length,
                                NfaSection.partialMatches(bytes),
                                NfaSection.deadline(bytes),
                                false));
            } else {
                sections.add(
                        new Section(
                                key,
                                ruleId,
                                bytes.length,
                                LegacySections.partialMatches(bytes),
                                Long.MAX_VALUE,
                                false));
            }
        }
        return new Account(format, account.clock, account.timer, account.waiting.size(), sections);
    }

    @Override
    public void close() throws Exception {
        for (RuleRunner r : runners.values()) {
            r.close();
        }
    }
}

package dev.argus.job.engine;

import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.cep.nfa.NFA;
import org.apache.flink.cep.nfa.compiler.NFACompiler;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * One rule inside the engine: the automaton flink-cep compiles from the rule's {@link Pattern}
 * ({@link NFACompiler}, exactly as {@code CEP.pattern} compiles it), run by {@link CompactNfa},
 * flink-cep's algorithm on one account's compact {@link NfaSection} at a time.
 *
 * <p>With {@link CompactNfa} and {@link LegacySections} it is the only class of Argus (besides the
 * validator's {@link CepPatternCheck}) that uses flink-cep's internal classes ({@code NFA}, {@code
 * NFACompiler}, {@code State}), which are public but not flink-cep's stable API: the lock-step test
 * against flink-cep's {@code NFA} and the differential test against stock {@code CEP.pattern} must
 * pass on every Flink upgrade.
 */
final class RuleRunner implements AutoCloseable {
    private final Rule rule;
    private final NFA<EnrichedTransaction> nfa;
    private final CompactNfa automaton;
    private final EventSerializer events;
    private LegacySections legacy;
    private final DataInputDeserializer header = new DataInputDeserializer();
    private int[] occupied = new int[0];
    private NfaSection section;

    /**
     * The conditions on the start state's transitions, or null when one of them always holds: for
     * an account that holds nothing for the rule, an event for which all are false changes nothing.
     */
    private final List<IterativeCondition<EnrichedTransaction>> startConditions;

    RuleRunner(Rule rule, RuntimeContext context, EventSerializer events) throws Exception {
        this.rule = rule;
        Pattern<EnrichedTransaction, ?> pattern = rule.pattern();
        // as CepOperator: timed-out partial matches are kept only for functions that handle them
        this.nfa = NFACompiler.compileFactory(pattern, rule.alertsOnTimeout()).createNFA();
        this.nfa.open(context, new Configuration());
        this.automaton =
                new CompactNfa(
                        nfa,
                        stageWindows(nfa),
                        rule.alertsOnTimeout(),
                        pattern.getAfterMatchSkipStrategy(),
                        events);
        this.events = events;
        this.section = automaton.initial();
        this.startConditions = startConditions(automaton);
    }

    /**
     * The per-stage windows ({@code within} of a stage) of a compiled automaton: flink-cep keeps
     * them in a private field of {@link NFA}.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Long> stageWindows(NFA<?> nfa) {
        try {
            Field f = NFA.class.getDeclaredField("windowTimes");
            f.setAccessible(true);
            Map<String, Long> windows = (Map<String, Long>) f.get(nfa);
            return windows == null ? Map.of() : windows;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "this flink-cep keeps no per-stage windows where the rule engine reads them:"
                            + " run the engine's lock-step test against it",
                    e);
        }
    }

    private static List<IterativeCondition<EnrichedTransaction>> startConditions(
            CompactNfa automaton) {
        List<CompactNfa.Vertex> starts = automaton.starts();
        if (starts.size() != 1) {
            return null;
        }
        List<IterativeCondition<EnrichedTransaction>> conditions = new ArrayList<>();
        for (CompactNfa.Transition t : starts.get(0).transitions) {
            if (t.condition() == null) {
                return null;
            }
            conditions.add(t.condition());
        }
        return conditions;
    }

    /**
     * For an account that holds nothing for this rule (a fresh state): whether the event leaves it
     * so. It does when no transition out of the start state accepts the event: the automaton would
     * then evaluate exactly these conditions, take no edge and keep its one start state unchanged,
     * so the account needs neither loading nor a step.
     */
    boolean cannotStart(EnrichedTransaction event, long timestamp) throws Exception {
        if (startConditions == null) {
            return false;
        }
        NoMatchContext fresh = new NoMatchContext(timestamp);
        for (IterativeCondition<EnrichedTransaction> c : startConditions) {
            if (c.filter(event, fresh)) {
                return false;
            }
        }
        return true;
    }

    /** The automaton, for tests. */
    CompactNfa automaton() {
        return automaton;
    }

    /** The loaded account's section, for tests. */
    NfaSection section() {
        return section;
    }

    /** Starts an account with no partial matches. */
    void reset() {
        section = automaton.initial();
    }

    /**
     * Loads an account's section as written by {@link #save} ({@code format} 3), or by an earlier
     * release (formats 1 and 2: flink-cep's own state, converted here).
     */
    void load(byte[] bytes, int format) throws IOException {
        if (format >= 3) {
            section =
                    NfaSection.read(
                            new DataInputDeserializer(bytes), automaton.digest(), rule.id());
        } else {
            if (legacy == null) {
                legacy = new LegacySections(rule, automaton, events);
            }
            section = legacy.read(bytes, format);
        }
    }

    /** Whether the account holds nothing for this rule: no partial match, no buffered event. */
    boolean isEmpty() {
        return section.isEmpty();
    }

    /** Whether the last steps changed the account's state for this rule. */
    boolean changed() {
        return section.changed;
    }

    /** The account's section; null when it holds nothing (an absent section is a fresh start). */
    byte[] save(DataOutputSerializer out) throws IOException {
        if (isEmpty()) {
            return null;
        }
        out.clear();
        section.changed = false;
        section.write(out, events, automaton.nextDeadline(section), automaton.digest());
        return out.getCopyOfBuffer();
    }

    /**
     * Whether the event would leave a stored section exactly as it is, decided from the section's
     * header without loading it: no partial match leaves its window by {@code timestamp}, no
     * completed match waits, and in each state a partial match is in, the event takes no edge but
     * the state's own ignore ({@link CompactNfa#leavesUnchanged}).
     */
    boolean leavesUnchanged(byte[] stored, EnrichedTransaction event, long timestamp)
            throws Exception {
        if (NfaSection.deadline(stored) <= timestamp || NfaSection.holdsCompleted(stored)) {
            return false;
        }
        int[] states = occupied;
        if (states.length < automaton.stateNames().length) {
            states = occupied = new int[automaton.stateNames().length];
        }
        int n = NfaSection.states(stored, header, states, automaton.digest());
        if (n < 0) {
            return false; // loading it says what is wrong
        }
        for (int i = 0; i < n; i++) {
            if (!automaton.leavesUnchanged(states[i], event, timestamp)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether letting time pass to {@code timestamp} would leave nothing of a stored section and
     * return nothing ({@link CompactNfa#endsBy}): then the engine drops the section without loading
     * it.
     */
    boolean endsBy(byte[] stored, long timestamp) throws IOException {
        return automaton.endsBy(stored, header, timestamp);
    }

    /** Lets time pass to {@code timestamp}: partial matches out of their window end. */
    CompactNfa.Output advanceTime(long timestamp) throws Exception {
        return automaton.advanceTime(section, timestamp);
    }

    /** Feeds one event at {@code timestamp}. */
    List<Map<String, List<EnrichedTransaction>>> process(EnrichedTransaction event, long timestamp)
            throws Exception {
        return automaton.process(section, event, timestamp);
    }

    /**
     * When the earliest partial match leaves its window: the time to advance to, or {@link
     * Long#MAX_VALUE} when none can time out.
     */
    long nextDeadline() {
        return automaton.nextDeadline(section);
    }

    /** Partial matches in progress for the account. */
    int partialMatches() {
        int n = 0;
        for (NfaSection.Run r : section.partial) {
            if (r.start != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() throws Exception {
        if (legacy != null) {
            legacy.close();
        }
        nfa.close();
    }
}

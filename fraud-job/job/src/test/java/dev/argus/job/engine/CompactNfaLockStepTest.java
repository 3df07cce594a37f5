package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.profile.AccountProfile;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.ProfileState;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionBuilder;
import dev.argus.model.TransactionType;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.TransactionGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.cep.nfa.ComputationState;
import org.apache.flink.cep.nfa.NFAState;
import org.apache.flink.cep.nfa.sharedbuffer.EventId;
import org.apache.flink.cep.nfa.sharedbuffer.Lockable;
import org.apache.flink.cep.nfa.sharedbuffer.NodeId;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBufferEdge;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBufferNode;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compact engine ({@link CompactNfa} on {@link NfaSection}) in lock step with flink-cep's own
 * {@code NFA} and {@code SharedBuffer} (the engine's runner before it, {@link FlinkNfaRunner}): one
 * account's random sequence of events and time advances goes to both, and after every step both
 * must have emitted the same matches and timeouts in the same order and hold the same state: the
 * same partial and completed matches in the same queue order (state, Dewey version, times, buffer
 * entry, first event), the same buffered events, nodes, edges and lock counts, the same event
 * counters, and the same "changed" flag. Both are saved and restored at random points, each in its
 * own format, or the port from flink-cep's (as after an upgrade from a release that stored it).
 * Where the engine would not load the section at all for an event ({@link
 * RuleRunner#leavesUnchanged}, from the stored header), the time advance and the step it skips must
 * indeed leave it as it was; where it would drop the section without loading it on a time advance
 * ({@link RuleRunner#endsBy}, from the stored runs), the advance must indeed leave it empty and
 * return nothing.
 *
 * <p>Tries as in {@link EngineDifferentialTest}: {@code -Dargus.differential.tries=N} for a longer
 * run, {@code -Dargus.differential.seed=S} to replay one.
 */
class CompactNfaLockStepTest {
    private static final RulePack PACK =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);
    private static final long T0 = 1_793_000_000_000L;

    private static EngineHarness harness;
    private static RuntimeContext context;

    @BeforeAll
    static void openContext() throws Exception {
        // the conditions (CEL) are opened with a real operator's runtime context
        harness =
                EngineHarness.open(
                        new RuleEngineOperator(
                                PACK.active(), RuleEngineOperator.Ordering.ARRIVAL, 1000),
                        null);
        context = ((RuleEngineOperator) harness.getOperator()).getRuntimeContext();
    }

    @AfterAll
    static void closeContext() throws Exception {
        harness.close();
    }

    /** Steps the engine would skip, which the lock-step checked; the tests see some. */
    private static final java.util.concurrent.atomic.AtomicInteger UNTOUCHED =
            new java.util.concurrent.atomic.AtomicInteger();

    /** Time advances the engine would do without loading the section; the tests see some. */
    private static final java.util.concurrent.atomic.AtomicInteger ENDED =
            new java.util.concurrent.atomic.AtomicInteger();

    /** Random rules of the language, including conditions that read earlier stages. */
    @Test
    void randomRulesStepInLockWithFlinkCep() {
        UNTOUCHED.set(0);
        ENDED.set(0);
        SeededTries.check(
                "randomRulesStepInLockWithFlinkCep",
                0.3,
                draw -> {
                    String yaml = EngineDifferentialTest.rule(draw);
                    Rule rule = TestRules.compile(yaml);
                    SeededTries.assume(rule != null);
                    long seed = draw.anyLong();
                    return lockStep(rule, simpleEvents(seed), seed, yaml);
                });
        assertThat(UNTOUCHED.get())
                .as("steps predicted to leave the section as it is")
                .isPositive();
        assertThat(ENDED.get()).as("advances predicted to leave nothing").isPositive();
    }

    /**
     * A section is dropped unloaded at a window's end only when the advance returns nothing: a
     * pattern whose last stage is negated completes its match when the window ends, so it must be
     * loaded; the same pattern without that stage just ends. (The random rules above reach this
     * case only in longer runs.)
     */
    @Test
    void aSectionEndsUnloadedOnlyWhenItsWindowEndReturnsNothing() throws Exception {
        String head =
                "id: absent\nversion: 1\ntitle: t\nowner: tests\nseverity: low\nscore: 1\n"
                        + "mode: enforce\nexplanation: \"x\"\nwithin: 10m\npattern:\n"
                        + "  - stage: transfer\n    where: \"txn.type == 'TRANSFER'\"\n";
        String awaited =
                "  - stage: nothing_after\n    follows: not_followed_by\n    where: \"true\"\n";
        EnrichedTransaction transfer =
                new EnrichedTransaction(
                        TransactionBuilder.payment("t0")
                                .account("acc-1")
                                .at(Instant.ofEpochMilli(T0))
                                .type(TransactionType.TRANSFER)
                                .build(),
                        ProfileFeatures.newBuilder().build());
        long end = T0 + 10 * 60_000L;
        for (boolean negatedLast : new boolean[] {true, false}) {
            Rule rule =
                    TestRules.compile(
                            negatedLast
                                    ? head + awaited
                                    : head
                                            + "  - stage: again\n    where: \"txn.type =="
                                            + " 'TRANSFER'\"\n");
            try (RuleRunner port = new RuleRunner(rule, context, new EventSerializer())) {
                port.reset();
                port.process(transfer, T0);
                byte[] stored = header(port);
                assertThat(port.endsBy(stored, end - 1)).as("before the window's end").isFalse();
                assertThat(port.endsBy(stored, end))
                        .as("at the window's end, negated last stage: %s", negatedLast)
                        .isEqualTo(!negatedLast);
                var advanced = port.advanceTime(end);
                assertThat(advanced.matches()).hasSize(negatedLast ? 1 : 0);
                assertThat(port.isEmpty()).isTrue();
            }
        }
    }

    /** Every rule of the shipped pack on the local generator's traffic. */
    @Test
    void thePackStepsInLockWithFlinkCep() {
        SeededTries.check(
                "thePackStepsInLockWithFlinkCep",
                0.5,
                draw -> {
                    long seed = draw.anyLong();
                    List<EnrichedTransaction> events = packEvents(seed);
                    boolean alerted = false;
                    for (Rule rule : PACK.active()) {
                        alerted |= lockStep(rule, events, seed, rule.id());
                    }
                    return alerted;
                });
    }

    /**
     * Feeds both the events, in time order, with time advances between them, saves and restores;
     * compares after every step. Whether anything matched or timed out.
     */
    private static boolean lockStep(
            Rule rule, List<EnrichedTransaction> events, long seed, String what) throws Exception {
        Random random = new Random(seed);
        EventSerializer flinkEvents = new EventSerializer();
        EventSerializer portEvents = new EventSerializer();
        boolean produced = false;
        try (FlinkNfaRunner flink = new FlinkNfaRunner(rule, context, flinkEvents);
                RuleRunner port = new RuleRunner(rule, context, portEvents)) {
            flink.reset();
            port.reset();
            long clock = Long.MIN_VALUE;
            DataOutputSerializer out = new DataOutputSerializer(256);
            int step = 0;
            for (EnrichedTransaction e : events) {
                long ts = e.getTransaction().getEventTime().toEpochMilli();
                if (ts < clock) {
                    continue; // NFA time never goes back for an account
                }
                String where = what + ", step " + step++ + ", event at " + ts;
                if (random.nextInt(3) > 0) {
                    long to =
                            clock == Long.MIN_VALUE
                                    ? ts
                                    : clock + (long) (random.nextDouble() * (ts - clock));
                    produced |= compareAdvance(flink, port, to, where + ", advance to " + to);
                }
                // what the engine decides from a stored section's header alone: the event leaves
                // the section as it is, so it is not even loaded
                boolean untouched = port.leavesUnchanged(header(port), e, ts);
                String before = withoutCounters(port);
                boolean changedBefore = port.changed();
                if (untouched) {
                    // the engine skips the time advance before the step too: it must do nothing
                    var f = flink.advanceTime(ts);
                    var p = port.advanceTime(ts);
                    assertThat(lines(f.matches()).isEmpty() && lines(f.timedOut()).isEmpty())
                            .as("nothing due by an untouched step, %s", where)
                            .isTrue();
                    assertThat(withoutCounters(port)).as("advanced, %s", where).isEqualTo(before);
                    assertThat(lines(p.matches())).isEmpty();
                    compareState(flink, port, where + ", advanced before an untouched step");
                }
                var flinkMatches = flink.process(e, ts);
                var portMatches = port.process(e, ts);
                if (untouched) {
                    UNTOUCHED.incrementAndGet();
                    assertThat(portMatches).as("matches of an untouched step, %s", where).isEmpty();
                    assertThat(withoutCounters(port))
                            .as("state after an untouched step, %s", where)
                            .isEqualTo(before);
                    assertThat(port.changed()).as("changed, %s", where).isEqualTo(changedBefore);
                }
                assertThat(lines(portMatches))
                        .as("matches, %s", where)
                        .isEqualTo(lines(flinkMatches));
                produced |= !flinkMatches.isEmpty();
                compareState(flink, port, where);
                clock = ts;
                if (random.nextInt(6) == 0) {
                    // both saved and restored, each through its own layout
                    byte[] f = flink.save(out);
                    byte[] p = port.save(out);
                    assertThat(p == null).as("empty after save, %s", where).isEqualTo(f == null);
                    flinkEvents.forget();
                    portEvents.forget();
                    if (f == null) {
                        flink.reset();
                        port.reset();
                    } else {
                        flink.load(f, 2);
                        if (random.nextBoolean()) {
                            port.load(p, AccountValue.FORMAT);
                        } else {
                            // an upgrade: flink-cep's own state, as earlier releases stored it
                            port.load(f, 2);
                        }
                    }
                    compareState(flink, port, where + ", restored");
                }
            }
            long end = clock == Long.MIN_VALUE ? T0 : clock + 24 * 3600_000L;
            produced |= compareAdvance(flink, port, end, what + ", the end");
        }
        return produced;
    }

    /** The loaded section as the engine stores it, header first. */
    private static byte[] header(RuleRunner port) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(256);
        port.section()
                .write(
                        out,
                        new EventSerializer(),
                        port.automaton().nextDeadline(port.section()),
                        port.automaton().digest());
        return out.getCopyOfBuffer();
    }

    /**
     * The section's description without the event counters per timestamp: a step the engine skips
     * leaves them behind, which changes nothing (they are pruned below the time of the next step,
     * and only events at a counter's own timestamp read it).
     */
    private static String withoutCounters(RuleRunner port) {
        String d = port.section().describe(port.automaton().stateNames(), port.automaton().pages());
        return d.substring(0, d.lastIndexOf("\ncounts: "));
    }

    private static boolean compareAdvance(
            FlinkNfaRunner flink, RuleRunner port, long to, String where) throws Exception {
        // what the engine decides from a stored section's runs alone: the advance leaves nothing
        // of it, so it is dropped without loading
        boolean ends = !port.isEmpty() && port.endsBy(header(port), to);
        var f = flink.advanceTime(to);
        var p = port.advanceTime(to);
        if (ends) {
            ENDED.incrementAndGet();
            assertThat(lines(p.matches()).isEmpty() && lines(p.timedOut()).isEmpty())
                    .as("nothing returned by an advance that ends the section, %s", where)
                    .isTrue();
            assertThat(port.isEmpty())
                    .as("empty after an advance that ends it, %s", where)
                    .isTrue();
        }
        assertThat(lines(p.matches())).as("matches, %s", where).isEqualTo(lines(f.matches()));
        assertThat(lines(p.timedOut())).as("timeouts, %s", where).isEqualTo(lines(f.timedOut()));
        compareState(flink, port, where);
        return !f.matches().isEmpty() || !f.timedOut().isEmpty();
    }

    private static void compareState(FlinkNfaRunner flink, RuleRunner port, String where)
            throws Exception {
        CompactNfa automaton = port.automaton();
        assertThat(port.section().describe(automaton.stateNames(), automaton.pages()))
                .as("state, %s", where)
                .isEqualTo(describe(flink));
        assertThat(port.changed()).as("changed, %s", where).isEqualTo(flink.changed());
        assertThat(port.nextDeadline()).as("deadline, %s", where).isEqualTo(flink.nextDeadline());
    }

    /** Matches as lines of stage: transaction ids, in the order emitted. */
    private static List<String> lines(List<Map<String, List<EnrichedTransaction>>> matches) {
        List<String> out = new ArrayList<>();
        for (Map<String, List<EnrichedTransaction>> m : matches) {
            StringBuilder s = new StringBuilder();
            m.forEach(
                    (stage, events) -> {
                        s.append(stage).append(':');
                        events.forEach(
                                e -> s.append(' ').append(e.getTransaction().getTransactionId()));
                        s.append("; ");
                    });
            out.add(s.toString());
        }
        return out;
    }

    /**
     * flink-cep's state in {@link NfaSection#describe}'s text, read from its own classes: the NFA
     * state's queues in their order, the shared buffer's maps sorted.
     */
    @SuppressWarnings("unchecked")
    private static String describe(FlinkNfaRunner flink) throws Exception {
        NFAState state = flink.state();
        StringBuilder s = new StringBuilder("partial:");
        for (Object c : state.getPartialMatches().toArray()) {
            s.append("\n  ").append(describe((ComputationState) c));
        }
        s.append("\ncompleted:");
        for (Object c : state.getCompletedMatches().toArray()) {
            s.append("\n  ").append(describe((ComputationState) c));
        }
        TreeMap<NfaSection.EventKey, Integer> events = new TreeMap<>();
        TreeMap<String, String> nodes = new TreeMap<>();
        TreeMap<Long, Integer> counts = new TreeMap<>();
        for (PerKeyMapStore.Registered map : flink.store().maps()) {
            for (Map.Entry<Object, Object> e : map.contents().entrySet()) {
                Object value = e.getValue();
                if (value instanceof PerKeyMapStore.Raw raw) {
                    value = map.valueSerializer().deserialize(new DataInputDeserializer(raw.bytes));
                }
                switch (map.name()) {
                    case LegacySections.EVENTS -> {
                        EventId id = (EventId) e.getKey();
                        events.put(
                                new NfaSection.EventKey(id.getTimestamp(), id.getId()),
                                LegacySections.locks((Lockable<?>) value));
                    }
                    case LegacySections.ENTRIES -> {
                        Lockable<SharedBufferNode> node = (Lockable<SharedBufferNode>) value;
                        StringBuilder n = new StringBuilder();
                        n.append(" locks=").append(LegacySections.locks(node)).append(" edges=");
                        for (Lockable<SharedBufferEdge> edge : node.getElement().getEdges()) {
                            // "SharedBufferEdge{target=..., deweyNumber=...}": its getters are not
                            // public
                            n.append(" [")
                                    .append(edge(edge.getElement()))
                                    .append(" locks=")
                                    .append(LegacySections.locks(edge))
                                    .append(']');
                        }
                        nodes.put(describe((NodeId) e.getKey()), n.toString());
                    }
                    case LegacySections.COUNTS -> counts.put((Long) e.getKey(), (Integer) value);
                    default -> throw new AssertionError("unknown map " + map.name());
                }
            }
        }
        s.append("\nevents:");
        events.forEach((k, locks) -> s.append("\n  ").append(k).append(" locks=").append(locks));
        s.append("\nnodes:");
        nodes.forEach((k, n) -> s.append("\n  ").append(k).append(n));
        s.append("\ncounts: ").append(counts);
        return s.toString();
    }

    private static String edge(SharedBufferEdge edge) throws Exception {
        var target = SharedBufferEdge.class.getDeclaredField("target");
        var version = SharedBufferEdge.class.getDeclaredField("deweyNumber");
        target.setAccessible(true);
        version.setAccessible(true);
        NodeId t = (NodeId) target.get(edge);
        return (t == null ? "-" : describe(t)) + " " + version.get(edge);
    }

    private static String describe(ComputationState c) {
        return c.getCurrentStateName()
                + " v"
                + c.getVersion()
                + " start="
                + c.getStartTimestamp()
                + " previous="
                + c.getPreviousTimestamp()
                + " entry="
                + (c.getPreviousBufferEntry() == null ? "-" : describe(c.getPreviousBufferEntry()))
                + " first="
                + (c.getStartEventID() == null
                        ? "-"
                        : "("
                                + c.getStartEventID().getTimestamp()
                                + ","
                                + c.getStartEventID().getId()
                                + ")");
    }

    private static String describe(NodeId n) {
        return n.getPageName()
                + "@("
                + n.getEventId().getTimestamp()
                + ","
                + n.getEventId().getId()
                + ")";
    }

    /**
     * One account's payments, transfers and logins of a few amounts, seconds to minutes apart, in
     * time order with ties.
     */
    private static List<EnrichedTransaction> simpleEvents(long seed) {
        Random random = new Random(seed);
        TransactionType[] types = {
            TransactionType.CARD_PAYMENT, TransactionType.TRANSFER, TransactionType.LOGIN
        };
        long[] amounts = {500, 5_000, 50_000};
        List<EnrichedTransaction> events = new ArrayList<>();
        long now = T0;
        for (int i = 0; i < 60; i++) {
            now += random.nextInt(4) == 0 ? 0 : random.nextInt(120_000);
            Transaction t =
                    TransactionBuilder.payment("t" + i)
                            .account("acc-1")
                            .at(Instant.ofEpochMilli(now))
                            .type(types[random.nextInt(types.length)])
                            .amountMinor(amounts[random.nextInt(amounts.length)])
                            .build();
            events.add(new EnrichedTransaction(t, ProfileFeatures.newBuilder().build()));
        }
        return events;
    }

    /** The local generator's traffic of one account, enriched by the real profile. */
    private static List<EnrichedTransaction> packEvents(long seed) {
        TransactionGenerator generator = new TransactionGenerator(seed, 1, 0.3, 0.0);
        Random random = new Random(seed);
        List<Transaction> events = new ArrayList<>();
        long now = T0;
        while (events.size() < 80) {
            now += random.nextInt(90_000);
            events.addAll(generator.due(now).stream().map(g -> g.transaction()).toList());
            events.add(generator.next(now).transaction());
        }
        events.sort(java.util.Comparator.comparing(Transaction::getEventTime));
        AccountProfile profile = new AccountProfile(50);
        ProfileState state = AccountProfile.empty();
        List<EnrichedTransaction> out = new ArrayList<>();
        for (Transaction t : events) {
            out.add(new EnrichedTransaction(t, profile.features(state, t)));
            profile.update(state, t);
        }
        return out;
    }
}

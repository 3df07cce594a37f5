package dev.argus.job.engine;

import dev.argus.job.engine.NfaSection.Dewey;
import dev.argus.job.engine.NfaSection.EventKey;
import dev.argus.job.engine.NfaSection.NodeKey;
import dev.argus.job.engine.NfaSection.Run;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.cel.CelCondition;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.flink.cep.nfa.NFA;
import org.apache.flink.cep.nfa.State;
import org.apache.flink.cep.nfa.StateTransition;
import org.apache.flink.cep.nfa.StateTransitionAction;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.nfa.aftermatch.NoSkipStrategy;
import org.apache.flink.cep.nfa.aftermatch.SkipPastLastStrategy;
import org.apache.flink.cep.nfa.aftermatch.SkipToFirstStrategy;
import org.apache.flink.cep.nfa.aftermatch.SkipToLastStrategy;
import org.apache.flink.cep.nfa.aftermatch.SkipToNextStrategy;
import org.apache.flink.cep.nfa.compiler.NFACompiler;
import org.apache.flink.cep.nfa.compiler.NFAStateNameHandler;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;
import org.apache.flink.cep.pattern.conditions.RichCompositeIterativeCondition;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;
import org.apache.flink.core.memory.DataInputDeserializer;

/**
 * flink-cep's matching algorithm ({@code org.apache.flink.cep.nfa.NFA} of flink-cep 2.2.1: {@code
 * process}, {@code advanceTime}, {@code computeNextStates}, the decision graph, the after-match
 * skip strategies, and the shared buffer's locking and extraction) on the compact state of {@link
 * NfaSection}. The automaton is flink-cep's own: the states and transitions {@link NFACompiler}
 * built from the rule's pattern, read from the compiled {@link NFA}, with their conditions.
 *
 * <p>Every step is flink-cep's, in flink-cep's order: the partial matches are visited in their
 * priority queue's order, the branches of a step get the Dewey versions flink-cep gives them, locks
 * are taken and released in the same places, and matches are emitted in the same order. The
 * lock-step test compares the section with flink-cep's {@code NFAState} and shared buffer after
 * every event of random sequences; stock {@code CEP.pattern} stays the oracle of the differential
 * test. What differs is only how the state is held: no {@code Lockable} wrappers, caches, state
 * names or fresh serializers per step.
 */
final class CompactNfa {
    /** A state of the automaton. */
    static final class Vertex {
        final int index;
        final String name;
        final int page;
        final boolean start;
        final boolean isFinal;
        final boolean stop;
        final boolean pending;
        Transition[] transitions;

        Vertex(int index, State<EnrichedTransaction> state, int page) {
            this.index = index;
            this.name = state.getName();
            this.page = page;
            this.start = state.isStart();
            this.isFinal = state.isFinal();
            this.stop = state.isStop();
            this.pending = state.isPending();
        }
    }

    /** A transition: TAKE, IGNORE or PROCEED to {@code target}, when {@code condition} holds. */
    record Transition(
            StateTransitionAction action,
            Vertex source,
            Vertex target,
            IterativeCondition<EnrichedTransaction> condition) {}

    /** The after-match skip strategies flink-cep has, as data. */
    private enum Skip {
        NO_SKIP,
        TO_NEXT,
        PAST_LAST,
        TO_FIRST,
        TO_LAST
    }

    private final Vertex[] vertices;
    private final String[] stateNames;
    private final String[] pages;
    private final long windowTime;

    /** Per state, the window from the previous event (flink-cep's per-stage {@code within}). */
    private final long[] stageWindows;

    private final boolean handleTimeout;

    /**
     * Per state: whether every condition a step from it evaluates depends on the event alone (none
     * reads the partial match), so that whether an event changes a run there can be decided without
     * the run.
     */
    private final boolean[] eventOnly;

    /** The start states in the order flink-cep creates their runs. */
    private final List<Vertex> startOrder = new ArrayList<>();

    /**
     * A digest of the state and stage names behind the numbers a stored section uses: a section
     * written for other numbers (a flink-cep whose compiler names states otherwise) is refused
     * rather than misread.
     */
    private final int digest;

    private final Skip skip;
    private final String skipStage;
    private final boolean throwOnMiss;
    private final EventSerializer serializer;

    /**
     * @param nfa the rule's automaton as flink-cep compiles it (only its states, transitions and
     *     windows are read)
     * @param handleTimeout whether timed-out partial matches are returned, as {@code
     *     NFACompiler.compileFactory}'s argument
     */
    CompactNfa(
            NFA<EnrichedTransaction> nfa,
            Map<String, Long> stageWindowsByName,
            boolean handleTimeout,
            AfterMatchSkipStrategy skipStrategy,
            EventSerializer serializer) {
        // states and stages are numbered in the order of their names: a stored section refers to
        // them by number, which must not depend on the order of flink-cep's hash map
        List<State<EnrichedTransaction>> states = new ArrayList<>(nfa.getStates());
        states.sort(java.util.Comparator.comparing(State::getName));
        vertices = new Vertex[states.size()];
        stateNames = new String[states.size()];
        stageWindows = new long[states.size()];
        Map<String, Vertex> byName = new HashMap<>();
        java.util.TreeSet<String> pageNames = new java.util.TreeSet<>();
        for (State<EnrichedTransaction> s : states) {
            pageNames.add(NFAStateNameHandler.getOriginalNameFromInternal(s.getName()));
        }
        pages = pageNames.toArray(new String[0]);
        int i = 0;
        for (State<EnrichedTransaction> s : states) {
            String page = NFAStateNameHandler.getOriginalNameFromInternal(s.getName());
            int p = java.util.Arrays.binarySearch(pages, page);
            vertices[i] = new Vertex(i, s, p);
            stateNames[i] = s.getName();
            Long w = stageWindowsByName.get(s.getName());
            stageWindows[i] = w == null ? -1 : w;
            byName.put(s.getName(), vertices[i]);
            i++;
        }
        // flink-cep starts its runs in its map's order: keep it for the start states' queue
        for (State<EnrichedTransaction> s : nfa.getStates()) {
            if (s.isStart()) {
                startOrder.add(byName.get(s.getName()));
            }
        }
        digest = (String.join("\n", stateNames) + "|" + String.join("\n", pages)).hashCode();
        for (State<EnrichedTransaction> s : states) {
            List<Transition> ts = new ArrayList<>();
            for (StateTransition<EnrichedTransaction> t : s.getStateTransitions()) {
                ts.add(
                        new Transition(
                                t.getAction(),
                                byName.get(t.getSourceState().getName()),
                                byName.get(t.getTargetState().getName()),
                                t.getCondition()));
            }
            byName.get(s.getName()).transitions = ts.toArray(new Transition[0]);
        }
        eventOnly = new boolean[vertices.length];
        for (Vertex v : vertices) {
            eventOnly[v.index] = eventOnly(v);
        }
        this.windowTime = nfa.getWindowTime();
        this.handleTimeout = handleTimeout;
        this.serializer = serializer;
        if (skipStrategy instanceof NoSkipStrategy) {
            skip = Skip.NO_SKIP;
        } else if (skipStrategy instanceof SkipToNextStrategy) {
            skip = Skip.TO_NEXT;
        } else if (skipStrategy instanceof SkipPastLastStrategy) {
            skip = Skip.PAST_LAST;
        } else if (skipStrategy instanceof SkipToFirstStrategy) {
            skip = Skip.TO_FIRST;
        } else if (skipStrategy instanceof SkipToLastStrategy) {
            skip = Skip.TO_LAST;
        } else {
            throw new IllegalArgumentException("unknown after-match skip strategy " + skipStrategy);
        }
        skipStage = skipStrategy.getPatternName().orElse(null);
        throwOnMiss =
                switch (skip) {
                    case TO_FIRST ->
                            skipStrategy.equals(
                                    AfterMatchSkipStrategy.skipToFirst(skipStage)
                                            .throwExceptionOnMiss());
                    case TO_LAST ->
                            skipStrategy.equals(
                                    AfterMatchSkipStrategy.skipToLast(skipStage)
                                            .throwExceptionOnMiss());
                    default -> false;
                };
    }

    /**
     * Whether the conditions of every transition a step from {@code v} evaluates are event-only.
     */
    private static boolean eventOnly(Vertex v) {
        ArrayDeque<Vertex> toCheck = new ArrayDeque<>();
        java.util.Set<Vertex> seen = new java.util.HashSet<>();
        toCheck.push(v);
        while (!toCheck.isEmpty()) {
            Vertex current = toCheck.pop();
            if (!seen.add(current)) {
                continue;
            }
            for (Transition t : current.transitions) {
                if (!eventOnly(t.condition())) {
                    return false;
                }
                if (t.action() == StateTransitionAction.PROCEED) {
                    toCheck.push(t.target());
                }
            }
        }
        return true;
    }

    /**
     * Whether a condition depends on the event alone: none, flink-cep's simple conditions (its true
     * and false among them), a CEL condition that does not read {@code matched}, and flink-cep's
     * and, or and not of such.
     */
    private static boolean eventOnly(IterativeCondition<?> c) {
        if (c == null || c instanceof SimpleCondition) {
            return true;
        }
        if (c instanceof CelCondition cel) {
            return !cel.readsMatched();
        }
        if (c instanceof RichCompositeIterativeCondition<?> composite) {
            for (IterativeCondition<?> nested : composite.getNestedConditions()) {
                if (!eventOnly(nested)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Whether an event leaves every run in {@code state} exactly as it was: its conditions depend
     * on the event alone, and the event takes no edge out of the state but the state's own ignore
     * (from a start state: none). flink-cep's step would then give each such run back unchanged,
     * with the same version, lock and release its buffer entry alike, and register nothing.
     */
    boolean leavesUnchanged(int state, EnrichedTransaction event, long timestamp) throws Exception {
        if (!eventOnly[state]) {
            return false;
        }
        NoMatchContext context = new NoMatchContext(timestamp);
        Vertex v = vertices[state];
        Outgoing out = decisionGraph(context, v, event);
        return out.takes == 0 && out.ignores == 0 && (v.start || out.edges.size() == 1);
    }

    /** The state names by index, for descriptions. */
    String[] stateNames() {
        return stateNames;
    }

    /** The stage (page) names by index, for descriptions. */
    String[] pages() {
        return pages;
    }

    /** The index of the state named {@code name}. */
    int stateIndex(String name) {
        for (Vertex v : vertices) {
            if (v.name.equals(name)) {
                return v.index;
            }
        }
        throw new IllegalArgumentException("the automaton has no state " + name);
    }

    /** The index of the stage (page) named {@code name}. */
    int pageIndex(String name) {
        for (int i = 0; i < pages.length; i++) {
            if (pages[i].equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("the automaton has no stage " + name);
    }

    /** The whole pattern's window, 0 for none. */
    long windowTime() {
        return windowTime;
    }

    /** A section with nothing matched: a run in each start state, version 1. */
    NfaSection initial() {
        NfaSection s = new NfaSection();
        for (Vertex v : startOrder) {
            s.partial.add(Run.start(v.index, new int[] {1}));
        }
        return s;
    }

    /** The digest of the numbering of states and stages that sections refer to. */
    int digest() {
        return digest;
    }

    /** The transitions out of a state. */
    Transition[] transitions(int state) {
        return vertices[state].transitions;
    }

    /** The start states. */
    List<Vertex> starts() {
        return startOrder;
    }

    /**
     * When the earliest run leaves a window: the time to advance to, or {@link Long#MAX_VALUE} when
     * none can time out.
     */
    long nextDeadline(NfaSection s) {
        long next = Long.MAX_VALUE;
        for (Run r : s.partial) {
            if (r.start == null || vertices[r.state].start) {
                continue;
            }
            if (windowTime > 0) {
                next = Math.min(next, r.startTimestamp + windowTime);
            }
            if (stageWindows[r.state] > 0) {
                next = Math.min(next, r.previousTimestamp + stageWindows[r.state]);
            }
        }
        return next;
    }

    /** What a step produced: matches, and partial matches that timed out (if handled). */
    record Output(
            List<Map<String, List<EnrichedTransaction>>> matches,
            List<Map<String, List<EnrichedTransaction>>> timedOut) {}

    // ---- NFA.advanceTime

    /** Lets time pass to {@code timestamp}: runs out of their windows end. */
    Output advanceTime(NfaSection s, long timestamp) throws Exception {
        List<Map<String, List<EnrichedTransaction>>> result = new ArrayList<>();
        List<Map<String, List<EnrichedTransaction>>> timedOut = new ArrayList<>();
        PriorityQueue<Run> newPartial = new PriorityQueue<>(NfaSection.ORDER);
        PriorityQueue<Run> potential = new PriorityQueue<>(NfaSection.ORDER);
        for (Run run : s.partial) {
            if (leavesWindow(run, timestamp)) {
                s.changed = true;
                if (vertices[run.state].pending) {
                    potential.add(run);
                    continue;
                }
                if (handleTimeout) {
                    timedOut.add(s.materialize(currentMatch(s, run), serializer));
                }
                s.releaseNode(run.previous, run.version);
            } else {
                newPartial.add(run);
            }
        }
        completeMatches(s, potential, newPartial, result);
        s.partial = newPartial;
        s.advanceCounters(timestamp);
        return new Output(result, timedOut);
    }

    /**
     * Whether {@link #advanceTime} to {@code timestamp} would leave nothing of a stored section and
     * return nothing, decided from its runs without loading its buffer: every partial match that
     * has taken an event leaves its window, none in a state that then completes a match, no
     * completed match waits, and timed-out partial matches are not asked for. Advancing releases
     * each one's chain of buffer entries, and with the last partial match the last entry goes.
     */
    boolean endsBy(byte[] stored, DataInputDeserializer in, long timestamp) throws IOException {
        if (handleTimeout) {
            return false; // its timed-out partial matches are returned: load it
        }
        return NfaSection.allRuns(
                stored,
                in,
                digest,
                run -> {
                    boolean out = leavesWindow(run, timestamp);
                    // a run that stays must be one an empty section keeps: waiting in a start
                    // state, without a first event; one that leaves must not complete a match
                    return out ? !vertices[run.state].pending : run.start == null;
                });
    }

    /**
     * Whether a run is out of its window at {@code timestamp}: its stage's window since its last
     * event, or the pattern's since its first (flink-cep's {@code isStateTimedOut} for both).
     */
    private boolean leavesWindow(Run run, long timestamp) {
        Vertex v = vertices[run.state];
        return (stageWindows[run.state] >= 0
                        && timedOut(v, timestamp, run.previousTimestamp, stageWindows[run.state]))
                || timedOut(v, timestamp, run.startTimestamp, windowTime);
    }

    private static boolean timedOut(Vertex v, long timestamp, long since, long window) {
        return !v.start && window > 0L && timestamp - since >= window;
    }

    // ---- NFA.process

    /** The event being processed: registered in the buffer when a stage first takes it. */
    private static final class Incoming {
        final EnrichedTransaction event;
        final long timestamp;
        EventKey key;

        Incoming(EnrichedTransaction event, long timestamp) {
            this.event = event;
            this.timestamp = timestamp;
        }

        EventKey key(NfaSection s) {
            if (key == null) {
                key = s.register(event, timestamp);
            }
            return key;
        }
    }

    /** Feeds one event at {@code timestamp}; the matches it completes, in flink-cep's order. */
    List<Map<String, List<EnrichedTransaction>>> process(
            NfaSection s, EnrichedTransaction event, long timestamp) throws Exception {
        Incoming in = new Incoming(event, timestamp);
        try {
            PriorityQueue<Run> newPartial = new PriorityQueue<>(NfaSection.ORDER);
            PriorityQueue<Run> potential = new PriorityQueue<>(NfaSection.ORDER);
            for (Run run : s.partial) {
                List<Run> next = nextRuns(s, run, in);
                if (next.size() != 1 || !next.get(0).equals(run)) {
                    s.changed = true;
                }
                List<Run> retain = new ArrayList<>();
                boolean discard = false;
                for (Run n : next) {
                    Vertex v = vertices[n.state];
                    if (v.isFinal) {
                        potential.add(n);
                    } else if (v.stop) {
                        discard = true;
                        s.releaseNode(n.previous, n.version);
                    } else {
                        retain.add(n);
                    }
                }
                if (discard) {
                    for (Run r : retain) {
                        s.releaseNode(r.previous, r.version);
                    }
                } else {
                    newPartial.addAll(retain);
                }
            }
            if (!potential.isEmpty()) {
                s.changed = true;
            }
            List<Map<String, List<EnrichedTransaction>>> result = new ArrayList<>();
            completeMatches(s, potential, newPartial, result);
            s.partial = newPartial;
            return result;
        } finally {
            if (in.key != null) {
                s.releaseEvent(in.key);
            }
        }
    }

    /** flink-cep's {@code processMatchesAccordingToSkipStrategy}. */
    private void completeMatches(
            NfaSection s,
            PriorityQueue<Run> potential,
            PriorityQueue<Run> partial,
            List<Map<String, List<EnrichedTransaction>>> result)
            throws Exception {
        s.completed.addAll(potential);
        Run earliest;
        while ((earliest = s.completed.peek()) != null) {
            if (skip != Skip.NO_SKIP) {
                Run earliestPartial = partial.peek();
                if (earliestPartial != null
                        && NfaSection.ORDER.compare(earliest, earliestPartial) > 0) {
                    break;
                }
            }
            s.changed = true;
            s.completed.poll();
            List<Map<String, List<EventKey>>> matched =
                    s.extract(earliest.previous, earliest.version, pages);
            prune(s, partial, matched);
            prune(s, s.completed, matched);
            result.add(s.materialize(matched.get(0), serializer));
            s.releaseNode(earliest.previous, earliest.version);
        }
    }

    /** flink-cep's {@code AfterMatchSkipStrategy.prune}. */
    private void prune(
            NfaSection s, PriorityQueue<Run> runs, List<Map<String, List<EventKey>>> matched) {
        if (skip == Skip.NO_SKIP) {
            return;
        }
        EventKey pruning = pruningId(matched);
        if (pruning == null) {
            return;
        }
        List<Run> discard = new ArrayList<>();
        for (Run r : runs) {
            if (r.start != null && shouldPrune(r.start, pruning)) {
                s.releaseNode(r.previous, r.version);
                discard.add(r);
            }
        }
        runs.removeAll(discard);
    }

    private boolean shouldPrune(EventKey start, EventKey pruning) {
        int c = start.compareTo(pruning);
        return skip == Skip.TO_NEXT || skip == Skip.PAST_LAST ? c <= 0 : c < 0;
    }

    private EventKey pruningId(List<Map<String, List<EventKey>>> matched) {
        EventKey pruning = null;
        for (Map<String, List<EventKey>> match : matched) {
            switch (skip) {
                case PAST_LAST -> {
                    for (List<EventKey> events : match.values()) {
                        pruning = max(pruning, events.get(events.size() - 1));
                    }
                }
                case TO_NEXT -> {
                    for (List<EventKey> events : match.values()) {
                        pruning = min(pruning, events.get(0));
                    }
                }
                case TO_FIRST, TO_LAST -> {
                    List<EventKey> events = match.get(skipStage);
                    if (events == null || events.isEmpty()) {
                        if (throwOnMiss) {
                            throw new IllegalStateException(
                                    "Could not skip to "
                                            + skipStage
                                            + ". No such element in the found match "
                                            + match);
                        }
                    } else {
                        pruning =
                                max(
                                        pruning,
                                        events.get(skip == Skip.TO_FIRST ? 0 : events.size() - 1));
                    }
                    if (throwOnMiss) {
                        EventKey first =
                                match.values().stream()
                                        .flatMap(List::stream)
                                        .min(EventKey::compareTo)
                                        .orElseThrow(
                                                () ->
                                                        new IllegalStateException(
                                                                "Cannot prune based on empty match"));
                        if (pruning != null && pruning.equals(first)) {
                            throw new IllegalStateException(
                                    "Could not skip to first element of a match.");
                        }
                    }
                }
                case NO_SKIP -> throw new IllegalStateException("no pruning without a skip");
            }
        }
        return pruning;
    }

    private static EventKey max(EventKey a, EventKey b) {
        if (b == null) {
            return a;
        }
        if (a == null) {
            return b;
        }
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static EventKey min(EventKey a, EventKey b) {
        if (b == null) {
            return a;
        }
        if (a == null) {
            return b;
        }
        return a.compareTo(b) <= 0 ? a : b;
    }

    // ---- NFA.computeNextStates

    /** The edges an event takes out of a run's state, as flink-cep's {@code OutgoingEdges}. */
    private static final class Outgoing {
        final List<Transition> edges = new ArrayList<>(4);
        final Vertex current;
        int takes;
        int ignores;

        Outgoing(Vertex current) {
            this.current = current;
        }

        void add(Transition t) {
            boolean selfIgnore =
                    t.target() == current && t.action() == StateTransitionAction.IGNORE;
            if (!selfIgnore) {
                if (t.action() == StateTransitionAction.IGNORE) {
                    ignores++;
                } else if (t.action() == StateTransitionAction.TAKE) {
                    takes++;
                }
            }
            edges.add(t);
        }
    }

    private List<Run> nextRuns(NfaSection s, Run run, Incoming event) throws Exception {
        Context context = new Context(s, run, event.timestamp);
        Vertex state = vertices[run.state];
        Outgoing outgoing = decisionGraph(context, state, event.event);
        int takeBranchesToVisit = Math.max(0, outgoing.takes - 1);
        int ignoreBranchesToVisit = outgoing.ignores;
        int totalTakeToSkip = Math.max(0, outgoing.takes - 1);
        List<Run> result = new ArrayList<>();
        for (Transition edge : outgoing.edges) {
            switch (edge.action()) {
                case IGNORE -> {
                    if (!state.start) {
                        int[] version;
                        if (edge.target() == state) {
                            version =
                                    Dewey.increase(
                                            run.version,
                                            selfIncrease(outgoing.ignores, outgoing.takes));
                        } else {
                            version =
                                    Dewey.addStage(
                                            Dewey.increase(
                                                    run.version,
                                                    totalTakeToSkip + ignoreBranchesToVisit));
                            ignoreBranchesToVisit--;
                        }
                        add(
                                s,
                                result,
                                edge.target(),
                                run.previous,
                                version,
                                run.startTimestamp,
                                run.previousTimestamp,
                                run.start);
                    }
                }
                case TAKE -> {
                    Vertex next = edge.target();
                    Vertex current = edge.source();
                    int[] currentVersion = Dewey.increase(run.version, takeBranchesToVisit);
                    int[] nextVersion = Dewey.addStage(currentVersion);
                    takeBranchesToVisit--;
                    NodeKey entry = s.put(current.page, event.key(s), run.previous, currentVersion);
                    long startTimestamp;
                    EventKey startEvent;
                    if (state.start) {
                        startTimestamp = event.timestamp;
                        startEvent = event.key(s);
                    } else {
                        startTimestamp = run.startTimestamp;
                        startEvent = run.start;
                    }
                    add(
                            s,
                            result,
                            next,
                            entry,
                            nextVersion,
                            startTimestamp,
                            event.timestamp,
                            startEvent);
                    Vertex fin = finalAfterProceed(context, next, event.event);
                    if (fin != null) {
                        add(
                                s,
                                result,
                                fin,
                                entry,
                                nextVersion,
                                startTimestamp,
                                event.timestamp,
                                startEvent);
                    }
                }
                case PROCEED -> {} // the decision graph follows proceeds, they never get here
            }
        }
        if (state.start) {
            int total = selfIncrease(outgoing.ignores, outgoing.takes);
            result.add(Run.start(state.index, Dewey.increase(run.version, total)));
        }
        if (run.previous != null) {
            s.releaseNode(run.previous, run.version);
        }
        return result;
    }

    private static void add(
            NfaSection s,
            List<Run> runs,
            Vertex state,
            NodeKey previous,
            int[] version,
            long startTimestamp,
            long previousTimestamp,
            EventKey start) {
        Run r = new Run(state.index, version, startTimestamp, previousTimestamp, previous, start);
        runs.add(r);
        s.lockNode(previous, version);
    }

    private static int selfIncrease(int ignores, int takes) {
        return takes == 0 && ignores == 0 ? 0 : ignores + Math.max(1, takes);
    }

    private Vertex finalAfterProceed(Context context, Vertex state, EnrichedTransaction event)
            throws Exception {
        ArrayDeque<Vertex> toCheck = new ArrayDeque<>();
        toCheck.push(state);
        while (!toCheck.isEmpty()) {
            Vertex current = toCheck.pop();
            for (Transition t : current.transitions) {
                if (t.action() == StateTransitionAction.PROCEED
                        && holds(context, t.condition(), event)) {
                    if (t.target().isFinal) {
                        return t.target();
                    }
                    toCheck.push(t.target());
                }
            }
        }
        return null;
    }

    private Outgoing decisionGraph(
            IterativeCondition.Context<EnrichedTransaction> context,
            Vertex state,
            EnrichedTransaction event)
            throws Exception {
        Outgoing outgoing = new Outgoing(state);
        ArrayDeque<Vertex> states = new ArrayDeque<>();
        states.push(state);
        while (!states.isEmpty()) {
            Vertex current = states.pop();
            for (Transition t : current.transitions) {
                if (holds(context, t.condition(), event)) {
                    switch (t.action()) {
                        case PROCEED -> states.push(t.target());
                        case IGNORE, TAKE -> outgoing.add(t);
                    }
                }
            }
        }
        return outgoing;
    }

    private static boolean holds(
            IterativeCondition.Context<EnrichedTransaction> context,
            IterativeCondition<EnrichedTransaction> condition,
            EnrichedTransaction event)
            throws Exception {
        return condition == null || condition.filter(event, context);
    }

    /**
     * The events a run has matched so far, by stage (flink-cep's {@code extractCurrentMatches}).
     */
    private Map<String, List<EventKey>> currentMatch(NfaSection s, Run run) {
        if (run.previous == null) {
            return new HashMap<>();
        }
        List<Map<String, List<EventKey>>> paths = s.extract(run.previous, run.version, pages);
        if (paths.isEmpty()) {
            return new HashMap<>();
        }
        if (paths.size() != 1) {
            throw new IllegalStateException(
                    "a run's version leads to " + paths.size() + " paths in the shared buffer");
        }
        return paths.get(0);
    }

    /** What a condition sees: the run's events so far, materialized on first use. */
    private final class Context extends NoMatchContext {
        private final NfaSection section;
        private final Run run;
        private Map<String, List<EnrichedTransaction>> matched;

        Context(NfaSection section, Run run, long timestamp) {
            super(timestamp);
            this.section = section;
            this.run = run;
        }

        @Override
        public Iterable<EnrichedTransaction> getEventsForPattern(String key) throws Exception {
            if (matched == null) {
                matched = section.materialize(currentMatch(section, run), serializer);
            }
            return () -> {
                List<EnrichedTransaction> events = matched.get(key);
                Iterator<EnrichedTransaction> none = java.util.Collections.emptyIterator();
                return events == null ? none : events.iterator();
            };
        }
    }
}

package dev.argus.job.engine;

import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.cep.configuration.SharedBufferCacheConfig;
import org.apache.flink.cep.nfa.ComputationState;
import org.apache.flink.cep.nfa.NFA;
import org.apache.flink.cep.nfa.NFAState;
import org.apache.flink.cep.nfa.NFAStateSerializer;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.nfa.compiler.NFACompiler;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBuffer;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBufferAccessor;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * The engine's rule runner as it was before the compact engine, kept as the reference of the
 * lock-step test and to write the section formats 1 and 2 of earlier releases: flink-cep's own
 * {@link NFA}, compiled by {@link NFACompiler} from a {@link Pattern} exactly as {@code
 * CEP.pattern} compiles it, and its {@link SharedBuffer} over a {@link PerKeyMapStore}.
 */
final class FlinkNfaRunner implements AutoCloseable {
    /** What one step of the NFA produced for the account. */
    record Output(
            List<Map<String, List<EnrichedTransaction>>> matches,
            List<Map<String, List<EnrichedTransaction>>> timedOut) {}

    private final NFA<EnrichedTransaction> nfa;
    private final AfterMatchSkipStrategy skip;
    private final PerKeyMapStore store = new PerKeyMapStore();
    private final EventSerializer events;
    private final SharedBuffer<EnrichedTransaction> buffer;
    private final NFAStateSerializer stateSerializer = new NFAStateSerializer();
    private final org.apache.flink.cep.time.TimerService processingTime = System::currentTimeMillis;
    private NFAState state;

    FlinkNfaRunner(Rule rule, RuntimeContext context, EventSerializer events) throws Exception {
        this(rule.pattern(), rule.alertsOnTimeout(), context, events);
    }

    FlinkNfaRunner(
            Pattern<EnrichedTransaction, ?> pattern,
            boolean alertsOnTimeout,
            RuntimeContext context,
            EventSerializer events)
            throws Exception {
        // as CepOperator: timed-out partial matches are kept only for functions that handle them
        this.nfa = NFACompiler.compileFactory(pattern, alertsOnTimeout).createNFA();
        this.nfa.open(context, new Configuration());
        this.skip = pattern.getAfterMatchSkipStrategy();
        this.buffer = new SharedBuffer<>(store, events, new SharedBufferCacheConfig());
        this.events = events;
        this.state = nfa.createInitialNFAState();
    }

    /** flink-cep's NFA state of the loaded account. */
    NFAState state() {
        return state;
    }

    /** The compiled automaton. */
    NFA<EnrichedTransaction> nfa() {
        return nfa;
    }

    /** The map states of the rule's shared buffer, for the engine's format tests. */
    PerKeyMapStore store() {
        return store;
    }

    /** Starts an account with no partial matches. */
    void reset() {
        store.clear();
        state = nfa.createInitialNFAState();
    }

    /**
     * Loads an account's section, as written by {@link #save} ({@code format} 2: each value with
     * its length, kept raw until the NFA reads it) or by the engine's first release ({@code format}
     * 1: values without lengths, deserialized here).
     */
    void load(byte[] section, int format) throws IOException {
        state = LegacySections.readFlink(section, format, store, events, "under test");
    }

    /** Whether the account holds nothing for this rule: no partial match, no buffered event. */
    boolean isEmpty() throws Exception {
        // no buffered event means no shared-buffer node either: each node holds its event;
        // the per-timestamp event counters alone are not worth keeping
        if (!buffer.isEmpty() || !state.getCompletedMatches().isEmpty()) {
            return false;
        }
        for (ComputationState s : state.getPartialMatches()) {
            if (s.getStartEventID() != null) {
                return false;
            }
        }
        return true;
    }

    /** Whether the last step changed the account's state for this rule. */
    boolean changed() {
        return state.isStateChanged();
    }

    /** The account's section; null when it holds nothing (an absent section is a fresh start). */
    byte[] save(DataOutputSerializer out) throws Exception {
        if (isEmpty()) {
            return null;
        }
        out.clear();
        state.resetStateChanged();
        state.resetNewStartPartialMatch();
        stateSerializer.serialize(state, out);
        for (PerKeyMapStore.Registered map : store.maps()) {
            out.writeUTF(map.name());
            out.writeInt(map.contents().size());
            for (Map.Entry<Object, Object> e : map.contents().entrySet()) {
                map.keySerializer().serialize(e.getKey(), out);
                if (e.getValue() instanceof PerKeyMapStore.Raw raw) {
                    out.writeInt(raw.bytes.length);
                    out.write(raw.bytes);
                } else {
                    int at = out.length();
                    out.writeInt(0);
                    map.valueSerializer().serialize(e.getValue(), out);
                    out.writeIntUnsafe(out.length() - at - 4, at);
                }
            }
        }
        return out.getCopyOfBuffer();
    }

    /** Lets time pass to {@code timestamp}: partial matches out of their window end. */
    Output advanceTime(long timestamp) throws Exception {
        try (SharedBufferAccessor<EnrichedTransaction> accessor = buffer.getAccessor()) {
            Tuple2<
                            Collection<Map<String, List<EnrichedTransaction>>>,
                            Collection<Tuple2<Map<String, List<EnrichedTransaction>>, Long>>>
                    out = nfa.advanceTime(accessor, state, timestamp, skip);
            List<Map<String, List<EnrichedTransaction>>> timedOut = new ArrayList<>();
            out.f1.forEach(t -> timedOut.add(t.f0));
            return new Output(new ArrayList<>(out.f0), timedOut);
        }
    }

    /** Feeds one event at {@code timestamp}. */
    List<Map<String, List<EnrichedTransaction>>> process(EnrichedTransaction event, long timestamp)
            throws Exception {
        try (SharedBufferAccessor<EnrichedTransaction> accessor = buffer.getAccessor()) {
            return new ArrayList<>(
                    nfa.process(accessor, state, event, timestamp, skip, processingTime));
        }
    }

    /**
     * When the earliest partial match leaves its window: the time to advance to, or {@link
     * Long#MAX_VALUE} when none can time out.
     */
    long nextDeadline() {
        long window = nfa.getWindowTime();
        if (window <= 0) {
            return Long.MAX_VALUE;
        }
        long next = Long.MAX_VALUE;
        for (ComputationState s : state.getPartialMatches()) {
            if (s.getStartEventID() != null) {
                next = Math.min(next, s.getStartTimestamp() + window);
            }
        }
        return next;
    }

    /** Partial matches in progress for the account. */
    int partialMatches() {
        int n = 0;
        for (ComputationState s : state.getPartialMatches()) {
            if (s.getStartEventID() != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() throws Exception {
        buffer.releaseCacheStatisticsTimer();
        nfa.close();
    }
}

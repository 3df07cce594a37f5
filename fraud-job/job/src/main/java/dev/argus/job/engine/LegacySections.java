package dev.argus.job.engine;

import dev.argus.job.engine.NfaSection.EventKey;
import dev.argus.job.engine.NfaSection.NodeKey;
import dev.argus.job.engine.NfaSection.Run;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.flink.cep.configuration.SharedBufferCacheConfig;
import org.apache.flink.cep.nfa.ComputationState;
import org.apache.flink.cep.nfa.NFAState;
import org.apache.flink.cep.nfa.NFAStateSerializer;
import org.apache.flink.cep.nfa.sharedbuffer.EventId;
import org.apache.flink.cep.nfa.sharedbuffer.Lockable;
import org.apache.flink.cep.nfa.sharedbuffer.NodeId;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBuffer;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBufferEdge;
import org.apache.flink.cep.nfa.sharedbuffer.SharedBufferNode;
import org.apache.flink.core.memory.DataInputDeserializer;

/**
 * Reads a rule's section as the engine wrote it before the compact layout: section formats 1 and 2,
 * flink-cep's {@link NFAState} (by {@link NFAStateSerializer}) followed by the contents of its
 * shared buffer's three map states (by the serializers flink-cep's {@link SharedBuffer} registers),
 * format 2 with each value's length before it. The contents become an {@link NfaSection} holding
 * the same: the same runs in the same queue order, the same events, nodes, edges, locks and
 * counters, so matching goes on exactly where flink-cep left it.
 */
final class LegacySections implements AutoCloseable {
    static final String EVENTS = "sharedBuffer-events";
    static final String ENTRIES = "sharedBuffer-entries-with-lockable-edges";
    static final String COUNTS = "sharedBuffer-events-count";

    private static final Field LOCKS = field(Lockable.class, "refCounter");
    private static final Field EDGE_TARGET = field(SharedBufferEdge.class, "target");
    private static final Field EDGE_VERSION = field(SharedBufferEdge.class, "deweyNumber");

    private final Rule rule;
    private final CompactNfa automaton;
    private final EventSerializer events;
    private final PerKeyMapStore store = new PerKeyMapStore();
    private final SharedBuffer<EnrichedTransaction> buffer;

    LegacySections(Rule rule, CompactNfa automaton, EventSerializer events) {
        this.rule = rule;
        this.automaton = automaton;
        this.events = events;
        // registers the buffer's map states, with their serializers, in the store
        this.buffer = new SharedBuffer<>(store, events, new SharedBufferCacheConfig());
    }

    /** A private field of flink-cep's shared buffer classes, which have no public getters. */
    private static Field field(Class<?> type, String name) {
        try {
            Field f = type.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "this flink-cep's "
                            + type.getSimpleName()
                            + " has no field "
                            + name
                            + ": the engine cannot read state written before Argus 0.3; restore"
                            + " it with the Argus version that wrote it and let it run once",
                    e);
        }
    }

    private static Object get(Field f, Object of) {
        try {
            return f.get(of);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lock count of one of flink-cep's {@link Lockable}s. */
    static int locks(Lockable<?> lockable) {
        try {
            return LOCKS.getInt(lockable);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The store holding the maps flink-cep's shared buffer registered, for tests. */
    PerKeyMapStore store() {
        return store;
    }

    /** The section of format 1 or 2 as an {@link NfaSection}. */
    NfaSection read(byte[] section, int format) throws IOException {
        return convert(readFlink(section, format, store, events, rule.id()), store);
    }

    /**
     * Reads a section of format 1 or 2: flink-cep's NFA state, returned, and the shared buffer's
     * contents, into the maps of {@code store} that flink-cep's shared buffer registered (format
     * 2's values stay bytes until read; format 1's, without their lengths, are deserialized).
     */
    static NFAState readFlink(
            byte[] section, int format, PerKeyMapStore store, EventSerializer events, String rule)
            throws IOException {
        store.clear();
        DataInputDeserializer in = new DataInputDeserializer(section);
        NFAState state = new NFAStateSerializer().deserialize(in);
        for (PerKeyMapStore.Registered map : store.maps()) {
            String name = in.readUTF();
            if (!name.equals(map.name())) {
                throw new IOException(
                        "rule "
                                + rule
                                + ": stored shared-buffer state "
                                + name
                                + " where this flink-cep keeps "
                                + map.name());
            }
            for (int n = in.readInt(); n > 0; n--) {
                Object key = map.keySerializer().deserialize(in);
                if (format == 1) {
                    events.readingFirstFormat(true);
                    try {
                        map.contents().put(key, map.valueSerializer().deserialize(in));
                    } finally {
                        events.readingFirstFormat(false);
                    }
                } else {
                    byte[] value = new byte[in.readInt()];
                    in.readFully(value);
                    map.contents().put(key, new PerKeyMapStore.Raw(value));
                }
            }
        }
        return state;
    }

    /**
     * The partial matches past a start state in a section of format 1 or 2, from flink-cep's NFA
     * state at its head, read without the rule: for tools that inspect a savepoint.
     */
    static int partialMatches(byte[] section) throws IOException {
        NFAState state = new NFAStateSerializer().deserialize(new DataInputDeserializer(section));
        int n = 0;
        for (ComputationState c : state.getPartialMatches()) {
            n += c.getStartEventID() != null ? 1 : 0;
        }
        return n;
    }

    /** flink-cep's state and shared-buffer contents as a compact section holding the same. */
    @SuppressWarnings("unchecked")
    NfaSection convert(NFAState state, PerKeyMapStore contents) throws IOException {
        NfaSection s = new NfaSection();
        copy(state.getPartialMatches(), s.partial);
        copy(state.getCompletedMatches(), s.completed);
        for (PerKeyMapStore.Registered map : contents.maps()) {
            for (Map.Entry<Object, Object> e : map.contents().entrySet()) {
                Object value = e.getValue();
                if (value instanceof PerKeyMapStore.Raw raw) {
                    value = map.valueSerializer().deserialize(new DataInputDeserializer(raw.bytes));
                }
                switch (map.name()) {
                    case EVENTS -> {
                        Lockable<EnrichedTransaction> event = (Lockable<EnrichedTransaction>) value;
                        s.events.put(
                                key((EventId) e.getKey()),
                                new NfaSection.Event(
                                        locks(event),
                                        event.getElement(),
                                        events.encode(event.getElement())));
                    }
                    case ENTRIES -> {
                        Lockable<SharedBufferNode> node = (Lockable<SharedBufferNode>) value;
                        ArrayList<NfaSection.Edge> edges = new ArrayList<>();
                        for (Lockable<SharedBufferEdge> edge : node.getElement().getEdges()) {
                            NodeId target = (NodeId) get(EDGE_TARGET, edge.getElement());
                            Object version = get(EDGE_VERSION, edge.getElement());
                            edges.add(
                                    new NfaSection.Edge(
                                            target == null ? null : key(target),
                                            NfaSection.Dewey.parse(version.toString()),
                                            locks(edge)));
                        }
                        s.nodes.put(
                                key((NodeId) e.getKey()), new NfaSection.Node(locks(node), edges));
                    }
                    case COUNTS -> s.counts.put((Long) e.getKey(), (Integer) value);
                    default ->
                            throw new IOException(
                                    "rule "
                                            + rule.id()
                                            + ": flink-cep's shared buffer has a state "
                                            + map.name()
                                            + " the engine does not know");
                }
            }
        }
        return s;
    }

    /** Runs in the queue's order: added so, they form the same heap. */
    private void copy(Iterable<ComputationState> from, PriorityQueue<Run> to) {
        for (ComputationState c : from) {
            to.add(
                    new Run(
                            automaton.stateIndex(c.getCurrentStateName()),
                            NfaSection.Dewey.parse(c.getVersion().toString()),
                            c.getStartTimestamp(),
                            c.getPreviousTimestamp(),
                            c.getPreviousBufferEntry() == null
                                    ? null
                                    : key(c.getPreviousBufferEntry()),
                            c.getStartEventID() == null ? null : key(c.getStartEventID())));
        }
    }

    private static EventKey key(EventId id) {
        return new EventKey(id.getTimestamp(), id.getId());
    }

    private NodeKey key(NodeId id) {
        return new NodeKey(
                id.getEventId().getTimestamp(),
                id.getEventId().getId(),
                automaton.pageIndex(id.getPageName()));
    }

    @Override
    public void close() {
        buffer.releaseCacheStatisticsTimer();
    }
}

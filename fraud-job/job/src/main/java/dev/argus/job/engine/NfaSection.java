package dev.argus.job.engine;

import dev.argus.model.EnrichedTransaction;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * One account's state for one rule in the compact engine ({@link CompactNfa}): what flink-cep keeps
 * in its {@code NFAState} and {@code SharedBuffer}, with the same contents and the same operations,
 * in a representation that costs little to read, change and write:
 *
 * <ul>
 *   <li>the partial and completed matches ({@link Run}, flink-cep's {@code ComputationState}) in
 *       {@link PriorityQueue}s ordered as flink-cep orders them, changed by the same calls in the
 *       same order, so their iteration order is flink-cep's too;
 *   <li>the shared buffer: events by (timestamp, counter) with their reference counts, nodes by
 *       event and stage with their versioned, reference-counted edges, and the counters of events
 *       per timestamp. State names are indexes into the compiled automaton, versions (Dewey
 *       numbers) are {@code int} arrays, and events stay in their encoded bytes until a condition
 *       or a match reads them.
 * </ul>
 *
 * <p>The binary layout ({@link #write}, {@link #read}) is the section format 3 of the engine's
 * account value ({@link AccountValue}); sections of formats 1 and 2 hold flink-cep's own classes,
 * serialized by its serializers, and are converted on first read ({@link RuleRunner}).
 */
final class NfaSection {
    /** flink-cep's {@code NFAState.COMPUTATION_STATE_COMPARATOR}: by start event, starts last. */
    static final Comparator<Run> ORDER =
            Comparator.<Run>comparingLong(
                            r -> r.start != null ? r.start.timestamp() : Long.MAX_VALUE)
                    .thenComparingInt(r -> r.start != null ? r.start.id() : Integer.MAX_VALUE);

    /*
     * EventKey and NodeKey are the keys of the buffer's maps, looked up at every step: their equals
     * and hashCode are written out rather than left to the records' generated ones, built from
     * method handles at run time and not always compiled inline: 4.9% of the job's samples in a
     * profile of ./argus bench --profile (docs/performance-notes.md, 2026-12-06 06:55).
     * hashCode is the value the generated one gives on JDK 17 (each component's hash added to 31
     * times the hash so far), so maps iterate, and sections are written, in the order as before.
     */

    /** An event in the buffer: flink-cep's {@code EventId}. */
    record EventKey(long timestamp, int id) implements Comparable<EventKey> {
        @Override
        public int compareTo(EventKey o) {
            int c = Long.compare(timestamp, o.timestamp);
            return c != 0 ? c : Integer.compare(id, o.id);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EventKey k && timestamp == k.timestamp && id == k.id;
        }

        @Override
        public int hashCode() {
            return 31 * Long.hashCode(timestamp) + id;
        }

        @Override
        public String toString() {
            return "(" + timestamp + "," + id + ")";
        }
    }

    /** A node of the buffer, an event taken by a stage: flink-cep's {@code NodeId}. */
    record NodeKey(long timestamp, int id, int page) {
        EventKey event() {
            return new EventKey(timestamp, id);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NodeKey k
                    && timestamp == k.timestamp
                    && id == k.id
                    && page == k.page;
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Long.hashCode(timestamp) + id) + page;
        }
    }

    /**
     * A partial or completed match: flink-cep's {@code ComputationState}, with the automaton's
     * state by index and the version as an array. Equal when flink-cep's would be.
     */
    static final class Run {
        final int state;
        final int[] version;
        final long startTimestamp;
        final long previousTimestamp;
        final NodeKey previous;
        final EventKey start;

        Run(
                int state,
                int[] version,
                long startTimestamp,
                long previousTimestamp,
                NodeKey previous,
                EventKey start) {
            this.state = state;
            this.version = version;
            this.startTimestamp = startTimestamp;
            this.previousTimestamp = previousTimestamp;
            this.previous = previous;
            this.start = start;
        }

        /** A run waiting in a start state: no event yet. */
        static Run start(int state, int[] version) {
            return new Run(state, version, -1L, -1L, null, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Run r
                    && state == r.state
                    && Arrays.equals(version, r.version)
                    && startTimestamp == r.startTimestamp
                    && previousTimestamp == r.previousTimestamp
                    && Objects.equals(start, r.start)
                    && Objects.equals(previous, r.previous);
        }

        @Override
        public int hashCode() {
            return Objects.hash(
                    state,
                    Arrays.hashCode(version),
                    startTimestamp,
                    previousTimestamp,
                    start,
                    previous);
        }
    }

    /** A buffer node: its reference count and its edges to the nodes before it, in order. */
    static final class Node {
        int locks;
        final ArrayList<Edge> edges;

        Node(int locks, ArrayList<Edge> edges) {
            this.locks = locks;
            this.edges = edges;
        }
    }

    /** An edge to the previous node of a match (none for a match's first event), versioned. */
    static final class Edge {
        final NodeKey target;
        final int[] version;
        int locks;

        Edge(NodeKey target, int[] version, int locks) {
            this.target = target;
            this.version = version;
            this.locks = locks;
        }
    }

    /** A buffered event with its reference count; decoded when first read. */
    static final class Event {
        int locks;
        EnrichedTransaction value;
        byte[] bytes;

        Event(int locks, EnrichedTransaction value, byte[] bytes) {
            this.locks = locks;
            this.value = value;
            this.bytes = bytes;
        }
    }

    PriorityQueue<Run> partial = new PriorityQueue<>(ORDER);
    final PriorityQueue<Run> completed = new PriorityQueue<>(ORDER);
    final HashMap<NodeKey, Node> nodes = new HashMap<>();
    final HashMap<EventKey, Event> events = new HashMap<>();
    final HashMap<Long, Integer> counts = new HashMap<>();

    /** flink-cep's {@code NFAState.isStateChanged()}: the matches changed since the last save. */
    boolean changed;

    /** Whether the section holds nothing: no partial match past a start state, no event. */
    boolean isEmpty() {
        if (!events.isEmpty() || !completed.isEmpty()) {
            return false;
        }
        for (Run r : partial) {
            if (r.start != null) {
                return false;
            }
        }
        return true;
    }

    // ---- the shared buffer's operations, as flink-cep's SharedBufferAccessor does them

    /**
     * Registers an event: a new counter at its timestamp and one lock, held while it is processed.
     */
    EventKey register(EnrichedTransaction value, long timestamp) {
        Integer id = counts.get(timestamp);
        int n = id == null ? 0 : id;
        EventKey key = new EventKey(timestamp, n);
        events.put(key, new Event(1, value, null));
        counts.put(timestamp, n + 1);
        return key;
    }

    /** Stores the event under a stage, with an edge to {@code previous} of {@code version}. */
    NodeKey put(int page, EventKey event, NodeKey previous, int[] version) {
        if (previous != null) {
            lockNode(previous, version);
        }
        NodeKey key = new NodeKey(event.timestamp(), event.id(), page);
        Node node = nodes.get(key);
        if (node == null) {
            node = new Node(0, new ArrayList<>(2));
            nodes.put(key, node);
            lockEvent(event);
        }
        node.edges.add(new Edge(previous, version, 0));
        return key;
    }

    /** Locks a node and its edges compatible with {@code version}. */
    void lockNode(NodeKey key, int[] version) {
        if (key == null) {
            return;
        }
        Node node = nodes.get(key);
        if (node != null) {
            node.locks++;
            for (Edge e : node.edges) {
                if (Dewey.compatible(version, e.version)) {
                    e.locks++;
                }
            }
        }
    }

    /**
     * Releases a node for {@code version}: edges whose last lock goes are removed and their targets
     * released in turn; a node whose last lock goes is removed with its event's lock.
     */
    void releaseNode(NodeKey key, int[] version) {
        if (key == null) {
            return;
        }
        ArrayList<NodeKey> keys = new ArrayList<>();
        ArrayList<int[]> versions = new ArrayList<>();
        keys.add(key);
        versions.add(version);
        while (!keys.isEmpty()) {
            NodeKey current = keys.remove(keys.size() - 1);
            Node node = nodes.get(current);
            if (node == null) {
                break; // as flink-cep: the rest of this release is not examined
            }
            int[] currentVersion = versions.remove(versions.size() - 1);
            Iterator<Edge> edges = node.edges.iterator();
            while (edges.hasNext()) {
                Edge e = edges.next();
                if (Dewey.compatible(currentVersion, e.version)) {
                    if (e.locks <= 0 || --e.locks == 0) {
                        edges.remove();
                        if (e.target != null) {
                            keys.add(e.target);
                            versions.add(e.version);
                        }
                    }
                }
            }
            if (node.locks <= 0 || --node.locks == 0) {
                nodes.remove(current);
                releaseEvent(current.event());
            }
        }
    }

    private void lockEvent(EventKey key) {
        Event e = events.get(key);
        if (e == null) {
            throw new IllegalStateException("referring to non existent event with id " + key);
        }
        e.locks++;
    }

    /** Releases one lock of an event; its last lock removes it. */
    void releaseEvent(EventKey key) {
        Event e = events.get(key);
        if (e != null && (e.locks <= 0 || --e.locks == 0)) {
            events.remove(key);
        }
    }

    /** No event at or before {@code timestamp} comes any more: its counters go. */
    void advanceCounters(long timestamp) {
        counts.keySet().removeIf(t -> t < timestamp);
    }

    /**
     * Every path of events from {@code key} back to a match's first event along edges compatible
     * with {@code version}: per path the events by stage name, in order; as flink-cep's {@code
     * SharedBufferAccessor.extractPatterns}, in its order.
     */
    List<Map<String, List<EventKey>>> extract(NodeKey key, int[] version, String[] pages) {
        List<Map<String, List<EventKey>>> result = new ArrayList<>();
        Node entry = nodes.get(key);
        if (entry == null) {
            return result;
        }
        record Extraction(NodeKey key, Node node, int[] version, ArrayList<NodeKey> path) {}
        ArrayList<Extraction> stack = new ArrayList<>();
        stack.add(new Extraction(key, entry, version, new ArrayList<>()));
        while (!stack.isEmpty()) {
            Extraction x = stack.remove(stack.size() - 1);
            ArrayList<NodeKey> path = x.path();
            if (x.key() == null) {
                Map<String, List<EventKey>> complete = new java.util.LinkedHashMap<>();
                for (int i = path.size() - 1; i >= 0; i--) {
                    NodeKey n = path.get(i);
                    complete.computeIfAbsent(pages[n.page()], k -> new ArrayList<>())
                            .add(n.event());
                }
                result.add(complete);
            } else {
                path.add(x.key());
                boolean first = true;
                for (Edge e : x.node().edges) {
                    if (Dewey.compatible(x.version(), e.version)) {
                        ArrayList<NodeKey> next;
                        if (first) {
                            next = path;
                            first = false;
                        } else {
                            next = new ArrayList<>(path);
                        }
                        Node target = null;
                        if (e.target != null) {
                            target = nodes.get(e.target);
                            if (target == null) {
                                throw new IllegalStateException(
                                        "the shared buffer lost node " + e.target);
                            }
                        }
                        stack.add(new Extraction(e.target, target, e.version, next));
                    }
                }
            }
        }
        return result;
    }

    /** The events of a match by stage name, decoded. */
    Map<String, List<EnrichedTransaction>> materialize(
            Map<String, List<EventKey>> match, EventSerializer serializer) throws IOException {
        Map<String, List<EnrichedTransaction>> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, List<EventKey>> stage : match.entrySet()) {
            List<EnrichedTransaction> list = new ArrayList<>(stage.getValue().size());
            for (EventKey k : stage.getValue()) {
                Event e = events.get(k);
                if (e == null) {
                    throw new IllegalStateException("the shared buffer lost event " + k);
                }
                if (e.value == null) {
                    e.value = serializer.decode(e.bytes);
                }
                list.add(e.value);
            }
            out.put(stage.getKey(), list);
        }
        return out;
    }

    // ---- the binary layout

    /**
     * Writes the section (format 3): first a header that the engine reads without decoding the rest
     * ({@link #deadline}, {@link #states}), then the runs and the buffer.
     *
     * @param deadline when the earliest run leaves its window ({@link Long#MAX_VALUE}: never)
     */
    void write(DataOutputSerializer out, EventSerializer serializer, long deadline, int digest)
            throws IOException {
        out.writeLong(deadline);
        out.writeBoolean(!completed.isEmpty());
        out.writeInt(digest);
        int[] states = new int[partial.size()];
        int distinct = 0;
        for (Run r : partial) {
            boolean seen = false;
            for (int i = 0; i < distinct && !seen; i++) {
                seen = states[i] == r.state;
            }
            if (!seen) {
                states[distinct++] = r.state;
            }
        }
        Varint.write(out, distinct);
        for (int i = 0; i < distinct; i++) {
            Varint.write(out, states[i]);
        }
        writeRuns(out, partial);
        writeRuns(out, completed);
        Varint.write(out, counts.size());
        for (Map.Entry<Long, Integer> c : counts.entrySet()) {
            out.writeLong(c.getKey());
            Varint.write(out, c.getValue());
        }
        Varint.write(out, events.size());
        for (Map.Entry<EventKey, Event> e : events.entrySet()) {
            out.writeLong(e.getKey().timestamp());
            Varint.write(out, e.getKey().id());
            Varint.write(out, e.getValue().locks);
            byte[] bytes =
                    e.getValue().bytes != null
                            ? e.getValue().bytes
                            : serializer.encode(e.getValue().value);
            Varint.write(out, bytes.length);
            out.write(bytes);
        }
        Varint.write(out, nodes.size());
        for (Map.Entry<NodeKey, Node> n : nodes.entrySet()) {
            writeNode(out, n.getKey());
            Varint.write(out, n.getValue().locks);
            Varint.write(out, n.getValue().edges.size());
            for (Edge e : n.getValue().edges) {
                out.writeBoolean(e.target != null);
                if (e.target != null) {
                    writeNode(out, e.target);
                }
                Dewey.write(out, e.version);
                Varint.write(out, e.locks);
            }
        }
    }

    /** Reads a section written by {@link #write}; events stay encoded until read. */
    static NfaSection read(DataInputDeserializer in, int digest, String rule) throws IOException {
        NfaSection s = new NfaSection();
        in.readLong(); // the header
        in.readBoolean();
        int written = in.readInt();
        if (written != digest) {
            throw new IOException(
                    "rule "
                            + rule
                            + ": its stored partial matches number the automaton's states"
                            + " otherwise than this version's flink-cep compiles them (a Flink"
                            + " upgrade that changed the compiler): restore with the version that"
                            + " wrote the savepoint, or change the rule's structure so that it"
                            + " starts clean");
        }
        for (int n = Varint.read(in); n > 0; n--) {
            Varint.read(in);
        }
        readRuns(in, s.partial);
        readRuns(in, s.completed);
        for (int n = Varint.read(in); n > 0; n--) {
            s.counts.put(in.readLong(), Varint.read(in));
        }
        for (int n = Varint.read(in); n > 0; n--) {
            EventKey key = new EventKey(in.readLong(), Varint.read(in));
            int locks = Varint.read(in);
            byte[] bytes = new byte[Varint.read(in)];
            in.readFully(bytes);
            s.events.put(key, new Event(locks, null, bytes));
        }
        for (int n = Varint.read(in); n > 0; n--) {
            NodeKey key = readNode(in);
            int locks = Varint.read(in);
            int edges = Varint.read(in);
            ArrayList<Edge> list = new ArrayList<>(edges);
            for (; edges > 0; edges--) {
                NodeKey target = in.readBoolean() ? readNode(in) : null;
                int[] version = Dewey.read(in);
                list.add(new Edge(target, version, Varint.read(in)));
            }
            s.nodes.put(key, new Node(locks, list));
        }
        return s;
    }

    /** A stored section's deadline, from its header. */
    static long deadline(byte[] section) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (section[i] & 0xFF);
        }
        return v;
    }

    /**
     * The partial matches past a start state in a stored section, read without its rule (so without
     * checking how it numbers the automaton's states): for tools that inspect a savepoint.
     */
    static int partialMatches(byte[] section) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(section, 13, section.length - 13);
        for (int n = Varint.read(in); n > 0; n--) {
            Varint.read(in);
        }
        PriorityQueue<Run> runs = new PriorityQueue<>(ORDER);
        readRuns(in, runs);
        int n = 0;
        for (Run r : runs) {
            n += r.start != null ? 1 : 0;
        }
        return n;
    }

    /**
     * Whether a stored section has matches completed but not emitted yet (a skip strategy holds
     * them for an earlier partial match), from its header.
     */
    static boolean holdsCompleted(byte[] section) {
        return section[8] != 0;
    }

    /**
     * The distinct states its partial matches are in, from a stored section's header, into {@code
     * into}; how many, or -1 when the section numbers states by another {@code digest}.
     */
    static int states(byte[] section, DataInputDeserializer in, int[] into, int digest)
            throws IOException {
        in.setBuffer(section, 9, section.length - 9);
        if (in.readInt() != digest) {
            return -1;
        }
        int n = Varint.read(in);
        for (int i = 0; i < n; i++) {
            into[i] = Varint.read(in);
        }
        return n;
    }

    /**
     * Whether every partial match of a stored section passes {@code test}, read from its runs
     * without its buffer; false when completed matches wait in it or it numbers states by another
     * {@code digest}.
     */
    static boolean allRuns(
            byte[] section, DataInputDeserializer in, int digest, Predicate<Run> test)
            throws IOException {
        if (holdsCompleted(section)) {
            return false;
        }
        in.setBuffer(section, 9, section.length - 9);
        if (in.readInt() != digest) {
            return false;
        }
        for (int n = Varint.read(in); n > 0; n--) {
            Varint.read(in); // the distinct states
        }
        List<Run> runs = new ArrayList<>();
        readRuns(in, runs);
        for (Run r : runs) {
            if (!test.test(r)) {
                return false;
            }
        }
        return true;
    }

    private static void writeRuns(DataOutputSerializer out, PriorityQueue<Run> runs)
            throws IOException {
        Varint.write(out, runs.size());
        for (Run r : runs) { // the heap's order: read back, it builds the same heap
            Varint.write(out, r.state);
            Dewey.write(out, r.version);
            out.writeLong(r.startTimestamp);
            out.writeLong(r.previousTimestamp);
            out.writeByte((r.previous != null ? 1 : 0) | (r.start != null ? 2 : 0));
            if (r.previous != null) {
                writeNode(out, r.previous);
            }
            if (r.start != null) {
                out.writeLong(r.start.timestamp());
                Varint.write(out, r.start.id());
            }
        }
    }

    private static void readRuns(DataInputDeserializer in, Collection<Run> into)
            throws IOException {
        for (int n = Varint.read(in); n > 0; n--) {
            int state = Varint.read(in);
            int[] version = Dewey.read(in);
            long startTimestamp = in.readLong();
            long previousTimestamp = in.readLong();
            int present = in.readByte();
            NodeKey previous = (present & 1) != 0 ? readNode(in) : null;
            EventKey start =
                    (present & 2) != 0 ? new EventKey(in.readLong(), Varint.read(in)) : null;
            into.add(new Run(state, version, startTimestamp, previousTimestamp, previous, start));
        }
    }

    private static void writeNode(DataOutputSerializer out, NodeKey key) throws IOException {
        out.writeLong(key.timestamp());
        Varint.write(out, key.id());
        Varint.write(out, key.page());
    }

    private static NodeKey readNode(DataInputDeserializer in) throws IOException {
        return new NodeKey(in.readLong(), Varint.read(in), Varint.read(in));
    }

    /**
     * The section's contents in a canonical text: runs in their queues' order, buffer contents
     * sorted. Two sections describe alike exactly when flink-cep would hold the same; the lock-step
     * test compares this with flink-cep's own state after every event.
     */
    String describe(String[] stateNames, String[] pages) {
        StringBuilder s = new StringBuilder("partial:");
        for (Run r : partial.toArray(new Run[0])) {
            s.append("\n  ").append(describe(r, stateNames, pages));
        }
        s.append("\ncompleted:");
        for (Run r : completed.toArray(new Run[0])) {
            s.append("\n  ").append(describe(r, stateNames, pages));
        }
        s.append("\nevents:");
        new TreeMap<>(events)
                .forEach((k, e) -> s.append("\n  ").append(k).append(" locks=").append(e.locks));
        s.append("\nnodes:");
        TreeMap<String, Node> sorted = new TreeMap<>();
        nodes.forEach((k, n) -> sorted.put(describe(k, pages), n));
        sorted.forEach(
                (k, n) -> {
                    s.append("\n  ").append(k).append(" locks=").append(n.locks).append(" edges=");
                    for (Edge e : n.edges) {
                        s.append(" [")
                                .append(e.target == null ? "-" : describe(e.target, pages))
                                .append(' ')
                                .append(Dewey.toString(e.version))
                                .append(" locks=")
                                .append(e.locks)
                                .append(']');
                    }
                });
        s.append("\ncounts: ").append(new TreeMap<>(counts));
        return s.toString();
    }

    static String describe(Run r, String[] stateNames, String[] pages) {
        return stateNames[r.state]
                + " v"
                + Dewey.toString(r.version)
                + " start="
                + r.startTimestamp
                + " previous="
                + r.previousTimestamp
                + " entry="
                + (r.previous == null ? "-" : describe(r.previous, pages))
                + " first="
                + (r.start == null ? "-" : r.start);
    }

    static String describe(NodeKey k, String[] pages) {
        return pages[k.page()] + "@" + k.event();
    }

    /** flink-cep's {@code DeweyNumber}, on plain arrays. */
    static final class Dewey {
        private Dewey() {}

        /**
         * Whether {@code a} is compatible with {@code b}: {@code b} is a prefix of {@code a}, or
         * they differ only in the last digit, {@code a}'s being the greater or equal.
         */
        static boolean compatible(int[] a, int[] b) {
            if (a.length > b.length) {
                for (int i = 0; i < b.length; i++) {
                    if (a[i] != b[i]) {
                        return false;
                    }
                }
                return true;
            } else if (a.length == b.length) {
                int last = a.length - 1;
                for (int i = 0; i < last; i++) {
                    if (a[i] != b[i]) {
                        return false;
                    }
                }
                return a[last] >= b[last];
            }
            return false;
        }

        static int[] increase(int[] v, int times) {
            int[] n = Arrays.copyOf(v, v.length);
            n[v.length - 1] += times;
            return n;
        }

        static int[] addStage(int[] v) {
            return Arrays.copyOf(v, v.length + 1);
        }

        static String toString(int[] v) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < v.length; i++) {
                s.append(i == 0 ? "" : ".").append(v[i]);
            }
            return s.toString();
        }

        static int[] parse(String text) {
            return Arrays.stream(text.split("\\.")).mapToInt(Integer::parseInt).toArray();
        }

        static void write(DataOutputSerializer out, int[] v) throws IOException {
            Varint.write(out, v.length);
            for (int d : v) {
                Varint.write(out, d);
            }
        }

        static int[] read(DataInputDeserializer in) throws IOException {
            int[] v = new int[Varint.read(in)];
            for (int i = 0; i < v.length; i++) {
                v[i] = Varint.read(in);
            }
            return v;
        }
    }

    /** Non-negative ints in 1 to 5 bytes, seven bits each. */
    static final class Varint {
        private Varint() {}

        static void write(DataOutputSerializer out, int v) throws IOException {
            if (v < 0) {
                throw new IOException("negative count " + v + " in a rule engine section");
            }
            while ((v & ~0x7F) != 0) {
                out.writeByte((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.writeByte(v);
        }

        static int read(DataInputDeserializer in) throws IOException {
            int v = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = in.readUnsignedByte();
                v |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException("malformed count in a rule engine section");
        }
    }
}

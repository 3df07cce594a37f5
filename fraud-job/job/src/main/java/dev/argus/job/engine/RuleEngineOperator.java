package dev.argus.job.engine;

import dev.argus.job.alerting.MatchToAlertFunction;
import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The rule engine: every rule of the pack in one keyed operator, with flink-cep's own NFA per rule
 * (see {@link RuleRunner}) and one RocksDB value per account holding all of them: read once and
 * written once per step of the account, and only when something changed. At most one event-time
 * timer per account, at the earliest moment something is due: a partial match leaving its window
 * (absence rules alert then) or an event that waits in the account's value for the watermark.
 *
 * <p>Two orderings, chosen per deployment:
 *
 * <ul>
 *   <li>{@link Ordering#EVENT_TIME}: events wait until the watermark passes them and are then
 *       processed in event-time order, exactly as {@code CEP.pattern(...).inEventTime()} does. They
 *       wait in the operator's memory, not in keyed state: an event costs no state access until the
 *       watermark passes it, and then one for all of the account's events that it passed. A
 *       snapshot writes the waiting events to the operator's union list state {@value WAITING}; on
 *       restore each subtask takes back those of the accounts it owns, whatever the new
 *       parallelism. When more than {@link #MAX_PENDING} events wait (a stalled watermark), they
 *       move into their accounts' values, each account with a timer at its earliest one, and are
 *       processed from there. An event at or before the time its account's rules have reached is
 *       sent to {@link #LATE} when its turn comes: after a restore the watermark starts over and
 *       does not say so on arrival;
 *   <li>{@link Ordering#ARRIVAL}: each event is processed when it arrives, at its event time (or
 *       the account's latest time, if it arrives out of order), for the lowest latency; {@code
 *       within} still counts in event time.
 * </ul>
 *
 * <p>The events that wait in memory are the objects the operator was given: its input must not
 * reuse them, which holds for records from the network (Flink deserializes each into a new object)
 * and for the account profile chained before it, which builds one per event.
 *
 * <p>The account's value: a format version, the account's clock (NFA time never goes back), the
 * registered timer, the events waiting for the watermark, and one section per rule that holds
 * partial matches, keyed by the rule's id and pattern fingerprint. A section whose key no active
 * rule has (a removed rule, or one whose pattern changed) is dropped when the account is next
 * touched: a changed rule starts clean, the others keep their partial matches.
 *
 * <p>Its state is that of a {@code KeyedProcessOperator} of the same UID: the value {@value STATE}
 * and the event-time timers {@value TIMERS}, so savepoints of earlier versions restore into it.
 */
public final class RuleEngineOperator extends AbstractStreamOperator<Alert>
        implements OneInputStreamOperator<EnrichedTransaction, Alert>,
                Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;

    /**
     * The value's layout; a change to it needs a new number and a reader for the old one. Format 2
     * prefixes each shared-buffer value, and each event inside one, with its length (format 1 did
     * not); the rest is the same.
     */
    static final int FORMAT = 2;

    public static final String STATE = "rule-engine";

    /** The timers' name: a {@code KeyedProcessOperator}'s, which the engine once ran in. */
    static final String TIMERS = "user-timers";

    /** The events waiting in memory, in snapshots (operator union list state). */
    static final String WAITING = "rule-engine-waiting";

    /**
     * In event-time ordering, how many events may wait in memory for the watermark; past it they
     * move into their accounts' values (a stalled watermark must not fill the heap).
     */
    static final int MAX_PENDING = 20_000;

    /** Events behind the watermark in event-time ordering, as flink-cep's late side output. */
    public static final OutputTag<EnrichedTransaction> LATE =
            new OutputTag<>(
                    "late-at-rule-engine",
                    new org.apache.flink.formats.avro.typeutils.AvroTypeInfo<>(
                            EnrichedTransaction.class));

    /** When an account's events are evaluated. */
    public enum Ordering {
        ARRIVAL,
        EVENT_TIME
    }

    private final List<Rule> rules;
    private final Ordering ordering;
    private final int maxPartialMatches;

    private transient ValueState<byte[]> state;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient TimestampedCollector<Alert> out;
    private transient List<RuleRunner> runners;
    private transient Map<String, Integer> bySection;
    private transient String[] sectionKeys;
    private transient EventSerializer eventSerializer;
    private transient DataOutputSerializer scratch;
    private transient DataOutputSerializer valueOut;
    private transient Counter[] matches;
    private transient Counter[] dropped;
    private transient Counter movedToState;

    /** Event-time ordering: the events the watermark has not passed, by time and arrival. */
    private transient PriorityQueue<Pending> pending;

    private transient ListState<byte[]> pendingState;

    private transient long arrivals;

    /**
     * @param maxPartialMatches how many partial matches one rule may hold for one account; past it,
     *     that rule's partial matches for the account are dropped and counted
     */
    public RuleEngineOperator(List<Rule> rules, Ordering ordering, int maxPartialMatches) {
        if (maxPartialMatches < 1) {
            throw new IllegalArgumentException("rules.max-partial-matches must be at least 1");
        }
        this.rules = List.copyOf(rules);
        this.ordering = ordering;
        this.maxPartialMatches = maxPartialMatches;
    }

    /** The key of a rule's section: its id and pattern fingerprint. */
    static String sectionKey(Rule rule) {
        return rule.id() + "@" + rule.fingerprint();
    }

    /** The account's value: bytes in the engine's own versioned layout (see the class comment). */
    static ValueStateDescriptor<byte[]> descriptor() {
        return new ValueStateDescriptor<>(STATE, BytePrimitiveArraySerializer.INSTANCE);
    }

    /** The section keys (rule id @ fingerprint) in an account's value, in order; for tests. */
    static List<String> sectionKeys(byte[] value) throws IOException {
        List<String> keys = new ArrayList<>();
        if (value != null) {
            parse(value, new Account(0), (key, section) -> keys.add(key));
        }
        return keys;
    }

    /** How many events wait for the watermark in an account's value; for tests. */
    static int waitingEvents(byte[] value) throws IOException {
        Account account = new Account(0);
        parse(value, account, (key, section) -> {});
        return account.waiting.size();
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        eventSerializer = new EventSerializer();
        pending =
                new PriorityQueue<>(
                        Comparator.comparingLong(Pending::timestamp)
                                .thenComparingLong(Pending::arrival));
        pendingState =
                context.getOperatorStateStore()
                        .getUnionListState(
                                new ListStateDescriptor<>(
                                        WAITING, BytePrimitiveArraySerializer.INSTANCE));
        if (context.isRestored()) {
            var task = getRuntimeContext().getTaskInfo();
            int keyGroups = task.getMaxNumberOfParallelSubtasks();
            KeyGroupRange owned =
                    KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                            keyGroups,
                            task.getNumberOfParallelSubtasks(),
                            task.getIndexOfThisSubtask());
            for (byte[] bytes : pendingState.get()) {
                DataInputDeserializer in = new DataInputDeserializer(bytes);
                String account = in.readUTF();
                if (owned.contains(KeyGroupRangeAssignment.assignToKeyGroup(account, keyGroups))) {
                    long timestamp = in.readLong();
                    long arrival = in.readLong();
                    pending.add(
                            new Pending(
                                    account, timestamp, arrival, eventSerializer.deserialize(in)));
                    arrivals = Math.max(arrivals, arrival + 1);
                }
            }
        }
    }

    /** The events waiting in memory go into the snapshot: account, time, arrival, event. */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<byte[]> waiting = new ArrayList<>(pending.size());
        DataOutputSerializer bytes = new DataOutputSerializer(512);
        for (Pending p : pending) {
            bytes.clear();
            bytes.writeUTF(p.account());
            bytes.writeLong(p.timestamp());
            bytes.writeLong(p.arrival());
            eventSerializer.serialize(p.event(), bytes);
            waiting.add(bytes.getCopyOfBuffer());
        }
        eventSerializer.forget();
        pendingState.update(waiting);
    }

    @Override
    public void open() throws Exception {
        super.open();
        state = getRuntimeContext().getState(descriptor());
        timers = getInternalTimerService(TIMERS, VoidNamespaceSerializer.INSTANCE, this);
        out = new TimestampedCollector<>(output);
        runners = new ArrayList<>();
        bySection = new LinkedHashMap<>();
        sectionKeys = new String[rules.size()];
        matches = new Counter[rules.size()];
        dropped = new Counter[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            runners.add(new RuleRunner(rule, getRuntimeContext(), eventSerializer));
            sectionKeys[i] = sectionKey(rule);
            bySection.put(sectionKeys[i], i);
            var group =
                    getRuntimeContext()
                            .getMetricGroup()
                            .addGroup("argus")
                            .addGroup("rule", rule.id());
            matches[i] = group.counter("matches");
            dropped[i] = group.counter("partial_matches_dropped");
        }
        var engine = getRuntimeContext().getMetricGroup().addGroup("argus").addGroup("rule_engine");
        Gauge<Integer> waiting = () -> pending.size();
        engine.gauge("waiting_events", waiting);
        movedToState = engine.counter("waiting_moved_to_state");
        scratch = new DataOutputSerializer(1024);
        valueOut = new DataOutputSerializer(4096);
    }

    @Override
    public void close() throws Exception {
        try {
            if (runners != null) {
                for (RuleRunner r : runners) {
                    r.close();
                }
            }
        } finally {
            super.close();
        }
    }

    /** An account's value, decoded. */
    private static final class Account {
        long clock = Long.MIN_VALUE;
        long timer = Long.MIN_VALUE;
        final List<Waiting> waiting = new ArrayList<>();
        final byte[][] sections;
        boolean dirty;

        Account(int rules) {
            sections = new byte[rules][];
        }
    }

    /**
     * An event waiting in the account's value for the watermark; {@code arrival} keeps ties in
     * arrival order.
     */
    private record Waiting(long timestamp, long arrival, byte[] event) {}

    /** An event waiting in memory for the watermark. */
    private record Pending(
            String account, long timestamp, long arrival, EnrichedTransaction event) {}

    @Override
    public void processElement(StreamRecord<EnrichedTransaction> record) throws Exception {
        EnrichedTransaction event = record.getValue();
        long timestamp = record.getTimestamp();
        if (ordering == Ordering.EVENT_TIME) {
            if (timestamp <= timers.currentWatermark()) {
                output.collect(LATE, record); // nothing of the account is read for it
                return;
            }
            pending.add(new Pending((String) getCurrentKey(), timestamp, arrivals++, event));
            if (pending.size() > MAX_PENDING) {
                movePendingIntoState();
            }
            return;
        }
        Account account = read();
        long at = Math.max(timestamp, account.clock);
        account.clock = at;
        Loaded loaded = new Loaded(account);
        step(loaded, event, at);
        saveChanged(loaded);
        schedule(loaded);
        write(account);
    }

    /**
     * Event-time ordering: first every account that has events the watermark passes, each read and
     * written once for all of them, then the timers (windows that end, and events that waited in
     * the accounts' values), then the watermark goes on.
     */
    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // in arrival ordering only a restore from event-time ordering leaves events waiting
        if (!pending.isEmpty()) {
            long watermark = mark.getTimestamp();
            for (Map.Entry<String, List<Pending>> account : takePending(watermark).entrySet()) {
                setCurrentKey(account.getKey());
                advance(read(), account.getValue(), watermark);
            }
        }
        super.processWatermark(mark);
    }

    /**
     * Takes the events waiting in memory up to {@code upTo} out of the queue, by account, each
     * account's in order of time and arrival.
     */
    private Map<String, List<Pending>> takePending(long upTo) {
        Map<String, List<Pending>> byAccount = new LinkedHashMap<>();
        while (!pending.isEmpty() && pending.peek().timestamp() <= upTo) {
            Pending p = pending.poll();
            byAccount.computeIfAbsent(p.account(), a -> new ArrayList<>()).add(p);
        }
        return byAccount;
    }

    /**
     * Moves every event waiting in memory into its account's value, with a timer at the account's
     * earliest waiting event unless one is due earlier: from there {@link #onEventTime} processes
     * them.
     */
    private void movePendingIntoState() throws Exception {
        movedToState.inc(pending.size());
        for (Map.Entry<String, List<Pending>> entry : takePending(Long.MAX_VALUE).entrySet()) {
            setCurrentKey(entry.getKey());
            Account account = read();
            for (Pending p : entry.getValue()) {
                long arrival =
                        account.waiting.isEmpty()
                                ? 0
                                : account.waiting.get(account.waiting.size() - 1).arrival() + 1;
                account.waiting.add(
                        new Waiting(p.timestamp(), arrival, eventSerializer.encode(p.event())));
            }
            account.dirty = true;
            // the rules' sections are not loaded here: keep an earlier timer (a window end or an
            // earlier event), else wake up for the earliest of these events
            long earliest = entry.getValue().get(0).timestamp();
            if (account.timer == Long.MIN_VALUE || earliest < account.timer) {
                replaceTimer(account, earliest);
            }
            write(account);
        }
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        Account account = read();
        if (account.timer != timer.getTimestamp()) {
            return; // a timer this account no longer wants
        }
        // the timer has fired: the value must not keep it, even when nothing else changes
        account.timer = Long.MIN_VALUE;
        account.dirty = true;
        advance(account, List.of(), timers.currentWatermark());
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // the engine registers event-time timers only
    }

    /**
     * Lets the watermark pass the account: its events up to the watermark, those waiting in its
     * value and then {@code arrived} (which came later), are processed in event-time order, then
     * every rule's time advances to the watermark.
     */
    private void advance(Account account, List<Pending> arrived, long watermark) throws Exception {
        Loaded loaded = new Loaded(account);
        List<Pending> due = new ArrayList<>(arrived.size() + account.waiting.size());
        if (!account.waiting.isEmpty()) {
            account.waiting.sort(
                    Comparator.comparingLong(Waiting::timestamp)
                            .thenComparingLong(Waiting::arrival));
            while (!account.waiting.isEmpty() && account.waiting.get(0).timestamp() <= watermark) {
                Waiting w = account.waiting.remove(0);
                account.dirty = true;
                due.add(
                        new Pending(
                                null,
                                w.timestamp(),
                                w.arrival(),
                                eventSerializer.decode(w.event())));
            }
        }
        boolean merge = !due.isEmpty() && !arrived.isEmpty();
        due.addAll(arrived);
        if (merge) {
            // stable: at equal times, the events from the value arrived first
            due.sort(Comparator.comparingLong(Pending::timestamp));
        }
        for (Pending p : due) {
            if (ordering == Ordering.ARRIVAL) {
                // left waiting by event-time ordering before a restore: as if it arrived now
                account.clock = Math.max(p.timestamp(), account.clock);
                step(loaded, p.event(), account.clock);
            } else if (p.timestamp() <= account.clock) {
                // the account's rules are past its time, which a restore's new watermark hid
                output.collect(LATE, new StreamRecord<>(p.event(), p.timestamp()));
            } else {
                step(loaded, p.event(), p.timestamp());
            }
        }
        long at = Math.max(watermark, account.clock);
        account.clock = at;
        out.setAbsoluteTimestamp(at);
        for (int i = 0; i < runners.size(); i++) {
            // a rule the account holds nothing for has nothing to time out
            if (!loaded.holdsNothing(i)) {
                RuleRunner r = loaded.runner(i);
                emit(i, r.advanceTime(at));
                loaded.touched[i] |= r.changed();
            }
        }
        saveChanged(loaded);
        schedule(loaded);
        write(account);
    }

    /**
     * Feeds one event, at {@code at}, to every rule; alerts carry {@code at} as their time. A rule
     * the account holds nothing for is not even loaded unless the event can start a partial match
     * of it.
     */
    private void step(Loaded loaded, EnrichedTransaction event, long at) throws Exception {
        out.setAbsoluteTimestamp(at);
        for (int i = 0; i < runners.size(); i++) {
            if (loaded.holdsNothing(i) && runners.get(i).cannotStart(event, at)) {
                continue;
            }
            RuleRunner r = loaded.runner(i);
            emit(i, r.advanceTime(at));
            emitMatches(i, r.process(event, at));
            loaded.touched[i] |= r.changed() | cap(i);
        }
    }

    /**
     * Past the cap, a rule's partial matches for the account are dropped, all of them, and the rule
     * starts over for the account: a pattern that piles up partial matches (a relaxed loop over
     * frequent events in a long window) must not grow one account's value without bound.
     */
    private boolean cap(int rule) {
        RuleRunner r = runners.get(rule);
        int partial = r.partialMatches();
        if (partial <= maxPartialMatches) {
            return false;
        }
        dropped[rule].inc(partial);
        r.reset();
        return true;
    }

    /**
     * The rules' runners for one account, each loaded with the account's section on first use (a
     * rule without one starts fresh), and which of them changed.
     */
    private final class Loaded {
        final Account account;
        final boolean[] loaded = new boolean[runners.size()];
        final boolean[] touched = new boolean[runners.size()];

        Loaded(Account account) {
            this.account = account;
        }

        /** Whether the account holds nothing for rule {@code i}, untouched in this step. */
        boolean holdsNothing(int i) {
            return !loaded[i] && account.sections[i] == null;
        }

        RuleRunner runner(int i) throws IOException {
            RuleRunner r = runners.get(i);
            if (!loaded[i]) {
                byte[] section = account.sections[i];
                if (section == null) {
                    r.reset();
                } else {
                    r.load(section, FORMAT);
                }
                loaded[i] = true;
            }
            return r;
        }
    }

    private void saveChanged(Loaded loaded) throws Exception {
        for (int i = 0; i < runners.size(); i++) {
            if (loaded.touched[i]) {
                loaded.account.sections[i] = runners.get(i).save(scratch);
                loaded.account.dirty = true;
            }
        }
    }

    /** Keeps one timer: the earliest waiting event or window end of the account. */
    private void schedule(Loaded loaded) throws IOException {
        Account account = loaded.account;
        long next = Long.MAX_VALUE;
        for (Waiting w : account.waiting) {
            next = Math.min(next, w.timestamp());
        }
        for (int i = 0; i < runners.size(); i++) {
            if (account.sections[i] != null) {
                next = Math.min(next, loaded.runner(i).nextDeadline());
            }
        }
        replaceTimer(account, next == Long.MAX_VALUE ? Long.MIN_VALUE : next);
    }

    /** Moves the account's one timer to {@code wanted} ({@link Long#MIN_VALUE}: none). */
    private void replaceTimer(Account account, long wanted) {
        if (wanted != account.timer) {
            if (account.timer != Long.MIN_VALUE) {
                timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, account.timer);
            }
            if (wanted != Long.MIN_VALUE) {
                timers.registerEventTimeTimer(VoidNamespace.INSTANCE, wanted);
            }
            account.timer = wanted;
            account.dirty = true;
        }
    }

    private void emit(int rule, RuleRunner.Output output) {
        emitMatches(rule, output.matches());
        Rule r = rules.get(rule);
        if (r.alertsOnTimeout()) {
            for (Map<String, List<EnrichedTransaction>> m : output.timedOut()) {
                if (r.isAbsence(m)) {
                    out.collect(MatchToAlertFunction.toAlert(r, m, now()));
                    matches[rule].inc();
                }
            }
        }
    }

    private void emitMatches(int rule, List<Map<String, List<EnrichedTransaction>>> found) {
        Rule r = rules.get(rule);
        if (r.alertsOnTimeout()) {
            return; // the awaited event came in time: nothing is wrong
        }
        for (Map<String, List<EnrichedTransaction>> m : found) {
            out.collect(MatchToAlertFunction.toAlert(r, m, now()));
            matches[rule].inc();
        }
    }

    private Instant now() {
        return Instant.ofEpochMilli(getProcessingTimeService().getCurrentProcessingTime());
    }

    /** The account's value, decoded; sections of rules that no longer run are left out. */
    private Account read() throws Exception {
        eventSerializer.forget(); // another account: other event objects
        Account account = new Account(runners.size());
        byte[] value = state.value();
        if (value == null) {
            return account;
        }
        int format =
                parse(
                        value,
                        account,
                        (key, section) -> {
                            Integer rule = bySection.get(key);
                            if (rule != null) {
                                account.sections[rule] = section;
                            } else {
                                account.dirty = true; // a removed or changed rule: its matches go
                            }
                        });
        if (format < FORMAT) {
            // written by an earlier version: every section in today's layout before anything else
            for (int rule = 0; rule < runners.size(); rule++) {
                if (account.sections[rule] != null) {
                    runners.get(rule).load(account.sections[rule], format);
                    account.sections[rule] = runners.get(rule).save(scratch);
                }
            }
            account.dirty = true;
        }
        return account;
    }

    /** A rule's section as stored in the account's value. */
    private interface SectionReader {
        void section(String key, byte[] bytes) throws IOException;
    }

    /**
     * Decodes the value into {@code account} (clock, timer, waiting events), hands each section to
     * {@code sections}, and returns the value's format.
     */
    private static int parse(byte[] value, Account account, SectionReader sections)
            throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(value);
        int format = in.readInt();
        if (format < 1 || format > FORMAT) {
            throw new IOException(
                    "rule engine state of format "
                            + format
                            + ", this version reads 1 to "
                            + FORMAT
                            + ": restore with the Argus version that wrote it or a later one");
        }
        account.clock = in.readLong();
        account.timer = in.readLong();
        for (int n = in.readInt(); n > 0; n--) {
            long timestamp = in.readLong();
            long arrival = in.readLong();
            byte[] event = new byte[in.readInt()];
            in.readFully(event);
            account.waiting.add(new Waiting(timestamp, arrival, event));
        }
        for (int n = in.readInt(); n > 0; n--) {
            String key = in.readUTF();
            byte[] section = new byte[in.readInt()];
            in.readFully(section);
            sections.section(key, section);
        }
        return format;
    }

    /** Writes the account's value back if anything in it changed; clears it when it is empty. */
    private void write(Account account) throws IOException {
        if (!account.dirty) {
            return;
        }
        boolean empty = account.waiting.isEmpty() && account.timer == Long.MIN_VALUE;
        for (byte[] s : account.sections) {
            empty &= s == null;
        }
        if (empty) {
            state.clear();
            return;
        }
        valueOut.clear();
        valueOut.writeInt(FORMAT);
        valueOut.writeLong(account.clock);
        valueOut.writeLong(account.timer);
        valueOut.writeInt(account.waiting.size());
        for (Waiting w : account.waiting) {
            valueOut.writeLong(w.timestamp());
            valueOut.writeLong(w.arrival());
            valueOut.writeInt(w.event().length);
            valueOut.write(w.event());
        }
        int sections = 0;
        for (byte[] s : account.sections) {
            sections += s == null ? 0 : 1;
        }
        valueOut.writeInt(sections);
        for (int i = 0; i < runners.size(); i++) {
            byte[] s = account.sections[i];
            if (s != null) {
                valueOut.writeUTF(sectionKeys[i]);
                valueOut.writeInt(s.length);
                valueOut.write(s);
            }
        }
        state.update(valueOut.getCopyOfBuffer());
    }
}

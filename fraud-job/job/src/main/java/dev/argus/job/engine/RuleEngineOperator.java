package dev.argus.job.engine;

import dev.argus.job.alerting.AlertBuilder;
import dev.argus.job.engine.WaitingEvents.Pending;
import dev.argus.job.savepoint.States;
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
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
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
 *       wait in memory ({@link WaitingEvents}, in snapshots as operator state) and cost one state
 *       access for all of the account's events that a watermark passes. When more than {@link
 *       WaitingEvents#MAX} events wait (a stalled watermark), they move into their accounts'
 *       values, each account with a timer at its earliest one, and are processed from there. An
 *       event at or before the time its account's rules have reached is sent to {@link #LATE} when
 *       its turn comes: after a restore the watermark starts over and does not say so on arrival;
 *   <li>{@link Ordering#ARRIVAL}: each event is processed when it arrives, at its event time (or
 *       the account's latest time, if it arrives out of order), for the lowest latency; {@code
 *       within} still counts in event time.
 * </ul>
 *
 * <p>The account's value and its layout: {@link AccountValue}. Alerts are built by {@link
 * AlertBuilder}, as for stock CEP.
 *
 * <p>Its keyed state is that of a {@code KeyedProcessOperator} of the same UID: the value {@value
 * States#RULE_ENGINE} and the event-time timers {@value States#RULE_ENGINE_TIMERS}, so savepoints
 * of earlier versions restore into it.
 */
public final class RuleEngineOperator extends AbstractStreamOperator<Alert>
        implements OneInputStreamOperator<EnrichedTransaction, Alert>,
                Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;

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

    /** Event-time ordering: the events the watermark has not passed. */
    private transient WaitingEvents waiting;

    /** A section written by an earlier version, in today's layout before anything else. */
    private transient AccountValue.SectionMigration migration;

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

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        eventSerializer = new EventSerializer();
        waiting = new WaitingEvents(eventSerializer);
        waiting.initialize(context, getRuntimeContext().getTaskInfo());
    }

    /** The events waiting in memory go into the snapshot. */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        waiting.snapshot();
    }

    @Override
    public void open() throws Exception {
        super.open();
        state = getRuntimeContext().getState(States.ruleEngineAccounts());
        timers =
                getInternalTimerService(
                        States.RULE_ENGINE_TIMERS, VoidNamespaceSerializer.INSTANCE, this);
        out = new TimestampedCollector<>(output);
        runners = new ArrayList<>();
        bySection = new LinkedHashMap<>();
        sectionKeys = new String[rules.size()];
        matches = new Counter[rules.size()];
        dropped = new Counter[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            runners.add(new RuleRunner(rule, getRuntimeContext(), eventSerializer));
            sectionKeys[i] = AccountValue.sectionKey(rule);
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
        Gauge<Integer> waitingEvents = () -> waiting.size();
        engine.gauge("waiting_events", waitingEvents);
        movedToState = engine.counter("waiting_moved_to_state");
        scratch = new DataOutputSerializer(1024);
        migration =
                (rule, section, format) -> {
                    runners.get(rule).load(section, format);
                    return runners.get(rule).save(scratch);
                };
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

    @Override
    public void processElement(StreamRecord<EnrichedTransaction> record) throws Exception {
        EnrichedTransaction event = record.getValue();
        long timestamp = record.getTimestamp();
        if (ordering == Ordering.EVENT_TIME) {
            if (timestamp <= timers.currentWatermark()) {
                output.collect(LATE, record); // nothing of the account is read for it
                return;
            }
            if (waiting.add((String) getCurrentKey(), timestamp, event)) {
                moveWaitingIntoState();
            }
            return;
        }
        AccountValue account = read();
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
        if (!waiting.isEmpty()) {
            long watermark = mark.getTimestamp();
            for (Map.Entry<String, List<Pending>> account :
                    waiting.takeUpTo(watermark).entrySet()) {
                setCurrentKey(account.getKey());
                advance(read(), account.getValue(), watermark);
            }
        }
        super.processWatermark(mark);
    }

    /**
     * Moves every event waiting in memory into its account's value, with a timer at the account's
     * earliest waiting event unless one is due earlier: from there {@link #onEventTime} processes
     * them.
     */
    private void moveWaitingIntoState() throws Exception {
        movedToState.inc(waiting.size());
        for (Map.Entry<String, List<Pending>> entry : waiting.takeUpTo(Long.MAX_VALUE).entrySet()) {
            setCurrentKey(entry.getKey());
            AccountValue account = read();
            for (Pending p : entry.getValue()) {
                long arrival =
                        account.waiting.isEmpty()
                                ? 0
                                : account.waiting.get(account.waiting.size() - 1).arrival() + 1;
                account.waiting.add(
                        new AccountValue.Waiting(
                                p.timestamp(), arrival, eventSerializer.encode(p.event())));
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
        AccountValue account = read();
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
    private void advance(AccountValue account, List<Pending> arrived, long watermark)
            throws Exception {
        Loaded loaded = new Loaded(account);
        List<Pending> due = new ArrayList<>(arrived.size() + account.waiting.size());
        if (!account.waiting.isEmpty()) {
            account.waiting.sort(
                    Comparator.comparingLong(AccountValue.Waiting::timestamp)
                            .thenComparingLong(AccountValue.Waiting::arrival));
            while (!account.waiting.isEmpty() && account.waiting.get(0).timestamp() <= watermark) {
                AccountValue.Waiting w = account.waiting.remove(0);
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
        final AccountValue account;
        final boolean[] loaded = new boolean[runners.size()];
        final boolean[] touched = new boolean[runners.size()];

        Loaded(AccountValue account) {
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
                    r.load(section, AccountValue.FORMAT);
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
        AccountValue account = loaded.account;
        long next = Long.MAX_VALUE;
        for (AccountValue.Waiting w : account.waiting) {
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
    private void replaceTimer(AccountValue account, long wanted) {
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
                    out.collect(AlertBuilder.alert(r, m, now()));
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
            out.collect(AlertBuilder.alert(r, m, now()));
            matches[rule].inc();
        }
    }

    private Instant now() {
        return Instant.ofEpochMilli(getProcessingTimeService().getCurrentProcessingTime());
    }

    /** The account's value, decoded; sections of rules that no longer run are left out. */
    private AccountValue read() throws Exception {
        eventSerializer.forget(); // another account: other event objects
        return AccountValue.decode(state.value(), runners.size(), bySection, migration);
    }

    /** Writes the account's value back if anything in it changed; clears it when it is empty. */
    private void write(AccountValue account) throws IOException {
        if (!account.dirty) {
            return;
        }
        if (account.isEmpty()) {
            state.clear();
        } else {
            state.update(account.encode(valueOut, sectionKeys));
        }
    }
}

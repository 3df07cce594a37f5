package dev.argus.job.engine;

import dev.argus.job.alerting.AlertBuilder;
import dev.argus.job.control.ListEntries;
import dev.argus.job.control.PackTimeline;
import dev.argus.job.engine.WaitingEvents.Pending;
import dev.argus.job.savepoint.States;
import dev.argus.model.Alert;
import dev.argus.model.ChangeList;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import dev.argus.rules.cel.RuntimeLists;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
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
import org.apache.flink.types.Either;
import org.apache.flink.util.OutputTag;

/**
 * The rule engine: every rule of the pack in one keyed operator, each run by flink-cep's algorithm
 * on a compact state (see {@link RuleRunner} and {@link CompactNfa}), and one RocksDB value per
 * account holding all of them: read once and written once per step of the account, and only when
 * something changed. A rule whose section the event cannot change is not even loaded (its section's
 * header says so, {@link RuleRunner#leavesUnchanged}). At most one event-time timer per account, at
 * the earliest moment something is due: a partial match leaving its window (absence rules alert
 * then) or an event that waits in the account's value for the watermark.
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
 *   <li>{@link Ordering#ARRIVAL} (the default): each event is processed when it arrives, at its
 *       event time (or the account's latest time, if it arrives out of order: counted as {@code
 *       out_of_order}), for the lowest latency; {@code within} still counts in event time.
 * </ul>
 *
 * <p>Its one input is the account profile's output, to which it is chained: the events, and among
 * them the control changes, which the profile receives broadcast and passes on. Packs deployed at
 * run time come as control changes (kept in broadcast state): each event is judged by the pack in
 * force at its event time ({@link PackTimeline}), its alerts carry that pack's version. A rule
 * keeps its section across packs while its id and pattern fingerprint stay the same, exactly as
 * across a redeploy: its partial matches go on, judged by the new pack's conditions from the
 * cutover. An account's section of a rule the pack in force does not run is dropped at the
 * account's next step. No event is judged before the changes of its time have arrived: in
 * event-time ordering the watermark, which the control changes hold back too (the profile passes on
 * the lower of its two inputs' watermarks), already waits for them; in arrival ordering an event
 * more than {@code hold} beyond the watermark waits with the events of event-time ordering until it
 * is no more.
 *
 * <p>The account's value and its layout: {@link AccountValue}. Alerts are built by {@link
 * AlertBuilder}, as for stock CEP.
 *
 * <p>Its keyed state is that of a {@code KeyedProcessOperator} of the same UID: the value {@value
 * States#RULE_ENGINE} and the event-time timers {@value States#RULE_ENGINE_TIMERS}, so savepoints
 * of earlier versions restore into it.
 */
public final class RuleEngineOperator extends AbstractStreamOperator<Alert>
        implements OneInputStreamOperator<Either<EnrichedTransaction, ControlChange>, Alert>,
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
    private final long holdMillis;

    private transient ValueState<byte[]> state;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient TimestampedCollector<Alert> out;
    private transient EventSerializer eventSerializer;
    private transient DataOutputSerializer scratch;
    private transient DataOutputSerializer valueOut;
    private transient Map<String, Counter> counters;
    private transient Counter movedToState;

    /** Rules stepped for an event, and rules an event left alone without loading them. */
    private transient Counter ruleSteps;

    private transient Counter rulesSkipped;

    /** Arrival ordering: events older than their account's time, judged at that time. */
    private transient Counter outOfOrder;

    /**
     * Timers that fired for an account (each reads and writes the account's value), the rules in
     * which a partial match had left its window when time passed for the account, and of those the
     * rules left with nothing for the account (most dropped without loading them).
     */
    private transient Counter timersFired;

    private transient Counter rulesTimed;

    private transient Counter rulesEnded;

    /**
     * Matches sent after the step of their last event: held back behind a partial match of the same
     * rule that started earlier, as flink-cep holds them under every skip strategy but {@code
     * no_skip}, until that one completed, was pruned or left its window.
     */
    private transient Counter matchesHeld;

    /** By rule: for how long, in event time, each held match waited ({@code match_hold_ms}). */
    private transient Map<String, Histogram> holds;

    /**
     * The deploys of the control topic, and its list changes the watermark has not passed yet, by
     * command id.
     */
    private transient BroadcastState<String, ControlChange> deploys;

    /** The list entries changed at run time, once the watermark has passed their change. */
    private transient BroadcastState<String, Boolean> listState;

    private transient ListEntries lists;

    private transient PackTimeline timeline;

    /**
     * The sections an account's value may hold: one per rule id and fingerprint of the packs in
     * force, by index ({@code sectionKeys}) and by key ({@code bySection}).
     */
    private transient String[] sectionKeys;

    private transient Map<String, Integer> bySection;

    /** Each pack in force with its rules' runners by section index, by pack id. */
    private transient Map<String, Judge> judges;

    /** The judge for the latest events, looked up first. */
    private transient Judge lastJudge;

    /** Event-time ordering: the events the watermark has not passed. */
    private transient WaitingEvents waiting;

    /** A section written by an earlier version, in today's layout before anything else. */
    private transient AccountValue.SectionMigration migration;

    /**
     * @param maxPartialMatches how many partial matches one rule may hold for one account; past it,
     *     that rule's partial matches for the account are dropped and counted
     */
    public RuleEngineOperator(List<Rule> rules, Ordering ordering, int maxPartialMatches) {
        this(rules, ordering, maxPartialMatches, Duration.ZERO);
    }

    /**
     * @param rules the rules of the pack the job starts with
     * @param hold in arrival ordering, how far beyond the watermark an event may be judged before
     *     the control changes of its time have arrived (zero: without a control topic)
     */
    public RuleEngineOperator(
            List<Rule> rules, Ordering ordering, int maxPartialMatches, Duration hold) {
        if (maxPartialMatches < 1) {
            throw new IllegalArgumentException("rules.max-partial-matches must be at least 1");
        }
        this.rules = List.copyOf(rules);
        this.ordering = ordering;
        this.maxPartialMatches = maxPartialMatches;
        this.holdMillis = hold.toMillis();
    }

    /**
     * A pack in force and its rules' runners, by section index (null where the pack has no rule of
     * that section).
     */
    private static final class Judge {
        final PackTimeline.Pack pack;
        RuleRunner[] runners;
        Rule[] rules;

        Judge(PackTimeline.Pack pack) {
            this.pack = pack;
        }
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        eventSerializer = new EventSerializer();
        waiting = new WaitingEvents(eventSerializer);
        waiting.initialize(context, getRuntimeContext().getTaskInfo());
        deploys = context.getOperatorStateStore().getBroadcastState(States.controlChanges());
        listState = context.getOperatorStateStore().getBroadcastState(States.listEntries());
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
        counters = new HashMap<>();
        judges = new HashMap<>();
        timeline = new PackTimeline(rules);
        updateTimeline();
        lists = new ListEntries(store(listState));
        for (Map.Entry<String, ControlChange> e : deploys.entries()) {
            if (e.getValue().getChange() instanceof ChangeList) {
                lists.add(e.getValue());
            }
        }
        var engine = getRuntimeContext().getMetricGroup().addGroup("argus").addGroup("rule_engine");
        Gauge<Integer> waitingEvents = () -> waiting.size();
        engine.gauge("waiting_events", waitingEvents);
        movedToState = engine.counter("waiting_moved_to_state");
        ruleSteps = engine.counter("rule_steps");
        rulesSkipped = engine.counter("rules_skipped");
        outOfOrder = engine.counter("out_of_order");
        timersFired = engine.counter("timers_fired");
        rulesTimed = engine.counter("rules_timed");
        rulesEnded = engine.counter("rules_ended");
        matchesHeld = engine.counter("matches_held");
        holds = new HashMap<>();
        // at 0 from the start, so that a dashboard shows 0 rather than no data
        for (Rule r : rules) {
            counter(r, "matches");
            counter(r, "matches_held");
            hold(r);
            counter(r, "partial_matches_dropped");
        }
        scratch = new DataOutputSerializer(1024);
        migration =
                (rule, section, format) -> {
                    RuleRunner r = anyRunner(rule);
                    r.load(section, format);
                    return r.save(scratch);
                };
        valueOut = new DataOutputSerializer(4096);
    }

    /** Rules stepped for an event so far, by this subtask; for tests. */
    long ruleSteps() {
        return ruleSteps.getCount();
    }

    /** Rules an event left alone without loading them, so far; for tests. */
    long rulesSkipped() {
        return rulesSkipped.getCount();
    }

    /** Matches sent after the step of their last event, so far; for tests. */
    long matchesHeld() {
        return matchesHeld.getCount();
    }

    /** Rule {@code ruleId}'s holds in event time, ms; for tests. */
    Histogram matchHolds(String ruleId) {
        return holds.get(ruleId);
    }

    /** Events older than their account's time, judged at that time, so far; for tests. */
    long outOfOrder() {
        return outOfOrder.getCount();
    }

    @Override
    public void close() throws Exception {
        try {
            RuntimeLists.use(null);
            if (judges != null) {
                for (Judge j : judges.values()) {
                    close(j);
                }
            }
        } finally {
            super.close();
        }
    }

    /** A control change is for every account: no account's state is read for it. */
    @Override
    public void setKeyContextElement1(StreamRecord record) throws Exception {
        if (((Either<?, ?>) record.getValue()).isLeft()) {
            super.setKeyContextElement1(record);
        }
    }

    @Override
    public void processElement(StreamRecord<Either<EnrichedTransaction, ControlChange>> record)
            throws Exception {
        Either<EnrichedTransaction, ControlChange> in = record.getValue();
        if (in.isLeft()) {
            process(in.left(), record.getTimestamp());
        } else {
            control(in.right());
        }
    }

    private void process(EnrichedTransaction event, long timestamp) throws Exception {
        if (ordering == Ordering.EVENT_TIME) {
            if (timestamp <= timers.currentWatermark()) {
                // nothing of the account is read for it
                output.collect(LATE, new StreamRecord<>(event, timestamp));
                return;
            }
            if (waiting.add((String) getCurrentKey(), timestamp, event)) {
                moveWaitingIntoState();
            }
            return;
        }
        if (holdMillis > 0 && timestamp > releasedUpTo(timers.currentWatermark())) {
            // a pack may still come for its time: it waits until none can
            if (waiting.add((String) getCurrentKey(), timestamp, event)) {
                moveWaitingIntoState();
            }
            return;
        }
        AccountValue account = read();
        if (timestamp < account.clock) {
            outOfOrder.inc(); // judged at the account's time, as if it had arrived in order
        }
        long at = Math.max(timestamp, account.clock);
        account.clock = at;
        Loaded loaded = new Loaded(account);
        step(loaded, event, at);
        saveChanged(loaded);
        schedule(loaded);
        write(account);
    }

    /**
     * A pack deployed or rolled back to through the control topic: kept in broadcast state, in
     * force from its effective time. The control function gave it a time no event judged here has
     * reached (see {@link dev.argus.job.control.ControlFunction}).
     */
    private void control(ControlChange change) throws Exception {
        if (timeline.isDeploy(change)) {
            deploys.put(change.getCommandId(), change);
            updateTimeline();
        } else if (change.getChange() instanceof ChangeList) {
            deploys.put(change.getCommandId(), change);
            lists.add(change);
        }
    }

    /** The broadcast state of list entries as {@link ListEntries} keeps them. */
    private static ListEntries.Store store(BroadcastState<String, Boolean> state) {
        return new ListEntries.Store() {
            @Override
            public Boolean get(String key) {
                try {
                    return state.get(key);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void put(String key, Boolean in) {
                try {
                    state.put(key, in);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public Iterable<Map.Entry<String, Boolean>> entries() {
                try {
                    return state.entries();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /**
     * Event-time ordering: first every account that has events the watermark passes, each read and
     * written once for all of them, then the timers (windows that end, and events that waited in
     * the accounts' values), then the watermark goes on. Packs replaced before the watermark are
     * forgotten.
     */
    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // in arrival ordering, events beyond the horizon wait (and a restore from event-time
        // ordering may leave some)
        if (!waiting.isEmpty()) {
            long watermark = mark.getTimestamp();
            for (Map.Entry<String, List<Pending>> account :
                    waiting.takeUpTo(releasedUpTo(watermark)).entrySet()) {
                setCurrentKey(account.getKey());
                advance(read(), account.getValue(), watermark);
            }
        }
        // the timers first: events that waited in their accounts' values are judged at their own
        // times, by the packs and list entries of those times
        super.processWatermark(mark);
        for (String id : lists.passed(mark.getTimestamp())) {
            deploys.remove(id); // in the list entries' state from now on
        }
        // a pack replaced 30 days before the watermark is kept no longer: in arrival ordering an
        // event that far behind the watermark would be judged by the start pack (event-time
        // ordering sends it to LATE)
        long horizon =
                mark.getTimestamp() < Long.MIN_VALUE + KEEP_REPLACED_MILLIS
                        ? Long.MIN_VALUE
                        : mark.getTimestamp() - KEEP_REPLACED_MILLIS;
        List<String> replaced = timeline.replacedBy(horizon);
        if (!replaced.isEmpty()) {
            for (String id : replaced) {
                deploys.remove(id);
            }
            updateTimeline();
        }
    }

    /** How long after it was replaced a deployed pack is kept, in event time: 30 days. */
    private static final long KEEP_REPLACED_MILLIS = Duration.ofDays(30).toMillis();

    /**
     * The latest event time that may be judged at {@code watermark}: the watermark itself in
     * event-time ordering; in arrival ordering with a control topic, up to {@code hold} beyond it.
     */
    private long releasedUpTo(long watermark) {
        if (ordering == Ordering.EVENT_TIME || holdMillis == 0) {
            return watermark;
        }
        if (watermark == Long.MIN_VALUE) {
            return Long.MIN_VALUE; // before the first watermark, every change may still come
        }
        return watermark > Long.MAX_VALUE - holdMillis
                ? Long.MAX_VALUE
                : watermark + holdMillis - 1;
    }

    /**
     * Rebuilds the packs in force from the broadcast state: the section of every rule id and
     * fingerprint of any of them, and each pack's runners (kept for packs already built).
     */
    private void updateTimeline() throws Exception {
        timeline.updateFrom(deploys.entries()); // it takes the deploys, not the list changes
        Map<String, Integer> sections = new LinkedHashMap<>();
        for (PackTimeline.Pack pack : timeline.packs()) {
            for (Rule rule : pack.rules()) {
                sections.putIfAbsent(AccountValue.sectionKey(rule), sections.size());
            }
        }
        boolean sameSections = bySection != null && bySection.equals(sections);
        bySection = sections;
        sectionKeys = sections.keySet().toArray(new String[0]);
        Map<String, Judge> next = new HashMap<>();
        for (PackTimeline.Pack pack : timeline.packs()) {
            Judge j = judges.remove(pack.id());
            if (j == null || !sameSections) {
                if (j != null) {
                    close(j);
                }
                j = new Judge(pack);
                j.runners = new RuleRunner[sectionKeys.length];
                j.rules = new Rule[sectionKeys.length];
                for (Rule rule : pack.rules()) {
                    int i = sections.get(AccountValue.sectionKey(rule));
                    j.rules[i] = rule;
                    j.runners[i] = new RuleRunner(rule, getRuntimeContext(), eventSerializer);
                    rule.prepareExplanation(); // not at its first alert, which would wait for it
                }
            }
            next.put(pack.id(), j);
        }
        for (Judge gone : judges.values()) {
            close(gone);
        }
        judges = next;
        lastJudge = null;
    }

    private static void close(Judge j) throws Exception {
        for (RuleRunner r : j.runners) {
            if (r != null) {
                r.close();
            }
        }
    }

    /** The judge of events at {@code at}: the pack in force then. */
    private Judge judgeAt(long at) {
        Judge last = lastJudge;
        PackTimeline.Pack pack = timeline.at(at);
        if (last != null && last.pack == pack) {
            return last;
        }
        lastJudge = judges.get(pack.id());
        return lastJudge;
    }

    /**
     * The list entries changed at run time, as of {@code at}, for the conditions this thread
     * evaluates next; none (the packs' values as they are) while nothing was changed.
     */
    private void listsAt(long at) {
        if (lists.isEmpty()) {
            RuntimeLists.use(null);
        } else {
            lists.at(at);
            RuntimeLists.use(lists);
        }
    }

    /** A runner of section {@code i} in any pack in force, to migrate an old section. */
    private RuleRunner anyRunner(int i) {
        for (PackTimeline.Pack pack : timeline.packs()) {
            RuleRunner r = judges.get(pack.id()).runners[i];
            if (r != null) {
                return r;
            }
        }
        throw new IllegalStateException("no rule of section " + sectionKeys[i]);
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
        timersFired.inc();
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
        long upTo = releasedUpTo(watermark);
        List<Pending> due = new ArrayList<>(arrived.size() + account.waiting.size());
        if (!account.waiting.isEmpty()) {
            account.waiting.sort(
                    Comparator.comparingLong(AccountValue.Waiting::timestamp)
                            .thenComparingLong(AccountValue.Waiting::arrival));
            while (!account.waiting.isEmpty() && account.waiting.get(0).timestamp() <= upTo) {
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
                // held back for the control changes of its time, or left waiting by event-time
                // ordering before a restore: as if it arrived now
                if (p.timestamp() < account.clock) {
                    outOfOrder.inc();
                }
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
        Judge judge = loaded.use(judgeAt(at));
        listsAt(at);
        for (int i = 0; i < sectionKeys.length; i++) {
            // a rule the account holds nothing for has nothing to time out, nor one whose earliest
            // deadline is still to come (read from its section's header, without loading it)
            if (!loaded.holdsNothing(i) && loaded.runs(i) && loaded.dueBy(i, at)) {
                if (loaded.endsBy(i, at)) {
                    // every partial match of it leaves its window, with nothing to return
                    account.sections[i] = null;
                    account.dirty = true;
                    rulesTimed.inc();
                    rulesEnded.inc();
                    continue;
                }
                // a rule stepped just now is loaded, due or not: counted only if a window ended
                boolean timed = loaded.deadline(i) <= at;
                RuleRunner r = loaded.runner(i);
                emit(judge, i, r.advanceTime(at), at);
                loaded.touched[i] |= r.changed();
                if (timed) {
                    rulesTimed.inc();
                    if (r.isEmpty()) {
                        rulesEnded.inc();
                    }
                }
            }
        }
        saveChanged(loaded);
        schedule(loaded);
        write(account);
    }

    /**
     * Feeds one event, at {@code at}, to every rule of the pack in force then; alerts carry {@code
     * at} as their time. A rule the account holds nothing for is not even loaded unless the event
     * can start a partial match of it.
     */
    private void step(Loaded loaded, EnrichedTransaction event, long at) throws Exception {
        out.setAbsoluteTimestamp(at);
        Judge judge = loaded.use(judgeAt(at));
        listsAt(at);
        for (int i = 0; i < sectionKeys.length; i++) {
            if (!loaded.runs(i)) {
                continue;
            }
            if ((loaded.holdsNothing(i) && judge.runners[i].cannotStart(event, at))
                    || loaded.untouchedBy(i, event, at)) {
                rulesSkipped.inc();
                continue;
            }
            ruleSteps.inc();
            RuleRunner r = loaded.runner(i);
            emit(judge, i, r.advanceTime(at), at);
            emitMatches(judge, i, r.process(event, at), event, at);
            loaded.touched[i] |= r.changed() | cap(judge, i);
        }
    }

    /**
     * Past the cap, a rule's partial matches for the account are dropped, all of them, and the rule
     * starts over for the account: a pattern that piles up partial matches (a relaxed loop over
     * frequent events in a long window) must not grow one account's value without bound.
     */
    private boolean cap(Judge judge, int rule) {
        RuleRunner r = judge.runners[rule];
        int partial = r.partialMatches();
        if (partial <= maxPartialMatches) {
            return false;
        }
        counter(judge.rules[rule], "partial_matches_dropped").inc(partial);
        r.reset();
        return true;
    }

    /**
     * The runners of the pack in force for one account, each loaded with the account's section on
     * first use (a rule without one starts fresh), and which of them changed. When the account's
     * events cross a cutover, the sections go from one pack's runners to the next's.
     */
    private final class Loaded {
        final AccountValue account;
        final boolean[] loaded = new boolean[sectionKeys.length];
        final boolean[] touched = new boolean[sectionKeys.length];
        Judge judge;

        Loaded(AccountValue account) {
            this.account = account;
        }

        /**
         * Judges by {@code next} from here: the sections the current judge changed are saved first,
         * and the sections of rules {@code next} does not run are dropped.
         */
        Judge use(Judge next) throws Exception {
            if (next == judge) {
                return judge;
            }
            if (judge != null) {
                saveChanged(this);
                java.util.Arrays.fill(loaded, false);
                java.util.Arrays.fill(touched, false);
            }
            judge = next;
            for (int i = 0; i < sectionKeys.length; i++) {
                if (judge.runners[i] == null && account.sections[i] != null) {
                    account.sections[i] = null; // a rule this pack does not run: its state goes
                    account.dirty = true;
                }
            }
            return judge;
        }

        /** Whether the pack in force runs the rule of section {@code i}. */
        boolean runs(int i) {
            return judge.runners[i] != null;
        }

        /**
         * Whether rule {@code i}'s stored section, not loaded yet, is left exactly as it is by the
         * event: then it is not loaded at all.
         */
        boolean untouchedBy(int i, EnrichedTransaction event, long at) throws Exception {
            return !loaded[i]
                    && account.sections[i] != null
                    && judge.runners[i].leavesUnchanged(account.sections[i], event, at);
        }

        /**
         * Whether rule {@code i}'s stored section, not loaded yet, would be left with nothing by
         * letting time pass to {@code at}, and return nothing: then it is dropped unloaded.
         */
        boolean endsBy(int i, long at) throws IOException {
            return !loaded[i]
                    && account.sections[i] != null
                    && judge.runners[i].endsBy(account.sections[i], at);
        }

        /** Whether rule {@code i} may have a partial match leaving its window by {@code at}. */
        boolean dueBy(int i, long at) {
            return loaded[i] || NfaSection.deadline(account.sections[i]) <= at;
        }

        /** The earliest deadline of rule {@code i}'s partial matches, loaded or not. */
        long deadline(int i) throws IOException {
            if (loaded[i]) {
                return judge.runners[i].nextDeadline();
            }
            return account.sections[i] == null
                    ? Long.MAX_VALUE
                    : NfaSection.deadline(account.sections[i]);
        }

        /** Whether the account holds nothing for rule {@code i}, untouched in this step. */
        boolean holdsNothing(int i) {
            return !loaded[i] && account.sections[i] == null;
        }

        RuleRunner runner(int i) throws IOException {
            RuleRunner r = judge.runners[i];
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
        if (loaded.judge == null) {
            return;
        }
        for (int i = 0; i < sectionKeys.length; i++) {
            if (loaded.touched[i]) {
                loaded.account.sections[i] = loaded.judge.runners[i].save(scratch);
                loaded.account.dirty = true;
                loaded.touched[i] = false;
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
        for (int i = 0; i < sectionKeys.length; i++) {
            if (account.sections[i] != null && loaded.runs(i)) {
                next = Math.min(next, loaded.deadline(i));
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

    /**
     * What time passing for rule {@code rule} at {@code at} gave: the matches held back behind a
     * partial match that has now left its window, and the partial matches that timed out.
     */
    private void emit(Judge judge, int rule, CompactNfa.Output output, long at) {
        emitMatches(judge, rule, output.matches(), null, at);
        Rule r = judge.rules[rule];
        if (r.alertsOnTimeout()) {
            for (Map<String, List<EnrichedTransaction>> m : output.timedOut()) {
                if (r.isAbsence(m)) {
                    out.collect(AlertBuilder.alert(r, m, now()));
                    counter(r, "matches").inc();
                }
            }
        }
    }

    /**
     * Sends rule {@code rule}'s matches found at {@code at} for {@code event} (null: for time
     * passing). A match the event is not part of completed at an earlier step and was held back
     * (flink-cep's order of matches): counted, with the event time it waited.
     */
    private void emitMatches(
            Judge judge,
            int rule,
            List<Map<String, List<EnrichedTransaction>>> found,
            EnrichedTransaction event,
            long at) {
        Rule r = judge.rules[rule];
        if (r.alertsOnTimeout()) {
            return; // the awaited event came in time: nothing is wrong
        }
        for (Map<String, List<EnrichedTransaction>> m : found) {
            out.collect(AlertBuilder.alert(r, m, now()));
            counter(r, "matches").inc();
            if (event == null || !contains(m, event)) {
                matchesHeld.inc();
                counter(r, "matches_held").inc();
                hold(r).update(Math.max(0, at - lastEventTime(m)));
            }
        }
    }

    private static boolean contains(
            Map<String, List<EnrichedTransaction>> match, EnrichedTransaction event) {
        String id = event.getTransaction().getTransactionId();
        for (List<EnrichedTransaction> events : match.values()) {
            for (EnrichedTransaction e : events) {
                if (e == event || e.getTransaction().getTransactionId().equals(id)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static long lastEventTime(Map<String, List<EnrichedTransaction>> match) {
        long last = Long.MIN_VALUE;
        for (List<EnrichedTransaction> events : match.values()) {
            for (EnrichedTransaction e : events) {
                last = Math.max(last, e.getTransaction().getEventTime().toEpochMilli());
            }
        }
        return last;
    }

    /** The rule's histogram {@code argus.rule.<id>.match_hold_ms}, of its latest 1,000 holds. */
    private Histogram hold(Rule rule) {
        return holds.computeIfAbsent(
                rule.id(),
                id ->
                        getRuntimeContext()
                                .getMetricGroup()
                                .addGroup("argus")
                                .addGroup("rule", id)
                                .histogram(
                                        "match_hold_ms",
                                        new DescriptiveStatisticsHistogram(1_000)));
    }

    /** The rule's counter {@code argus.rule.<id>.<name>}, whichever pack the rule is of. */
    private Counter counter(Rule rule, String name) {
        Counter c = counters.get(rule.id() + '/' + name);
        if (c == null) {
            c =
                    getRuntimeContext()
                            .getMetricGroup()
                            .addGroup("argus")
                            .addGroup("rule", rule.id())
                            .counter(name);
            counters.put(rule.id() + '/' + name, c);
        }
        return c;
    }

    private Instant now() {
        return Instant.ofEpochMilli(getProcessingTimeService().getCurrentProcessingTime());
    }

    /** The account's value, decoded; sections of rules no pack in force runs are left out. */
    private AccountValue read() throws Exception {
        eventSerializer.forget(); // another account: other event objects
        return AccountValue.decode(state.value(), sectionKeys.length, bySection, migration);
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

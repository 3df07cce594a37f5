package dev.argus.job.alerting;

import dev.argus.job.control.PackTimeline;
import dev.argus.job.savepoint.States;
import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.ChangeList;
import dev.argus.model.ControlChange;
import dev.argus.model.DeployPack;
import dev.argus.model.RuleMode;
import dev.argus.model.SetRuleMode;
import dev.argus.model.SnoozeRule;
import dev.argus.model.UnsnoozeRule;
import dev.argus.rules.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The last gate of every alert, keyed by account:
 *
 * <ol>
 *   <li>a rule in mode {@code off} does not alert, counted in {@code argus.rule.<id>.off};
 *   <li>a rule the risk team snoozed for the account (snoozes.yaml, or {@code argus snooze}) does
 *       not alert until the snooze ends (wall-clock time), counted in {@code
 *       argus.rule.<id>.snoozed};
 *   <li>after an alert, the same rule stays silent on the same account for its quiet period,
 *       measured in event time from the last matched event, so a replay decides the same way;
 *       counted in {@code argus.rule.<id>.suppressed};
 *   <li>alerts of {@code enforce} rules go to the main output (the alerts topic), those of {@code
 *       shadow} rules to {@link #SHADOW} (the shadow-alerts topic); each counted in {@code
 *       argus.rule.<id>.alerts} and {@code argus.pack.<version>.rule.<id>.alerts} (the version of
 *       the pack in force that judged it), those to the shadow-alerts topic also in {@code
 *       argus.rule.<id>.shadow}.
 * </ol>
 *
 * <p>{@code argus.alert_gate.detection_latency_ms}, a histogram: for each alert it passes, the time
 * from its last matched event's event time to the moment the gate sends it on, in wall-clock
 * milliseconds (what the transaction took to reach Kafka and the job, the rule engine and the
 * gate's hold; not the wait for the checkpoint that commits it). In a replay of old events it is
 * their age instead. The counters of the rules the job started with are registered at 0 from the
 * start, so that a dashboard shows 0 rather than no data.
 *
 * <p>Modes and snoozes are the pack's, changed at run time by the control topic: the changes the
 * control function applied ({@link ControlChange}, broadcast) are kept in broadcast state, and an
 * alert is judged by those in force at its last matched event's time, so every parallel gate judges
 * it the same way. With a control topic, the gate holds back an alert whose last event is further
 * beyond its watermark than {@code hold} (the allowed disorder plus the control margin) until the
 * watermark has caught up: the control function's watermark reaches the gate behind every change it
 * decided before, and it gives a later change an effective time at least {@code hold} beyond its
 * watermark, so no change can come for an alert the gate has judged. In steady state no alert
 * waits: the disorder already keeps the watermark that close.
 *
 * <p>The matches it holds back leave through {@link #SNOOZED} and {@link #QUIETED}: the job
 * discards them, a backtest counts them.
 *
 * <p>State: per account, the event time of each rule's last alert, kept for the longest quiet
 * period, and the alerts held back; broadcast, the control changes in force.
 */
public final class AlertGateFunction
        extends KeyedBroadcastProcessFunction<String, Alert, ControlChange, Alert> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Alert> SHADOW =
            new OutputTag<>("shadow-alerts", new AvroTypeInfo<>(Alert.class));

    /** Matches held back because the rule is snoozed for the account. */
    public static final OutputTag<Alert> SNOOZED =
            new OutputTag<>("snoozed-alerts", new AvroTypeInfo<>(Alert.class));

    /** Matches held back within the rule's quiet period on the account. */
    public static final OutputTag<Alert> QUIETED =
            new OutputTag<>("quieted-alerts", new AvroTypeInfo<>(Alert.class));

    /** The broadcast state of control changes, by command id. */
    public static final MapStateDescriptor<String, ControlChange> CONTROL = States.controlChanges();

    /** How many of the latest alerts' latencies the histogram's quantiles are computed over. */
    private static final int LATENCY_SAMPLES = 1_000;

    private final List<Rule> startRules;
    private transient MapState<String, Long> lastAlert;
    private transient Map<String, Counter> counters;
    private transient MetricGroup metrics;
    private transient Histogram detectionLatency;

    private final long holdMillis;
    private transient ListState<Alert> held;

    /** When the engine judged each held alert, in the same order. */
    private transient ListState<Long> heldAt;

    /** The control changes by rule, in the order they were applied; rebuilt from state. */
    private transient Map<String, List<ControlChange>> changesByRule;

    /** The packs in force over event time; rebuilt from state. */
    private transient PackTimeline timeline;

    /**
     * @param hold how far beyond its watermark an alert may be judged at once (zero: without a
     *     control topic, every alert at once)
     */
    public AlertGateFunction(List<Rule> rules, Duration hold) {
        this.startRules = List.copyOf(rules);
        this.holdMillis = hold.toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        Duration longest =
                startRules.stream()
                        .map(Rule::quietPeriod)
                        .max(Duration::compareTo)
                        .orElse(Duration.ZERO);
        lastAlert = getRuntimeContext().getMapState(States.lastAlertByRule(longest));
        held = getRuntimeContext().getListState(States.heldAlerts());
        heldAt = getRuntimeContext().getListState(States.heldAlertTimes());
        counters = new HashMap<>();
        metrics = getRuntimeContext().getMetricGroup().addGroup("argus");
        timeline = new PackTimeline(startRules);
        detectionLatency =
                metrics.addGroup("alert_gate")
                        .histogram(
                                "detection_latency_ms",
                                new DescriptiveStatisticsHistogram(LATENCY_SAMPLES));
        for (String what : List.of("held", "unknown_rule")) {
            counter(what);
        }
        String pack = timeline.latest().version();
        for (Rule rule : startRules) {
            for (String what : List.of("alerts", "shadow", "suppressed", "snoozed", "off")) {
                counter(rule.id(), what);
            }
            packCounter(pack, rule.id());
        }
    }

    @Override
    public void processBroadcastElement(ControlChange change, Context ctx, Collector<Alert> out)
            throws Exception {
        if (change.getChange() instanceof ChangeList) {
            return; // list entries are the rule engine's
        }
        BroadcastState<String, ControlChange> state = ctx.getBroadcastState(CONTROL);
        state.put(change.getCommandId(), change);
        // a change a later one of the same kind has replaced, in force for 30 days now, is kept
        // no longer: only an alert that old could still need it
        long horizon = change.getEffectiveAt().toEpochMilli() - Duration.ofDays(30).toMillis();
        timeline.updateFrom(state.immutableEntries());
        List<String> replaced = new ArrayList<>(timeline.replacedBy(horizon));
        Map<String, List<ControlChange>> index = index(state.immutableEntries());
        for (List<ControlChange> changes : index.values()) {
            for (int i = 0; i + 1 < changes.size(); i++) {
                ControlChange c = changes.get(i);
                ControlChange next = laterOfSameTarget(changes, i);
                if (next != null && next.getEffectiveAt().toEpochMilli() < horizon) {
                    replaced.add(c.getCommandId());
                }
            }
        }
        for (Map.Entry<String, ControlChange> e : state.immutableEntries()) {
            if (expired(e.getValue(), horizon)) {
                replaced.add(e.getKey());
            }
        }
        for (String id : replaced) {
            state.remove(id);
        }
        timeline.updateFrom(state.immutableEntries());
        changesByRule = null; // rebuilt from the state at the next alert
    }

    @Override
    public void processElement(Alert alert, ReadOnlyContext ctx, Collector<Alert> out)
            throws Exception {
        if (holdMillis > 0) {
            long at = judgedAt(alert, ctx.timestamp());
            boolean waiting = held.get().iterator().hasNext();
            if (waiting || !judgeable(at, ctx.timerService().currentWatermark())) {
                // behind an alert of the account that waits, or beyond the horizon: wait
                held.add(alert);
                heldAt.add(at);
                ctx.timerService().registerEventTimeTimer(at - holdMillis + 1);
                count("held");
                return;
            }
        }
        judge(alert, ctx, out);
    }

    /**
     * When the engine judged the alert: its record's time, which is its last event's, or later for
     * an absence rule's alert (raised when its window ended) or one judged in arrival ordering
     * behind its account's time. The pack that judged it was deployed by then.
     */
    private static long judgedAt(Alert alert, Long timestamp) {
        long last = alert.getLastEventTime().toEpochMilli();
        return timestamp == null ? last : Math.max(last, timestamp);
    }

    /** The account's held alerts the watermark now allows, in the order they came. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        List<Alert> waiting = new ArrayList<>();
        held.get().forEach(waiting::add);
        List<Long> times = new ArrayList<>();
        heldAt.get().forEach(times::add);
        // alerts held by a version that kept no times come first: their last events' times
        int untimed = waiting.size() - times.size();
        int released = 0;
        while (released < waiting.size()
                && judgeable(
                        released < untimed
                                ? waiting.get(released).getLastEventTime().toEpochMilli()
                                : times.get(released - untimed),
                        watermark)) {
            judge(waiting.get(released), ctx, out);
            released++;
        }
        if (released > 0) {
            held.update(waiting.subList(released, waiting.size()));
            heldAt.update(times.subList(Math.max(0, released - untimed), times.size()));
        }
    }

    /**
     * Whether no control change can come any more for an alert the engine judged at {@code at}: the
     * watermark is less than the horizon behind it (the pack that judged it has arrived too).
     */
    private boolean judgeable(long at, long watermark) {
        return watermark != Long.MIN_VALUE && at - holdMillis < watermark;
    }

    /** After a restore, or a change: the broadcast state has what this instance applied. */
    private void refresh(ReadOnlyContext ctx) throws Exception {
        if (changesByRule == null) {
            changesByRule = index(ctx.getBroadcastState(CONTROL).immutableEntries());
            timeline.updateFrom(ctx.getBroadcastState(CONTROL).immutableEntries());
        }
    }

    private void judge(Alert alert, ReadOnlyContext ctx, Collector<Alert> out) throws Exception {
        refresh(ctx);
        long at = alert.getLastEventTime().toEpochMilli();
        PackTimeline.Pack pack = timeline.judged(alert.getPackVersion(), at);
        Rule rule = pack.rule(alert.getRuleId());
        if (rule == null) {
            count("unknown_rule");
            ctx.output(SHADOW, alert); // not a rule of the pack in force: never act on it
            return;
        }
        // a pack this gate does not know (held across a redeploy with another start pack): the
        // rule of the pack in force at its time judges it
        List<ControlChange> changes = changesByRule.getOrDefault(rule.id(), List.of());
        RuleMode mode = mode(rule, changes, at, pack.effectiveAt());
        if (mode == RuleMode.OFF) {
            count(rule, "off");
            return;
        }
        Optional<Instant> snoozed = snoozedUntil(rule, alert.getAccountId(), changes, at);
        if (snoozed.isPresent() && alert.getDetectionTime().isBefore(snoozed.get())) {
            count(rule, "snoozed");
            ctx.output(SNOOZED, alert);
            return;
        }
        long quiet = rule.quietPeriod().toMillis();
        if (quiet > 0) {
            Long previous = lastAlert.get(rule.id());
            if (previous != null && at < previous + quiet && at >= previous) {
                count(rule, "suppressed");
                ctx.output(QUIETED, alert);
                return;
            }
            lastAlert.put(rule.id(), Math.max(at, previous == null ? at : previous));
        }
        count(rule, "alerts");
        packCounter(pack.version(), rule.id()).inc();
        detectionLatency.update(Math.max(0, ctx.timerService().currentProcessingTime() - at));
        // the mode the alert was routed by, which the control topic may have changed since the
        // pack's
        if (mode == RuleMode.ENFORCE) {
            alert.setMode(AlertMode.ENFORCE);
            out.collect(alert);
        } else {
            count(rule, "shadow");
            alert.setMode(AlertMode.SHADOW);
            ctx.output(SHADOW, alert);
        }
    }

    /**
     * The rule's mode at event time {@code at}: that of the pack in force (from {@code packFrom}),
     * or the last change in force made after the pack took effect.
     */
    static RuleMode mode(Rule rule, List<ControlChange> changes, long at, long packFrom) {
        RuleMode mode = RuleMode.valueOf(rule.mode().name());
        for (ControlChange c : changes) {
            long from = c.getEffectiveAt().toEpochMilli();
            if (c.getChange() instanceof SetRuleMode m && from <= at && from >= packFrom) {
                mode = m.getMode();
            }
        }
        return mode;
    }

    /**
     * Until when the rule is snoozed for the account, as of event time {@code at}: the last snooze
     * or unsnooze in force, else the pack's.
     */
    static Optional<Instant> snoozedUntil(
            Rule rule, String account, List<ControlChange> changes, long at) {
        Optional<Instant> until = rule.snoozedUntil(account);
        for (ControlChange c : changes) {
            if (c.getEffectiveAt().toEpochMilli() > at) {
                continue;
            }
            if (c.getChange() instanceof SnoozeRule s && s.getAccountId().equals(account)) {
                until = Optional.of(s.getUntil());
            } else if (c.getChange() instanceof UnsnoozeRule u
                    && u.getAccountId().equals(account)) {
                until = Optional.empty();
            }
        }
        return until;
    }

    /** The changes by rule, each rule's in the order the control function applied them. */
    private static Map<String, List<ControlChange>> index(
            Iterable<Map.Entry<String, ControlChange>> entries) {
        Map<String, List<ControlChange>> byRule = new HashMap<>();
        for (Map.Entry<String, ControlChange> e : entries) {
            ControlChange c = e.getValue();
            if (!(c.getChange() instanceof DeployPack)) {
                byRule.computeIfAbsent(ruleOf(c), k -> new ArrayList<>()).add(c);
            }
        }
        byRule.values()
                .forEach(
                        l ->
                                l.sort(
                                        Comparator.comparing(ControlChange::getEffectiveAt)
                                                .thenComparingLong(ControlChange::getOffset)));
        return byRule;
    }

    /**
     * Whether a snooze ended, or an unsnooze took effect, before {@code horizon} and no snooze of
     * the pack for the same account lasts beyond it: no alert can be judged by it any more.
     */
    private boolean expired(ControlChange c, long horizon) {
        long end;
        String account;
        if (c.getChange() instanceof SnoozeRule s) {
            end = s.getUntil().toEpochMilli();
            account = s.getAccountId();
        } else if (c.getChange() instanceof UnsnoozeRule u) {
            end = c.getEffectiveAt().toEpochMilli();
            account = u.getAccountId();
        } else {
            return false;
        }
        Rule rule = timeline.latest().rule(ruleOf(c));
        boolean packSnoozeLasts =
                rule != null
                        && rule.snoozedUntil(account)
                                .map(u -> u.toEpochMilli() >= horizon)
                                .orElse(false);
        return end < horizon && !packSnoozeLasts;
    }

    /** The first change after {@code i} that replaces it (same kind, same rule and account). */
    private static ControlChange laterOfSameTarget(List<ControlChange> changes, int i) {
        String target = target(changes.get(i));
        for (int j = i + 1; j < changes.size(); j++) {
            if (target(changes.get(j)).equals(target)) {
                return changes.get(j);
            }
        }
        return null;
    }

    private static String target(ControlChange c) {
        Object change = c.getChange();
        if (change instanceof SnoozeRule s) {
            return "snooze/" + s.getAccountId();
        }
        if (change instanceof UnsnoozeRule u) {
            return "snooze/" + u.getAccountId();
        }
        return "mode";
    }

    private static String ruleOf(ControlChange c) {
        Object change = c.getChange();
        if (change instanceof SetRuleMode m) {
            return m.getRuleId();
        }
        if (change instanceof SnoozeRule s) {
            return s.getRuleId();
        }
        if (change instanceof UnsnoozeRule u) {
            return u.getRuleId();
        }
        throw new IllegalStateException("unknown control change " + change);
    }

    private void count(String what) {
        counter(what).inc();
    }

    private void count(Rule rule, String what) {
        counter(rule.id(), what).inc();
    }

    /** {@code argus.alert_gate.<what>}. */
    private Counter counter(String what) {
        return counters.computeIfAbsent(what, k -> metrics.addGroup("alert_gate").counter(what));
    }

    /** {@code argus.rule.<id>.<what>}. */
    private Counter counter(String rule, String what) {
        return counters.computeIfAbsent(
                rule + "/" + what, k -> metrics.addGroup("rule", rule).counter(what));
    }

    /** {@code argus.pack.<version>.rule.<id>.alerts}: the alerts a version of a rule judged. */
    private Counter packCounter(String pack, String rule) {
        return counters.computeIfAbsent(
                "pack/" + pack + "/" + rule,
                k -> metrics.addGroup("pack", pack).addGroup("rule", rule).counter("alerts"));
    }
}

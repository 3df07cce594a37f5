package dev.argus.job.alerting;

import dev.argus.job.control.PackTimeline;
import dev.argus.job.savepoint.States;
import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeployPack;
import dev.argus.model.SetRuleMode;
import dev.argus.rules.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The brake on runaway rules, keyed by rule: a rule that sets {@code max_alerts_per_minute} and
 * raises more alerts than that in one minute of event time is switched to shadow from the alert
 * that passed the limit on. Its alerts go to the shadow-alerts topic ({@link #BRAKED}) until
 * someone sets its mode again ({@code argus rules mode}) or deploys a pack, with an effective time
 * after the brake; the switch is announced on the status topic ({@link #ANNOUNCEMENTS}) and counted
 * ({@code argus.rule.<id>.brakes}, and {@code argus.rule.<id>.braked} per alert).
 *
 * <p>It sees the alerts the gates sent to the alerts topic, of every account: the count is the
 * rule's across the job. State: per rule, its count per minute (kept two minutes) and when its
 * brake engaged; broadcast, the mode changes and deploys that release it.
 */
public final class AlertBrakeFunction
        extends KeyedBroadcastProcessFunction<String, Alert, ControlChange, Alert> {
    private static final long serialVersionUID = 1L;
    private static final long MINUTE = 60_000;

    /** Alerts of a braked rule: to the shadow-alerts topic. */
    public static final OutputTag<Alert> BRAKED =
            new OutputTag<>("braked-alerts", new AvroTypeInfo<>(Alert.class));

    /** Each brake, announced on the status topic. */
    public static final OutputTag<ControlStatus> ANNOUNCEMENTS =
            new OutputTag<>("brake-announcements", new AvroTypeInfo<>(ControlStatus.class));

    /** The broadcast state: the control changes that release a brake, by command id. */
    public static final MapStateDescriptor<String, ControlChange> CONTROL = States.controlChanges();

    private final List<Rule> startRules;

    private transient ValueState<Long> brakedFrom;
    private transient MapState<Long, Integer> perMinute;
    private transient PackTimeline timeline;
    private transient boolean timelineStale;
    private transient Map<String, Counter> counters;

    /**
     * @param rules the rules the job started with; deployed packs come with the changes
     */
    public AlertBrakeFunction(List<Rule> rules) {
        this.startRules = List.copyOf(rules);
    }

    @Override
    public void open(OpenContext openContext) {
        brakedFrom = getRuntimeContext().getState(States.brakedFrom());
        perMinute = getRuntimeContext().getMapState(States.alertsPerMinute());
        timeline = new PackTimeline(startRules);
        timelineStale = true;
        counters = new HashMap<>();
        // at 0 from the start, so that a dashboard shows 0 rather than no data
        for (Rule rule : startRules) {
            count(rule.id(), "brakes", 0);
            count(rule.id(), "braked", 0);
        }
    }

    @Override
    public void processBroadcastElement(ControlChange change, Context ctx, Collector<Alert> out)
            throws Exception {
        boolean mode = change.getChange() instanceof SetRuleMode;
        if (!mode && !timeline.isDeploy(change)) {
            return; // snoozes and lists do not concern the brake
        }
        BroadcastState<String, ControlChange> state = ctx.getBroadcastState(CONTROL);
        state.put(change.getCommandId(), change);
        // a brake that old is released or still on: changes older than 30 days no longer matter
        long horizon = change.getEffectiveAt().toEpochMilli() - Duration.ofDays(30).toMillis();
        List<String> old = new ArrayList<>();
        for (Map.Entry<String, ControlChange> e : state.immutableEntries()) {
            if (e.getValue().getChange() instanceof SetRuleMode
                    && e.getValue().getEffectiveAt().toEpochMilli() < horizon) {
                old.add(e.getKey());
            }
        }
        timeline.updateFrom(state.immutableEntries());
        old.addAll(timeline.replacedBy(horizon));
        for (String id : old) {
            state.remove(id);
        }
        timelineStale = true;
    }

    @Override
    public void processElement(Alert alert, ReadOnlyContext ctx, Collector<Alert> out)
            throws Exception {
        ReadOnlyBroadcastState<String, ControlChange> changes = ctx.getBroadcastState(CONTROL);
        if (timelineStale) {
            timeline.updateFrom(changes.immutableEntries());
            timelineStale = false;
        }
        long at = alert.getLastEventTime().toEpochMilli();
        Long braked = brakedFrom.value();
        if (braked != null && released(alert.getRuleId(), braked, at, changes)) {
            brakedFrom.clear();
            braked = null;
        }
        if (braked != null && at >= braked) {
            count(alert.getRuleId(), "braked");
            alert.setMode(AlertMode.SHADOW);
            ctx.output(BRAKED, alert);
            return;
        }
        PackTimeline.Pack pack = timeline.judged(alert.getPackVersion(), at);
        Rule rule = pack.rule(alert.getRuleId());
        int limit = rule == null ? 0 : rule.maxAlertsPerMinute();
        if (limit > 0) {
            long minute = at - Math.floorMod(at, MINUTE);
            Integer before = perMinute.get(minute);
            int n = before == null ? 1 : before + 1;
            perMinute.put(minute, n);
            ctx.timerService().registerEventTimeTimer(minute + 2 * MINUTE);
            if (n > limit && braked == null) {
                brakedFrom.update(at);
                count(alert.getRuleId(), "brakes");
                ctx.output(ANNOUNCEMENTS, announcement(rule, pack, minute, n, limit, at));
                count(alert.getRuleId(), "braked");
                alert.setMode(AlertMode.SHADOW);
                ctx.output(BRAKED, alert);
                return;
            }
        }
        out.collect(alert);
    }

    /** Counts of minutes two minutes past are dropped. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        List<Long> done = new ArrayList<>();
        for (Long minute : perMinute.keys()) {
            if (minute + 2 * MINUTE <= timestamp) {
                done.add(minute);
            }
        }
        for (Long minute : done) {
            perMinute.remove(minute);
        }
    }

    /**
     * Whether someone set the rule's mode, or deployed a pack, with an effective time after the
     * brake and at or before {@code at}.
     */
    private static boolean released(
            String rule,
            long braked,
            long at,
            ReadOnlyBroadcastState<String, ControlChange> changes)
            throws Exception {
        for (Map.Entry<String, ControlChange> e : changes.immutableEntries()) {
            ControlChange c = e.getValue();
            long from = c.getEffectiveAt().toEpochMilli();
            boolean about =
                    c.getChange() instanceof DeployPack
                            || (c.getChange() instanceof SetRuleMode m
                                    && m.getRuleId().equals(rule));
            if (about && from > braked && from <= at) {
                return true;
            }
        }
        return false;
    }

    private static ControlStatus announcement(
            Rule rule, PackTimeline.Pack pack, long minute, int alerts, int limit, long at) {
        Instant now = Instant.now();
        return ControlStatus.newBuilder()
                .setCommandId("brake/" + rule.id() + "/" + at)
                .setCommand(
                        "brake rule "
                                + rule.id()
                                + ": "
                                + alerts
                                + " alerts in the minute from "
                                + Instant.ofEpochMilli(minute)
                                + ", more than its max_alerts_per_minute of "
                                + limit
                                + "; its alerts go to the shadow-alerts topic until its mode is"
                                + " set again (argus rules mode "
                                + rule.id()
                                + " enforce)")
                .setIssuedBy("argus (alert brake)")
                .setOutcome(ControlOutcome.APPLIED)
                .setEffectiveAt(Instant.ofEpochMilli(at))
                .setProblems(List.of())
                .setPackVersion(pack.version())
                .setControlOffset(-1)
                .setAppendedAt(now)
                .setRecordedAt(now)
                .build();
    }

    private void count(String rule, String what) {
        count(rule, what, 1);
    }

    private void count(String rule, String what, long n) {
        counters.computeIfAbsent(
                        rule + "/" + what,
                        k ->
                                getRuntimeContext()
                                        .getMetricGroup()
                                        .addGroup("argus")
                                        .addGroup("rule", rule)
                                        .counter(what))
                .inc(n);
    }
}

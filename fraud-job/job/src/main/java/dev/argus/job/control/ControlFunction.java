package dev.argus.job.control;

import dev.argus.job.savepoint.States;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlCommand;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlProblem;
import dev.argus.model.ControlStatus;
import dev.argus.model.ReceivedCommand;
import dev.argus.model.SetRuleMode;
import dev.argus.model.SnoozeRule;
import dev.argus.model.Transaction;
import dev.argus.model.UnsnoozeRule;
import dev.argus.rules.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decides every command of the control topic, one at a time and in the topic's order (parallelism
 * 1, keyed by the one key {@link #KEY}): it validates the command against the pack the job runs and
 * the changes applied so far, answers it on the status topic ({@link ControlStatus}: applied with
 * its effective time, or refused with every reason), and sends each applied change to the alert
 * gates ({@link #CHANGES}, broadcast). Deciding in one place is what lets every parallel gate apply
 * the same changes at the same event time.
 *
 * <p>A change applies from its {@code effective_at} event time: alerts whose last matched event is
 * at or after it are judged by it. Without one, it is the job's watermark plus the allowed disorder
 * and {@code control.margin}; an earlier one is refused, because alerts of that time may already
 * have been judged. The second input, the valid transactions without their records, brings that
 * watermark.
 *
 * <p>State (keyed, in checkpoints): each rule's mode as changed at run time, and the snoozes
 * applied or ended at run time.
 */
public final class ControlFunction
        extends KeyedCoProcessFunction<String, ReceivedCommand, Transaction, ControlStatus> {
    private static final long serialVersionUID = 1L;

    /** The only key: every command is decided by one instance, in order. */
    public static final String KEY = "control";

    /** Applied changes, for the alert gates. */
    public static final OutputTag<ControlChange> CHANGES =
            new OutputTag<>("control-changes", new AvroTypeInfo<>(ControlChange.class));

    private final Map<String, Rule> rules = new LinkedHashMap<>();
    private final String packVersion;
    private final long horizonMillis;
    private final long marginMillis;

    private transient MapState<String, String> modes;
    private transient MapState<String, Long> snoozes;
    private transient Counter applied;
    private transient Counter refused;

    /**
     * @param rules the rules the job runs (the pack's rules that are not off)
     * @param maxOutOfOrderness how far ahead of the watermark an event may be judged
     * @param margin how far beyond that a command takes effect by default, at the earliest
     */
    public ControlFunction(List<Rule> rules, Duration maxOutOfOrderness, Duration margin) {
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("the job runs no rule");
        }
        rules.forEach(r -> this.rules.put(r.id(), r));
        this.packVersion = rules.get(0).packVersion();
        this.marginMillis = margin.toMillis();
        this.horizonMillis = maxOutOfOrderness.toMillis() + margin.toMillis();
    }

    /**
     * How far beyond the watermark an alert may be judged before the changes of that time have
     * reached the gate: the allowed disorder plus the margin. See {@link #earliest}.
     */
    public static Duration horizon(Duration maxOutOfOrderness, Duration margin) {
        return maxOutOfOrderness.plus(margin);
    }

    /**
     * The control topic's watermarks: none. It has no event time of its own and must neither hold
     * back nor stand in for the job's, which the transactions set, so it stays idle for good (its
     * records still flow): the control function's watermark is the transactions', and while they
     * are idle it does not move.
     */
    public static WatermarkStrategy<ReceivedCommand> watermarks() {
        return WatermarkStrategy.forGenerator(
                context ->
                        new WatermarkGenerator<>() {
                            @Override
                            public void onEvent(
                                    ReceivedCommand event, long timestamp, WatermarkOutput out) {}

                            @Override
                            public void onPeriodicEmit(WatermarkOutput out) {
                                out.markIdle();
                            }
                        });
    }

    /** The transactions only bring their watermark: the job's event time. */
    @Override
    public void processElement2(Transaction ignored, Context ctx, Collector<ControlStatus> out) {}

    @Override
    public void open(OpenContext openContext) {
        modes = getRuntimeContext().getMapState(States.controlModes());
        snoozes = getRuntimeContext().getMapState(States.controlSnoozes());
        var group = getRuntimeContext().getMetricGroup().addGroup("argus").addGroup("control");
        applied = group.counter("applied");
        refused = group.counter("refused");
    }

    @Override
    public void processElement1(ReceivedCommand received, Context ctx, Collector<ControlStatus> out)
            throws Exception {
        ControlCommand command = received.getCommand();
        List<ControlProblem> problems = new ArrayList<>();
        if (command == null) {
            problems.add(
                    problem(
                            "the record at offset "
                                    + received.getOffset()
                                    + " of the control topic is not a command: "
                                    + received.getError(),
                            "write commands with `argus rules mode`, `argus snooze` or `argus"
                                    + " unsnooze`, which use the registry's ControlCommand schema",
                            null));
            out.collect(status(received, "", "(unreadable)", "", null, problems));
            refused.inc();
            return;
        }
        long earliest = earliest(ctx.timerService().currentWatermark(), received);
        long effective =
                command.getEffectiveAt() == null
                        ? earliest
                        : command.getEffectiveAt().toEpochMilli();
        if (effective < earliest) {
            problems.add(
                    problem(
                            String.format(
                                    Locale.ROOT,
                                    "effective_at %s is earlier than %s, %s: events of that time"
                                            + " may already have been judged",
                                    Instant.ofEpochMilli(effective),
                                    Instant.ofEpochMilli(earliest),
                                    ctx.timerService().currentWatermark() == Long.MIN_VALUE
                                            ? "the control margin ("
                                                    + marginMillis
                                                    + " ms) after the command reached the"
                                                    + " control topic"
                                            : "the job's event time (its watermark) plus the"
                                                    + " allowed disorder and the control margin ("
                                                    + horizonMillis
                                                    + " ms in all)"),
                            "leave effective_at out (the margin is then added for you), or give a"
                                    + " later time",
                            null));
        }
        Object change = command.getCommand();
        String what;
        if (change instanceof SetRuleMode m) {
            what = "set rule " + m.getRuleId() + " to " + m.getMode();
            Rule rule = runningRule(m.getRuleId(), problems);
            if (rule != null && problems.isEmpty()) {
                String before = currentMode(rule);
                modes.put(rule.id(), m.getMode().name());
                what += " (was " + before + ")";
            }
        } else if (change instanceof SnoozeRule s) {
            what =
                    "snooze rule "
                            + s.getRuleId()
                            + " for account "
                            + s.getAccountId()
                            + " until "
                            + s.getUntil()
                            + " ("
                            + s.getReason()
                            + ")";
            runningRule(s.getRuleId(), problems);
            if (s.getAccountId().isBlank()) {
                problems.add(problem("the account is empty", "name the account to snooze", null));
            }
            if (s.getReason().isBlank()) {
                problems.add(
                        problem(
                                "the reason is empty",
                                "say why (a ticket number): the audit trail keeps it",
                                s.getRuleId()));
            }
            if (s.getUntil().toEpochMilli() <= effective) {
                problems.add(
                        problem(
                                "the snooze would end ("
                                        + s.getUntil()
                                        + ") before it takes effect ("
                                        + Instant.ofEpochMilli(effective)
                                        + ")",
                                "give a later --until",
                                s.getRuleId()));
            }
            if (problems.isEmpty()) {
                snoozes.put(
                        snoozeKey(s.getRuleId(), s.getAccountId()), s.getUntil().toEpochMilli());
            }
        } else if (change instanceof UnsnoozeRule u) {
            what = "unsnooze rule " + u.getRuleId() + " for account " + u.getAccountId();
            Rule rule = runningRule(u.getRuleId(), problems);
            if (rule != null && !snoozed(rule, u.getAccountId(), effective)) {
                problems.add(
                        problem(
                                "rule "
                                        + u.getRuleId()
                                        + " is not snoozed for account "
                                        + u.getAccountId(),
                                "`argus rules history` lists the snoozes applied",
                                u.getRuleId()));
            }
            if (problems.isEmpty()) {
                // ended: an end time in the past, which also outranks a snooze of the pack
                snoozes.put(snoozeKey(u.getRuleId(), u.getAccountId()), Long.MIN_VALUE);
            }
        } else {
            what = "an unknown command";
            problems.add(
                    problem(
                            "this job does not know the command " + change.getClass().getName(),
                            "upgrade the job, or send a command it knows",
                            null));
        }
        ControlStatus status =
                status(
                        received,
                        command.getCommandId(),
                        what,
                        command.getIssuedBy(),
                        null,
                        problems);
        if (problems.isEmpty()) {
            status.setOutcome(ControlOutcome.APPLIED);
            status.setEffectiveAt(Instant.ofEpochMilli(effective));
            ctx.output(
                    CHANGES,
                    ControlChange.newBuilder()
                            .setCommandId(command.getCommandId())
                            .setOffset(received.getOffset())
                            .setEffectiveAt(Instant.ofEpochMilli(effective))
                            .setChange(change)
                            .build());
            applied.inc();
        } else {
            refused.inc();
        }
        out.collect(status);
    }

    /**
     * The earliest effective time a command may have, and the one it gets by default: the job's
     * watermark (the lowest of its transactions' partitions) plus the allowed disorder and the
     * margin. Events beyond the watermark by up to the disorder may already have been judged; the
     * gate holds back every alert beyond its own watermark by more than the same horizon until its
     * watermark, which comes from this function behind every change decided before it, has caught
     * up. So an alert is judged only once every change that could apply to it has arrived. Before
     * the first watermark nothing has been judged: the command's append time plus the margin.
     */
    private long earliest(long watermark, ReceivedCommand received) {
        if (watermark == Long.MIN_VALUE) {
            return received.getAppendedAt().toEpochMilli() + marginMillis;
        }
        return watermark > Long.MAX_VALUE - horizonMillis
                ? Long.MAX_VALUE
                : watermark + horizonMillis;
    }

    /** The rule the job runs, or null with the problem. */
    private Rule runningRule(String id, List<ControlProblem> problems) {
        Rule rule = rules.get(id);
        if (rule == null) {
            problems.add(
                    problem(
                            "the job runs no rule " + id + " (pack " + packVersion + ")",
                            "it runs "
                                    + String.join(", ", rules.keySet())
                                    + "; a rule that is off in the pack, or not in it, needs a"
                                    + " redeploy from a savepoint (docs/operations.md)",
                            id));
        }
        return rule;
    }

    private String currentMode(Rule rule) throws Exception {
        String changed = modes.get(rule.id());
        return changed != null ? changed : rule.mode().name();
    }

    private boolean snoozed(Rule rule, String account, long at) throws Exception {
        Long until = snoozes.get(snoozeKey(rule.id(), account));
        if (until != null) {
            return until > at;
        }
        return rule.snoozedUntil(account).map(u -> u.toEpochMilli() > at).orElse(false);
    }

    static String snoozeKey(String rule, String account) {
        return rule + '\u001f' + account;
    }

    private ControlStatus status(
            ReceivedCommand received,
            String commandId,
            String what,
            String issuedBy,
            Instant effective,
            List<ControlProblem> problems) {
        return ControlStatus.newBuilder()
                .setCommandId(commandId)
                .setCommand(what)
                .setIssuedBy(issuedBy)
                .setOutcome(ControlOutcome.REFUSED)
                .setEffectiveAt(effective)
                .setProblems(problems)
                .setPackVersion(packVersion)
                .setControlOffset(received.getOffset())
                .setAppendedAt(received.getAppendedAt())
                .setRecordedAt(Instant.now())
                .build();
    }

    private static ControlProblem problem(String message, String hint, String rule) {
        return ControlProblem.newBuilder()
                .setMessage(message)
                .setHint(hint)
                .setRuleId(rule)
                .build();
    }
}

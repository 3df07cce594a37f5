package dev.argus.job.control;

import dev.argus.job.savepoint.States;
import dev.argus.model.ChangeList;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlCommand;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlProblem;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeployPack;
import dev.argus.model.PackFile;
import dev.argus.model.ReceivedCommand;
import dev.argus.model.RollBack;
import dev.argus.model.SetRuleMode;
import dev.argus.model.SnoozeRule;
import dev.argus.model.Transaction;
import dev.argus.model.UnsnoozeRule;
import dev.argus.rules.PackFiles;
import dev.argus.rules.PatternCheck;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.yaml.Problem;
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
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
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

    private final List<Rule> startRules;
    private final Map<String, String> startFiles;
    private final PatternCheck check;
    private final boolean deploys;
    private final long horizonMillis;
    private final long marginMillis;

    private transient MapState<String, String> modes;
    private transient MapState<String, Long> snoozes;
    private transient MapState<String, DeployPack> deployed;
    private transient ValueState<ControlChange> lastDeploy;

    /** The highest watermark this function has seen, kept to within a second. */
    private transient ValueState<Long> watermarkSeen;

    /** Whether a timer keeps {@link #watermarkSeen} up to date. */
    private transient boolean ticking;

    /** The pack the last deploy checked loaded as, when it had no problem. */
    private transient dev.argus.rules.RulePack checked;

    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(ControlFunction.class);

    /** The packs in force over event time, as the engine and the gates see them. */
    private transient PackTimeline timeline;

    /** The rules of the pack in force once every cutover has passed, by id. */
    private transient Map<String, Rule> rules;

    private transient Counter applied;
    private transient Counter refused;

    /**
     * @param rules the rules the job runs (the pack's rules that are not off)
     * @param maxOutOfOrderness how far ahead of the watermark an event may be judged
     * @param margin how far beyond that a command takes effect by default, at the earliest
     */
    public ControlFunction(List<Rule> rules, Duration maxOutOfOrderness, Duration margin) {
        this(rules, null, PatternCheck.NONE, true, maxOutOfOrderness, margin);
    }

    /**
     * @param rules the rules the job starts with (the start pack's rules that are not off)
     * @param startFiles the start pack's files, for a rollback to it (null: not possible)
     * @param check the engine's word on a deployed pack's patterns
     * @param deploys whether the job's rule engine takes packs at run time
     * @param maxOutOfOrderness how far ahead of the watermark an event may be judged
     * @param margin how far beyond that a command takes effect by default, at the earliest
     */
    public ControlFunction(
            List<Rule> rules,
            Map<String, String> startFiles,
            PatternCheck check,
            boolean deploys,
            Duration maxOutOfOrderness,
            Duration margin) {
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("the job runs no rule");
        }
        this.startRules = List.copyOf(rules);
        this.startFiles = startFiles == null ? null : new LinkedHashMap<>(startFiles);
        this.check = check;
        this.deploys = deploys;
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
        deployed = getRuntimeContext().getMapState(States.controlPacks());
        lastDeploy = getRuntimeContext().getState(States.controlLastDeploy());
        watermarkSeen = getRuntimeContext().getState(States.controlWatermark());
        timeline = new PackTimeline(startRules);
        var group = getRuntimeContext().getMetricGroup().addGroup("argus").addGroup("control");
        applied = group.counter("applied");
        refused = group.counter("refused");
    }

    /**
     * Decides the command; a command the function cannot decide (a fault of this code, not of the
     * command) is refused with the reason rather than stop the job, which would read it again.
     */
    @Override
    public void processElement1(ReceivedCommand received, Context ctx, Collector<ControlStatus> out)
            throws Exception {
        try {
            decide(received, ctx, out);
        } catch (RuntimeException e) {
            LOG.error("control command at offset {} could not be decided", received.getOffset(), e);
            ControlCommand command = received.getCommand();
            out.collect(
                    status(
                            received,
                            command == null ? "" : command.getCommandId(),
                            "(not decided)",
                            command == null ? "" : command.getIssuedBy(),
                            timeline.latest().version(),
                            List.of(
                                    problem(
                                            "the job could not decide this command: " + e,
                                            "nothing was applied; the job goes on with what it"
                                                    + " had. Report it with the command (the job's"
                                                    + " log has the stack trace)",
                                            null))));
            refused.inc();
        }
    }

    private void decide(ReceivedCommand received, Context ctx, Collector<ControlStatus> out)
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
                            "write commands with the argus command line (`argus rules deploy`,"
                                    + " `argus rules mode`, `argus snooze`...), which uses the"
                                    + " registry's ControlCommand schema",
                            null));
            refreshPackInForce();
            out.collect(
                    status(
                            received,
                            "",
                            "(unreadable)",
                            "",
                            timeline.latest().version(),
                            problems));
            refused.inc();
            return;
        }
        refreshPackInForce();
        String packVersion = timeline.latest().version();
        long earliest = earliest(ctx.timerService().currentWatermark(), received);
        if (!ticking) {
            track(ctx.timerService());
        }
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
        DeployPack deploy = null;
        if (change instanceof DeployPack d) {
            deploy = d;
            what = "deploy " + describe(d);
            checkDeploy(d, effective, problems);
        } else if (change instanceof RollBack r) {
            what = "roll back to pack " + r.getVersion();
            deploy = rollBackTo(r.getVersion(), problems);
            if (deploy != null) {
                checkDeploy(deploy, effective, problems);
            }
            change = deploy;
        } else if (change instanceof ChangeList l) {
            what = describe(l);
            checkListChange(l, problems);
        } else if (change instanceof SetRuleMode m) {
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
                        packVersion,
                        problems);
        if (problems.isEmpty()) {
            ControlChange applied =
                    ControlChange.newBuilder()
                            .setCommandId(command.getCommandId())
                            .setOffset(received.getOffset())
                            .setEffectiveAt(Instant.ofEpochMilli(effective))
                            .setChange(change)
                            .setBaseVersion(timeline.packs().get(0).version())
                            .build();
            if (deploy != null) {
                String version = checked.version();
                if (command.getCommand() instanceof DeployPack) {
                    what = "deploy pack " + version + " from " + deploy.getSource();
                }
                status.setCommand(what + " (" + changesFrom(timeline.latest(), checked) + ")");
                deployed.put(version, deploy);
                lastDeploy.update(applied);
                modes.clear(); // from its cutover the pack's own modes apply (as in the gates)
                refreshPackInForce();
                status.setPackVersion(version);
            }
            status.setOutcome(ControlOutcome.APPLIED);
            status.setEffectiveAt(Instant.ofEpochMilli(effective));
            ctx.output(CHANGES, applied);
            this.applied.inc();
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
    private long earliest(long watermark, ReceivedCommand received) throws Exception {
        Long seen = watermarkSeen.value();
        if (watermark == Long.MIN_VALUE && seen == null) {
            return received.getAppendedAt().toEpochMilli() + marginMillis;
        }
        // after a restore the watermark starts over: what the job had judged before is bounded by
        // the watermark this function had seen, which it keeps to within a second
        long floor = seen == null || watermark >= seen ? watermark : seen + TICK_MILLIS;
        return floor > Long.MAX_VALUE - horizonMillis ? Long.MAX_VALUE : floor + horizonMillis;
    }

    /** How closely the function keeps track of its watermark in its state. */
    private static final long TICK_MILLIS = 1_000;

    /**
     * Keeps the watermark in state, to within {@link #TICK_MILLIS}: one event-time timer a second
     * of event time, from the first command on.
     */
    private void track(TimerService timers) throws Exception {
        long watermark = timers.currentWatermark();
        if (watermark == Long.MIN_VALUE) {
            if (!ticking) {
                timers.registerEventTimeTimer(Long.MIN_VALUE + 1); // at the first watermark
                ticking = true;
            }
            return;
        }
        Long seen = watermarkSeen.value();
        if (seen == null || watermark > seen) {
            watermarkSeen.update(watermark);
        }
        long next =
                watermark > Long.MAX_VALUE - TICK_MILLIS ? Long.MAX_VALUE : watermark + TICK_MILLIS;
        timers.registerEventTimeTimer(next);
        ticking = true;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<ControlStatus> out)
            throws Exception {
        ticking = false;
        track(ctx.timerService());
    }

    /** The rule the job runs (in the pack in force last), or null with the problem. */
    private Rule runningRule(String id, List<ControlProblem> problems) {
        Rule rule = rules.get(id);
        if (rule == null) {
            problems.add(
                    problem(
                            "the job runs no rule "
                                    + id
                                    + " (pack "
                                    + timeline.latest().version()
                                    + ")",
                            "it runs "
                                    + String.join(", ", rules.keySet())
                                    + "; a rule that is off in the pack, or not in it, needs a"
                                    + " pack that has it (`argus rules deploy`)",
                            id));
        }
        return rule;
    }

    /**
     * The timeline of packs from the last deploy in state (the ones before it no longer matter to
     * the commands decided here), and the rules of the last one.
     */
    private void refreshPackInForce() throws Exception {
        ControlChange last = lastDeploy.value();
        timeline.update(last == null ? List.of() : List.of(last));
        rules = new LinkedHashMap<>();
        timeline.latest().rules().forEach(r -> rules.put(r.id(), r));
    }

    /**
     * Every reason the pack cannot be deployed: its problems with file and line, a version that is
     * in force already or was deployed with other content, a time before the pending cutover.
     */
    private void checkDeploy(DeployPack deploy, long effective, List<ControlProblem> problems)
            throws Exception {
        if (!deploys) {
            problems.add(
                    problem(
                            "this job runs its rules on flink-cep's own operators"
                                    + " (rules.engine=cep), one per rule, fixed when it starts",
                            "redeploy from a savepoint with the pack in rules.path, or run the"
                                    + " argus engine (rules.engine=argus), which takes packs at run"
                                    + " time",
                            null));
            return;
        }
        checked = null;
        RulePackLoader.Result result;
        try {
            result = PackFiles.load(PackTimeline.files(deploy), check);
        } catch (RuntimeException e) {
            problems.add(
                    problem(
                            "the pack's files cannot be read as a pack: " + e.getMessage(),
                            "deploy a pack's directory with `argus rules deploy`",
                            null));
            return;
        }
        for (Problem p : result.problems()) {
            problems.add(
                    ControlProblem.newBuilder()
                            .setMessage(p.message())
                            .setHint(p.hint() == null ? "fix the file and deploy again" : p.hint())
                            .setRuleId(p.ruleId())
                            .setFile(p.file())
                            .setLine(p.line() > 0 ? p.line() : null)
                            .build());
        }
        if (!result.valid()) {
            return;
        }
        if (result.pack().active().isEmpty()) {
            problems.add(
                    problem(
                            "every rule of the pack is off",
                            "a pack runs at least one rule in enforce or shadow mode",
                            null));
        }
        checked = result.pack();
        String version = result.pack().version();
        PackTimeline.Pack inForce = timeline.latest();
        String digest = PackFiles.digest(PackTimeline.files(deploy));
        if (version.equals(inForce.version()) && digest.equals(digestOf(version))) {
            problems.add(
                    problem(
                            "pack " + version + " is in force already",
                            "change the pack and bump its version in pack.yaml",
                            null));
        } else if (digestOf(version) != null && !digest.equals(digestOf(version))) {
            problems.add(
                    problem(
                            "pack "
                                    + version
                                    + " ran before with other files: alerts carry the version,"
                                    + " which must name one pack",
                            "bump the version in pack.yaml",
                            null));
        }
        if (effective < inForce.effectiveAt()) {
            problems.add(
                    problem(
                            "pack "
                                    + inForce.version()
                                    + " takes effect at "
                                    + Instant.ofEpochMilli(inForce.effectiveAt())
                                    + ", after this one would",
                            "give an effective time at or after it, or leave it out",
                            null));
        }
    }

    /** How many entries one command may change: a larger file goes in several commands. */
    public static final int MAX_LIST_ENTRIES_PER_COMMAND = 20_000;

    /** How long an entry may be. */
    static final int MAX_LIST_VALUE_LENGTH = 512;

    private static String describe(ChangeList l) {
        List<String> parts = new ArrayList<>();
        if (!l.getPut().isEmpty()) {
            parts.add("put " + count(l.getPut().size()) + " into");
        }
        if (!l.getRemove().isEmpty()) {
            parts.add("remove " + count(l.getRemove().size()) + " from");
        }
        String sample =
                l.getPut().size() + l.getRemove().size() <= 3
                        ? " (" + String.join(", ", concat(l.getPut(), l.getRemove())) + ")"
                        : "";
        return (parts.isEmpty() ? "change nothing in" : String.join(" and ", parts))
                + " list "
                + l.getList()
                + sample;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String count(int n) {
        return n == 1 ? "1 entry" : n + " entries";
    }

    /** Every reason a list change cannot apply. */
    private void checkListChange(ChangeList l, List<ControlProblem> problems) {
        if (!deploys) {
            problems.add(
                    problem(
                            "this job runs its rules on flink-cep's own operators"
                                    + " (rules.engine=cep), whose lists are fixed when it starts",
                            "change the list in pack.yaml and redeploy from a savepoint, or run"
                                    + " the argus engine (rules.engine=argus)",
                            null));
            return;
        }
        java.util.Set<String> names = timeline.latest().listNames();
        if (!names.contains(l.getList())) {
            problems.add(
                    problem(
                            "pack " + timeline.latest().version() + " has no list " + l.getList(),
                            (names.isEmpty()
                                            ? "it has no lists"
                                            : "it has "
                                                    + String.join(
                                                            ", ", new java.util.TreeSet<>(names)))
                                    + "; declare the list in pack.yaml (its values may be empty)"
                                    + " and deploy the pack",
                            null));
        }
        int n = l.getPut().size() + l.getRemove().size();
        if (n == 0) {
            problems.add(problem("no entries to put or remove", "give at least one entry", null));
        }
        if (n > MAX_LIST_ENTRIES_PER_COMMAND) {
            problems.add(
                    problem(
                            n
                                    + " entries in one command, more than "
                                    + MAX_LIST_ENTRIES_PER_COMMAND,
                            "`argus list put|remove --file` sends a file in commands of "
                                    + MAX_LIST_ENTRIES_PER_COMMAND
                                    + " entries",
                            null));
        }
        for (String v : concat(l.getPut(), l.getRemove())) {
            if (v.isBlank() || v.length() > MAX_LIST_VALUE_LENGTH || !v.strip().equals(v)) {
                problems.add(
                        problem(
                                "the entry '"
                                        + (v.length() > 40 ? v.substring(0, 40) + "..." : v)
                                        + "' is empty, longer than "
                                        + MAX_LIST_VALUE_LENGTH
                                        + " characters or has spaces around it",
                                "entries are the values rules compare, like a card token or an"
                                        + " IBAN, as they appear in transactions",
                                null));
                break;
            }
        }
    }

    /** The digest of the files a version ran with, or null for one never run. */
    private String digestOf(String version) throws Exception {
        DeployPack before = deployed.get(version);
        if (before != null) {
            return PackFiles.digest(PackTimeline.files(before));
        }
        if (version.equals(timeline.packs().get(0).version())) {
            return startFiles == null ? "(start pack)" : PackFiles.digest(startFiles);
        }
        return null;
    }

    /** The deploy that returns to {@code version}, or null with the problem. */
    private DeployPack rollBackTo(String version, List<ControlProblem> problems) throws Exception {
        DeployPack before = deployed.get(version);
        if (before == null && version.equals(timeline.packs().get(0).version())) {
            if (startFiles == null) {
                problems.add(
                        problem(
                                "the job does not have the files of the pack it started with",
                                "deploy that pack's directory with `argus rules deploy`",
                                null));
                return null;
            }
            before = new DeployPack("the pack the job started with", packFiles(startFiles));
        }
        if (before == null) {
            List<String> known = new ArrayList<>();
            known.add(timeline.packs().get(0).version());
            deployed.keys()
                    .forEach(
                            k -> {
                                if (!known.contains(k)) {
                                    known.add(k);
                                }
                            });
            problems.add(
                    problem(
                            "this job never ran pack " + version,
                            "it ran "
                                    + String.join(", ", known)
                                    + "; `argus rules history` lists them",
                            null));
        }
        return before;
    }

    private static List<PackFile> packFiles(Map<String, String> files) {
        List<PackFile> list = new ArrayList<>();
        files.forEach((path, content) -> list.add(new PackFile(path, content)));
        return list;
    }

    /** The version pack.yaml states, for the answer to a pack that may not load. */
    private static String versionOf(DeployPack deploy) {
        String yaml = PackTimeline.files(deploy).getOrDefault("pack.yaml", "");
        for (String line : yaml.split("\n")) {
            if (line.startsWith("version:")) {
                return line.substring("version:".length())
                        .replaceAll("\\s+#.*$", "")
                        .trim()
                        .replaceAll("^[\"']|[\"']$", "");
            }
        }
        return "unversioned";
    }

    private static String describe(DeployPack deploy) {
        return "pack " + versionOf(deploy) + " from " + deploy.getSource();
    }

    /**
     * What a deploy changes against the pack in force: rules added and removed, rules of a new
     * version (those whose pattern changed start clean), by id.
     */
    private String changesFrom(PackTimeline.Pack inForce, dev.argus.rules.RulePack pack) {
        List<Rule> next = pack.active();
        List<String> parts = new ArrayList<>();
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (Rule r : next) {
            Rule old = inForce.rule(r.id());
            if (old == null) {
                added.add(r.id() + " v" + r.version());
            } else if (old.version() != r.version() || !old.fingerprint().equals(r.fingerprint())) {
                changed.add(
                        r.id()
                                + " v"
                                + old.version()
                                + " to v"
                                + r.version()
                                + (old.fingerprint().equals(r.fingerprint())
                                        ? ""
                                        : ", pattern changed: starts clean"));
            }
        }
        List<String> removed = new ArrayList<>();
        for (Rule r : inForce.rules()) {
            if (next.stream().noneMatch(n -> n.id().equals(r.id()))) {
                removed.add(r.id());
            }
        }
        parts.add(next.size() + " rules running");
        if (!added.isEmpty()) {
            parts.add("added " + String.join(", ", added));
        }
        if (!changed.isEmpty()) {
            parts.add("changed " + String.join("; ", changed));
        }
        if (!removed.isEmpty()) {
            parts.add("removed " + String.join(", ", removed));
        }
        return String.join("; ", parts);
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
            String packVersion,
            List<ControlProblem> problems) {
        return ControlStatus.newBuilder()
                .setCommandId(commandId)
                .setCommand(what)
                .setIssuedBy(issuedBy)
                .setOutcome(ControlOutcome.REFUSED)
                .setEffectiveAt(null)
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

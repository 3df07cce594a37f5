package dev.argus.rules.cel;

import dev.argus.model.EnrichedTransaction;
import dev.cel.common.CelErrorCode;
import dev.cel.common.CelException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.exceptions.CelIterationLimitExceededException;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.cep.pattern.conditions.RichIterativeCondition;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stage's CEL condition as a flink-cep condition. Flink ships it to the tasks by Java
 * serialization with its source text; each task compiles it once (on open, or on first use) into an
 * immutable program and its {@link ConditionPlan}, which decides most evaluations without CEL's
 * interpreter and leaves the rest, errors included, to the program. An evaluation error (for
 * example reading an optional field that the event lacks without {@code has()}) counts as false, is
 * counted in {@code condition_errors} and logged once per task.
 *
 * <p>A condition that does not read {@code matched} depends on the event alone (and the lists), so
 * each distinct one is evaluated once per event, however many stages and rules have it: flink-cep
 * asks again for every partial match waiting at the stage, the rule engine asks first whether the
 * event can start a match, and rules of a pack (or of two packs during a rollout) share conditions;
 * all get the answer remembered for the event. Distinct means another source text or other list
 * values: the answers are kept per thread, for the event and the list entries changed at run time
 * they were computed with. The {@code evaluations} and {@code condition_errors} counters count real
 * evaluations, in the rule and stage that made them.
 */
public final class CelCondition extends RichIterativeCondition<EnrichedTransaction> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(CelCondition.class);

    /** Compiled programs by source, description, visible stages and list names. */
    private static final Map<List<Object>, Compiled> PROGRAMS = new ConcurrentHashMap<>();

    /**
     * CEL's program for a condition, the plan that evaluates most of it without CEL, and the
     * operands of its top-level {@code &&}s.
     */
    private record Compiled(
            CelRuntime.Program program, ConditionPlan plan, List<ConditionPlan.Part> parts) {}

    /** The current event's CEL views, per thread. */
    private static final ThreadLocal<Views> VIEWS = ThreadLocal.withInitial(Views::new);

    private static final class Views {
        final Thread thread = Thread.currentThread();

        /** The thread's list entries in force ({@link RuntimeLists#use}). */
        final RuntimeLists.Current lists = RuntimeLists.holder();

        EnrichedTransaction event;
        Map<String, Object> txn;
        Map<String, Object> profile;

        /** The list entries changed at run time the remembered answers were computed with. */
        RuntimeLists.Entries entries;

        long entriesVersion;

        /**
         * Answers for {@link #event}: {@code answers[id]} holds when {@code stamps[id] == epoch}.
         */
        int epoch;

        int[] stamps = new int[64];
        boolean[] answers = new boolean[64];

        /** Real evaluations on this thread, for tests. */
        long evaluated;

        /** Real evaluations of shared operands of conditions ({@link #guards}), for tests. */
        long partsEvaluated;

        /** Starts over with another event or other list entries: no answer is remembered. */
        void use(EnrichedTransaction value, RuntimeLists.Entries current) {
            if (value != event) {
                // the event's fields as CEL values, converted on first read and shared by all
                // conditions of the thread that evaluate the same event
                event = value;
                txn = AvroValues.of(value.getTransaction());
                profile = AvroValues.of(value.getProfile());
                forget();
            } else if (current != entries
                    || (current != null && current.version() != entriesVersion)) {
                forget();
            }
            entries = current;
            entriesVersion = current == null ? 0 : current.version();
        }

        /** Makes room for the answer of id {@code id}. */
        void room(int id) {
            if (id >= stamps.length) {
                int n = Math.max(id + 1, 2 * stamps.length);
                stamps = java.util.Arrays.copyOf(stamps, n);
                answers = java.util.Arrays.copyOf(answers, n);
            }
        }

        private void forget() {
            if (++epoch == 0) { // after 2^32 events: no stamp may be taken for the new epoch's
                java.util.Arrays.fill(stamps, 0);
                epoch = 1;
            }
        }
    }

    /**
     * The ids of distinct event-only conditions: by source text and list values. The results of two
     * conditions with the same id are the same for the same event and list entries.
     */
    private static final Map<List<Object>, Integer> SHARED = new ConcurrentHashMap<>();

    private static final java.util.concurrent.atomic.AtomicInteger NEXT_SHARED =
            new java.util.concurrent.atomic.AtomicInteger();

    private final String ruleId;
    private final String stage;
    private final String source;
    private final String description;
    private final ArrayList<String> visibleStages;
    private final HashMap<String, List<String>> lists;
    private final boolean readsMatched;

    private transient CelRuntime.Program program;
    private transient ConditionPlan plan;
    private transient Counter errors;
    private transient Counter evaluations;
    private transient Counter cutOff;
    private transient boolean errorLogged;

    /** The lists as of the entries changed at run time the view was built for. */
    private transient RuntimeLists.Entries viewOf;

    private transient Map<String, List<String>> view;

    /** Its id among the distinct conditions that do not read matched events ({@link #SHARED}). */
    private transient int shared = -1;

    /**
     * The operands of the condition's top-level {@code &&}s that read only the event (and lists)
     * and have a plan: their ids among the distinct ones ({@link #SHARED}) and their plans. When
     * one is false for an event, so is the condition: the first of these the event fails decides
     * without evaluating the rest, and each is evaluated once per event for every condition it is
     * part of (the stages of a pack share many, such as {@code txn.type == 'CARD_PAYMENT'}).
     */
    private transient int[] guards;

    private transient ConditionPlan[] guardPlans;

    /** The views of the thread this condition last ran on: a thread local costs a lookup. */
    private transient Views lastViews;

    public CelCondition(
            String ruleId,
            String stage,
            String source,
            String description,
            List<String> visibleStages,
            Map<String, List<String>> lists) {
        this.ruleId = ruleId;
        this.stage = stage;
        this.source = source;
        this.description = description;
        this.visibleStages = new ArrayList<>(visibleStages);
        this.lists = new HashMap<>();
        lists.forEach((k, v) -> this.lists.put(k, new ArrayList<>(v)));
        this.readsMatched = source.contains("matched");
    }

    /**
     * Whether the condition reads {@code matched}, the partial match: if not, it depends on the
     * event alone (and the lists), and the rule engine may evaluate it without loading any match.
     */
    public boolean readsMatched() {
        return readsMatched;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        super.open(openContext);
        // flink-cep opens a condition once per NFA transition that uses it
        if (errors == null) {
            useMetrics(getRuntimeContext().getMetricGroup());
        }
        if (program == null) {
            compile();
        }
    }

    /**
     * The operator's counters of conditions, shared by every condition of the same rule and stage:
     * an operator that runs the same rule in several packs (a rollout) opens its conditions more
     * than once, and a metric registered twice would be reported for the first only.
     */
    private static final Map<MetricGroup, Map<String, Counter>> COUNTERS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** Registers (or finds) the rule and stage's counters in the operator's metric group. */
    void useMetrics(MetricGroup operator) {
        errors = counter(operator, "condition_errors");
        evaluations = counter(operator, "evaluations");
        cutOff = counter(operator, "conditions_cut_off");
    }

    private Counter counter(MetricGroup operator, String name) {
        return COUNTERS.computeIfAbsent(
                        operator, g -> new java.util.concurrent.ConcurrentHashMap<>())
                .computeIfAbsent(
                        ruleId + '\u001f' + stage + '\u001f' + name,
                        k ->
                                operator.addGroup("argus")
                                        .addGroup("rule", ruleId)
                                        .addGroup("stage", stage)
                                        .counter(name));
    }

    private void compile() {
        // the same condition compiles to the same immutable program: once per JVM, not once per
        // operator instance (a job with many subtasks or a rule engine restored often)
        Compiled compiled =
                PROGRAMS.computeIfAbsent(
                        List.of(source, description, visibleStages, new TreeSet<>(lists.keySet())),
                        key -> {
                            CelValidationResult result =
                                    new RuleEnvironment(lists.keySet())
                                            .compileCondition(source, description, visibleStages);
                            if (result.hasError()) {
                                // the pack was validated before the job started: a bug, not input
                                throw new IllegalStateException(
                                        "rule "
                                                + ruleId
                                                + " stage "
                                                + stage
                                                + ": "
                                                + result.getErrorString());
                            }
                            return new Compiled(
                                    RuleEnvironment.program(result),
                                    ConditionPlan.of(result).orElse(null),
                                    ConditionPlan.parts(result));
                        });
        program = compiled.program();
        plan = compiled.plan();
        if (!readsMatched) {
            shared =
                    SHARED.computeIfAbsent(
                            List.of(source, new java.util.TreeMap<>(lists)),
                            k -> NEXT_SHARED.getAndIncrement());
        }
        List<Integer> ids = new ArrayList<>();
        List<ConditionPlan> plans = new ArrayList<>();
        for (ConditionPlan.Part part : compiled.parts()) {
            if (part.readsMatched() || part.plan() == null) {
                continue;
            }
            // "&&" keeps these ids apart from whole conditions': an operand's error is left to
            // the whole condition, which counts and logs it, where a whole condition's is false
            ids.add(
                    SHARED.computeIfAbsent(
                            List.of(
                                    "&&",
                                    part.text(),
                                    part.readsLists() ? new java.util.TreeMap<>(lists) : Map.of()),
                            k -> NEXT_SHARED.getAndIncrement()));
            plans.add(part.plan());
        }
        guards = ids.stream().mapToInt(Integer::intValue).toArray();
        guardPlans = plans.toArray(new ConditionPlan[0]);
    }

    /** Real evaluations on this thread so far (answers given from memory are not), for tests. */
    static long evaluatedOnThisThread() {
        return VIEWS.get().evaluated;
    }

    /** Real evaluations of shared operands of conditions on this thread so far, for tests. */
    static long partsEvaluatedOnThisThread() {
        return VIEWS.get().partsEvaluated;
    }

    @Override
    public boolean filter(EnrichedTransaction value, Context<EnrichedTransaction> ctx) {
        if (program == null) {
            compile();
        }
        Views views = lastViews;
        if (views == null || views.thread != Thread.currentThread()) {
            views = VIEWS.get();
            lastViews = views;
        }
        RuntimeLists.Entries entries = views.lists.entries;
        views.use(value, entries);
        // the same object is the same event: the engine and flink-cep hand each one over as is
        for (int k = 0; k < guards.length; k++) {
            if (!mayHold(k, views, entries)) {
                return false;
            }
        }
        if (readsMatched) {
            return evaluate(value, ctx, views, entries);
        }
        int id = shared;
        views.room(id);
        if (views.stamps[id] == views.epoch) {
            return views.answers[id];
        }
        boolean answer = evaluate(value, ctx, views, entries);
        views.stamps[id] = views.epoch;
        views.answers[id] = answer;
        return answer;
    }

    /**
     * Whether operand {@code k} of the top-level {@code &&}s may hold for the views' event: false
     * only when its plan says it is false. An error or a value the plan leaves to CEL leaves it to
     * the whole condition.
     */
    private boolean mayHold(int k, Views views, RuntimeLists.Entries entries) {
        int id = guards[k];
        views.room(id);
        if (views.stamps[id] == views.epoch) {
            return views.answers[id];
        }
        if (evaluations != null) {
            evaluations.inc();
        }
        views.partsEvaluated++;
        boolean answer;
        try {
            answer =
                    guardPlans[k].test(
                            new ConditionPlan.Frame(
                                    views.txn, views.profile, lists(entries), null));
        } catch (ConditionPlan.Fallback undecided) {
            answer = true;
        }
        views.stamps[id] = views.epoch;
        views.answers[id] = answer;
        return answer;
    }

    /** The lists the condition reads, with the entries changed at run time. */
    private Map<String, List<String>> lists(RuntimeLists.Entries entries) {
        if (view == null || entries != viewOf) {
            view = RuntimeLists.view(lists, entries);
            viewOf = entries;
        }
        return view;
    }

    private boolean evaluate(
            EnrichedTransaction value,
            Context<EnrichedTransaction> ctx,
            Views views,
            RuntimeLists.Entries entries) {
        if (evaluations != null) {
            evaluations.inc();
        }
        views.evaluated++;
        ConditionPlan.Frame frame =
                new ConditionPlan.Frame(
                        views.txn,
                        views.profile,
                        lists(entries),
                        readsMatched ? new MatchedView(ctx, visibleStages) : null);
        if (plan != null) {
            try {
                return plan.test(frame);
            } catch (ConditionPlan.Fallback undecided) {
                // an error or a value the plan leaves to CEL: CEL decides, and reports errors
            }
        }
        try {
            return Boolean.TRUE.equals(program.eval(frame.activation()));
        } catch (CelEvaluationException | RuntimeException e) {
            if (iterationLimit(e)) {
                cutOff(value);
                return false;
            }
            if (errors != null) {
                errors.inc();
            }
            if (!errorLogged) {
                errorLogged = true;
                LOG.warn(
                        "rule {} stage {}: condition failed on transaction {} and counts as false"
                                + " (further failures are only counted in condition_errors): {}",
                        ruleId,
                        stage,
                        value.getTransaction().getTransactionId(),
                        e.getMessage());
            }
            return false;
        }
    }

    /** The rules and stages whose cut-off evaluations were logged, once each per JVM. */
    private static final Set<String> CUT_OFF_LOGGED = ConcurrentHashMap.newKeySet();

    /** Whether CEL stopped the evaluation past {@link ConditionCost#RUN_TIME_MAX_ITERATIONS}. */
    private static boolean iterationLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CelIterationLimitExceededException
                    || (t instanceof CelException c
                            && c.getErrorCode() == CelErrorCode.ITERATION_BUDGET_EXCEEDED)) {
                return true;
            }
        }
        return false;
    }

    private void cutOff(EnrichedTransaction value) {
        if (cutOff != null) {
            cutOff.inc();
        }
        if (CUT_OFF_LOGGED.add(ruleId + '\u001f' + stage)) {
            LOG.warn(
                    "rule {} stage {}: condition cut off on transaction {} after {} iterations and"
                            + " counts as false (further cut-offs are only counted in"
                            + " conditions_cut_off): its comprehensions (exists, all, map, filter)"
                            + " run over more elements than validation assumed",
                    ruleId,
                    stage,
                    value.getTransaction().getTransactionId(),
                    ConditionCost.RUN_TIME_MAX_ITERATIONS);
        }
    }

    /** The events matched so far, read from the partial match only for the stages asked for. */
    private static final class MatchedView extends AbstractMap<String, Object> {
        private final Context<EnrichedTransaction> ctx;
        private final List<String> stages;
        private final Map<String, Object> cache = new HashMap<>();

        MatchedView(Context<EnrichedTransaction> ctx, List<String> stages) {
            this.ctx = ctx;
            this.stages = stages;
        }

        @Override
        public boolean containsKey(Object key) {
            return stages.contains(key);
        }

        @Override
        public Object get(Object key) {
            if (!stages.contains(key)) {
                return null;
            }
            return cache.computeIfAbsent((String) key, this::events);
        }

        private Object events(String name) {
            List<Map<String, Object>> out = new ArrayList<>();
            try {
                for (EnrichedTransaction e : ctx.getEventsForPattern(name)) {
                    out.add(AvroValues.of(e.getTransaction()));
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the events of stage " + name, e);
            }
            return out;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Map<String, Object> all = new LinkedHashMap<>();
            stages.forEach(s -> all.put(s, get(s)));
            return all.entrySet();
        }
    }
}

package dev.argus.rules;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.RecommendedAction;
import dev.argus.model.Severity;
import dev.argus.rules.RuleSpec.Stage;
import dev.argus.rules.cel.CelCondition;
import dev.argus.rules.cel.ExplanationTemplate;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;

/**
 * A validated rule, ready to run: its spec, the pack's lists it may use, and what it compiles to.
 * Serializable: Flink ships it to the tasks, where conditions and the explanation are compiled
 * once.
 */
public final class Rule implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final java.util.regex.Pattern PROFILE_FEATURE =
            java.util.regex.Pattern.compile("\\bprofile\\.([a-z_0-9]+)");

    private final RuleSpec spec;
    private final HashMap<String, List<String>> lists;
    private final PackSettings pack;
    private transient ExplanationTemplate explanation;
    private transient Map<String, List<String>> featuresUsed;

    Rule(RuleSpec spec, Map<String, List<String>> lists, PackSettings pack) {
        this.spec = spec;
        this.lists = new HashMap<>(lists);
        this.pack = pack;
    }

    /** The names of the pack's lists (rule conditions read them as {@code lists.<name>}). */
    public java.util.Set<String> listNames() {
        return java.util.Collections.unmodifiableSet(lists.keySet());
    }

    public RuleSpec spec() {
        return spec;
    }

    public String id() {
        return spec.id();
    }

    public int version() {
        return spec.version();
    }

    public Severity severity() {
        return spec.severity();
    }

    public int score() {
        return spec.score();
    }

    public RuleSpec.Mode mode() {
        return spec.mode();
    }

    public String packVersion() {
        return pack.version();
    }

    /** How long after an alert this rule stays silent on the same account; zero for never. */
    public java.time.Duration quietPeriod() {
        return spec.quietPeriod() != null ? spec.quietPeriod() : pack.quietPeriod();
    }

    /** Until when this rule is snoozed for {@code account}, if the risk team snoozed it. */
    public java.util.Optional<java.time.Instant> snoozedUntil(String account) {
        return pack.snoozes().stream()
                .filter(s -> s.ruleId().equals(spec.id()) && s.account().equals(account))
                .map(PackSettings.Snooze::until)
                .max(java.util.Comparator.naturalOrder());
    }

    /** What the pack recommends for this rule's score. */
    public RecommendedAction recommendedAction() {
        return pack.actions().forScore(spec.score());
    }

    /** The profile features each stage's condition reads, by stage name. */
    public Map<String, List<String>> featuresUsed() {
        if (featuresUsed != null) {
            return featuresUsed;
        }
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        for (Stage stage : spec.stages()) {
            java.util.regex.Matcher m = PROFILE_FEATURE.matcher(stage.where());
            java.util.Set<String> names = new java.util.LinkedHashSet<>();
            while (m.find()) {
                names.add(m.group(1));
            }
            if (!names.isEmpty()) {
                out.put(stage.name(), List.copyOf(names));
            }
        }
        featuresUsed = java.util.Collections.unmodifiableMap(out);
        return featuresUsed;
    }

    /** This rule with another mode, e.g. to run an {@code off} rule's test cases. */
    public Rule withMode(RuleSpec.Mode mode) {
        RuleSpec s = spec;
        return new Rule(
                new RuleSpec(
                        s.file(),
                        s.line(),
                        s.id(),
                        s.version(),
                        s.title(),
                        s.description(),
                        s.owner(),
                        s.severity(),
                        s.score(),
                        mode,
                        s.tags(),
                        s.typology(),
                        s.explanation(),
                        s.explanationLine(),
                        s.within(),
                        s.skip(),
                        s.skipStage(),
                        s.alertOn(),
                        s.quietPeriod(),
                        s.maxAlertsPerMinute(),
                        s.stages()),
                lists,
                pack);
    }

    /**
     * The most alerts the rule may raise in one minute of event time before the running job
     * switches it to shadow (its brake); 0 for no limit.
     */
    public int maxAlertsPerMinute() {
        return spec.maxAlertsPerMinute();
    }

    /** Whether the rule alerts when its last stage fails to arrive in time (absence). */
    public boolean alertsOnTimeout() {
        return spec.alertOn() == RuleSpec.AlertOn.TIMEOUT;
    }

    /**
     * Whether a timed-out partial match is an absence alert: every stage before the awaited last
     * one that is not optional or negated has matched.
     */
    public boolean isAbsence(Map<String, ? extends List<?>> partial) {
        List<Stage> stages = spec.stages();
        for (Stage s : stages.subList(0, stages.size() - 1)) {
            if (!s.optional() && !s.follows().negated() && !partial.containsKey(s.name())) {
                return false;
            }
        }
        return !partial.containsKey(stages.get(stages.size() - 1).name());
    }

    /**
     * A digest of the pattern's structure: the type of event it matches, stage names, order,
     * contiguity, quantifiers, window and skip strategy, but not the conditions' text. The rule's
     * operator UID includes it: a restore keeps the partial matches of a rule whose structure is
     * unchanged (thresholds in conditions may be tuned), and starts a rule whose structure changed
     * clean, because its old partial matches would not fit the new automaton.
     */
    public String fingerprint() {
        StringBuilder s = new StringBuilder();
        s.append(EnrichedTransaction.getClassSchema().getFullName()).append('|');
        s.append(spec.within() == null ? 0 : spec.within().toMillis())
                .append('|')
                .append(spec.skip())
                .append(':');
        s.append(spec.skipStage()).append('|').append(spec.alertOn());
        for (Stage stage : spec.stages()) {
            s.append('|').append(stage.name()).append(',').append(stage.follows());
            s.append(',').append(stage.times()).append(',').append(stage.optional());
            s.append(',').append(stage.greedy()).append(',').append(stage.loop());
        }
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new flink-cep pattern for this rule, with CEL conditions compiled lazily on the task. */
    public Pattern<EnrichedTransaction, EnrichedTransaction> pattern() {
        Pattern<EnrichedTransaction, EnrichedTransaction> p = null;
        List<Stage> stages = spec.stages();
        for (int i = 0; i < stages.size(); i++) {
            Stage stage = stages.get(i);
            List<String> visible = spec.visibleStages(i);
            if (p == null) {
                p = Pattern.begin(stage.name(), skipStrategy());
            } else {
                p =
                        switch (stage.follows()) {
                            case NEXT -> p.next(stage.name());
                            case FOLLOWED_BY -> p.followedBy(stage.name());
                            case FOLLOWED_BY_ANY -> p.followedByAny(stage.name());
                            case NOT_NEXT -> p.notNext(stage.name());
                            case NOT_FOLLOWED_BY -> p.notFollowedBy(stage.name());
                        };
            }
            p =
                    p.where(
                            new CelCondition(
                                    spec.id(),
                                    stage.name(),
                                    stage.where(),
                                    spec.file(),
                                    visible,
                                    lists));
            if (stage.max() == -1) {
                p = stage.min() == 1 ? p.oneOrMore() : p.timesOrMore(stage.min());
            } else if (stage.loops()) {
                p =
                        stage.min() == stage.max()
                                ? p.times(stage.min())
                                : p.times(stage.min(), stage.max());
            }
            if (stage.loops()) {
                switch (stage.loop()) {
                    case STRICT -> p = p.consecutive();
                    case NONDETERMINISTIC -> p = p.allowCombinations();
                    case RELAXED -> {}
                }
            }
            if (stage.optional()) {
                p = p.optional();
            }
            if (stage.greedy()) {
                p = p.greedy();
            }
        }
        return spec.within() == null ? p : p.within(spec.within());
    }

    private AfterMatchSkipStrategy skipStrategy() {
        return switch (spec.skip()) {
            case NO_SKIP -> AfterMatchSkipStrategy.noSkip();
            case SKIP_TO_NEXT -> AfterMatchSkipStrategy.skipToNext();
            case SKIP_PAST_LAST_EVENT -> AfterMatchSkipStrategy.skipPastLastEvent();
            case SKIP_TO_FIRST -> AfterMatchSkipStrategy.skipToFirst(spec.skipStage());
            case SKIP_TO_LAST -> AfterMatchSkipStrategy.skipToLast(spec.skipStage());
        };
    }

    /** The rule's explanation of a match, placeholders filled. */
    public String explain(Map<String, List<EnrichedTransaction>> match) {
        return explanation().render(match);
    }

    /**
     * Compiles the explanation's placeholders now rather than at the rule's first alert: compiling
     * them takes milliseconds, which the first alert would otherwise wait.
     */
    public void prepareExplanation() {
        explanation();
    }

    private ExplanationTemplate explanation() {
        if (explanation == null) {
            explanation =
                    new ExplanationTemplate(
                            spec.explanation(),
                            spec.file(),
                            spec.positiveStages(),
                            lists,
                            (expression, error) -> {});
        }
        return explanation;
    }

    @Override
    public String toString() {
        return spec.id() + " v" + spec.version() + " (" + spec.mode().name().toLowerCase() + ")";
    }
}

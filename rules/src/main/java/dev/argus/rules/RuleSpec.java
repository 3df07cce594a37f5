package dev.argus.rules;

import dev.argus.model.Severity;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * A rule as written in its YAML file (its {@code within} is null only for a rule of one single
 * event, its {@code quietPeriod} null when the pack's applies, its {@code typology} null when it
 * names none), after its keys and values have been checked. {@link RuleCompiler} checks its
 * conditions and turns it into a {@link Rule}.
 */
public record RuleSpec(
        String file,
        int line,
        String id,
        int version,
        String title,
        String description,
        String owner,
        Severity severity,
        int score,
        Mode mode,
        List<String> tags,
        String typology,
        String explanation,
        int explanationLine,
        Duration within,
        Skip skip,
        String skipStage,
        AlertOn alertOn,
        Duration quietPeriod,
        int maxAlertsPerMinute,
        List<Stage> stages)
        implements Serializable {

    /** What happens to a rule's matches. */
    public enum Mode {
        /** Alerts go to the alerts topic, which payment systems act on. */
        ENFORCE,
        /** Alerts go to the shadow-alerts topic only: measured, never acted on. */
        SHADOW,
        /** The rule does not run. */
        OFF
    }

    /** When the rule alerts. */
    public enum AlertOn {
        /** When the whole pattern matches. */
        MATCH,
        /**
         * When the last stage did not happen within the rule's window after all earlier stages did
         * (absence: "A not followed by B within T").
         */
        TIMEOUT
    }

    /** Flink CEP's after-match skip strategies. */
    public enum Skip {
        NO_SKIP,
        SKIP_TO_NEXT,
        SKIP_PAST_LAST_EVENT,
        SKIP_TO_FIRST,
        SKIP_TO_LAST
    }

    /** How a stage relates to the one before it (Flink CEP's contiguity and negation). */
    public enum Follows {
        /** Strict contiguity: the very next event of the account. */
        NEXT,
        /** Relaxed contiguity: a later event, skipping events that do not match. */
        FOLLOWED_BY,
        /** Non-deterministic relaxed contiguity: every later matching event, each a new match. */
        FOLLOWED_BY_ANY,
        /** The very next event must not match. */
        NOT_NEXT,
        /** No later event may match before the following stage (or the window's end). */
        NOT_FOLLOWED_BY;

        boolean negated() {
            return this == NOT_NEXT || this == NOT_FOLLOWED_BY;
        }
    }

    /** Contiguity between the events of one looping stage. */
    public enum LoopContiguity {
        /** Skip non-matching events between them (Flink's default for loops). */
        RELAXED,
        /** No other event of the account between them ({@code consecutive()}). */
        STRICT,
        /** Every combination of matching events ({@code allowCombinations()}). */
        NONDETERMINISTIC
    }

    /**
     * One stage of the pattern.
     *
     * @param min how many events at least (1 for a single event)
     * @param max how many at most, {@code -1} for no limit
     */
    public record Stage(
            String name,
            int line,
            Follows follows,
            String where,
            int whereLine,
            int min,
            int max,
            boolean optional,
            boolean greedy,
            LoopContiguity loop)
            implements Serializable {

        public boolean loops() {
            return max != 1;
        }

        /** The quantifier as written: 1, 3, 2..5, 3+. */
        public String times() {
            return max == -1 ? min + "+" : min == max ? String.valueOf(min) : min + ".." + max;
        }
    }

    /**
     * The stages whose events the condition of stage {@code i} can read in {@code matched}: the
     * positive stages before it, and itself unless it is negated.
     */
    public List<String> visibleStages(int i) {
        Stage stage = stages.get(i);
        return stages.subList(0, stage.follows().negated() ? i : i + 1).stream()
                .filter(s -> !s.follows().negated())
                .map(Stage::name)
                .toList();
    }

    /** The stages whose events an alert carries: all but the negated ones. */
    public List<String> positiveStages() {
        return stages.stream().filter(s -> !s.follows().negated()).map(Stage::name).toList();
    }
}

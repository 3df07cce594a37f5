package dev.argus.job;

import dev.argus.job.engine.RuleEngineOperator;
import dev.argus.rules.Rule;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * What the topology needs to know, independent of where events come from and go to.
 *
 * @param maxOutOfOrderness how far behind the newest event time an event may arrive and still be
 *     evaluated; later ones are dead-lettered as LATE
 * @param idleTimeout after how long without records a source partition stops holding back the
 *     watermark
 * @param rules the rules to run, one CEP operator each; their modes route their alerts
 * @param profileRetention after how long without events an account's profile is forgotten
 * @param profileMaxSeen how many values each first-seen set of the profile keeps
 * @param engine what runs the rules
 * @param ordering when the rule engine evaluates an account's events (the stock CEP operators
 *     always wait for the watermark)
 * @param maxPartialMatches how many partial matches the rule engine keeps per account and rule
 */
public record PipelineConfig(
        Duration maxOutOfOrderness,
        Duration idleTimeout,
        List<Rule> rules,
        Duration profileRetention,
        int profileMaxSeen,
        Engine engine,
        RuleEngineOperator.Ordering ordering,
        int maxPartialMatches)
        implements Serializable {

    /** What runs the rules. */
    public enum Engine {
        /** Argus's rule engine: every rule in one keyed operator ({@link RuleEngineOperator}). */
        ARGUS,
        /** Stock flink-cep: one {@code CEP.pattern} operator per rule. */
        CEP
    }

    public static final Engine DEFAULT_ENGINE = Engine.ARGUS;
    public static final int DEFAULT_MAX_PARTIAL_MATCHES = 1_000;

    public static final Duration DEFAULT_PROFILE_RETENTION = Duration.ofDays(400);
    public static final int DEFAULT_PROFILE_MAX_SEEN = 50;

    /** With the default profile settings. */
    public PipelineConfig(Duration maxOutOfOrderness, Duration idleTimeout, List<Rule> rules) {
        this(
                maxOutOfOrderness,
                idleTimeout,
                rules,
                DEFAULT_PROFILE_RETENTION,
                DEFAULT_PROFILE_MAX_SEEN);
    }

    /** With the default engine and ordering. */
    public PipelineConfig(
            Duration maxOutOfOrderness,
            Duration idleTimeout,
            List<Rule> rules,
            Duration profileRetention,
            int profileMaxSeen) {
        this(
                maxOutOfOrderness,
                idleTimeout,
                rules,
                profileRetention,
                profileMaxSeen,
                DEFAULT_ENGINE,
                RuleEngineOperator.Ordering.ARRIVAL,
                DEFAULT_MAX_PARTIAL_MATCHES);
    }

    /** The same settings with another rule engine and ordering. */
    public PipelineConfig withEngine(Engine engine, RuleEngineOperator.Ordering ordering) {
        return new PipelineConfig(
                maxOutOfOrderness,
                idleTimeout,
                rules,
                profileRetention,
                profileMaxSeen,
                engine,
                ordering,
                maxPartialMatches);
    }

    /** The same settings with other rules (a backtest's second pack). */
    public PipelineConfig withRules(List<Rule> other) {
        return new PipelineConfig(
                maxOutOfOrderness,
                idleTimeout,
                other,
                profileRetention,
                profileMaxSeen,
                engine,
                ordering,
                maxPartialMatches);
    }

    public PipelineConfig {
        if (maxOutOfOrderness.isNegative()) {
            throw new IllegalArgumentException("events.max-out-of-orderness must not be negative");
        }
        if (idleTimeout.isZero() || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("events.idle-timeout must be positive");
        }
        if (profileRetention.isZero() || profileRetention.isNegative()) {
            throw new IllegalArgumentException("profile.retention must be positive");
        }
        if (maxPartialMatches < 1) {
            throw new IllegalArgumentException("rules.max-partial-matches must be at least 1");
        }
        if (profileMaxSeen < 1) {
            throw new IllegalArgumentException("profile.max-seen must be at least 1");
        }
        rules = List.copyOf(rules);
        if (rules.isEmpty()) {
            throw new IllegalArgumentException(
                    "no rules to run: every rule of the pack is off or the pack is empty");
        }
        long distinct = rules.stream().map(Rule::id).distinct().count();
        if (distinct != rules.size()) {
            throw new IllegalArgumentException("two rules share an id: rule ids must be unique");
        }
    }
}

package dev.argus.job;

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
 */
public record PipelineConfig(Duration maxOutOfOrderness, Duration idleTimeout, List<Rule> rules)
        implements Serializable {

    public PipelineConfig {
        if (maxOutOfOrderness.isNegative()) {
            throw new IllegalArgumentException("events.max-out-of-orderness must not be negative");
        }
        if (idleTimeout.isZero() || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("events.idle-timeout must be positive");
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

package dev.argus.rules;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What pack.yaml and snoozes.yaml set for every rule of a pack.
 *
 * @param version the pack's version, carried by every alert
 * @param actions the score bands of the recommended action
 * @param quietPeriod how long after an alert the same rule stays silent on the same account, unless
 *     a rule sets its own; zero for never
 * @param snoozes accounts silenced for a rule until a time
 */
public record PackSettings(
        String version, ActionBands actions, Duration quietPeriod, List<Snooze> snoozes)
        implements Serializable {

    public static final Duration DEFAULT_QUIET_PERIOD = Duration.ofHours(1);

    public PackSettings {
        snoozes = List.copyOf(snoozes);
    }

    /** An account silenced for one rule until a time, set by the risk team in snoozes.yaml. */
    public record Snooze(String account, String ruleId, Instant until, String reason)
            implements Serializable {}
}

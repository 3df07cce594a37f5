package dev.argus.job;

import dev.argus.model.ControlChange;
import dev.argus.model.RuleMode;
import dev.argus.model.SetRuleMode;
import java.time.Instant;

/** Control changes as the control function applies them, for tests. */
public final class ControlChanges {
    private ControlChanges() {}

    /** Command {@code commandId}, the first on the control topic: {@code rule} in {@code mode}. */
    public static ControlChange ruleMode(
            String commandId, Instant effective, String rule, RuleMode mode) {
        return ControlChange.newBuilder()
                .setCommandId(commandId)
                .setOffset(0)
                .setEffectiveAt(effective)
                .setChange(SetRuleMode.newBuilder().setRuleId(rule).setMode(mode).build())
                .build();
    }
}

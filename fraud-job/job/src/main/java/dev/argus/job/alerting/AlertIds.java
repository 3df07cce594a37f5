package dev.argus.job.alerting;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * Deterministic alert ids: a name-based (type 3) UUID of the rule id, rule version, account id and
 * the matched transaction ids in order. A replay of the same events yields the same id, which is
 * what lets a consumer deduplicate.
 */
public final class AlertIds {
    private AlertIds() {}

    public static String of(
            String ruleId, int ruleVersion, String accountId, List<String> transactionIds) {
        StringBuilder name =
                new StringBuilder("argus-alert\u0000")
                        .append(ruleId)
                        .append('\u0000')
                        .append(ruleVersion)
                        .append('\u0000')
                        .append(accountId);
        for (String id : transactionIds) {
            name.append('\u0000').append(id);
        }
        return UUID.nameUUIDFromBytes(name.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }
}

package dev.argus.rules;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated rule pack: its version, its named lists and its rules, in file order.
 *
 * @param location where it was loaded from, for messages
 */
public record RulePack(
        String location, String version, Map<String, List<String>> lists, List<Rule> rules)
        implements Serializable {

    public RulePack {
        lists = Map.copyOf(lists);
        rules = List.copyOf(rules);
    }

    /** The rules that run: every rule not in mode {@code off}. */
    public List<Rule> active() {
        return rules.stream().filter(r -> r.mode() != RuleSpec.Mode.OFF).toList();
    }

    public Optional<Rule> rule(String id) {
        return rules.stream().filter(r -> r.id().equals(id)).findFirst();
    }
}

package dev.argus.cli.bench;

import java.util.Locale;

/** What a benchmark run puts between the Kafka source and the Kafka sinks. */
public enum Variant {
    /** Argus as it deploys: the production pipeline with the production Flink settings. */
    ARGUS("argus", "Argus as deployed"),
    /**
     * The yardstick: the same pipeline with its rule stage as a well-configured use of stock
     * flink-cep, one {@code CEP.pattern} operator per rule, with timers on the heap.
     */
    CEP("cep", "stock flink-cep, one CEP.pattern per rule, heap timers"),
    /**
     * The practical ceiling: the same source, decoding and dead-letter routing, then one keyed
     * function that reads and writes one state value per event; no profile, no rules.
     */
    KEYED("keyed", "plain keyed function: one state read and write per event"),
    /**
     * The rule stage's ceiling: Argus's pipeline through the account profile, then, in the rule
     * engine's place, one keyed function that reads and writes one state value per event; no rules,
     * no alerts.
     */
    STAGE("stage", "the pipeline through the profile, then one state read and write per event");

    private final String key;
    private final String description;

    Variant(String key, String description) {
        this.key = key;
        this.description = description;
    }

    public String key() {
        return key;
    }

    public String description() {
        return description;
    }

    /** Whether the run produces alerts, so that detection latency can be measured. */
    public boolean alerts() {
        return runsRules();
    }

    /** Whether the run evaluates the rules (the ceilings do not). */
    public boolean runsRules() {
        return this == ARGUS || this == CEP;
    }

    public static Variant of(String key) {
        for (Variant v : values()) {
            if (v.key.equals(key.toLowerCase(Locale.ROOT))) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                "unknown variant '" + key + "': use argus, cep, keyed or stage");
    }
}

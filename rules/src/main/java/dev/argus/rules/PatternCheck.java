package dev.argus.rules;

/**
 * What the engine that runs the rules says of a rule's pattern, beyond what the rule language
 * validates: flink-cep's compiler refuses some combinations of quantifiers, contiguity and
 * negation. The job supplies the check (its engine compiles patterns with flink-cep's own
 * compiler); this module touches flink-cep only through its pattern API. Serializable: the job's
 * control function checks deployed packs with it on the task.
 */
@FunctionalInterface
public interface PatternCheck extends java.io.Serializable {
    /** Accepts every pattern: for tools that only read rules, and for this module's own tests. */
    PatternCheck NONE = rule -> {};

    /** Throws an exception whose message says why the engine cannot run {@code rule}'s pattern. */
    void check(Rule rule);
}

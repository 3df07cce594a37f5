package dev.argus.rules;

import dev.argus.model.Severity;
import dev.argus.model.Transaction;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.pattern.Pattern;

/**
 * A fraud rule: a sequence pattern over one account's events, and what an alert of it says.
 * Serializable because Flink ships it to the tasks with the pattern's conditions.
 */
public interface FraudRule extends Serializable {

    /** Stable id, kebab-case; part of the alert id and of the rule operator's UID. */
    String id();

    /** Grows by one whenever the rule's logic or thresholds change. */
    int version();

    Severity severity();

    /** Risk score from 0 to 100. */
    int score();

    /** The sequence pattern, built from flink-cep's Pattern API. */
    Pattern<Transaction, Transaction> pattern();

    /** One sentence for a reviewer, from the matched events by stage name. */
    String explain(Map<String, List<Transaction>> match);
}

package dev.argus.sandbox.traffic;

import java.time.Instant;
import java.util.List;

/**
 * The label of one injected case: fraud of a typology, or a benign look-alike of one. One line of a
 * data set's {@code labels.jsonl} (see {@link Labels}).
 *
 * @param caseId {@code case-000001}, in the order the cases were planned (a day's fraud, then its
 *     look-alikes)
 * @param fraud true for fraud, false for a benign look-alike
 * @param typology the typology's id, as rules name it in their {@code typology} key
 * @param variant how this case plays it, e.g. {@code classic} or {@code evasion-slow}
 * @param accountId the account it happens on
 * @param transactionIds the case's transactions, in event-time order
 * @param description what happens, in words
 */
public record CaseLabel(
        String caseId,
        boolean fraud,
        String typology,
        String variant,
        String accountId,
        List<String> transactionIds,
        Instant firstEventTime,
        Instant lastEventTime,
        String description) {

    public CaseLabel {
        transactionIds = List.copyOf(transactionIds);
    }

    /** {@code fraud} or {@code look-alike}, as in the labels file. */
    public String label() {
        return fraud ? "fraud" : "look-alike";
    }
}

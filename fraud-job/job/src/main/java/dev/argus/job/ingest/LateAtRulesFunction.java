package dev.argus.job.ingest;

import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.EnrichedTransaction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * Dead-letters the events that the rule stage found behind its time (its late side output), and
 * counts them in {@code argus.reason.LATE.dead_letters} like every other dead letter.
 */
public final class LateAtRulesFunction extends RichMapFunction<EnrichedTransaction, DeadLetter> {
    private static final long serialVersionUID = 1L;

    private final String where;
    private transient DeadLetters.Count count;

    /**
     * @param where where the events were found late, for the dead letters' detail: "the rule
     *     engine", or "the operator of rule ID"
     */
    public LateAtRulesFunction(String where) {
        this.where = where;
    }

    @Override
    public void open(OpenContext openContext) {
        count = new DeadLetters.Count(getRuntimeContext().getMetricGroup(), DeadLetterReason.LATE);
    }

    @Override
    public DeadLetter map(EnrichedTransaction event) {
        return count.inc(DeadLetters.lateAtRules(event.getTransaction(), where));
    }
}

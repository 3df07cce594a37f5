package dev.argus.job;

import dev.argus.job.alerting.AbsenceToAlertFunction;
import dev.argus.job.alerting.MatchToAlertFunction;
import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import org.apache.flink.cep.nfa.compiler.NFACompiler;
import org.apache.flink.cep.operator.CepOperator;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;

/** A rule as stock flink-cep runs it in the pipeline with {@code rules.engine: cep}. */
public final class StockCep {
    private StockCep() {}

    /** The operator {@code CEP.pattern(...).inEventTime().process(...)} builds for the rule. */
    public static CepOperator<EnrichedTransaction, String, Alert> operator(Rule rule) {
        Pattern<EnrichedTransaction, EnrichedTransaction> pattern = rule.pattern();
        return new CepOperator<>(
                new AvroSerializer<>(EnrichedTransaction.class),
                false,
                NFACompiler.compileFactory(pattern, rule.alertsOnTimeout()),
                null,
                pattern.getAfterMatchSkipStrategy(),
                rule.alertsOnTimeout()
                        ? new AbsenceToAlertFunction(rule)
                        : new MatchToAlertFunction(rule),
                null);
    }
}

package dev.argus.job.alerting;

import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/**
 * Stock flink-cep's match handler ({@code rules.engine: cep}): turns each match of a rule's pattern
 * into an {@link Alert} ({@link AlertBuilder}) and counts it. For absence rules see {@link
 * AbsenceToAlertFunction}.
 */
public class MatchToAlertFunction extends PatternProcessFunction<EnrichedTransaction, Alert> {
    private static final long serialVersionUID = 1L;

    protected final Rule rule;
    protected transient Counter matches;

    public MatchToAlertFunction(Rule rule) {
        this.rule = rule;
    }

    @Override
    public void open(OpenContext openContext) {
        matches =
                getRuntimeContext()
                        .getMetricGroup()
                        .addGroup("argus")
                        .addGroup("rule", rule.id())
                        .counter("matches");
    }

    @Override
    public void processMatch(
            Map<String, List<EnrichedTransaction>> match, Context ctx, Collector<Alert> out) {
        out.collect(
                AlertBuilder.alert(rule, match, Instant.ofEpochMilli(ctx.currentProcessingTime())));
        matches.inc();
    }
}

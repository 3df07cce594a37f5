package dev.argus.job.alerting;

import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.cep.functions.TimedOutPartialMatchHandler;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Alerts for an absence rule ({@code alert_on: timeout}): a full match means the awaited last stage
 * came in time, so nothing is wrong; a partial match that times out with every earlier stage
 * matched is the alert. flink-cep hands timeouts to a side output, {@link #TIMED_OUT}.
 */
public final class AbsenceToAlertFunction extends MatchToAlertFunction
        implements TimedOutPartialMatchHandler<EnrichedTransaction> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Alert> TIMED_OUT =
            new OutputTag<>("absence-alerts", new AvroTypeInfo<>(Alert.class));

    public AbsenceToAlertFunction(Rule rule) {
        super(rule);
    }

    @Override
    public void processMatch(
            Map<String, List<EnrichedTransaction>> match, Context ctx, Collector<Alert> out) {
        // the awaited event arrived in time
    }

    @Override
    public void processTimedOutMatch(Map<String, List<EnrichedTransaction>> match, Context ctx) {
        if (rule.isAbsence(match)) {
            ctx.output(
                    TIMED_OUT,
                    AlertBuilder.alert(
                            rule, match, Instant.ofEpochMilli(ctx.currentProcessingTime())));
            matches.inc();
        }
    }
}

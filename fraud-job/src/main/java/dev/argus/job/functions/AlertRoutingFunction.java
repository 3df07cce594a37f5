package dev.argus.job.functions;

import dev.argus.model.Alert;
import dev.argus.rules.Rule;
import dev.argus.rules.RuleSpec;
import java.util.HashMap;
import java.util.List;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends each alert where its rule's mode says: {@code enforce} rules to the main output (the alerts
 * topic), {@code shadow} rules to {@link #SHADOW} (the shadow-alerts topic, which payment systems
 * never read).
 */
public final class AlertRoutingFunction extends ProcessFunction<Alert, Alert> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Alert> SHADOW =
            new OutputTag<>("shadow-alerts", new AvroTypeInfo<>(Alert.class));

    private final HashMap<String, RuleSpec.Mode> modes = new HashMap<>();

    public AlertRoutingFunction(List<Rule> rules) {
        rules.forEach(r -> modes.put(r.id(), r.mode()));
    }

    @Override
    public void processElement(Alert alert, Context ctx, Collector<Alert> out) {
        RuleSpec.Mode mode = modes.get(alert.getRuleId());
        if (mode == RuleSpec.Mode.ENFORCE) {
            out.collect(alert);
        } else {
            // shadow, or a rule this job does not know: never act on it
            ctx.output(SHADOW, alert);
        }
    }
}

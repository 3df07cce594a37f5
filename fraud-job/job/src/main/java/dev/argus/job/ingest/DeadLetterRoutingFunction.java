package dev.argus.job.ingest;

import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Passes valid transactions on and sends everything else to the dead-letter side output: records
 * the source could not decode, and events that arrive after the watermark has passed their event
 * time (reason LATE), which the rules would otherwise drop silently. Counts dead letters by reason
 * in the metric {@code argus.dead_letters.<REASON>}.
 */
public final class DeadLetterRoutingFunction extends ProcessFunction<Decoded, Transaction> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private transient Map<DeadLetterReason, Counter> counters;
    private transient MetricGroup metrics;

    @Override
    public void open(OpenContext openContext) {
        counters = new EnumMap<>(DeadLetterReason.class);
        metrics = getRuntimeContext().getMetricGroup().addGroup("argus").addGroup("dead_letters");
    }

    @Override
    public void processElement(Decoded decoded, Context ctx, Collector<Transaction> out) {
        if (decoded.deadLetter != null) {
            deadLetter(ctx, decoded.deadLetter);
            return;
        }
        long watermark = ctx.timerService().currentWatermark();
        Long timestamp = ctx.timestamp();
        if (timestamp != null && timestamp <= watermark) {
            deadLetter(ctx, late(decoded, watermark));
            return;
        }
        out.collect(decoded.transaction);
    }

    private void deadLetter(Context ctx, DeadLetter deadLetter) {
        counters.computeIfAbsent(deadLetter.getReason(), r -> metrics.counter(r.name())).inc();
        ctx.output(DEAD_LETTERS, deadLetter);
    }

    /** The dead letter of a valid event that came too late, with where it was read from. */
    static DeadLetter late(Decoded decoded, long watermark) {
        Transaction t = decoded.transaction;
        long behind = watermark - t.getEventTime().toEpochMilli();
        return late(
                        t,
                        "event_time "
                                + t.getEventTime()
                                + " is "
                                + behind
                                + " ms behind the watermark "
                                + Instant.ofEpochMilli(watermark)
                                + ": it arrived after events up to that time had been evaluated;"
                                + " raise events.max-out-of-orderness if such delays are normal")
                .setSourceTopic(decoded.sourceTopic)
                .setSourcePartition(decoded.sourcePartition)
                .setSourceOffset(decoded.sourceOffset)
                .build();
    }

    /**
     * The dead letter of an event that a rule operator found behind its watermark. Routing removes
     * late events before the rules, so this is a safety net that keeps anything from being dropped
     * silently.
     */
    public static DeadLetter lateAtRule(Transaction t, String ruleId) {
        return late(
                        t,
                        "event_time "
                                + t.getEventTime()
                                + " was behind the watermark at the operator of rule "
                                + ruleId)
                .build();
    }

    private static DeadLetter.Builder late(Transaction t, String detail) {
        return DeadLetter.newBuilder()
                .setReason(DeadLetterReason.LATE)
                .setDetail(detail)
                .setTransaction(t)
                .setDeadLetterTime(Instant.now());
    }
}

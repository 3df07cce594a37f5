package dev.argus.job.ingest;

import dev.argus.model.DeadLetter;
import dev.argus.model.DeadLetterReason;
import dev.argus.model.Transaction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Passes valid transactions on and sends everything else to the dead-letter side output {@link
 * DeadLetters#TAG}: records the source could not decode, and events that arrive after the watermark
 * has passed their event time (reason LATE), which the rules would otherwise drop silently. Counts
 * dead letters by reason in the metric {@code argus.reason.<REASON>.dead_letters}, every reason
 * from the start.
 */
public final class DeadLetterRoutingFunction extends ProcessFunction<Decoded, Transaction> {
    private static final long serialVersionUID = 1L;

    private transient DeadLetters.Count count;

    @Override
    public void open(OpenContext openContext) {
        count =
                new DeadLetters.Count(
                        getRuntimeContext().getMetricGroup(), DeadLetterReason.values());
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
            deadLetter(ctx, DeadLetters.late(decoded, watermark));
            return;
        }
        out.collect(decoded.transaction);
    }

    private void deadLetter(Context ctx, DeadLetter deadLetter) {
        ctx.output(DeadLetters.TAG, count.inc(deadLetter));
    }
}

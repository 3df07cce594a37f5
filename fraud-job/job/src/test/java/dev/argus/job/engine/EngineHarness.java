package dev.argus.job.engine;

import dev.argus.job.profile.ProfileFunction;
import dev.argus.model.Alert;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.storage.JobManagerCheckpointStorage;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;

/**
 * The rule engine in a test harness on RocksDB, as the job runs it: chained to the account profile,
 * whose output brings the events keyed by account and, among them, the control changes (broadcast
 * to the profile, which passes them on). The profile's output watermark is the lower of its two
 * inputs': {@link #processWatermark} sets the events' and {@link #controlWatermark} the control
 * changes', and the engine gets the lower. Without {@link #withControl}, the control input has
 * ended (as the job's "no control topic" source does) and holds nothing back.
 */
public final class EngineHarness
        extends KeyedOneInputStreamOperatorTestHarness<
                String, Either<EnrichedTransaction, ControlChange>, Alert> {
    private long eventsWatermark = Long.MIN_VALUE;
    private long controlWatermark = Long.MIN_VALUE;
    private long emitted = Long.MIN_VALUE;

    private EngineHarness(
            RuleEngineOperator operator, int maxParallelism, int parallelism, int subtask)
            throws Exception {
        super(
                operator,
                ProfileFunction.ACCOUNT,
                Types.STRING,
                maxParallelism,
                parallelism,
                subtask);
        setStateBackend(new EmbeddedRocksDBStateBackend());
        // snapshots in memory, large enough for a million list entries (24 MB)
        setCheckpointStorage(new JobManagerCheckpointStorage(64 << 20));
    }

    /** One subtask of one; {@code restore} a snapshot of an earlier one, or null. */
    public static EngineHarness open(RuleEngineOperator operator, OperatorSubtaskState restore)
            throws Exception {
        return open(operator, 128, 1, 0, restore, false);
    }

    /** As {@link #open}, with the control input open: its watermark holds the engine's back. */
    public static EngineHarness withControl(
            RuleEngineOperator operator, OperatorSubtaskState restore) throws Exception {
        return open(operator, 128, 1, 0, restore, true);
    }

    public static EngineHarness open(
            RuleEngineOperator operator,
            int maxParallelism,
            int parallelism,
            int subtask,
            OperatorSubtaskState restore,
            boolean control)
            throws Exception {
        EngineHarness h = new EngineHarness(operator, maxParallelism, parallelism, subtask);
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        if (!control) {
            h.controlWatermark(Long.MAX_VALUE);
        }
        return h;
    }

    /** An event on the events' input. */
    public void event(StreamRecord<EnrichedTransaction> record) throws Exception {
        processElement(Either.Left(record.getValue()), record.getTimestamp());
    }

    public void processElement(EnrichedTransaction event, long timestamp) throws Exception {
        processElement(Either.Left(event), timestamp);
    }

    /** The events' watermark. */
    public void processWatermark(long watermark) throws Exception {
        eventsWatermark = watermark;
        emitLower();
    }

    @Override
    public void processWatermark(Watermark watermark) throws Exception {
        processWatermark(watermark.getTimestamp());
    }

    /** A control change, as the control function broadcasts it and the profile passes it on. */
    public void control(ControlChange change) throws Exception {
        processElement(new StreamRecord<>(Either.Right(change)));
    }

    /** The control input's watermark: the control function's, the job's event time. */
    public void controlWatermark(long watermark) throws Exception {
        controlWatermark = watermark;
        emitLower();
    }

    /** As the profile's two inputs: the lower watermark, once it has advanced. */
    private void emitLower() throws Exception {
        long lower = Math.min(eventsWatermark, controlWatermark);
        if (lower > emitted) {
            emitted = lower;
            super.processWatermark(new Watermark(lower));
        }
    }
}

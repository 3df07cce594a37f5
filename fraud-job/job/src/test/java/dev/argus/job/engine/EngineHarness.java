package dev.argus.job.engine;

import dev.argus.model.Alert;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.storage.JobManagerCheckpointStorage;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

/**
 * The rule engine in a test harness on RocksDB, as the job runs it: events keyed by account on the
 * first input, the control changes (broadcast, unkeyed) on the second. {@link #processElement} and
 * {@link #processWatermark} feed the events; without {@link #withControl}, the control input has
 * ended (as the job's "no control topic" source does) and holds nothing back.
 */
public final class EngineHarness
        extends KeyedTwoInputStreamOperatorTestHarness<
                String, EnrichedTransaction, ControlChange, Alert> {
    private static final KeySelector<EnrichedTransaction, String> ACCOUNT =
            e -> e.getTransaction().getAccountId();

    private EngineHarness(
            RuleEngineOperator operator, int maxParallelism, int parallelism, int subtask)
            throws Exception {
        super(operator, ACCOUNT, null, Types.STRING, maxParallelism, parallelism, subtask);
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
            h.processWatermark2(Watermark.MAX_WATERMARK);
        }
        return h;
    }

    public void processElement(StreamRecord<EnrichedTransaction> record) throws Exception {
        processElement1(record);
    }

    public void processElement(EnrichedTransaction event, long timestamp) throws Exception {
        processElement1(new StreamRecord<>(event, timestamp));
    }

    public void processWatermark(long watermark) throws Exception {
        processWatermark1(new Watermark(watermark));
    }

    public void processWatermark(Watermark watermark) throws Exception {
        processWatermark1(watermark);
    }

    /** A control change, as the control function broadcasts it. */
    public void control(ControlChange change) throws Exception {
        processElement2(new StreamRecord<>(change));
    }

    /** The control input's watermark: the control function's, the job's event time. */
    public void controlWatermark(long watermark) throws Exception {
        processWatermark2(new Watermark(watermark));
    }
}

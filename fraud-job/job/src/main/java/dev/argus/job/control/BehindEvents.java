package dev.argus.job.control;

import java.util.List;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Flink's operator of a {@link KeyedBroadcastProcessFunction}, for the functions that read the
 * events beside the control changes (the profile, and through it the engine; the alert gate; the
 * brake), with one difference: the changes' watermark may hold event time back, but never move it
 * past the events' own last watermark.
 *
 * <p>Why: the control changes' watermark is the transactions' watermark, come the long way round
 * (through the control function). An operator with two inputs ignores an idle input's watermark, so
 * while the transactions are idle the changes' input alone counts. When they resume after the
 * pause, the new watermark can reach this operator on the changes' channel before the transactions
 * that come before it on their own channel (a checkpoint's alignment, or back-pressure, holds that
 * channel up): event time would jump past records not yet read, and absence windows would close
 * before the event that cancels them. That matters most when a backlog arrives after the pause,
 * whose first batch spans minutes of event time. Held to the events' watermark, the changes can
 * only ever hold the operator back, which is all they are for ({@link NeverIdle} keeps them from
 * going idle so that they do). While the events flow this changes nothing: the events' watermark is
 * already one of the two the operator takes the lower of.
 *
 * <p>The function, its state and its timers are those of {@link CoBroadcastWithKeyedOperator}:
 * savepoints of jobs that ran the function through {@code connect(...).process(...)} restore.
 */
public final class BehindEvents<K, IN1, IN2, OUT>
        extends CoBroadcastWithKeyedOperator<K, IN1, IN2, OUT> {
    private static final long serialVersionUID = 1L;

    /** The last watermark of the events, and the last the changes brought. */
    private transient long events;

    private transient long changes;

    /** Whether the changes' input is idle: a watermark given to it would make it active. */
    private transient boolean changesIdle;

    public BehindEvents(
            KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> function,
            List<MapStateDescriptor<?, ?>> broadcastStates) {
        super(function, broadcastStates);
    }

    /**
     * {@code events} connected to the broadcast {@code changes} through {@code function}, which may
     * keep {@code broadcastStates}.
     */
    public static <K, IN1, IN2, OUT> SingleOutputStreamOperator<OUT> connect(
            KeyedStream<IN1, K> events,
            DataStream<IN2> changes,
            KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> function,
            List<MapStateDescriptor<?, ?>> broadcastStates,
            TypeInformation<OUT> type) {
        return events.connect(changes.broadcast())
                .transform(
                        "Co-Process-Broadcast-Keyed",
                        type,
                        new BehindEvents<>(
                                events.getExecutionEnvironment().clean(function), broadcastStates));
    }

    @Override
    public void open() throws Exception {
        super.open();
        events = Long.MIN_VALUE;
        changes = Long.MIN_VALUE;
        changesIdle = false;
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        events = Math.max(events, mark.getTimestamp());
        super.processWatermark1(mark);
        if (!changesIdle && changes != Long.MIN_VALUE) {
            // the changes' watermark held back until now may count up to here
            super.processWatermark2(new Watermark(Math.min(changes, events)));
        }
    }

    @Override
    public void processWatermark2(Watermark mark) throws Exception {
        changes = mark.getTimestamp();
        changesIdle = false;
        super.processWatermark2(new Watermark(Math.min(changes, events)));
    }

    @Override
    protected void processWatermarkStatus(WatermarkStatus status, int index) throws Exception {
        if (index == 1) {
            changesIdle = status.isIdle();
        }
        super.processWatermarkStatus(status, index);
    }
}

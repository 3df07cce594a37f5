package dev.argus.job.control;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Passes the control changes and the control function's watermark on, but never its idleness: the
 * operators that apply the changes (the profile for the rule engine, the alert gate, the brake)
 * must always wait for the control function's watermark.
 *
 * <p>Why: an operator with two inputs ignores an idle input's watermark. The control function goes
 * idle whenever the transactions do (its commands' input is idle for good, see {@link
 * ControlFunction#watermarks}), and when they resume, the main path can bring the gate an active
 * status and a newer watermark before the control path brings its own: for example while a
 * checkpoint barrier blocks the control channel during alignment. For that moment the gate judged
 * alerts on the main path's watermark alone, before a change of their time had arrived. Held
 * active, the control input's last watermark holds the gate back until the control function's next
 * one. While the transactions are idle nothing is lost by that: no alert is waiting, and the
 * watermark would not move anyway.
 *
 * <p>It keeps no state, and passes on one record per control change.
 */
public final class NeverIdle<T> extends AbstractStreamOperator<T>
        implements OneInputStreamOperator<T, T> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(StreamRecord<T> record) {
        output.collect(record);
    }

    /** Idleness stays here; the status downstream stays active, as every stream starts. */
    @Override
    public void processWatermarkStatus(WatermarkStatus status) {}
}

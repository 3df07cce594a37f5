package dev.argus.job.control;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * An input that never counts for event time: it emits nothing, declares itself idle when it opens,
 * and passes on neither watermarks nor a change of status. The stand-in for the control changes in
 * a job without a control topic is one, so that the operators reading it beside the events (the
 * profile, through it the engine, and the gate) keep the events' time alone: an operator with two
 * inputs ignores an idle input's watermark.
 *
 * <p>Anything that carried a watermark there would move those operators when the events do not: an
 * ended source carries the maximum, which counted alone while the events were idle (every profile
 * expired and every partial match timed out in a pause of the traffic); a copy of the events' own
 * watermark runs ahead of their records when traffic resumes, on the channel without records, while
 * the events' input is still idle (absence windows closed before the event that cancels them). It
 * keeps no state.
 */
public final class AlwaysIdle<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT> {
    private static final long serialVersionUID = 1L;

    @Override
    public void open() throws Exception {
        super.open();
        output.emitWatermarkStatus(WatermarkStatus.IDLE);
    }

    @Override
    public void processElement(StreamRecord<IN> record) {}

    @Override
    public void processWatermark(Watermark mark) {}

    @Override
    public void processWatermarkStatus(WatermarkStatus status) {}
}

package dev.argus.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * The changes' watermark holds the operator back but never moves it past the events' own: when the
 * events resume after a pause, their new watermark coming first on the changes' channel does not
 * put their own records behind the operator's event time. Stock Flink's operator, run through the
 * same steps, does.
 */
class BehindEventsTest {
    /** Emits, for each event, the operator's event time when it was processed. */
    private static final class WatermarkAtEvent
            extends KeyedBroadcastProcessFunction<String, String, String, Long> {
        @Override
        public void processElement(String event, ReadOnlyContext ctx, Collector<Long> out) {
            out.collect(ctx.currentWatermark());
        }

        @Override
        public void processBroadcastElement(String change, Context ctx, Collector<Long> out) {}
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, String, String, Long> harness(
            TwoInputStreamOperator<String, String, Long> operator) throws Exception {
        KeyedTwoInputStreamOperatorTestHarness<String, String, String, Long> h =
                new KeyedTwoInputStreamOperatorTestHarness<>(operator, e -> e, null, Types.STRING);
        h.open();
        return h;
    }

    /** The pause and the resumption, with the events' watermark first on the changes' input. */
    private static List<Long> resumeAfterAPause(
            KeyedTwoInputStreamOperatorTestHarness<String, String, String, Long> h)
            throws Exception {
        h.processWatermark1(new Watermark(1_000));
        h.processWatermark2(new Watermark(1_000));
        h.processWatermarkStatus1(WatermarkStatus.IDLE);
        // the transactions resume: their watermark, through the control function, arrives first
        h.processWatermark2(new Watermark(60_000));
        h.processWatermarkStatus1(WatermarkStatus.ACTIVE);
        h.processElement1(new StreamRecord<>("acc-1", 59_000));
        h.processWatermark1(new Watermark(60_000));
        h.processElement1(new StreamRecord<>("acc-1", 61_000));
        return eventTimes(h);
    }

    private static List<Long> eventTimes(
            KeyedTwoInputStreamOperatorTestHarness<String, String, String, Long> h) {
        List<Long> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((Long) r.getValue());
            }
        }
        return out;
    }

    private static List<Long> watermarks(
            KeyedTwoInputStreamOperatorTestHarness<String, String, String, Long> h) {
        List<Long> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof Watermark w) {
                out.add(w.getTimestamp());
            }
        }
        return out;
    }

    @Test
    void theChangesCannotCarryEventTimePastTheEventsRecords() throws Exception {
        try (var h = harness(new BehindEvents<>(new WatermarkAtEvent(), List.of()))) {
            // the record that came before the new watermark is judged at the old event time
            assertThat(resumeAfterAPause(h)).containsExactly(1_000L, 60_000L);
            assertThat(watermarks(h)).containsExactly(1_000L, 60_000L);
        }
    }

    @Test
    void stockFlinkLetsTheChangesAloneMoveEventTime() throws Exception {
        try (var h =
                harness(new CoBroadcastWithKeyedOperator<>(new WatermarkAtEvent(), List.of()))) {
            // the race this operator closes: the record is behind event time when it arrives
            assertThat(resumeAfterAPause(h)).containsExactly(60_000L, 60_000L);
        }
    }

    @Test
    void theChangesStillHoldEventTimeBack() throws Exception {
        try (var h = harness(new BehindEvents<>(new WatermarkAtEvent(), List.of()))) {
            h.processWatermark2(new Watermark(5_000));
            h.processWatermark1(new Watermark(9_000));
            h.processElement1(new StreamRecord<>("acc-1", 9_500));
            h.processWatermark2(new Watermark(7_000));
            h.processWatermark2(new Watermark(12_000));
            assertThat(eventTimes(h)).containsExactly(5_000L);
            assertThat(watermarks(h)).containsExactly(5_000L, 7_000L, 9_000L);
        }
    }

    @Test
    void anIdleChangesInputLeavesTheEventsAlone() throws Exception {
        // a job without a control topic: the changes' input is idle from the start (AlwaysIdle)
        try (var h = harness(new BehindEvents<>(new WatermarkAtEvent(), List.of()))) {
            h.processWatermarkStatus2(WatermarkStatus.IDLE);
            h.processWatermark1(new Watermark(1_000));
            h.processWatermark1(new Watermark(2_000));
            h.processElement1(new StreamRecord<>("acc-1", 2_500));
            assertThat(eventTimes(h)).containsExactly(2_000L);
            assertThat(watermarks(h)).containsExactly(1_000L, 2_000L);
        }
    }
}

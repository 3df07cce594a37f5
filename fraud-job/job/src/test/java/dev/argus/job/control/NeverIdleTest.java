package dev.argus.job.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The control changes' stream passes records and watermarks on, and never goes idle. */
class NeverIdleTest {

    @Test
    void passesRecordsAndWatermarksButNotIdleness() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<>(new NeverIdle<String>())) {
            harness.open();
            harness.processElement(new StreamRecord<>("a", 10));
            harness.processWatermark(new Watermark(10));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
            harness.processElement(new StreamRecord<>("b", 20));
            harness.processWatermark(new Watermark(20));

            assertThat(harness.getOutput())
                    .containsExactly(
                            new StreamRecord<>("a", 10),
                            new Watermark(10),
                            new StreamRecord<>("b", 20),
                            new Watermark(20));
        }
    }
}

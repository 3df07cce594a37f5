package dev.argus.cli.watch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AppendTimesTest {
    private static final long BASE = 1_800_000_000_000L;

    @Test
    void keepsEachSequencesAppendTimeToTheMillisecond() {
        AppendTimes times = new AppendTimes(BASE);
        times.put(1, BASE);
        times.put(5_000_000, BASE + 123_456);
        assertThat(times.get(1)).isEqualTo(BASE);
        assertThat(times.get(5_000_000)).isEqualTo(BASE + 123_456);
        assertThat(times.get(2)).isEqualTo(-1);
    }

    @Test
    void ignoresWhatItCannotHoldInsteadOfFailingTheProducersCallback() {
        AppendTimes times = new AppendTimes(BASE);
        times.put(-1, BASE);
        times.put(7, BASE - 1);
        times.put(8, BASE + 30L * 24 * 3600 * 1000);
        times.put(1L << 40, BASE);
        assertThat(times.get(7)).isEqualTo(-1);
        assertThat(times.get(8)).isEqualTo(-1);
        assertThat(times.get(1L << 40)).isEqualTo(-1);
        assertThat(times.get(-1)).isEqualTo(-1);
    }
}

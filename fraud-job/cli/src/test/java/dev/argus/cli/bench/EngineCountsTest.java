package dev.argus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The engine's counts as the job process writes them on its METRICS line and the bench reads them.
 */
class EngineCountsTest {
    @Test
    void countsGoThroughTheMetricsLineAndAWindowSubtractsItsStart() {
        EngineCounts start = new EngineCounts(10, 20, 3, 40, 50, 60, 2);
        EngineCounts end = new EngineCounts(11, 25, 3, 47, 59, 70, 6);
        String[] line = ("METRICS 1 2 " + end.fields()).split(" ");

        assertThat(EngineCounts.parse(line, 3)).isEqualTo(end);
        assertThat(end.minus(start)).isEqualTo(new EngineCounts(1, 5, 0, 7, 9, 10, 4));
        assertThat(end.minus(EngineCounts.NONE)).isEqualTo(end);
    }
}

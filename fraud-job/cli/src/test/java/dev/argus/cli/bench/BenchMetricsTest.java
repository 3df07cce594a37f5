package dev.argus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The rules' held matches as the job process writes them on its METRICS line and the bench reads
 * them.
 */
class BenchMetricsTest {
    @Test
    void heldMatchesByRuleGoThroughOneTokenOfTheMetricsLine() {
        Map<String, Long> held = new TreeMap<>(Map.of("impossible-travel", 4L, "structuring", 1L));
        String token = BenchMetrics.heldToken(held);

        assertThat(token).doesNotContain(" ").isEqualTo("impossible-travel:4,structuring:1");
        assertThat(BenchMetrics.parseHeld(token)).isEqualTo(held);
        assertThat(BenchMetrics.heldToken(Map.of())).isEqualTo("-");
        assertThat(BenchMetrics.parseHeld("-")).isEmpty();
    }
}

package dev.argus.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.apache.flink.cep.pattern.Pattern;
import org.junit.jupiter.api.Test;

class CardTestingRuleTest {
    @Test
    void buildsASmallThenLargePatternWithinTheWindow() {
        Pattern<?, ?> pattern =
                new CardTestingRule(CardTestingRule.Thresholds.defaults()).pattern();
        assertThat(pattern.getName()).isEqualTo(CardTestingRule.LARGE);
        assertThat(pattern.getPrevious().getName()).isEqualTo(CardTestingRule.SMALL);
        assertThat(pattern.getWindowSize()).contains(Duration.ofMinutes(10));
    }

    @Test
    void refusesThresholdsThatCannotSeparateSmallFromLarge() {
        assertThatThrownBy(
                        () ->
                                new CardTestingRule.Thresholds(
                                        "EUR", 500_00, 500_00, 3, Duration.ofMinutes(10)))
                .hasMessageContaining("small max < large min");
        assertThatThrownBy(
                        () ->
                                new CardTestingRule.Thresholds(
                                        "EUR", 5_00, 500_00, 0, Duration.ofMinutes(10)))
                .hasMessageContaining("at least one small payment");
        assertThatThrownBy(
                        () -> new CardTestingRule.Thresholds("EUR", 5_00, 500_00, 3, Duration.ZERO))
                .hasMessageContaining("window must be positive");
    }
}

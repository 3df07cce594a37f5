package dev.argus.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AmountsTest {
    @Test
    void formatsMinorUnitsWithTheCurrencyExponent() {
        assertThat(Amounts.format(new Money(12345L, "EUR"))).isEqualTo("123.45 EUR");
        assertThat(Amounts.format(new Money(500L, "JPY"))).isEqualTo("500 JPY");
        assertThat(Amounts.format(new Money(1234L, "BHD"))).isEqualTo("1.234 BHD");
    }

    @Test
    void parsesDecimalsExactly() {
        assertThat(Amounts.of("0.10", "EUR").getAmountMinor()).isEqualTo(10L);
        assertThat(Amounts.of("19.99", "USD").getAmountMinor()).isEqualTo(1999L);
    }
}

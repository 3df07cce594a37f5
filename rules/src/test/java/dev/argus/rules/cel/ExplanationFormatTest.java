package dev.argus.rules.cel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Explanations' numbers ({@link ExplanationTemplate#twoDecimals}) are the text they were when
 * {@code String.format("%.2f")} wrote them, trimmed: compared on this JVM with that formatter, on
 * amounts, ratios, speeds and z-scores of every size, on the numbers halfway between two hundredths
 * (where rounding decides), and on arbitrary doubles.
 */
class ExplanationFormatTest {
    /**
     * What explanations wrote before: Formatter's two decimals, trailing zeros and point removed.
     */
    private static String formatter(double d) {
        String s = String.format(Locale.ROOT, "%.2f", d);
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        return s.substring(0, s.charAt(end - 1) == '.' ? end - 1 : end);
    }

    private static void same(double d) {
        assertThat(ExplanationTemplate.twoDecimals(d)).as("%s", d).isEqualTo(formatter(d));
    }

    @Test
    void roundsHalfUpOnTheShortestDigitsAsFormatterDoes() {
        assertThat(ExplanationTemplate.twoDecimals(1.005))
                .isEqualTo("1.01"); // 1.00499999... in binary
        assertThat(ExplanationTemplate.twoDecimals(0.125)).isEqualTo("0.13");
        assertThat(ExplanationTemplate.twoDecimals(9.995)).isEqualTo("10");
        assertThat(ExplanationTemplate.twoDecimals(999.999)).isEqualTo("1000");
        assertThat(ExplanationTemplate.twoDecimals(-0.001)).isEqualTo("-0");
        assertThat(ExplanationTemplate.twoDecimals(-0.0)).isEqualTo("-0");
        assertThat(ExplanationTemplate.twoDecimals(0.0)).isEqualTo("0");
        assertThat(ExplanationTemplate.twoDecimals(-2.5)).isEqualTo("-2.5");
        assertThat(ExplanationTemplate.twoDecimals(1234.5)).isEqualTo("1234.5");
        for (double d :
                new double[] {
                    0.001,
                    0.0049,
                    0.005,
                    0.0051,
                    0.00999,
                    0.01,
                    9_999_999.994,
                    9_999_999.995,
                    1e7,
                    1e7 + 0.005,
                    1.5e300,
                    4.9e-324,
                    Double.MAX_VALUE,
                    Double.MIN_NORMAL,
                    123_456_789.125,
                    2.675,
                    1.115,
                    0.285,
                    1.0E-3 - 1e-19
                }) {
            same(d);
            same(-d);
        }
    }

    @Test
    void writesWhatFormatterWroteOnAMillionNumbers() {
        Random random = new Random(20261206);
        for (int i = 0; i < 250_000; i++) {
            // halfway between two hundredths (x.xx5, as near as a double gets), and one ulp off
            double half = (random.nextInt(2_000_000) * 10 + 5) / 1000.0;
            same(half);
            same(Math.nextUp(half));
            same(Math.nextDown(half));
            // amounts in minor units, ratios and speeds of every size
            same(random.nextDouble() * Math.pow(10, random.nextInt(12) - 4));
            same(-random.nextDouble() * Math.pow(10, random.nextInt(12) - 4));
        }
        for (int i = 0; i < 100_000; i++) {
            double any = Double.longBitsToDouble(random.nextLong());
            if (Double.isFinite(any)) {
                same(any);
            }
        }
    }
}

package dev.argus.model;

import java.math.BigDecimal;
import java.util.Currency;

/** Exact amounts for people: minor units shown with the currency's ISO 4217 exponent. */
public final class Amounts {
    private Amounts() {}

    /**
     * {@code 12345 EUR} minor units as {@code "123.45 EUR"}; {@code 500 JPY} as {@code "500 JPY"}.
     */
    public static String format(Money money) {
        if (money == null) {
            return "no amount";
        }
        return BigDecimal.valueOf(money.getAmountMinor(), fractionDigits(money.getCurrency()))
                        .toPlainString()
                + " "
                + money.getCurrency();
    }

    /** The ISO 4217 exponent of {@code currency}; 2 when the JDK does not know it. */
    public static int fractionDigits(String currency) {
        try {
            int digits = Currency.getInstance(currency).getDefaultFractionDigits();
            return digits < 0 ? 0 : digits;
        } catch (IllegalArgumentException | NullPointerException e) {
            return 2;
        }
    }

    public static Money of(String decimal, String currency) {
        long minor =
                new BigDecimal(decimal).movePointRight(fractionDigits(currency)).longValueExact();
        return new Money(minor, currency);
    }
}

package dev.argus.rules;

import dev.argus.model.Amounts;
import dev.argus.model.Money;
import dev.argus.model.Severity;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;

/**
 * Card testing: a fraudster who holds stolen card details checks that they work with a few small
 * purchases, then spends big. The rule: at least {@code minSmallPayments} approved card payments of
 * at most {@code smallMaxMinor}, followed by an approved card payment of at least {@code
 * largeMinMinor}, all within {@code window}. Amounts are compared in {@code currency} only.
 *
 * <p>The small stage is greedy and the rule skips past the last matched event, so one burst yields
 * one alert that lists all its small payments, not one alert per subset of them.
 */
public final class CardTestingRule implements FraudRule {
    private static final long serialVersionUID = 1L;

    public static final String ID = "card-testing";
    public static final String SMALL = "small";
    public static final String LARGE = "large";

    private final Thresholds thresholds;

    public CardTestingRule(Thresholds thresholds) {
        this.thresholds = thresholds;
    }

    /** The thresholds of the rule, with the defaults used when nothing is configured. */
    public record Thresholds(
            String currency,
            long smallMaxMinor,
            long largeMinMinor,
            int minSmallPayments,
            Duration window)
            implements Serializable {

        public static Thresholds defaults() {
            return new Thresholds("EUR", 5_00, 500_00, 3, Duration.ofMinutes(10));
        }

        public Thresholds {
            if (smallMaxMinor < 0 || largeMinMinor <= smallMaxMinor) {
                throw new IllegalArgumentException(
                        "card-testing thresholds need 0 <= small max < large min, got small max "
                                + smallMaxMinor
                                + " and large min "
                                + largeMinMinor);
            }
            if (minSmallPayments < 1) {
                throw new IllegalArgumentException(
                        "card-testing needs at least one small payment, got " + minSmallPayments);
            }
            if (window.isZero() || window.isNegative()) {
                throw new IllegalArgumentException("card-testing window must be positive");
            }
        }
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public Severity severity() {
        return Severity.HIGH;
    }

    @Override
    public int score() {
        return 80;
    }

    @Override
    public Pattern<Transaction, Transaction> pattern() {
        return Pattern.<Transaction>begin(SMALL, AfterMatchSkipStrategy.skipPastLastEvent())
                .where(
                        new ApprovedCardPayment(
                                thresholds.currency(), 0, thresholds.smallMaxMinor()))
                .timesOrMore(thresholds.minSmallPayments())
                .greedy()
                .followedBy(LARGE)
                .where(
                        new ApprovedCardPayment(
                                thresholds.currency(), thresholds.largeMinMinor(), Long.MAX_VALUE))
                .within(thresholds.window());
    }

    @Override
    public String explain(Map<String, List<Transaction>> match) {
        List<Transaction> small = match.getOrDefault(SMALL, List.of());
        Transaction large = match.get(LARGE).get(0);
        long seconds =
                Duration.between(small.get(0).getEventTime(), large.getEventTime()).toSeconds();
        return small.size()
                + " card payments of at most "
                + Amounts.format(new Money(thresholds.smallMaxMinor(), thresholds.currency()))
                + " ("
                + small.stream()
                        .map(t -> Amounts.format(t.getAmount()))
                        .collect(Collectors.joining(", "))
                + ") followed by a payment of "
                + Amounts.format(large.getAmount())
                + " within "
                + (seconds / 60)
                + " min "
                + (seconds % 60)
                + " s";
    }

    /** An approved card payment in one currency with an amount in [min, max]. */
    static final class ApprovedCardPayment extends SimpleCondition<Transaction> {
        private static final long serialVersionUID = 1L;
        private final String currency;
        private final long minMinor;
        private final long maxMinor;

        ApprovedCardPayment(String currency, long minMinor, long maxMinor) {
            this.currency = currency;
            this.minMinor = minMinor;
            this.maxMinor = maxMinor;
        }

        @Override
        public boolean filter(Transaction t) {
            Money amount = t.getAmount();
            return t.getType() == TransactionType.CARD_PAYMENT
                    && t.getStatus() == TransactionStatus.APPROVED
                    && amount != null
                    && currency.equals(amount.getCurrency())
                    && amount.getAmountMinor() >= minMinor
                    && amount.getAmountMinor() <= maxMinor;
        }
    }
}

package dev.argus.model;

import java.util.Currency;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks a decoded {@link Transaction} must pass before Argus acts on it: what Avro's schema
 * cannot say (which fields a type requires, which values are possible). A record that fails goes to
 * the dead-letter topic with the {@link Violation}'s reason and detail.
 */
public final class TransactionValidator implements java.io.Serializable {
    /** Compiled once: {@code String.matches} compiles its pattern on every call, per event. */
    private static final Pattern MCC = Pattern.compile("\\d{4}");

    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    private static final long serialVersionUID = 1L;

    /** The types that move money: they carry an amount. */
    public static final Set<TransactionType> MONEY_MOVEMENTS =
            Set.of(
                    TransactionType.CARD_PAYMENT,
                    TransactionType.TRANSFER,
                    TransactionType.WITHDRAWAL,
                    TransactionType.DEPOSIT,
                    TransactionType.REFUND);

    private final long maxFutureSkewMillis;

    /**
     * @param maxFutureSkewMillis how far an event time may lie ahead of the Kafka record's
     *     timestamp. An event from the future would push the watermark ahead and make every honest
     *     event after it late, so it is refused.
     */
    public TransactionValidator(long maxFutureSkewMillis) {
        this.maxFutureSkewMillis = maxFutureSkewMillis;
    }

    /** Why a transaction is refused. */
    public record Violation(DeadLetterReason reason, String detail) {}

    /**
     * @param recordTimestamp the Kafka record's timestamp, or a negative number when unknown
     */
    public Optional<Violation> check(Transaction t, long recordTimestamp) {
        if (blank(t.getTransactionId())) {
            return missing("transaction_id is empty");
        }
        if (blank(t.getAccountId())) {
            return missing("account_id is empty");
        }
        if (t.getEventTime() == null || t.getEventTime().toEpochMilli() <= 0) {
            return invalid("event_time " + t.getEventTime() + " is not after 1970-01-01");
        }
        if (recordTimestamp >= 0
                && t.getEventTime().toEpochMilli() > recordTimestamp + maxFutureSkewMillis) {
            return invalid(
                    "event_time "
                            + t.getEventTime()
                            + " is more than "
                            + maxFutureSkewMillis
                            + " ms after the record's Kafka timestamp "
                            + java.time.Instant.ofEpochMilli(recordTimestamp)
                            + ": check the producer's clock and time unit (milliseconds)");
        }
        if (t.getType() == TransactionType.UNKNOWN) {
            return invalid("type is UNKNOWN: the producer uses a newer schema than this reader");
        }
        Money amount = t.getAmount();
        if (MONEY_MOVEMENTS.contains(t.getType()) && amount == null) {
            return missing("amount is required for " + t.getType());
        }
        if (amount != null) {
            if (amount.getAmountMinor() < 0) {
                return invalid(
                        "amount "
                                + amount.getAmountMinor()
                                + " is negative: amounts are positive, refunds have type REFUND");
            }
            if (!isCurrency(amount.getCurrency())) {
                return invalid("currency '" + amount.getCurrency() + "' is not an ISO 4217 code");
            }
        }
        if ((t.getType() == TransactionType.CARD_PAYMENT || t.getType() == TransactionType.REFUND)
                && t.getMerchant() == null) {
            return missing("merchant is required for " + t.getType());
        }
        if (t.getMerchant() != null && !MCC.matcher(t.getMerchant().getCategoryCode()).matches()) {
            return invalid(
                    "merchant category_code '"
                            + t.getMerchant().getCategoryCode()
                            + "' is not four digits (ISO 18245)");
        }
        if (t.getCardPresent() && blank(t.getCardToken())) {
            return missing("card_present is true but card_token is empty");
        }
        Location where = t.getLocation();
        if (where != null) {
            if (!(where.getLatitude() >= -90 && where.getLatitude() <= 90)) {
                return invalid("latitude " + where.getLatitude() + " is outside -90..90");
            }
            if (!(where.getLongitude() >= -180 && where.getLongitude() <= 180)) {
                return invalid("longitude " + where.getLongitude() + " is outside -180..180");
            }
        }
        return Optional.empty();
    }

    private static boolean isCurrency(String code) {
        if (code == null || !CURRENCY.matcher(code).matches()) {
            return false;
        }
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static Optional<Violation> missing(String detail) {
        return Optional.of(new Violation(DeadLetterReason.MISSING_FIELD, detail));
    }

    private static Optional<Violation> invalid(String detail) {
        return Optional.of(new Violation(DeadLetterReason.INVALID_VALUE, detail));
    }
}

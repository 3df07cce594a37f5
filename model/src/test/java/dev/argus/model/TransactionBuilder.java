package dev.argus.model;

import java.time.Instant;

/**
 * Test data for {@link Transaction}: a valid approved card payment of 10.00 EUR at a German grocery
 * store unless told otherwise. Only set the fields a test is about.
 */
public final class TransactionBuilder {
    /** A fixed, recent instant all test timelines start from. */
    public static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

    private static long counter;

    private final Transaction.Builder b;

    private TransactionBuilder(String id) {
        b =
                Transaction.newBuilder()
                        .setTransactionId(id)
                        .setAccountId("acc-1")
                        .setEventTime(T0)
                        .setType(TransactionType.CARD_PAYMENT)
                        .setChannel(Channel.ECOMMERCE)
                        .setStatus(TransactionStatus.APPROVED)
                        .setAmount(new Money(10_00L, "EUR"))
                        .setMerchant(new Merchant("m-1", "Corner Shop", "5411", "DE"))
                        .setCardToken("card-1")
                        .setCardPresent(false)
                        .setDeviceId("dev-1")
                        .setIpAddress("192.0.2.10")
                        .setLocation(new Location(52.52, 13.405, "DE"));
    }

    public static TransactionBuilder payment() {
        return new TransactionBuilder("t-" + (++counter));
    }

    public static TransactionBuilder payment(String id) {
        return new TransactionBuilder(id);
    }

    /** An approved card payment of {@code euros} (a decimal such as "1.50") on {@code account}. */
    public static Transaction cardPayment(String id, String account, Instant at, String euros) {
        return payment(id).account(account).at(at).amount(euros, "EUR").build();
    }

    public TransactionBuilder id(String id) {
        b.setTransactionId(id);
        return this;
    }

    public TransactionBuilder account(String account) {
        b.setAccountId(account);
        return this;
    }

    public TransactionBuilder at(Instant time) {
        b.setEventTime(time);
        return this;
    }

    public TransactionBuilder secondsAfterT0(long seconds) {
        b.setEventTime(T0.plusSeconds(seconds));
        return this;
    }

    public TransactionBuilder amount(String decimal, String currency) {
        b.setAmount(Amounts.of(decimal, currency));
        return this;
    }

    public TransactionBuilder amountMinor(long minor) {
        b.setAmount(new Money(minor, "EUR"));
        return this;
    }

    public TransactionBuilder type(TransactionType type) {
        b.setType(type);
        return this;
    }

    public TransactionBuilder status(TransactionStatus status) {
        b.setStatus(status);
        return this;
    }

    public TransactionBuilder deviceId(String deviceId) {
        b.setDeviceId(deviceId);
        return this;
    }

    public TransactionBuilder merchant(String merchantId, String categoryCode) {
        b.setMerchant(new Merchant(merchantId, null, categoryCode, null));
        return this;
    }

    public TransactionBuilder ipAddress(String ip) {
        b.setIpAddress(ip);
        return this;
    }

    public TransactionBuilder counterparty(String counterpartyId) {
        b.setCounterpartyId(counterpartyId);
        return this;
    }

    public TransactionBuilder cardPresent() {
        b.setCardPresent(true);
        return this;
    }

    public TransactionBuilder noAmount() {
        b.setAmount(null);
        return this;
    }

    public TransactionBuilder location(double lat, double lon, String country) {
        b.setLocation(new Location(lat, lon, country));
        return this;
    }

    public Transaction build() {
        return b.build();
    }
}

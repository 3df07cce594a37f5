package dev.argus.sandbox;

import dev.argus.model.Channel;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Money;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The earlier, uniform workload, kept for {@code argus bench --traffic uniform}, the engine's
 * differential test and the condition benchmark: every account alike (the caller picks the time
 * between events), each with a home city, cards and a device, doing card payments (mostly ordinary
 * amounts, some coffee-sized), transfers, cash withdrawals, deposits and logins. Into it, it
 * injects labelled cases of one typology. {@link dev.argus.sandbox.traffic.BankTraffic} is the
 * traffic that looks like a bank's. The cases:
 *
 * <ul>
 *   <li><b>card testing</b> (fraud): 3 to 5 small e-commerce payments a few seconds apart, then a
 *       large one, on one account, all within half a minute;
 *   <li><b>decoys</b> (not fraud): two small payments, then a large one, which a good rule must not
 *       flag;
 *   <li><b>broken records</b>: bytes that are not Avro in the wire format, and events that arrive a
 *       minute late, which must land in the dead-letter topic.
 * </ul>
 *
 * Event times are the wall-clock time of generation, with a little jitter (less than the pipeline's
 * allowed disorder). Deterministic for a seed, apart from the clock. Not thread-safe.
 */
public final class TransactionGenerator {
    /** The rule whose cases the generator injects and labels. */
    public static final String LABELLED_RULE = "card-testing";

    /** An injected card-testing case: the id of its large payment identifies it. */
    public record FraudCase(String accountId, String largeTransactionId, List<String> smallIds) {}

    private static final String[][] CITIES = {
        {"DE", "52.520", "13.405"}, {"DE", "48.137", "11.575"}, {"FR", "48.857", "2.352"},
        {"NL", "52.370", "4.895"}, {"ES", "40.417", "-3.704"}, {"IT", "45.464", "9.190"},
        {"GB", "51.507", "-0.128"}, {"PL", "52.230", "21.011"}, {"SE", "59.329", "18.069"},
        {"AT", "48.208", "16.373"}
    };
    private static final String[][] MERCHANTS = {
        {"5411", "FreshMart"}, {"5812", "Trattoria Roma"}, {"5814", "Bean There Coffee"},
        {"5541", "Fuel Stop"}, {"5732", "Volt Electronics"}, {"5311", "Big Department Store"},
        {"4111", "City Transit"}, {"5999", "Online Bazaar"}, {"5691", "Urban Outfit"},
        {"4814", "Phone Top-Up"}
    };

    private final Random random;
    private final int accounts;
    private final double fraudRatio;
    private final double badRatio;
    private final PriorityQueue<Scheduled> scheduled =
            new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private final List<FraudCase> fraudCases = new ArrayList<>();
    private final java.util.Map<String, Long> busyUntil = new java.util.HashMap<>();
    private long sequence;
    private int decoys;
    private boolean injecting = true;

    private record Scheduled(long due, Generated record) {}

    public TransactionGenerator(long seed, int accounts, double fraudRatio, double badRatio) {
        this.random = new Random(seed);
        this.accounts = accounts;
        this.fraudRatio = fraudRatio;
        this.badRatio = badRatio;
    }

    /**
     * The sequence number in the id of a generated transaction ({@code tx-0000000042}): the order
     * in which the generator made it.
     */
    public static long sequenceOf(String transactionId) {
        return Long.parseLong(
                transactionId, transactionId.indexOf('-') + 1, transactionId.length(), 10);
    }

    /** The number of a generated account ({@code acc-000042}), from 0 to {@code accounts - 1}. */
    public static int accountNumberOf(String accountId) {
        return Integer.parseInt(accountId, accountId.indexOf('-') + 1, accountId.length(), 10);
    }

    /** Stops injecting new labelled cases; cases already begun still complete. */
    public void stopInjecting() {
        injecting = false;
    }

    /** Whether injected cases still have events to come. */
    public boolean hasPendingCases() {
        return !scheduled.isEmpty();
    }

    public List<FraudCase> fraudCases() {
        return fraudCases;
    }

    public int decoys() {
        return decoys;
    }

    /** Events of injected cases that are due at {@code nowMillis}. */
    public List<Generated> due(long nowMillis) {
        List<Generated> out = new ArrayList<>();
        while (!scheduled.isEmpty() && scheduled.peek().due <= nowMillis) {
            out.add(scheduled.poll().record);
        }
        return out;
    }

    /** The next ordinary event at {@code nowMillis}; may also begin an injected case. */
    public Generated next(long nowMillis) {
        if (injecting) {
            double dice = random.nextDouble();
            if (dice < fraudRatio) {
                scheduleCardTesting(nowMillis);
            } else if (dice < fraudRatio * 1.5) {
                scheduleDecoy(nowMillis);
            }
            if (random.nextDouble() < badRatio) {
                return broken(nowMillis);
            }
        }
        String account = randomAccount();
        return new Generated(account, ordinary(account, nowMillis), null);
    }

    private Generated broken(long nowMillis) {
        String account = randomAccount();
        if (random.nextBoolean()) {
            Transaction late = ordinary(account, nowMillis - 60_000);
            return new Generated(account, late, null);
        }
        byte[] garbage =
                random.nextBoolean()
                        ? ("{\"account\":\"" + account + "\",\"amount\":12.5}")
                                .getBytes(StandardCharsets.UTF_8)
                        : new byte[] {0, 0, 0, 0, 1, (byte) random.nextInt(), 7};
        return new Generated(account, null, garbage);
    }

    private void scheduleCardTesting(long nowMillis) {
        String account = idleAccount(nowMillis);
        if (account == null) {
            return;
        }
        String card = "card-" + account + "-stolen";
        int smallCount = 3 + random.nextInt(3);
        long at = nowMillis;
        List<String> smallIds = new ArrayList<>();
        for (int i = 0; i < smallCount; i++) {
            at += 1_000 + random.nextInt(3_000);
            long amount = 50 + random.nextInt(450);
            smallIds.add(schedule(account, at, amount, "5999", "Online Bazaar", false, card));
        }
        at += 2_000 + random.nextInt(8_000);
        long amount = 60_000 + random.nextInt(190_000);
        String large = schedule(account, at, amount, "5732", "Volt Electronics", false, card);
        fraudCases.add(new FraudCase(account, large, smallIds));
        busyUntil.put(account, at);
    }

    private void scheduleDecoy(long nowMillis) {
        String account = idleAccount(nowMillis);
        if (account == null) {
            return;
        }
        String card = "card-" + account;
        long at = nowMillis;
        for (int i = 0; i < 2; i++) {
            at += 2_000 + random.nextInt(3_000);
            schedule(
                    account,
                    at,
                    200 + random.nextInt(280),
                    "5814",
                    "Bean There Coffee",
                    true,
                    card);
        }
        at += 3_000 + random.nextInt(7_000);
        long amount = 55_000 + random.nextInt(40_000);
        schedule(account, at, amount, "5311", "Big Department Store", true, card);
        busyUntil.put(account, at);
        decoys++;
    }

    /** Schedules an approved card payment of an injected case; returns its id. */
    private String schedule(
            String account,
            long at,
            long amountMinor,
            String mcc,
            String merchant,
            boolean present,
            String card) {
        Transaction t = cardPayment(account, at, amountMinor, mcc, merchant, present, card);
        t.setStatus(TransactionStatus.APPROVED);
        scheduled.add(new Scheduled(at, new Generated(account, t, null)));
        return t.getTransactionId();
    }

    /**
     * An account with no injected case in progress, or in the rule's ten-minute window after one,
     * so that cases do not overlap and blur the labels; null when the dice found none.
     */
    private String idleAccount(long nowMillis) {
        for (int attempt = 0; attempt < 10; attempt++) {
            String account = randomAccount();
            Long busy = busyUntil.get(account);
            if (busy == null || busy + 600_000 < nowMillis) {
                return account;
            }
        }
        return null;
    }

    private Transaction ordinary(String account, long nowMillis) {
        long at = nowMillis - random.nextInt(1_500);
        double kind = random.nextDouble();
        if (kind < 0.70) {
            String[] m = MERCHANTS[random.nextInt(MERCHANTS.length)];
            boolean present = random.nextDouble() < 0.55;
            long amount =
                    m[0].equals("5814") ? 250 + random.nextInt(400) : logNormalMinor(2_500, 0.9);
            return cardPayment(account, at, amount, m[0], m[1], present, "card-" + account);
        }
        Transaction.Builder b = base(account, at);
        if (kind < 0.80) {
            b.setType(TransactionType.TRANSFER)
                    .setChannel(Channel.MOBILE)
                    .setAmount(new Money(logNormalMinor(20_000, 1.0), "EUR"))
                    .setCounterpartyId("payee-" + random.nextInt(accounts * 3))
                    .setCounterpartyCountry(home(account)[0]);
        } else if (kind < 0.85) {
            b.setType(TransactionType.WITHDRAWAL)
                    .setChannel(Channel.ATM)
                    .setAmount(new Money(2_000L * (1 + random.nextInt(20)), "EUR"))
                    .setCardToken("card-" + account)
                    .setCardPresent(true);
        } else if (kind < 0.90) {
            b.setType(TransactionType.DEPOSIT)
                    .setChannel(Channel.WEB)
                    .setAmount(new Money(logNormalMinor(150_000, 0.5), "EUR"))
                    .setCounterpartyId("employer-" + random.nextInt(50));
        } else if (kind < 0.98) {
            b.setType(TransactionType.LOGIN)
                    .setChannel(random.nextBoolean() ? Channel.MOBILE : Channel.WEB);
        } else {
            b.setType(
                            random.nextBoolean()
                                    ? TransactionType.NEW_PAYEE
                                    : TransactionType.CREDENTIAL_CHANGE)
                    .setChannel(Channel.MOBILE)
                    .setCounterpartyId("payee-" + random.nextInt(accounts * 3));
        }
        return b.build();
    }

    private Transaction cardPayment(
            String account,
            long at,
            long amountMinor,
            String mcc,
            String name,
            boolean present,
            String card) {
        String[] home = home(account);
        return base(account, at)
                .setType(TransactionType.CARD_PAYMENT)
                .setChannel(present ? Channel.POS : Channel.ECOMMERCE)
                .setStatus(
                        random.nextDouble() < 0.03
                                ? TransactionStatus.DECLINED
                                : TransactionStatus.APPROVED)
                .setAmount(new Money(amountMinor, "EUR"))
                .setMerchant(new Merchant("m-" + mcc + "-" + home[0], name, mcc, home[0]))
                .setCardToken(card)
                .setCardPresent(present)
                .build();
    }

    private Transaction.Builder base(String account, long at) {
        String[] home = home(account);
        return Transaction.newBuilder()
                .setTransactionId(String.format("tx-%010d", ++sequence))
                .setAccountId(account)
                .setEventTime(Instant.ofEpochMilli(at))
                .setType(TransactionType.LOGIN)
                .setChannel(Channel.OTHER)
                .setStatus(TransactionStatus.APPROVED)
                .setDeviceId("dev-" + account)
                .setIpAddress("198.51.100." + (Math.abs(account.hashCode()) % 250 + 1))
                .setLocation(
                        new Location(
                                Double.parseDouble(home[1]), Double.parseDouble(home[2]), home[0]));
    }

    private String[] home(String account) {
        return CITIES[Math.floorMod(account.hashCode(), CITIES.length)];
    }

    private String randomAccount() {
        return String.format("acc-%06d", random.nextInt(accounts));
    }

    private long logNormalMinor(long medianMinor, double sigma) {
        return Math.max(1, Math.round(medianMinor * Math.exp(sigma * random.nextGaussian())));
    }
}

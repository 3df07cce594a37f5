package dev.argus.sandbox.traffic;

import static dev.argus.sandbox.traffic.Typology.*;

import dev.argus.model.Channel;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.sandbox.traffic.Catalog.Category;
import dev.argus.sandbox.traffic.Catalog.City;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Every variant of every typology: fraud as the pack's rules describe it, fraud that evades a rule
 * at the edge of its window or thresholds, and benign look-alikes, some of which a rule will still
 * flag (a customer who pays rent from abroad, buys a car from a new payee, sweeps a refund to
 * savings). Thresholds named in comments are the shipped pack's.
 */
final class Scenarios {
    private static final long S = 1_000;
    private static final long MIN = 60 * S;
    private static final long H = 60 * MIN;
    private static final long DAY = 24 * H;

    private Scenarios() {}

    /** What an account must be for a variant. */
    enum Needs {
        /** Any account with ordinary traffic. */
        ACTIVE,
        /** Five or more amounts seen, as {@code large-amount-new-device} requires. */
        HISTORY,
        /** A dormant account, silent for 181 days or more. */
        DORMANT_180,
        /** A dormant account silent for 150 to 179 days: just short of the rule's 180. */
        DORMANT_UNDER_180,
        SMALL_BUSINESS
    }

    interface Planner {
        void plan(Case c);
    }

    record Variant(
            Typology typology,
            boolean fraud,
            String name,
            double weight,
            Needs needs,
            Planner planner) {}

    /** A case being planned: its account, start time and events. */
    static final class Case {
        final Account a;
        final long t0;
        final SplittableRandom r;
        final int number;
        final List<Transaction> events = new ArrayList<>();

        /** Amounts set when the transaction is taken, from the account's figures then. */
        final Map<Transaction, ToLongFunction<Account>> amountWhenTaken = new IdentityHashMap<>();

        Supplier<String> description = () -> "";

        Case(Account a, long t0, SplittableRandom r, int number) {
            this.a = a;
            this.t0 = t0;
            this.r = r;
            this.number = number;
        }

        Transaction add(Transaction t) {
            events.add(t);
            return t;
        }

        long between(long from, long to) {
            return from + r.nextLong(to - from + 1);
        }

        int between(int from, int to) {
            return from + r.nextInt(to - from + 1);
        }

        String fraudDevice() {
            return "dev-x-" + number;
        }

        String fraudIp() {
            return "192.0.2." + (1 + number % 250);
        }

        /**
         * An approved payment by the owner with their first card, at merchant {@code n} of a
         * category near home.
         */
        Transaction ownerPays(long t, long amount, Category category, int n, boolean present) {
            return a.card(
                    t,
                    amount,
                    a.merchant(category, a.home, n),
                    present,
                    a.homeLocation,
                    a.cards.get(0),
                    TransactionStatus.APPROVED);
        }

        /** The owner enrols a new phone at the case's start and uses it from then on. */
        String newPhone() {
            String phone = a.newDevice();
            add(a.enrol(t0, phone));
            a.devices.add(phone);
            return phone;
        }

        /** The owner sends money from the app to one of their payees. */
        Transaction payKnownPayee(long t, long amount, String device) {
            return a.transfer(t, amount, a.pick(a.payees), Channel.MOBILE, device);
        }

        /** Money sent out by the fraudster, from their device, to the case's mule. */
        Transaction fraudTransfer(long t, long amount, Channel channel) {
            return fraudTransfer(t, amount, channel, "mule-" + number);
        }

        Transaction fraudTransfer(long t, long amount, Channel channel, String payee) {
            return byFraudster(a.transfer(t, amount, payee, channel, fraudDevice()));
        }

        /** A transaction of the fraudster: their device and address, at the victim's home. */
        Transaction byFraudster(Transaction t) {
            t.setDeviceId(fraudDevice());
            t.setIpAddress(fraudIp());
            return t;
        }

        Merchant onlineMerchant(Category c) {
            return a.merchant(
                    c, Catalog.HOMES.get(number % Catalog.HOMES.size()), 500 + r.nextInt(500));
        }

        void describe(String format, Object... args) {
            String text = String.format(Locale.ROOT, format, args);
            description = () -> text;
        }

        /** A description made when the case completes, from its events as they were taken. */
        void describeLater(Supplier<String> text) {
            description = text;
        }

        /**
         * Sets the transaction's amount when it is taken: {@code sigmas} standard deviations above
         * the account's mean amount at that moment (at least {@code floor}), as the job's profile
         * will have it. At planning, hours of the account's events are still to come.
         */
        void aboveMeanWhenTaken(Transaction t, double sigmas, long floor) {
            amountWhenTaken.put(
                    t,
                    acc ->
                            Math.max(
                                    floor,
                                    Math.round(acc.amountMean + sigmas * acc.amountStddev())));
        }
    }

    static String money(long minor) {
        return String.format(Locale.ROOT, "%,.2f EUR", minor / 100.0);
    }

    static final List<Variant> ALL = new ArrayList<>();

    private static void fraud(Typology t, String name, double weight, Needs needs, Planner p) {
        ALL.add(new Variant(t, true, name, weight, needs, p));
    }

    private static void lookAlike(Typology t, String name, double weight, Needs needs, Planner p) {
        ALL.add(new Variant(t, false, name, weight, needs, p));
    }

    static {
        cardTesting();
        cardBruteForce();
        highRiskMerchants();
        clonedCard();
        foreignLogin();
        accountTakeover();
        newDeviceCashOut();
        deviceTakeover();
        appScam();
        dormant();
        moneyMule();
        structuring();
        draining();
        rapidCardUse();
    }

    // ------------------------------------------------------------ cards

    /** card-testing: 3+ approved card payments of at most 5.00, then one of 500.00+, within 10m. */
    private static void cardTesting() {
        fraud(
                CARD_TESTING,
                "classic",
                6,
                Needs.ACTIVE,
                c -> probesThenLarge(c, c.between(3, 6), 4 * MIN, 9 * MIN));
        fraud(
                CARD_TESTING,
                "evasion-slow",
                2,
                Needs.ACTIVE,
                c -> probesThenLarge(c, 3, 10 * MIN + 30 * S, 14 * MIN));
        fraud(
                CARD_TESTING,
                "evasion-two-probes",
                2,
                Needs.ACTIVE,
                c -> probesThenLarge(c, 2, 3 * MIN, 8 * MIN));
        lookAlike(
                CARD_TESTING,
                "transit-then-purchase",
                1,
                Needs.ACTIVE,
                c -> {
                    long t = c.t0;
                    for (int i = 0; i < 2; i++) {
                        t += c.between(30 * S, 3 * MIN);
                        c.add(c.ownerPays(t, c.between(250L, 350L), Catalog.TRANSIT, 1, true));
                    }
                    long big = c.between(50_000L, 120_000L);
                    c.add(
                            c.ownerPays(
                                    t + c.between(2 * MIN, 6 * MIN),
                                    big,
                                    Catalog.DEPARTMENT,
                                    2,
                                    true));
                    c.describe("two transit fares, then %s at a department store", money(big));
                });
        lookAlike(
                CARD_TESTING,
                "app-store-then-purchase",
                1,
                Needs.ACTIVE,
                c -> {
                    long t = c.t0;
                    int n = c.between(3, 4);
                    for (int i = 0; i < n; i++) {
                        t += c.between(20 * S, 2 * MIN);
                        c.add(c.ownerPays(t, c.between(99L, 499L), Catalog.DIGITAL, 3, false));
                    }
                    long basket = c.between(4_000L, 25_000L);
                    c.add(
                            c.ownerPays(
                                    t + c.between(MIN, 5 * MIN), basket, Catalog.ONLINE, 4, false));
                    c.describe("%d in-app purchases under 5 EUR, then %s online", n, money(basket));
                });
    }

    private static void probesThenLarge(Case c, int probes, long largeFrom, long largeTo) {
        String card = c.a.pick(c.a.cards);
        long t = c.t0;
        long stepMax = Math.max(20 * S, (largeFrom - 60 * S) / probes);
        for (int i = 0; i < probes; i++) {
            t += c.between(10 * S, stepMax);
            c.add(
                    c.byFraudster(
                            c.a.card(
                                    t,
                                    c.between(50L, 499L),
                                    c.onlineMerchant(Catalog.DIGITAL),
                                    false,
                                    c.a.homeLocation,
                                    card,
                                    TransactionStatus.APPROVED)));
        }
        long large = c.between(50_000L, 250_000L);
        // the window runs from the first probe
        long at =
                Math.max(
                        t + 20 * S,
                        c.events.get(0).getEventTime().toEpochMilli()
                                + c.between(largeFrom, largeTo));
        c.add(
                c.byFraudster(
                        c.a.card(
                                at,
                                large,
                                c.onlineMerchant(Catalog.ELECTRONICS),
                                false,
                                c.a.homeLocation,
                                card,
                                TransactionStatus.APPROVED)));
        c.describe(
                "%d online payments under 5 EUR on card %s, then %s at an electronics shop %d min after the first",
                probes,
                card,
                money(large),
                (at - c.events.get(0).getEventTime().toEpochMilli()) / MIN);
    }

    /** declines-then-approval: 3+ declines on a card, then an approval on it, within 15m. */
    private static void cardBruteForce() {
        fraud(
                CARD_BRUTE_FORCE,
                "classic",
                6,
                Needs.ACTIVE,
                c -> declinesThenApproval(c, c.between(3, 6), 15 * S, 60 * S, MIN, 5 * MIN));
        fraud(
                CARD_BRUTE_FORCE,
                "evasion-slow",
                3,
                Needs.ACTIVE,
                c -> declinesThenApproval(c, 3, 5 * MIN, 6 * MIN, 6 * MIN, 9 * MIN));
        lookAlike(
                CARD_BRUTE_FORCE,
                "wrong-pin",
                1,
                Needs.ACTIVE,
                c -> {
                    int m = c.r.nextInt(c.a.usualMerchants.size());
                    Merchant shop = c.a.usualMerchants.get(m);
                    Location at = c.a.usualLocations.get(m);
                    long t = c.t0;
                    int n = c.between(1, 2);
                    long amount = c.a.amount(c.a.usualCategories.get(m));
                    for (int i = 0; i < n; i++) {
                        c.add(
                                c.a.card(
                                        t,
                                        amount,
                                        shop,
                                        true,
                                        at,
                                        c.a.cards.get(0),
                                        TransactionStatus.DECLINED));
                        t += c.between(20 * S, 60 * S);
                    }
                    c.add(
                            c.a.card(
                                    t,
                                    amount,
                                    shop,
                                    true,
                                    at,
                                    c.a.cards.get(0),
                                    TransactionStatus.APPROVED));
                    c.describe("%d declined PIN attempts at %s, then approved", n, shop.getName());
                });
        lookAlike(
                CARD_BRUTE_FORCE,
                "low-balance",
                1,
                Needs.ACTIVE,
                c -> {
                    long t = c.t0;
                    for (int i = 0; i < 3; i++) {
                        c.add(
                                c.a.card(
                                        t,
                                        c.a.amount(Catalog.GROCERY),
                                        c.a.merchant(Catalog.GROCERY, c.a.home, i),
                                        true,
                                        c.a.homeLocation,
                                        c.a.cards.get(0),
                                        TransactionStatus.DECLINED));
                        t += c.between(40 * MIN, 3 * H);
                    }
                    c.add(c.a.deposit(t, c.between(20_000L, 80_000L), "savings-" + c.a.id));
                    c.add(
                            c.ownerPays(
                                    t + c.between(10 * MIN, 2 * H),
                                    c.a.amount(Catalog.GROCERY),
                                    Catalog.GROCERY,
                                    0,
                                    true));
                    c.describe(
                            "three payments declined over the day for lack of funds, money moved in, then approved");
                });
    }

    private static void declinesThenApproval(
            Case c, int declines, long gapFrom, long gapTo, long approvalFrom, long approvalTo) {
        String card = c.a.pick(c.a.cards);
        Merchant shop = c.onlineMerchant(Catalog.ONLINE);
        long t = c.t0;
        for (int i = 0; i < declines; i++) {
            if (i > 0) {
                t += c.between(gapFrom, gapTo);
            }
            c.add(
                    c.byFraudster(
                            c.a.card(
                                    t,
                                    c.between(2_000L, 60_000L),
                                    shop,
                                    false,
                                    c.a.homeLocation,
                                    card,
                                    TransactionStatus.DECLINED)));
        }
        long approved = c.between(5_000L, 90_000L);
        long at = t + c.between(approvalFrom, approvalTo);
        c.add(
                c.byFraudster(
                        c.a.card(
                                at,
                                approved,
                                shop,
                                false,
                                c.a.homeLocation,
                                card,
                                TransactionStatus.APPROVED)));
        c.describe(
                "%d declined online attempts on card %s, then %s approved %d min after the first",
                declines, card, money(approved), (at - c.t0) / MIN);
    }

    /** high-risk-mcc-burst: 3 approved card payments at listed categories within 30m. */
    private static void highRiskMerchants() {
        List<Category> risky =
                List.of(
                        Catalog.GAMBLING,
                        Catalog.CRYPTO,
                        Catalog.MONEY_TRANSFER,
                        Catalog.STORED_VALUE);
        fraud(
                HIGH_RISK_MERCHANT_CASH_OUT,
                "classic",
                6,
                Needs.ACTIVE,
                c -> burst(c, risky, c.between(3, 5), 2 * MIN, 8 * MIN));
        fraud(
                HIGH_RISK_MERCHANT_CASH_OUT,
                "evasion-spread",
                2,
                Needs.ACTIVE,
                c -> burst(c, risky, 3, 16 * MIN, 20 * MIN));
        fraud(
                HIGH_RISK_MERCHANT_CASH_OUT,
                "evasion-unlisted-category",
                2,
                Needs.ACTIVE,
                c -> burst(c, List.of(Catalog.DIGITAL), c.between(3, 5), 2 * MIN, 6 * MIN));
        lookAlike(
                HIGH_RISK_MERCHANT_CASH_OUT,
                "evening-bets",
                1,
                Needs.ACTIVE,
                c -> {
                    long t = c.t0;
                    for (int i = 0; i < 2; i++) {
                        c.add(c.ownerPays(t, c.between(500L, 5_000L), Catalog.GAMBLING, 1, false));
                        t += c.between(30 * MIN, 90 * MIN);
                    }
                    c.describe("two small bets in an evening");
                });
        lookAlike(
                HIGH_RISK_MERCHANT_CASH_OUT,
                "crypto-savings",
                1,
                Needs.ACTIVE,
                c -> {
                    c.add(c.ownerPays(c.t0, c.between(5_000L, 50_000L), Catalog.CRYPTO, 2, false));
                    c.add(
                            c.ownerPays(
                                    c.t0 + c.between(40 * MIN, 4 * H),
                                    c.between(2_000L, 10_000L),
                                    Catalog.STORED_VALUE,
                                    3,
                                    false));
                    c.describe("a monthly crypto purchase and a prepaid card top-up");
                });
    }

    private static void burst(Case c, List<Category> categories, int n, long gapFrom, long gapTo) {
        String card = c.a.pick(c.a.cards);
        long t = c.t0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            long amount = c.between(10_000L, 90_000L);
            total += amount;
            c.add(
                    c.byFraudster(
                            c.a.card(
                                    t,
                                    amount,
                                    c.onlineMerchant(
                                            categories.get(c.r.nextInt(categories.size()))),
                                    false,
                                    c.a.homeLocation,
                                    card,
                                    TransactionStatus.APPROVED)));
            t += c.between(gapFrom, gapTo);
        }
        c.describe(
                "%d payments totalling %s at %s merchants within %d min",
                n,
                money(total),
                categories.size() == 1 ? categories.get(0).name() : "high-risk",
                (c.events.get(n - 1).getEventTime().toEpochMilli() - c.t0) / MIN);
    }

    /** impossible-travel: card-present payments 300+ km apart at more than 800 km/h, within 12h. */
    private static void clonedCard() {
        fraud(
                CLONED_CARD,
                "classic",
                7,
                Needs.ACTIVE,
                c -> {
                    Transaction first = homePayment(c);
                    City far = farFrom(c, c.a.home, 500);
                    double km = Catalog.distanceKm(c.a.home, far);
                    // faster than 800 km/h (at most 0.9 of the time at that speed), and within
                    // the rule's 12 hours
                    long after =
                            Math.min(
                                    11 * H,
                                    Math.max(
                                            10 * MIN,
                                            (long)
                                                    (km
                                                            / 800.0
                                                            * H
                                                            * (0.2 + 0.7 * c.r.nextDouble()))));
                    long amount = c.between(15_000L, 150_000L);
                    Category what = c.r.nextBoolean() ? Catalog.ELECTRONICS : Catalog.JEWELRY;
                    c.add(
                            c.a.card(
                                    first.getEventTime().toEpochMilli() + after,
                                    amount,
                                    c.a.merchant(what, far, c.r.nextInt(50)),
                                    true,
                                    c.a.near(far, 5),
                                    first.getCardToken(),
                                    TransactionStatus.APPROVED));
                    c.describe(
                            "card %s used in %s, then in person in %s (%,.0f km) %d min later for %s",
                            first.getCardToken(),
                            c.a.home.name(),
                            far.name(),
                            km,
                            after / MIN,
                            money(amount));
                });
        fraud(
                CLONED_CARD,
                "evasion-nearby",
                3,
                Needs.ACTIVE,
                c -> {
                    Transaction first = homePayment(c);
                    // well under the rule's 300 km, with room for the few km of a shop near home
                    double km = 150 + c.r.nextDouble() * 120;
                    double bearing = c.r.nextDouble() * 2 * Math.PI;
                    double lat = c.a.home.latitude() + km * Math.cos(bearing) / 111.0;
                    double lon =
                            c.a.home.longitude()
                                    + km
                                            * Math.sin(bearing)
                                            / (111.0
                                                    * Math.cos(
                                                            Math.toRadians(c.a.home.latitude())));
                    City nearby =
                            new City(
                                    "Elsewhere",
                                    c.a.home.country(),
                                    lat,
                                    lon,
                                    c.a.home.utcOffset());
                    long after = c.between(10 * MIN, 25 * MIN);
                    long amount = c.between(15_000L, 90_000L);
                    c.add(
                            c.a.card(
                                    first.getEventTime().toEpochMilli() + after,
                                    amount,
                                    c.a.merchant(Catalog.ELECTRONICS, nearby, 7),
                                    true,
                                    new Location(lat, lon, c.a.home.country()),
                                    first.getCardToken(),
                                    TransactionStatus.APPROVED));
                    c.describe(
                            "card %s used at home, then in person %.0f km away %d min later: under the rule's 300 km",
                            first.getCardToken(), km, after / MIN);
                });
        lookAlike(
                CLONED_CARD,
                "flight",
                1,
                Needs.ACTIVE,
                c -> travel(c, farFrom(c, c.a.home, 600), 750, "flies"));
        lookAlike(
                CLONED_CARD,
                "train",
                1,
                Needs.ACTIVE,
                c -> travel(c, farFrom(c, c.a.home, 310), 160, "takes the train"));
    }

    private static Transaction homePayment(Case c) {
        int m = c.r.nextInt(c.a.usualMerchants.size());
        return c.add(
                c.a.card(
                        c.t0,
                        c.a.amount(c.a.usualCategories.get(m)),
                        c.a.usualMerchants.get(m),
                        true,
                        c.a.usualLocations.get(m),
                        c.a.pick(c.a.cards),
                        TransactionStatus.APPROVED));
    }

    /** A city at least {@code km} from {@code from}. */
    private static City farFrom(Case c, City from, double km) {
        List<City> all = new ArrayList<>(Catalog.HOMES);
        all.addAll(Catalog.DESTINATIONS);
        all.removeIf(city -> Catalog.distanceKm(from, city) < km);
        if (km < 400) {
            // a train ride: the closest cities far enough
            all.removeIf(city -> Catalog.distanceKm(from, city) > 900);
        }
        if (all.isEmpty()) {
            all.add(Catalog.DESTINATIONS.get(2));
        }
        return all.get(c.r.nextInt(all.size()));
    }

    /** A real journey: paid at home, then in person at the destination after the trip's time. */
    private static void travel(Case c, City to, double kmh, String how) {
        Transaction first = homePayment(c);
        double km = Catalog.distanceKm(c.a.home, to);
        long journey = (long) ((km / kmh + 2.0) * H);
        long departs = first.getEventTime().toEpochMilli() + c.between(30 * MIN, 2 * H);
        long arrives = departs + journey;
        long away = c.between(2 * DAY, 5 * DAY);
        c.a.trip = new Account.Trip(to, departs, arrives, departs + away, departs + away + journey);
        long amount = c.a.amount(Catalog.HOTEL);
        c.add(
                c.a.card(
                        arrives + c.between(20 * MIN, 3 * H),
                        amount,
                        c.a.merchant(Catalog.HOTEL, to, 1),
                        true,
                        c.a.near(to, 4),
                        first.getCardToken(),
                        TransactionStatus.APPROVED));
        c.describe(
                "pays at home, %s to %s (%,.0f km), pays in person there %s",
                how, to.name(), km, money(amount));
    }

    // ------------------------------------------------------------ digital banking

    /**
     * new-country-login-transfer: a login from a new country, then a transfer of 500.00+ in 24h.
     */
    private static void foreignLogin() {
        fraud(
                FOREIGN_LOGIN_TAKEOVER,
                "classic",
                6,
                Needs.ACTIVE,
                c -> foreignTransfer(c, 50_000L, 500_000L, 5 * MIN, 20 * H));
        fraud(
                FOREIGN_LOGIN_TAKEOVER,
                "evasion-under-threshold",
                2,
                Needs.ACTIVE,
                c -> foreignTransfer(c, 40_000L, 49_900L, 5 * MIN, 3 * H));
        fraud(
                FOREIGN_LOGIN_TAKEOVER,
                "evasion-next-day",
                2,
                Needs.ACTIVE,
                c -> foreignTransfer(c, 50_000L, 300_000L, 24 * H + 30 * MIN, 30 * H));
        lookAlike(FOREIGN_LOGIN_TAKEOVER, "holiday", 2, Needs.ACTIVE, c -> holiday(c, false));
        lookAlike(
                FOREIGN_LOGIN_TAKEOVER,
                "holiday-pays-rent",
                1,
                Needs.ACTIVE,
                c -> holiday(c, true));
    }

    private static void foreignTransfer(
            Case c, long minAmount, long maxAmount, long afterFrom, long afterTo) {
        // a country the account has never been seen in: the rule's new_country
        List<City> fresh =
                Catalog.FRAUD_ORIGINS.stream()
                        .filter(o -> !c.a.countriesSeen.contains(o.country()))
                        .toList();
        City origin = c.a.pick(fresh.isEmpty() ? Catalog.FRAUD_ORIGINS : fresh);
        Location there = c.a.near(origin, 5);
        Transaction login = c.byFraudster(c.a.login(c.t0, c.fraudDevice()));
        login.setLocation(there);
        c.add(login);
        long amount = c.between(minAmount, maxAmount);
        long after = c.between(afterFrom, afterTo);
        Transaction out = c.fraudTransfer(c.t0 + after, amount, Channel.WEB);
        out.setCounterpartyCountry(origin.country());
        out.setLocation(there);
        c.add(out);
        c.describe(
                "login from %s (%s), new to the account, then %s sent out %d min later",
                origin.name(), origin.country(), money(amount), after / MIN);
    }

    private static void holiday(Case c, boolean paysRent) {
        City to = c.a.pick(Catalog.DESTINATIONS);
        long flight = Account.Trip.flightMillis(c.a.home, to);
        long departs = c.t0;
        long away = c.between(3 * DAY, 7 * DAY);
        c.a.trip =
                new Account.Trip(
                        to, departs, departs + flight, departs + away, departs + away + flight);
        long t = departs + flight + c.between(30 * MIN, 4 * H);
        String phone = c.a.devices.get(c.a.devices.size() - 1);
        Transaction login = c.a.login(t, phone);
        login.setLocation(c.a.near(to, 5));
        c.add(login);
        long amount = c.a.amount(Catalog.RESTAURANT);
        c.add(
                c.a.card(
                        t + c.between(MIN, 3 * H),
                        amount,
                        c.a.merchant(Catalog.RESTAURANT, to, 4),
                        true,
                        c.a.near(to, 4),
                        c.a.cards.get(0),
                        TransactionStatus.APPROVED));
        if (paysRent) {
            long rent = Math.max(c.a.rentMinor, 60_000);
            Transaction tr =
                    c.a.transfer(
                            t + c.between(20 * MIN, 8 * H),
                            rent,
                            c.a.rentPayee,
                            Channel.MOBILE,
                            phone);
            tr.setLocation(c.a.near(to, 5));
            c.add(tr);
            c.describe(
                    "on holiday in %s: signs in from there and pays the rent, %s",
                    to.name(), money(rent));
        } else {
            c.describe("on holiday in %s: signs in from there and pays for dinner", to.name());
        }
    }

    /**
     * account-takeover: a credential change or new device, then a 1,000.00+ transfer or new payee
     * in 30m.
     */
    private static void accountTakeover() {
        fraud(
                ACCOUNT_TAKEOVER,
                "credential-change-then-transfer",
                4,
                Needs.ACTIVE,
                c -> credentialsThenMoney(c, 600_000L, 2 * MIN, 25 * MIN, ""));
        fraud(
                ACCOUNT_TAKEOVER,
                "device-then-payee",
                3,
                Needs.ACTIVE,
                c -> {
                    c.add(c.byFraudster(c.a.enrol(c.t0, c.fraudDevice())));
                    long payeeAt = c.t0 + c.between(MIN, 20 * MIN);
                    c.add(
                            c.byFraudster(
                                    c.a.newPayee(payeeAt, "mule-" + c.number, c.fraudDevice())));
                    long amount = c.between(80_000L, 300_000L);
                    c.add(
                            c.fraudTransfer(
                                    payeeAt + c.between(MIN, 10 * MIN), amount, Channel.MOBILE));
                    c.describe(
                            "a fraudster's phone enrolled, a payee added, %s paid to it",
                            money(amount));
                });
        fraud(
                ACCOUNT_TAKEOVER,
                "evasion-waits",
                3,
                Needs.ACTIVE,
                c ->
                        credentialsThenMoney(
                                c, 400_000L, 35 * MIN, 90 * MIN, ": past the rule's 30 min"));
        lookAlike(
                ACCOUNT_TAKEOVER,
                "password-reset",
                1,
                Needs.ACTIVE,
                c -> {
                    String dev = c.a.device();
                    c.add(c.a.credentialChange(c.t0, dev));
                    c.add(c.a.login(c.t0 + c.between(MIN, 5 * MIN), dev));
                    long amount = c.between(2_000L, 90_000L);
                    c.add(c.payKnownPayee(c.t0 + c.between(6 * MIN, 25 * MIN), amount, dev));
                    c.describe(
                            "the owner resets the password and pays a known payee %s",
                            money(amount));
                });
        lookAlike(
                ACCOUNT_TAKEOVER,
                "new-phone",
                1,
                Needs.ACTIVE,
                c -> {
                    String phone = c.newPhone();
                    c.add(c.a.login(c.t0 + c.between(MIN, 10 * MIN), phone));
                    long amount = c.between(2_000L, 30_000L);
                    c.add(c.payKnownPayee(c.t0 + c.between(11 * MIN, 28 * MIN), amount, phone));
                    c.describe(
                            "the owner sets up a new phone and pays a known payee %s",
                            money(amount));
                });
    }

    private static void credentialsThenMoney(
            Case c, long maxAmount, long afterFrom, long afterTo, String note) {
        c.add(c.byFraudster(c.a.credentialChange(c.t0, c.fraudDevice())));
        long amount = c.between(100_000L, maxAmount);
        long after = c.between(afterFrom, afterTo);
        c.add(c.fraudTransfer(c.t0 + after, amount, Channel.WEB));
        c.describe(
                "password changed from an unknown device, %s sent out %d min later%s",
                money(amount), after / MIN, note);
    }

    /**
     * The fraudster's device sends {@code sigmas} standard deviations above the account's mean (at
     * least {@code floor}). The transfer is the device's first event: a login before it would make
     * it known.
     */
    private static void newDeviceSends(Case c, double sigmas, long floor, String note) {
        Transaction t = c.add(c.fraudTransfer(c.t0, floor, Channel.WEB));
        c.aboveMeanWhenTaken(t, sigmas, floor);
        c.describeLater(
                () ->
                        String.format(
                                Locale.ROOT,
                                "a device never seen sends %s, %.1f standard deviations above the"
                                        + " account's mean%s",
                                money(t.getAmount().getAmountMinor()),
                                sigmas,
                                note));
    }

    /**
     * large-amount-new-device: an approved payment 4+ standard deviations above the mean, new
     * device.
     */
    private static void newDeviceCashOut() {
        fraud(
                NEW_DEVICE_CASH_OUT,
                "classic",
                7,
                Needs.HISTORY,
                c -> newDeviceSends(c, 6 + 9 * c.r.nextDouble(), 100_000L, ""));
        fraud(
                NEW_DEVICE_CASH_OUT,
                "evasion-moderate",
                3,
                Needs.HISTORY,
                c -> newDeviceSends(c, 2 + 1.3 * c.r.nextDouble(), 100L, ": under the rule's 4"));
        lookAlike(
                NEW_DEVICE_CASH_OUT,
                "big-purchase-familiar-merchant",
                1,
                Needs.HISTORY,
                c -> {
                    int m = c.r.nextInt(c.a.usualMerchants.size());
                    double sigmas = 6 + 6 * c.r.nextDouble();
                    Transaction t =
                            c.add(
                                    c.a.card(
                                            c.t0,
                                            50_000L,
                                            c.a.usualMerchants.get(m),
                                            true,
                                            c.a.usualLocations.get(m),
                                            c.a.cards.get(0),
                                            TransactionStatus.APPROVED));
                    c.aboveMeanWhenTaken(t, sigmas, 50_000L);
                    String shop = c.a.usualMerchants.get(m).getName();
                    c.describeLater(
                            () ->
                                    String.format(
                                            Locale.ROOT,
                                            "%s in person at %s, a shop the account uses",
                                            money(t.getAmount().getAmountMinor()),
                                            shop));
                });
        lookAlike(
                NEW_DEVICE_CASH_OUT,
                "new-phone-usual-amount",
                1,
                Needs.HISTORY,
                c -> {
                    String phone = c.newPhone();
                    long amount = Math.max(100L, (long) c.a.amountMean);
                    c.add(c.payKnownPayee(c.t0 + c.between(2 * MIN, 3 * H), amount, phone));
                    c.describe("a new phone pays a usual amount, %s", money(amount));
                });
    }

    /**
     * new-device-owner-silent (shadow): a new device sends 500.00+ and no other device signs in for
     * 24h.
     */
    private static void deviceTakeover() {
        fraud(DEVICE_TAKEOVER, "classic", 7, Needs.ACTIVE, c -> silentOwner(c, 50_000L, 400_000L));
        fraud(
                DEVICE_TAKEOVER,
                "evasion-small",
                3,
                Needs.ACTIVE,
                c -> silentOwner(c, 20_000L, 49_900L));
        lookAlike(
                DEVICE_TAKEOVER,
                "phone-upgrade",
                2,
                Needs.ACTIVE,
                c -> {
                    String old = c.a.devices.get(0);
                    String phone = c.newPhone();
                    long amount = c.between(50_000L, 200_000L);
                    c.add(c.payKnownPayee(c.t0 + c.between(10 * MIN, 3 * H), amount, phone));
                    c.add(c.a.login(c.t0 + c.between(4 * H, 20 * H), old));
                    c.describe(
                            "a new phone pays %s; the owner's older device signs in later that day",
                            money(amount));
                });
        lookAlike(
                DEVICE_TAKEOVER,
                "lost-phone-replaced",
                1,
                Needs.ACTIVE,
                c -> {
                    String phone = c.a.newDevice();
                    c.add(c.a.enrol(c.t0, phone));
                    c.a.devices.clear();
                    c.a.devices.add(phone);
                    long amount = c.between(50_000L, 150_000L);
                    c.add(c.payKnownPayee(c.t0 + c.between(30 * MIN, 6 * H), amount, phone));
                    c.describe(
                            "the owner's only phone was lost; the new one pays %s and no other device is left",
                            money(amount));
                });
    }

    private static void silentOwner(Case c, long minAmount, long maxAmount) {
        c.add(c.byFraudster(c.a.enrol(c.t0, c.fraudDevice())));
        long amount = c.between(minAmount, maxAmount);
        c.add(c.fraudTransfer(c.t0 + c.between(5 * MIN, 2 * H), amount, Channel.MOBILE));
        c.a.muteLoginsUntil = c.t0 + 25 * H;
        c.describe(
                "a fraudster's phone is enrolled and sends %s; the owner does not sign in for a day",
                money(amount));
    }

    /**
     * new-payee-large-transfer: a transfer of 2,000.00+ to a payee added less than an hour before.
     */
    private static void appScam() {
        fraud(
                APP_SCAM,
                "classic",
                6,
                Needs.ACTIVE,
                c -> {
                    String dev = c.a.device();
                    String scammer = "scam-" + c.number;
                    c.add(c.a.login(c.t0, dev));
                    c.add(c.a.newPayee(c.t0 + c.between(MIN, 4 * MIN), scammer, dev));
                    long amount = c.between(200_000L, 1_500_000L);
                    long after = c.between(5 * MIN, 50 * MIN);
                    c.add(c.a.transfer(c.t0 + after, amount, scammer, Channel.MOBILE, dev));
                    c.describe(
                            "the customer, on the phone with a scammer, adds a payee and sends %s",
                            money(amount));
                });
        fraud(
                APP_SCAM,
                "evasion-split",
                2,
                Needs.ACTIVE,
                c -> {
                    String dev = c.a.device();
                    String scammer = "scam-" + c.number;
                    c.add(c.a.newPayee(c.t0, scammer, dev));
                    int n = c.between(2, 3);
                    long t = c.t0;
                    long total = 0;
                    for (int i = 0; i < n; i++) {
                        t += c.between(3 * MIN, 15 * MIN);
                        long amount = c.between(150_000L, 199_000L);
                        total += amount;
                        c.add(c.a.transfer(t, amount, scammer, Channel.MOBILE, dev));
                    }
                    c.describe(
                            "a new payee receives %s in %d transfers under 2,000 EUR each",
                            money(total), n);
                });
        fraud(
                APP_SCAM,
                "evasion-waits",
                2,
                Needs.ACTIVE,
                c -> {
                    long[] paid =
                            payNewPayee(
                                    c,
                                    "scam-" + c.number,
                                    200_000L,
                                    800_000L,
                                    65 * MIN,
                                    20 * H,
                                    Channel.MOBILE);
                    c.describe(
                            "a new payee receives %s %d min after it was added: past the rule's hour",
                            money(paid[0]), paid[1] / MIN);
                });
        lookAlike(
                APP_SCAM,
                "new-landlord",
                2,
                Needs.ACTIVE,
                c -> {
                    String landlord = c.a.payee();
                    long[] paid =
                            payNewPayee(
                                    c, landlord, 50_000L, 190_000L, 5 * MIN, 50 * MIN, Channel.WEB);
                    c.a.payees.add(landlord);
                    c.describe("a new landlord added and paid the deposit, %s", money(paid[0]));
                });
        lookAlike(
                APP_SCAM,
                "car-purchase",
                1,
                Needs.ACTIVE,
                c -> {
                    long[] paid =
                            payNewPayee(
                                    c,
                                    "dealer-" + c.number,
                                    500_000L,
                                    2_500_000L,
                                    10 * MIN,
                                    50 * MIN,
                                    Channel.WEB);
                    c.describe("a car dealer added as payee and paid %s at once", money(paid[0]));
                });
    }

    /** The owner adds a payee and pays it; returns the amount and how long after. */
    private static long[] payNewPayee(
            Case c,
            String payee,
            long min,
            long max,
            long afterFrom,
            long afterTo,
            Channel channel) {
        String dev = c.a.device();
        c.add(c.a.newPayee(c.t0, payee, dev));
        long amount = c.between(min, max);
        long after = c.between(afterFrom, afterTo);
        c.add(c.a.transfer(c.t0 + after, amount, payee, channel, dev));
        return new long[] {amount, after};
    }

    // ------------------------------------------------------------ money laundering

    /** dormant-reactivation: a withdrawal or transfer of 1,000.00+ after 180+ days of silence. */
    private static void dormant() {
        fraud(
                DORMANT_ACCOUNT,
                "classic",
                6,
                Needs.DORMANT_180,
                c -> reactivation(c, 100_000L, 900_000L, false));
        fraud(
                DORMANT_ACCOUNT,
                "evasion-below-threshold",
                1,
                Needs.DORMANT_180,
                c -> reactivation(c, 60_000L, 99_000L, false));
        fraud(
                DORMANT_ACCOUNT,
                "evasion-warm-up",
                1,
                Needs.DORMANT_180,
                c -> reactivation(c, 100_000L, 500_000L, true));
        fraud(
                DORMANT_ACCOUNT,
                "evasion-signs-in-first",
                1,
                Needs.DORMANT_180,
                c -> {
                    long days = silentDays(c);
                    c.add(c.byFraudster(c.a.login(c.t0, c.fraudDevice())));
                    long amount = c.between(100_000L, 500_000L);
                    c.add(
                            c.fraudTransfer(
                                    c.t0 + c.between(2 * MIN, 20 * MIN), amount, Channel.WEB));
                    c.describe(
                            "silent for %d days, the account signs in and sends %s minutes later: the login ends the dormancy the rule measures",
                            days, money(amount));
                });
        fraud(
                DORMANT_ACCOUNT,
                "evasion-under-180-days",
                1,
                Needs.DORMANT_UNDER_180,
                c -> reactivation(c, 100_000L, 500_000L, false));
        lookAlike(
                DORMANT_ACCOUNT,
                "returning-customer",
                2,
                Needs.DORMANT_180,
                c -> {
                    long amount = c.between(20_000L, 500_000L);
                    c.add(
                            c.a.deposit(
                                    c.t0,
                                    amount,
                                    "employer-" + c.a.home.country() + "-" + c.number));
                    long t = c.t0;
                    int payments = c.between(1, 3);
                    for (int i = 0; i < payments; i++) {
                        t += c.between(30 * MIN, 6 * H);
                        c.add(
                                c.ownerPays(
                                        t, c.a.amount(Catalog.GROCERY), Catalog.GROCERY, i, true));
                    }
                    c.describe(
                            "back after %d days: a salary of %s comes in, then groceries",
                            silentDays(c), money(amount));
                });
    }

    private static long silentDays(Case c) {
        return (c.t0 - c.a.lastEventMillis) / DAY;
    }

    private static void reactivation(Case c, long minAmount, long maxAmount, boolean warmUp) {
        long days = silentDays(c);
        long t = c.t0;
        if (warmUp) {
            c.add(
                    c.byFraudster(
                            c.a.card(
                                    t,
                                    c.between(300L, 3_000L),
                                    c.onlineMerchant(Catalog.ONLINE),
                                    false,
                                    c.a.homeLocation,
                                    c.a.cards.get(0),
                                    TransactionStatus.APPROVED)));
            t += c.between(20 * H, 30 * H);
        }
        long amount = c.between(minAmount, maxAmount);
        if (c.r.nextBoolean()) {
            c.add(c.fraudTransfer(t, amount, Channel.WEB));
        } else {
            amount = Account.roundTo(amount, 1_000); // cash comes in notes
            c.add(c.a.withdrawal(t, amount));
        }
        c.describe(
                "silent for %d days, the account %smoves %s",
                days, warmUp ? "makes a small payment, and a day later " : "", money(amount));
    }

    /** mule-pass-through: a deposit of 1,000.00+, then 80%+ of it out within 1h. */
    private static void moneyMule() {
        fraud(
                MONEY_MULE,
                "classic",
                6,
                Needs.ACTIVE,
                c -> passThrough(c, 0.85, 0.99, 3 * MIN, 12 * MIN, 3 * MIN, 12 * MIN));
        fraud(
                MONEY_MULE,
                "evasion-slow",
                2,
                Needs.ACTIVE,
                c -> passThrough(c, 0.85, 0.99, 62 * MIN, 90 * MIN, 5 * MIN, 20 * MIN));
        fraud(
                MONEY_MULE,
                "evasion-keeps-a-quarter",
                2,
                Needs.ACTIVE,
                c -> passThrough(c, 0.62, 0.77, 3 * MIN, 12 * MIN, 3 * MIN, 12 * MIN));
        lookAlike(
                MONEY_MULE,
                "payday",
                2,
                Needs.ACTIVE,
                c -> {
                    long pay = Math.max(c.a.incomeMinor, 150_000L);
                    c.add(
                            c.a.deposit(
                                    c.t0,
                                    pay,
                                    c.a.incomeFrom == null
                                            ? "customer-" + c.number
                                            : c.a.incomeFrom));
                    long rent = Math.min(c.a.rentMinor, pay * 45 / 100);
                    String dev = c.a.device();
                    c.add(
                            c.a.transfer(
                                    c.t0 + c.between(5 * MIN, 30 * MIN),
                                    rent,
                                    c.a.rentPayee,
                                    Channel.WEB,
                                    dev));
                    long bills = pay * c.between(5, 15) / 100;
                    c.add(
                            c.a.transfer(
                                    c.t0 + c.between(31 * MIN, 55 * MIN),
                                    bills,
                                    c.a.pick(c.a.payees),
                                    Channel.WEB,
                                    dev));
                    c.describe(
                            "pay day: %s in, rent and bills of %s out within the hour",
                            money(pay), money(rent + bills));
                });
        lookAlike(
                MONEY_MULE,
                "savings-sweep",
                1,
                Needs.ACTIVE,
                c -> {
                    long refund = c.between(100_000L, 400_000L);
                    c.add(c.a.deposit(c.t0, refund, "tax-office-" + c.a.home.country()));
                    long saved = refund * c.between(90, 100) / 100;
                    c.add(
                            c.a.transfer(
                                    c.t0 + c.between(10 * MIN, 50 * MIN),
                                    saved,
                                    "savings-" + c.a.id,
                                    Channel.MOBILE,
                                    c.a.device()));
                    c.describe(
                            "a tax refund of %s moved to the owner's savings account at once",
                            money(refund));
                });
    }

    private static void passThrough(
            Case c,
            double minShare,
            double maxShare,
            long firstFrom,
            long firstTo,
            long gapFrom,
            long gapTo) {
        long in = c.between(100_000L, 900_000L);
        c.add(c.a.deposit(c.t0, in, "victim-" + c.number));
        long out = Math.round(in * (minShare + (maxShare - minShare) * c.r.nextDouble()));
        int pieces = c.between(1, 4);
        long t = c.t0;
        long left = out;
        for (int i = 0; i < pieces; i++) {
            long piece =
                    i == pieces - 1
                            ? left
                            : left / (pieces - i)
                                    + c.between(
                                            -left / 10 / (pieces - i), left / 10 / (pieces - i));
            left -= piece;
            t += i == 0 ? c.between(firstFrom, firstTo) : c.between(gapFrom, gapTo);
            c.add(
                    c.r.nextDouble() < 0.7
                            ? c.fraudTransfer(t, piece, Channel.WEB, "mule-" + c.number + "-" + i)
                            : c.a.withdrawal(t, piece));
        }
        c.describe(
                "%s comes in; %s (%.0f%%) leaves in %d pieces, the last %d min after it came",
                money(in), money(out), 100.0 * out / in, pieces, (t - c.t0) / MIN);
    }

    /** structuring: three deposits, transfers or withdrawals of 9,000.00 to 9,999.99 within 24h. */
    private static void structuring() {
        fraud(
                STRUCTURING,
                "classic",
                6,
                Needs.ACTIVE,
                c -> deposits(c, c.between(3, 4), 900_000L, 999_999L, H, 7 * H));
        fraud(
                STRUCTURING,
                "evasion-spread",
                2,
                Needs.ACTIVE,
                c -> deposits(c, 3, 900_000L, 999_999L, 13 * H, 18 * H));
        fraud(
                STRUCTURING,
                "evasion-lower-band",
                2,
                Needs.ACTIVE,
                c -> deposits(c, c.between(3, 4), 800_000L, 899_000L, H, 7 * H));
        lookAlike(
                STRUCTURING,
                "business-takings",
                2,
                Needs.SMALL_BUSINESS,
                c -> {
                    deposits(c, 2, 900_000L, 999_999L, 3 * H, 9 * H);
                    c.describe("a shop banks two days' takings just under 10,000 EUR each");
                });
        lookAlike(
                STRUCTURING,
                "car-sale",
                1,
                Needs.ACTIVE,
                c -> {
                    long amount = c.between(900_000L, 999_999L);
                    c.add(c.a.deposit(c.t0, amount, "buyer-" + c.number));
                    c.describe("the owner sells a car for %s", money(amount));
                });
    }

    private static void deposits(Case c, int n, long min, long max, long gapFrom, long gapTo) {
        long t = c.t0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            // whole euros of cash, never above the band
            long amount = Math.min(max, Account.roundTo(c.between(min, max), 100));
            total += amount;
            Transaction d = c.a.deposit(t, amount, "cash");
            d.setChannel(i % 2 == 0 ? Channel.BRANCH : Channel.ATM);
            c.add(d);
            t += c.between(gapFrom, gapTo);
        }
        c.describe(
                "%d cash deposits between %s and %s, %s in all, within %d hours",
                n,
                money(min),
                money(max),
                money(total),
                (c.events.get(n - 1).getEventTime().toEpochMilli() - c.t0) / H);
    }

    // ------------------------------------------------------------ velocity

    /** amount-velocity: outgoing payments adding up to 5,000.00+ within 1h, over 2+ events. */
    private static void draining() {
        fraud(
                ACCOUNT_DRAINING,
                "classic",
                6,
                Needs.ACTIVE,
                c -> drain(c, c.between(2, 5), 550_000L, 1_500_000L, 3 * MIN, 12 * MIN));
        fraud(
                ACCOUNT_DRAINING,
                "evasion-spread",
                3,
                Needs.ACTIVE,
                c -> {
                    long t = c.t0;
                    long total = 0;
                    for (int i = 0; i < 3; i++) {
                        long amount = c.between(170_000L, 240_000L);
                        total += amount;
                        c.add(
                                c.fraudTransfer(
                                        t, amount, Channel.WEB, "mule-" + c.number + "-" + i));
                        t += c.between(62 * MIN, 75 * MIN);
                    }
                    c.describe("%s sent out in 3 transfers about an hour apart", money(total));
                });
        lookAlike(
                ACCOUNT_DRAINING,
                "furniture-shopping",
                2,
                Needs.ACTIVE,
                c -> shopping(c, 150_000L, 480_000L));
        lookAlike(
                ACCOUNT_DRAINING,
                "home-renovation",
                1,
                Needs.ACTIVE,
                c -> shopping(c, 520_000L, 900_000L));
    }

    private static void drain(Case c, int n, long min, long max, long gapFrom, long gapTo) {
        long total = c.between(min, max);
        long t = c.t0;
        long left = total;
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                t += c.between(gapFrom, gapTo);
            }
            long piece = i == n - 1 ? left : left / (n - i);
            if (i == 0 && n > 2 && c.r.nextBoolean()) {
                piece = Account.roundTo(Math.min(piece, 100_000L), 1_000);
                c.add(c.a.withdrawal(t, piece));
            } else {
                c.add(c.fraudTransfer(t, piece, Channel.WEB, "mule-" + c.number + "-" + i));
            }
            left -= piece;
        }
        c.describe(
                "the account is emptied: %s out in %d payments within %d min",
                money(total), n, (t - c.t0) / MIN);
    }

    private static void shopping(Case c, long min, long max) {
        long total = c.between(min, max);
        int n = c.between(2, 3);
        long t = c.t0;
        for (int i = 0; i < n; i++) {
            Category what =
                    i == 0 ? Catalog.FURNITURE : (i == 1 ? Catalog.ELECTRONICS : Catalog.HOME);
            c.add(
                    c.a.card(
                            t,
                            total / n,
                            c.a.merchant(what, c.a.home, 9 + i),
                            true,
                            c.a.near(c.a.home, 6),
                            c.a.cards.get(0),
                            TransactionStatus.APPROVED));
            t += c.between(10 * MIN, 25 * MIN);
        }
        c.describe("a shopping trip for the home: %d purchases, %s in all", n, money(total));
    }

    /** count-velocity: 10 approved card payments within 10m. */
    private static void rapidCardUse() {
        fraud(
                RAPID_CARD_USE,
                "classic",
                6,
                Needs.ACTIVE,
                c -> rapid(c, c.between(10, 14), 3 * MIN, 9 * MIN));
        fraud(RAPID_CARD_USE, "evasion-nine", 2, Needs.ACTIVE, c -> rapid(c, 9, 4 * MIN, 9 * MIN));
        fraud(
                RAPID_CARD_USE,
                "evasion-slow",
                2,
                Needs.ACTIVE,
                c -> rapid(c, 12, 15 * MIN, 18 * MIN));
        lookAlike(
                RAPID_CARD_USE,
                "market-day",
                1,
                Needs.ACTIVE,
                c -> {
                    int n = c.between(5, 8);
                    long t = c.t0;
                    for (int i = 0; i < n; i++) {
                        c.add(
                                c.a.card(
                                        t,
                                        c.between(200L, 2_500L),
                                        c.a.merchant(Catalog.FAST_FOOD, c.a.home, 20 + i),
                                        true,
                                        c.a.near(c.a.home, 1),
                                        c.a.cards.get(0),
                                        TransactionStatus.APPROVED));
                        t += c.between(30 * S, 90 * S);
                    }
                    c.describe(
                            "%d small payments at market stalls within %d min",
                            n, (t - c.t0) / MIN);
                });
        lookAlike(
                RAPID_CARD_USE,
                "online-basket",
                1,
                Needs.ACTIVE,
                c -> {
                    int n = c.between(4, 6);
                    long t = c.t0;
                    for (int i = 0; i < n; i++) {
                        c.add(
                                c.ownerPays(
                                        t,
                                        c.between(1_000L, 8_000L),
                                        Catalog.ONLINE,
                                        30 + i,
                                        false));
                        t += c.between(MIN, 2 * MIN);
                    }
                    c.describe(
                            "%d online orders from different shops within %d min",
                            n, (t - c.t0) / MIN);
                });
    }

    private static void rapid(Case c, int n, long spanFrom, long spanTo) {
        long span = c.between(spanFrom, spanTo);
        String card = c.a.pick(c.a.cards);
        long total = 0;
        for (int i = 0; i < n; i++) {
            long amount = c.between(2_000L, 15_000L);
            total += amount;
            long t = c.t0 + span * i / (n - 1);
            c.add(
                    c.byFraudster(
                            c.a.card(
                                    t,
                                    amount,
                                    c.onlineMerchant(
                                            i % 2 == 0 ? Catalog.ONLINE : Catalog.ELECTRONICS),
                                    false,
                                    c.a.homeLocation,
                                    card,
                                    TransactionStatus.APPROVED)));
        }
        c.describe("%d card payments totalling %s within %d min", n, money(total), span / MIN);
    }
}

package dev.argus.sandbox.traffic;

import dev.argus.model.Channel;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Money;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.sandbox.traffic.Catalog.Category;
import dev.argus.sandbox.traffic.Catalog.City;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One customer account of the traffic: who it is (kind, home, cards, devices, usual merchants and
 * payees, monthly income and bills), what it does on an ordinary day, and what the job's profile
 * will have seen of it so far. Its ordinary traffic comes from a random generator of its own, so
 * that it does not depend on other accounts.
 */
final class Account {
    static final String CURRENCY = "EUR";

    final int index;
    final String id;
    final AccountKind kind;
    final City home;
    final Location homeLocation;
    final SplittableRandom random;
    final List<String> cards = new ArrayList<>();
    final List<String> devices = new ArrayList<>();
    final String ip;
    final List<Merchant> usualMerchants = new ArrayList<>();
    final List<Category> usualCategories = new ArrayList<>();
    final List<Location> usualLocations = new ArrayList<>();
    final List<String> payees = new ArrayList<>();

    /** The account's activity relative to its kind's: people differ (log-normal, median 1). */
    final double activity;

    final String incomeFrom;
    final int incomeDay;
    final long incomeMinor;
    final String rentPayee;
    final int rentDay;
    final long rentMinor;

    // what the job's profile has seen, updated as events are emitted
    long events;
    long amounts;
    double amountMean;
    private double amountM2;
    final Set<String> countriesSeen = new HashSet<>();
    long lastEventMillis = Long.MIN_VALUE;

    // the cases and trips in progress
    long reservedUntil = Long.MIN_VALUE;
    long muteLoginsUntil = Long.MIN_VALUE;
    Trip trip;
    int newPayees;
    int newDevices;

    /** A trip abroad: away from {@code departs} to {@code returnArrives}. */
    record Trip(City to, long departs, long arrives, long returnDeparts, long returnArrives) {
        static long flightMillis(City from, City to) {
            // 750 km/h in the air and 2.5 hours from door to gate and gate to door
            return (long) ((Catalog.distanceKm(from, to) / 750.0 + 2.5) * 3_600_000L);
        }
    }

    Account(int index, AccountKind kind, SplittableRandom random) {
        this.index = index;
        this.id = idOf(index);
        this.kind = kind;
        this.random = random;
        this.home = pick(Catalog.HOMES);
        this.homeLocation = near(home, 8);
        this.activity = Math.exp(0.45 * gaussian());
        int cardCount = kind == AccountKind.SMALL_BUSINESS ? 2 + random.nextInt(2) : 1;
        cardCount += random.nextDouble() < 0.3 ? 1 : 0;
        for (int i = 0; i < cardCount; i++) {
            cards.add("card-" + id + "-" + i);
        }
        int deviceCount = 1 + (random.nextDouble() < 0.45 ? 1 : 0);
        for (int i = 0; i < deviceCount; i++) {
            devices.add("dev-" + id + "-" + i);
        }
        newDevices = deviceCount;
        this.ip = "198.51.100." + (1 + random.nextInt(250));
        List<Category> spend =
                kind == AccountKind.SMALL_BUSINESS
                        ? Catalog.BUSINESS_SPEND
                        : Catalog.CONSUMER_SPEND;
        int merchantCount = 8 + random.nextInt(10);
        for (int i = 0; i < merchantCount; i++) {
            Category c = pick(spend);
            int n = random.nextInt(40);
            usualMerchants.add(merchant(c, home, n));
            usualCategories.add(c);
            usualLocations.add(near(home, 6));
        }
        int payeeCount = 2 + random.nextInt(kind == AccountKind.SMALL_BUSINESS ? 12 : 5);
        for (int i = 0; i < payeeCount; i++) {
            payees.add(payee());
        }
        newPayees = payeeCount;
        switch (kind) {
            case STUDENT -> {
                incomeFrom = "family-" + id;
                incomeMinor = roundTo(40_000 + random.nextInt(60_000), 5_000);
            }
            case RETIREE -> {
                incomeFrom = "pension-fund-" + home.country();
                incomeMinor = 90_000 + random.nextInt(130_000);
            }
            case SMALL_BUSINESS -> {
                incomeFrom = null;
                incomeMinor = 0;
            }
            default -> {
                incomeFrom = "employer-" + home.country() + "-" + random.nextInt(400);
                incomeMinor =
                        Math.round(
                                (180_000 + random.nextInt(270_000)) * Math.sqrt(kind.amountScale));
            }
        }
        incomeDay = kind == AccountKind.RETIREE ? 1 : 25 + random.nextInt(4);
        rentPayee = "landlord-" + id;
        rentDay = 1 + random.nextInt(3);
        rentMinor =
                kind == AccountKind.SMALL_BUSINESS
                        ? 150_000 + random.nextInt(250_000)
                        : Math.round((45_000 + random.nextInt(100_000)) * kind.amountScale);
    }

    static String idOf(int index) {
        return String.format("acc-%06d", index);
    }

    /** The index of an account id made by {@link #idOf}. */
    static int indexOf(String id) {
        return Integer.parseInt(id, id.indexOf('-') + 1, id.length(), 10);
    }

    // ----------------------------------------------------------------- an ordinary day

    /**
     * The account's ordinary events of the day that starts at {@code dayStart} (UTC midnight), in
     * no particular order. {@code weekday} is 0 for Monday.
     */
    void ordinaryDay(long dayStart, int weekday, int dayOfMonth, Consumer<Transaction> out) {
        if (kind == AccountKind.DORMANT) {
            return;
        }
        // a trip first: the day's events are placed where the account is
        if (kind == AccountKind.TRAVELLER || kind == AccountKind.HIGH_SPENDER) {
            maybeTrip(dayStart, kind == AccountKind.TRAVELLER ? 0.05 : 0.015);
        } else if (kind != AccountKind.SMALL_BUSINESS) {
            maybeTrip(dayStart, 0.004);
        }
        double w = kind.rhythm.weekday[weekday] * activity;
        long localStart = dayStart - home.utcOffset() * 3_600_000L;
        int cards = poisson(kind.cardPerDay * w);
        for (int i = 0; i < cards; i++) {
            long t = localStart + kind.rhythm.timeOfDay(random);
            emit(out, cardPayment(t));
        }
        int transfers = poisson(kind.transfersPerDay * w);
        for (int i = 0; i < transfers; i++) {
            long t = localStart + kind.rhythm.timeOfDay(random);
            transferSession(t, out);
        }
        int withdrawals = poisson(kind.withdrawalsPerDay * w);
        for (int i = 0; i < withdrawals; i++) {
            long t = localStart + kind.rhythm.timeOfDay(random);
            emit(out, withdrawal(t, roundTo(logNormal(10_000 * kind.amountScale, 0.6), 1_000)));
        }
        int logins = poisson(kind.loginsPerDay * w);
        for (int i = 0; i < logins; i++) {
            long t = localStart + kind.rhythm.timeOfDay(random);
            emit(out, login(t, device()));
        }
        int deposits = poisson(kind.depositsPerDay * w);
        for (int i = 0; i < deposits; i++) {
            long t = localStart + kind.rhythm.timeOfDay(random);
            emit(out, deposit(t, logNormal(40_000, 1.0), "customer-" + random.nextInt(100_000)));
        }
        monthly(localStart, dayOfMonth, out);
        // about once a year each: a changed password or phone number, a new phone
        if (random.nextDouble() < 0.004) {
            emit(out, credentialChange(localStart + kind.rhythm.timeOfDay(random), device()));
        }
        if (random.nextDouble() < 0.003) {
            long t = localStart + kind.rhythm.timeOfDay(random);
            String phone = newDevice();
            emit(out, enrol(t, phone));
            devices.add(phone);
        }
    }

    private void monthly(long localStart, int dayOfMonth, Consumer<Transaction> out) {
        long morning = localStart + 5 * 3_600_000L + random.nextLong(3 * 3_600_000L);
        if (incomeFrom != null && dayOfMonth == incomeDay) {
            emit(out, deposit(morning, incomeMinor, incomeFrom));
        }
        if (dayOfMonth == rentDay) {
            emit(out, transfer(morning + 600_000, rentMinor, rentPayee, Channel.WEB, device()));
        }
        // merchants bill subscriptions in batches at night
        long night = localStart + 3_600_000L + random.nextLong(4 * 3_600_000L);
        if (dayOfMonth == 5) {
            emit(out, subscription(night, Catalog.TELECOM));
        }
        if (dayOfMonth == 12 && kind != AccountKind.RETIREE) {
            emit(out, subscription(night, Catalog.STREAMING));
        }
        if (kind == AccountKind.SMALL_BUSINESS && dayOfMonth == 28) {
            // payroll: a few employees paid one after the other
            int staff = 1 + random.nextInt(5);
            for (int i = 0; i < staff; i++) {
                emit(
                        out,
                        transfer(
                                morning + i * 40_000L,
                                roundTo(logNormal(220_000, 0.3), 100),
                                "employee-" + id + "-" + i,
                                Channel.WEB,
                                device()));
            }
        }
    }

    /** A login, then a transfer a few minutes later, usually to a known payee. */
    private void transferSession(long t, Consumer<Transaction> out) {
        String dev = device();
        if (random.nextDouble() < 0.8) {
            emit(out, login(t - 30_000 - random.nextLong(240_000), dev));
        }
        String payee;
        // a new payee about once a month for a business, a few times a year for a person
        double newPayee = kind == AccountKind.SMALL_BUSINESS ? 0.02 : 0.08;
        if (random.nextDouble() < newPayee) {
            payee = payee();
            emit(out, newPayee(t - 20_000 - random.nextLong(60_000), payee, dev));
            payees.add(payee);
        } else {
            payee = pick(payees);
        }
        long amount =
                kind == AccountKind.SMALL_BUSINESS
                        ? logNormal(60_000, 0.8)
                        : logNormal(8_000 * kind.amountScale, 1.0);
        emit(
                out,
                transfer(
                        t,
                        amount,
                        payee,
                        random.nextDouble() < 0.7 ? Channel.MOBILE : Channel.WEB,
                        dev));
    }

    private void emit(Consumer<Transaction> out, Transaction t) {
        if (t.getType() == TransactionType.LOGIN
                && t.getEventTime().toEpochMilli() < muteLoginsUntil) {
            return; // an injected case keeps the owner away
        }
        if (placeDuringTrip(t)) {
            out.accept(t);
        }
    }

    /**
     * Moves an event of a traveller to where they are: abroad between the flights, nowhere while
     * flying (the event is dropped). Returns whether to keep it.
     */
    private boolean placeDuringTrip(Transaction t) {
        if (trip == null) {
            return true;
        }
        long at = t.getEventTime().toEpochMilli();
        if (at >= trip.returnArrives()) {
            return true;
        }
        if (at < trip.departs()) {
            return true;
        }
        if (at < trip.arrives() || at >= trip.returnDeparts()) {
            return false;
        }
        City to = trip.to();
        if (t.getLocation() != null) {
            t.setLocation(near(to, 6));
        }
        if (t.getMerchant() != null) {
            Merchant m = t.getMerchant();
            t.setMerchant(
                    new Merchant(
                            "m-"
                                    + to.country()
                                    + "-"
                                    + m.getCategoryCode()
                                    + "-"
                                    + random.nextInt(200),
                            m.getName(),
                            m.getCategoryCode(),
                            to.country()));
        }
        if (t.getType() == TransactionType.WITHDRAWAL) {
            t.setCardPresent(true);
        }
        return true;
    }

    private void maybeTrip(long dayStart, double chance) {
        if ((trip != null && trip.returnArrives() > dayStart) || reservedUntil > dayStart) {
            return;
        }
        trip = null;
        if (random.nextDouble() >= chance) {
            return;
        }
        City to = random.nextDouble() < 0.6 ? pick(Catalog.DESTINATIONS) : pick(Catalog.HOMES);
        if (to.equals(home)) {
            return;
        }
        long flight = Trip.flightMillis(home, to);
        long departs = dayStart + 6 * 3_600_000L + random.nextLong(12 * 3_600_000L);
        long away = (2 + random.nextInt(6)) * 86_400_000L;
        long returnDeparts = departs + away;
        trip = new Trip(to, departs, departs + flight, returnDeparts, returnDeparts + flight);
    }

    // ----------------------------------------------------------------- events

    Transaction cardPayment(long t) {
        int m = random.nextInt(usualMerchants.size() + 3);
        if (m < usualMerchants.size()) {
            Category c = usualCategories.get(m);
            boolean present = random.nextDouble() < c.present();
            return card(
                    t,
                    amount(c),
                    usualMerchants.get(m),
                    present,
                    present ? usualLocations.get(m) : homeLocation,
                    pick(cards),
                    declined());
        }
        Category c =
                pick(
                        kind == AccountKind.SMALL_BUSINESS
                                ? Catalog.BUSINESS_SPEND
                                : Catalog.CONSUMER_SPEND);
        boolean present = random.nextDouble() < c.present();
        return card(
                t,
                amount(c),
                merchant(c, home, random.nextInt(400)),
                present,
                present ? near(home, 8) : homeLocation,
                pick(cards),
                declined());
    }

    /** A monthly charge of a subscription, online. */
    Transaction subscription(long t, Category c) {
        return card(
                t,
                c.medianMinor(),
                merchant(c, home, 0),
                false,
                homeLocation,
                cards.get(0),
                TransactionStatus.APPROVED);
    }

    private TransactionStatus declined() {
        return random.nextDouble() < 0.02 ? TransactionStatus.DECLINED : TransactionStatus.APPROVED;
    }

    long amount(Category c) {
        return logNormal(c.medianMinor() * kind.amountScale, c.sigma());
    }

    Transaction card(
            long t,
            long amountMinor,
            Merchant merchant,
            boolean present,
            Location location,
            String card,
            TransactionStatus status) {
        return new Transaction(
                null,
                id,
                Instant.ofEpochMilli(t),
                TransactionType.CARD_PAYMENT,
                present ? Channel.POS : Channel.ECOMMERCE,
                status,
                new Money(amountMinor, CURRENCY),
                merchant,
                null,
                null,
                card,
                present,
                present ? null : device(),
                present ? null : ip,
                location);
    }

    Transaction transfer(long t, long amountMinor, String payee, Channel channel, String device) {
        return new Transaction(
                null,
                id,
                Instant.ofEpochMilli(t),
                TransactionType.TRANSFER,
                channel,
                TransactionStatus.APPROVED,
                new Money(amountMinor, CURRENCY),
                null,
                payee,
                home.country(),
                null,
                false,
                device,
                ip,
                homeLocation);
    }

    Transaction withdrawal(long t, long amountMinor) {
        return new Transaction(
                null,
                id,
                Instant.ofEpochMilli(t),
                TransactionType.WITHDRAWAL,
                Channel.ATM,
                TransactionStatus.APPROVED,
                new Money(amountMinor, CURRENCY),
                null,
                null,
                null,
                cards.get(0),
                true,
                null,
                null,
                near(home, 6));
    }

    Transaction deposit(long t, long amountMinor, String from) {
        return new Transaction(
                null,
                id,
                Instant.ofEpochMilli(t),
                TransactionType.DEPOSIT,
                Channel.OTHER,
                TransactionStatus.APPROVED,
                new Money(amountMinor, CURRENCY),
                null,
                from,
                home.country(),
                null,
                false,
                null,
                null,
                null);
    }

    Transaction login(long t, String device) {
        return digital(t, TransactionType.LOGIN, device, null);
    }

    Transaction credentialChange(long t, String device) {
        return digital(t, TransactionType.CREDENTIAL_CHANGE, device, null);
    }

    Transaction enrol(long t, String device) {
        return digital(t, TransactionType.NEW_DEVICE, device, null);
    }

    Transaction newPayee(long t, String payee, String device) {
        return digital(t, TransactionType.NEW_PAYEE, device, payee);
    }

    private Transaction digital(long t, TransactionType type, String device, String counterparty) {
        return new Transaction(
                null,
                id,
                Instant.ofEpochMilli(t),
                type,
                random.nextDouble() < 0.75 ? Channel.MOBILE : Channel.WEB,
                TransactionStatus.APPROVED,
                null,
                null,
                counterparty,
                counterparty == null ? null : home.country(),
                null,
                false,
                device,
                ip,
                homeLocation);
    }

    // ----------------------------------------------------------------- helpers

    /** The device the owner uses now: the last one enrolled, sometimes another of theirs. */
    String device() {
        int n = devices.size();
        return n > 1 && random.nextDouble() < 0.3
                ? devices.get(random.nextInt(n - 1))
                : devices.get(n - 1);
    }

    String newDevice() {
        return "dev-" + id + "-" + newDevices++;
    }

    String payee() {
        return "payee-" + id + "-" + newPayees++;
    }

    Merchant merchant(Category c, City city, int n) {
        return new Merchant(
                "m-" + city.country() + "-" + c.mcc() + "-" + n,
                c.name() + " " + city.name() + " " + n,
                c.mcc(),
                city.country());
    }

    /** A point within {@code km} of the city's centre. */
    Location near(City city, double km) {
        double dLat = (random.nextDouble() * 2 - 1) * km / 111.0;
        double dLon =
                (random.nextDouble() * 2 - 1)
                        * km
                        / (111.0 * Math.cos(Math.toRadians(city.latitude())));
        return new Location(city.latitude() + dLat, city.longitude() + dLon, city.country());
    }

    <T> T pick(List<T> from) {
        return from.get(random.nextInt(from.size()));
    }

    double gaussian() {
        return Draws.gaussian(random);
    }

    long logNormal(double median, double sigma) {
        return Math.max(1, Math.round(median * Math.exp(sigma * gaussian())));
    }

    int poisson(double mean) {
        return Draws.poisson(random, mean);
    }

    static long roundTo(long value, long unit) {
        return Math.max(unit, Math.round((double) value / unit) * unit);
    }

    // ----------------------------------------------------------------- the profile's view

    /** Notes an emitted event, as the job's profile will see it. */
    void seen(Transaction t) {
        events++;
        lastEventMillis = Math.max(lastEventMillis, t.getEventTime().toEpochMilli());
        if (t.getLocation() != null && t.getLocation().getCountry() != null) {
            countriesSeen.add(t.getLocation().getCountry());
        }
        if (t.getAmount() != null && t.getStatus() == TransactionStatus.APPROVED) {
            // Welford's running mean and spread, as the profile keeps them
            amounts++;
            double x = t.getAmount().getAmountMinor();
            double delta = x - amountMean;
            amountMean += delta / amounts;
            amountM2 += delta * (x - amountMean);
        }
    }

    double amountStddev() {
        return amounts < 2 ? 0 : Math.sqrt(amountM2 / amounts);
    }

    boolean busy(long at) {
        return at < reservedUntil || (trip != null && trip.returnArrives() > at - 86_400_000L);
    }
}

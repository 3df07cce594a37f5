package dev.argus.sandbox.traffic;

import dev.argus.model.Money;
import dev.argus.model.Transaction;
import dev.argus.sandbox.Generated;
import dev.argus.sandbox.traffic.Scenarios.Needs;
import dev.argus.sandbox.traffic.Scenarios.Variant;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Traffic that looks like a bank's: a population of accounts of several {@link AccountKind kinds},
 * each living its ordinary days (card payments at its usual merchants, transfers to its payees,
 * cash, logins, pay day and rent, trips abroad), with fraud cases of every {@link Typology} and
 * benign look-alikes of each injected into it and labelled ({@link CaseLabel}).
 *
 * <p>Records come out in the order they arrive: each event reaches the topic up to a few seconds
 * after it happened (less than the job's allowed disorder of 5 s), so events of one account may
 * arrive out of event-time order, as in production. Event time runs as fast as the records are
 * taken: a day of 1,000 accounts is about 3,000 records.
 *
 * <p>Seeded and deterministic: the same options give the same records, ids and labels. Each
 * account's ordinary traffic comes from a random generator of its own; the cases and their accounts
 * from another. A case's events take details (places, devices, amounts of usual purchases) from its
 * account's generator, so the case rates shape the ordinary traffic too. Not thread-safe.
 */
public final class BankTraffic {
    private static final long DAY = 86_400_000L;
    private static final long HOUR = 3_600_000L;
    private static final long LOOKAHEAD = 4 * HOUR;

    /**
     * @param start when the traffic begins (UTC midnight is natural; dormant accounts' last
     *     activity lies 150 to 390 days before it)
     * @param days how many days a data set covers; 0 for a stream without end
     * @param fraudPerThousandAccountDays fraud cases injected per 1,000 account-days, spread evenly
     *     over the typologies
     * @param lookAlikesPerThousandAccountDays benign look-alike cases per 1,000 account-days
     * @param badRatio chance per record of a deliberately broken one (bytes that are not Avro, or
     *     an event ten minutes late), for Kafka runs; 0 for files
     */
    public record Options(
            int accounts,
            long seed,
            Instant start,
            int days,
            double fraudPerThousandAccountDays,
            double lookAlikesPerThousandAccountDays,
            double badRatio) {
        public Options {
            if (accounts < 1) {
                throw new IllegalArgumentException("accounts must be positive, not " + accounts);
            }
            if (days < 0) {
                throw new IllegalArgumentException("days must not be negative, not " + days);
            }
        }
    }

    private record Pending(long arrival, long order, Transaction transaction, OpenCase owner) {}

    private static final class OpenCase {
        final String id;
        final Variant variant;
        final Account account;
        final Scenarios.Case planned;
        int remaining;

        OpenCase(String id, Variant variant, Account account, Scenarios.Case planned) {
            this.id = id;
            this.variant = variant;
            this.account = account;
            this.planned = planned;
            this.remaining = planned.events.size();
        }
    }

    private final Options options;
    private final long start;
    private final long end;
    private final Account[] accounts;
    private final SplittableRandom cases;
    private final SplittableRandom delays;
    private final PriorityQueue<Pending> queue =
            new PriorityQueue<>(
                    Comparator.comparingLong(Pending::arrival).thenComparingLong(Pending::order));
    private final List<CaseLabel> labels = new ArrayList<>();
    private final Map<Typology, int[]> skipped = new EnumMap<>(Typology.class);
    private final Map<Typology, List<Variant>> fraudVariants = new EnumMap<>(Typology.class);
    private final Map<Typology, List<Variant>> lookAlikeVariants = new EnumMap<>(Typology.class);
    private long order;
    private int nextDay;
    private long sequence;
    private int caseNumber;
    private int openCases;
    private boolean injecting = true;
    private long clock = Long.MIN_VALUE;

    public BankTraffic(Options options) {
        this.options = options;
        this.start = options.start().toEpochMilli();
        this.end = options.days() == 0 ? Long.MAX_VALUE : start + options.days() * DAY;
        this.cases = new SplittableRandom(options.seed() * 31 + 7);
        this.delays = new SplittableRandom(options.seed() * 31 + 11);
        for (Variant v : Scenarios.ALL) {
            (v.fraud() ? fraudVariants : lookAlikeVariants)
                    .computeIfAbsent(v.typology(), t -> new ArrayList<>())
                    .add(v);
        }
        SplittableRandom population = new SplittableRandom(options.seed());
        this.accounts = new Account[options.accounts()];
        for (int i = 0; i < accounts.length; i++) {
            accounts[i] = new Account(i, kind(population.nextDouble()), population.split());
            if (accounts[i].kind == AccountKind.DORMANT) {
                lastActivity(accounts[i]);
            }
        }
    }

    private static AccountKind kind(double u) {
        double sum = 0;
        for (AccountKind k : AccountKind.values()) {
            sum += k.share;
            if (u < sum) {
                return k;
            }
        }
        return AccountKind.SALARIED;
    }

    /** A dormant account's last events, 150 to 390 days before the start. */
    private void lastActivity(Account a) {
        long last = start - (150 + a.random.nextInt(240)) * DAY - a.random.nextLong(DAY);
        push(
                a.deposit(
                        last - a.random.nextLong(20 * DAY),
                        a.logNormal(50_000, 0.8),
                        "employer-" + a.home.country()),
                null);
        push(a.cardPayment(last), null);
    }

    // ------------------------------------------------------------------ taking records

    /**
     * The next record in arrival order, or null when a data set's last day is done. A stream
     * without end never returns null.
     */
    public Generated next() {
        // a day is generated a few hours before it starts in UTC: it starts earlier east of it
        int silentDays = 0;
        while (queue.isEmpty() || queue.peek().arrival() >= dayStart(nextDay) - LOOKAHEAD) {
            if (dayStart(nextDay) >= end) {
                break;
            }
            generateDay(nextDay++);
            if (queue.isEmpty() && ++silentDays > 800) {
                throw new IllegalStateException(
                        "in 800 days none of the "
                                + accounts.length
                                + " accounts made an event (they are all dormant): use more"
                                + " accounts");
            }
        }
        Pending p = queue.poll();
        if (p == null || p.arrival() >= end) {
            return null;
        }
        if (options.badRatio() > 0 && injecting && delays.nextDouble() < options.badRatio()) {
            queue.add(p); // this one comes next time
            return broken(p.arrival());
        }
        Transaction t = p.transaction();
        t.setTransactionId(nextId());
        Account a = accounts[Account.indexOf(t.getAccountId())];
        if (p.owner() != null) {
            var amount = p.owner().planned.amountWhenTaken.get(t);
            if (amount != null) {
                t.setAmount(new Money(amount.applyAsLong(a), Account.CURRENCY));
            }
        }
        a.seen(t);
        clock = Math.max(clock, t.getEventTime().toEpochMilli());
        if (p.owner() != null && --p.owner().remaining == 0) {
            close(p.owner());
        }
        return new Generated(t.getAccountId(), t, null);
    }

    /** Ids in the order records are taken: {@code TransactionGenerator.sequenceOf} reads them. */
    private String nextId() {
        return String.format("tx-%010d", ++sequence);
    }

    private Generated broken(long arrival) {
        Account a = accounts[delays.nextInt(accounts.length)];
        if (delays.nextBoolean() && a.kind != AccountKind.DORMANT) {
            // valid, but ten minutes behind: the job routes it to the dead letters as LATE
            Transaction late = a.cardPayment(arrival - 10 * 60_000L);
            late.setTransactionId(nextId());
            return new Generated(a.id, late, null);
        }
        byte[] garbage =
                delays.nextBoolean()
                        ? ("{\"account\":\"" + a.id + "\",\"amount\":12.5}")
                                .getBytes(StandardCharsets.UTF_8)
                        : new byte[] {0, 0, 0, 0, 1, (byte) delays.nextInt(), 7};
        return new Generated(a.id, null, garbage);
    }

    private void close(OpenCase c) {
        openCases--;
        List<Transaction> events = new ArrayList<>(c.planned.events);
        events.sort(Comparator.comparing(Transaction::getEventTime));
        labels.add(
                new CaseLabel(
                        c.id,
                        c.variant.fraud(),
                        c.variant.typology().id(),
                        c.variant.name(),
                        c.account.id,
                        events.stream().map(Transaction::getTransactionId).toList(),
                        events.get(0).getEventTime(),
                        events.get(events.size() - 1).getEventTime(),
                        c.planned.description.get()));
    }

    // ------------------------------------------------------------------ a day

    private long dayStart(int day) {
        return start + day * DAY;
    }

    private void generateDay(int day) {
        long dayStart = dayStart(day);
        ZonedDateTime date = Instant.ofEpochMilli(dayStart).atZone(ZoneOffset.UTC);
        // cases first: a trip or a silenced owner shapes the account's ordinary day
        if (injecting && day >= 1 && dayStart + 3 * DAY <= end) {
            double accountDays = accounts.length / 1000.0;
            injectCases(
                    dayStart, poisson(options.fraudPerThousandAccountDays() * accountDays), true);
            injectCases(
                    dayStart,
                    poisson(options.lookAlikesPerThousandAccountDays() * accountDays),
                    false);
        }
        int weekday = date.getDayOfWeek().getValue() - 1;
        int dayOfMonth = date.getDayOfMonth();
        for (Account a : accounts) {
            a.ordinaryDay(dayStart, weekday, dayOfMonth, t -> push(t, null));
        }
    }

    private void injectCases(long dayStart, int count, boolean fraud) {
        Typology[] typologies = Typology.values();
        for (int i = 0; i < count; i++) {
            Typology typology = typologies[cases.nextInt(typologies.length)];
            List<Variant> variants = (fraud ? fraudVariants : lookAlikeVariants).get(typology);
            Variant variant = pick(variants);
            long t0 = dayStart + 7 * HOUR + cases.nextLong(14 * HOUR);
            Account account = eligibleAccount(variant.needs(), t0);
            if (account == null) {
                skipped.computeIfAbsent(typology, t -> new int[1])[0]++;
                continue;
            }
            String id = String.format("case-%06d", ++caseNumber);
            Scenarios.Case c = new Scenarios.Case(account, t0, cases, caseNumber);
            variant.planner().plan(c);
            long last = Long.MIN_VALUE;
            OpenCase open = new OpenCase(id, variant, account, c);
            for (Transaction t : c.events) {
                last = Math.max(last, t.getEventTime().toEpochMilli());
                push(t, open);
            }
            openCases++;
            account.reservedUntil = last + 25 * HOUR;
            if (account.trip != null) {
                account.reservedUntil =
                        Math.max(account.reservedUntil, account.trip.returnArrives());
            }
        }
    }

    private Variant pick(List<Variant> variants) {
        double total = variants.stream().mapToDouble(Variant::weight).sum();
        double u = cases.nextDouble() * total;
        for (Variant v : variants) {
            u -= v.weight();
            if (u < 0) {
                return v;
            }
        }
        return variants.get(variants.size() - 1);
    }

    private Account eligibleAccount(Needs needs, long t0) {
        for (int attempt = 0; attempt < 60; attempt++) {
            Account a = accounts[cases.nextInt(accounts.length)];
            if (a.busy(t0) || a.events < 2) {
                continue;
            }
            boolean active = a.kind != AccountKind.DORMANT && a.events >= 3;
            long silent = t0 - a.lastEventMillis;
            boolean fits =
                    switch (needs) {
                        case ACTIVE -> active;
                        case HISTORY -> active && a.amounts >= 5 && a.amountStddev() > 0;
                        case SMALL_BUSINESS -> active && a.kind == AccountKind.SMALL_BUSINESS;
                        case DORMANT_180 ->
                                a.kind == AccountKind.DORMANT
                                        && silent >= 181 * DAY
                                        && silent < 395 * DAY;
                        case DORMANT_UNDER_180 ->
                                a.kind == AccountKind.DORMANT
                                        && silent >= 150 * DAY
                                        && silent < 179 * DAY;
                    };
            if (fits) {
                return a;
            }
        }
        return null;
    }

    private void push(Transaction t, OpenCase owner) {
        long at = t.getEventTime().toEpochMilli();
        // delivery takes a few hundred milliseconds, now and then a few seconds
        long delay = Math.min(3_000L, (long) (-300.0 * Math.log(1.0 - delays.nextDouble())));
        queue.add(new Pending(at + delay, order++, t, owner));
    }

    private int poisson(double mean) {
        return Draws.poisson(cases, mean);
    }

    // ------------------------------------------------------------------ control and figures

    /** Stops injecting new cases and broken records; cases begun still complete. */
    public void stopInjecting() {
        injecting = false;
    }

    /** Whether injected cases still have events to come. */
    public boolean hasPendingCases() {
        return openCases > 0;
    }

    /** The labels of the cases whose events have all been taken, in the order they completed. */
    public List<CaseLabel> labels() {
        return labels;
    }

    /** Cases that found no account fit for them on their day, by typology. */
    public Map<Typology, Integer> skippedCases() {
        Map<Typology, Integer> out = new EnumMap<>(Typology.class);
        skipped.forEach((t, n) -> out.put(t, n[0]));
        return out;
    }

    /** The latest event time taken so far, epoch ms; the start before any. */
    public long clock() {
        return clock == Long.MIN_VALUE ? start : clock;
    }

    public Instant start() {
        return options.start();
    }

    public Options options() {
        return options;
    }

    /** Each account's id, kind and home, in account order. */
    public List<AccountInfo> accounts() {
        List<AccountInfo> out = new ArrayList<>(accounts.length);
        for (Account a : accounts) {
            out.add(new AccountInfo(a.id, a.kind.label(), a.home.country(), a.home.name()));
        }
        return out;
    }

    /** An account of the traffic, as {@code accounts.csv} lists it. */
    public record AccountInfo(String accountId, String kind, String homeCountry, String homeCity) {}

    /**
     * The mean number of events an account makes per day, over the mix of kinds, from the rates:
     * what sets how fast event time runs for a given record rate.
     */
    public static double expectedEventsPerAccountDay() {
        double activity = Math.exp(0.45 * 0.45 / 2); // mean of the log-normal activity
        double sum = 0;
        for (AccountKind k : AccountKind.values()) {
            if (k == AccountKind.DORMANT) {
                continue;
            }
            double weekday = 0;
            for (double w : k.rhythm.weekday) {
                weekday += w / 7;
            }
            double daily =
                    k.cardPerDay
                            + k.transfersPerDay * 1.88
                            + k.withdrawalsPerDay
                            + k.loginsPerDay
                            + k.depositsPerDay;
            // rent, phone, streaming; income (not a business's), payroll (a business's, ~3)
            double monthly =
                    3
                            + (k == AccountKind.SMALL_BUSINESS ? 3 : 1)
                            - (k == AccountKind.RETIREE ? 1 : 0);
            sum += k.share * (daily * weekday * activity + monthly / 30.4);
        }
        return sum;
    }
}

package dev.argus.job.profile;

import dev.argus.model.Buckets;
import dev.argus.model.Geo;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.ProfileState;
import dev.argus.model.Seen;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The behavioural profile of one account: the features of an event as they were before it ({@link
 * #features}), and the update by the event ({@link #update}). Pure functions over the Avro state,
 * so they are tested without Flink; {@link ProfileFunction} keeps the state in RocksDB.
 *
 * <p>Memory per account is bounded: the windows are fixed rings of time buckets, and each
 * first-seen set keeps at most {@code maxSeen} values, the least recently seen going first.
 */
public final class AccountProfile implements Serializable {
    private static final long serialVersionUID = 1L;

    static final long MINUTE = 60_000L;
    static final long HOUR = 60 * MINUTE;
    static final long DAY = 24 * HOUR;

    private final int maxSeen;

    /**
     * @param maxSeen how many values each first-seen set keeps (devices, IPs, countries, ...)
     */
    public AccountProfile(int maxSeen) {
        if (maxSeen < 1) {
            throw new IllegalArgumentException("profile.max-seen must be at least 1");
        }
        this.maxSeen = maxSeen;
    }

    /**
     * The state of an account never seen: the schema's defaults. Built with the constructor, not
     * Avro's builder, which copies every default value and validates every field (the builder made
     * an account's first event cost a third more).
     */
    public static ProfileState empty() {
        return new ProfileState(
                0L,
                0L,
                0L,
                null,
                null,
                0L,
                0L,
                0.0,
                0.0,
                buckets(5 * MINUTE, HOUR),
                buckets(HOUR, DAY),
                buckets(6 * HOUR, 7 * DAY),
                buckets(5 * MINUTE, HOUR),
                new HashMap<>(),
                new HashMap<>(),
                new HashMap<>(),
                new HashMap<>(),
                new HashMap<>(),
                new HashMap<>());
    }

    /** The features of {@code t} against the account's history, before {@code t} updates it. */
    public ProfileFeatures features(ProfileState s, Transaction t) {
        long at = t.getEventTime().toEpochMilli();
        ProfileFeatures f = blankFeatures();
        f.setEventCount(s.getEventCount());
        f.setCount1h(count(s.getAmounts1h(), at, HOUR));
        f.setSum1h(sum(s.getAmounts1h(), at, HOUR));
        f.setCount24h(count(s.getAmounts24h(), at, DAY));
        f.setSum24h(sum(s.getAmounts24h(), at, DAY));
        f.setCount7d(count(s.getAmounts7d(), at, 7 * DAY));
        f.setSum7d(sum(s.getAmounts7d(), at, 7 * DAY));
        f.setDeclines1h(count(s.getDeclines1h(), at, HOUR));

        long n = s.getAmountCount();
        double stddev = n > 0 ? Math.sqrt(s.getAmountM2() / n) : 0.0;
        f.setAmountCount(n);
        f.setAmountMean(s.getAmountMean());
        f.setAmountStddev(stddev);
        if (t.getAmount() != null && n >= 2 && stddev > 0) {
            f.setAmountZscore((t.getAmount().getAmountMinor() - s.getAmountMean()) / stddev);
        }

        Merchant m = t.getMerchant();
        seen(s.getDevices(), t.getDeviceId(), f::setNewDevice, f::setDeviceFirstSeen);
        seen(s.getIps(), t.getIpAddress(), f::setNewIp, f::setIpFirstSeen);
        seen(s.getCountries(), country(t), f::setNewCountry, f::setCountryFirstSeen);
        seen(
                s.getMerchants(),
                m == null ? null : m.getMerchantId(),
                f::setNewMerchant,
                f::setMerchantFirstSeen);
        seen(s.getMccs(), m == null ? null : m.getCategoryCode(), f::setNewMcc, f::setMccFirstSeen);
        seen(s.getPayees(), t.getCounterpartyId(), f::setNewPayee, f::setPayeeFirstSeen);

        if (s.getEventCount() > 0) {
            f.setFirstSeen(s.getFirstSeen());
            f.setAccountAgeDays(Math.max(0, at - s.getFirstSeen()) / (double) DAY);
            f.setLastEventTime(s.getLastEventTime());
            f.setDaysSinceLastEvent(Math.max(0, at - s.getLastEventTime()) / (double) DAY);
        }
        f.setLastLocation(s.getLastLocation());
        Location here = t.getLocation();
        Location lastCardPresent = s.getLastCardPresentLocation();
        if (here != null && lastCardPresent != null) {
            f.setTravelSpeedKmh(
                    Geo.speedKmh(
                            Geo.distanceKm(lastCardPresent, here),
                            at - s.getLastCardPresentTime()));
        }
        long dayAgo = at - DAY;
        f.setDistinctCountries24h(
                s.getCountries().values().stream().filter(v -> v.getLast() > dayAgo).count());
        return f;
    }

    /**
     * Features with the schema's defaults, made without Avro's builder: the builder copies each
     * field's default from the schema on every build (3.4% of the job's CPU in a profile of {@code
     * ./argus bench --profile} when this was written). Every default but {@code
     * days_since_last_event} (-1) is Java's own; {@code ProfileFunctionTest} checks that this
     * equals the builder's.
     */
    static ProfileFeatures blankFeatures() {
        ProfileFeatures f = new ProfileFeatures();
        f.setDaysSinceLastEvent(-1.0);
        return f;
    }

    /** Adds {@code t} to the account's history. */
    public void update(ProfileState s, Transaction t) {
        long at = t.getEventTime().toEpochMilli();
        if (s.getEventCount() == 0 || at < s.getFirstSeen()) {
            s.setFirstSeen(at);
        }
        s.setEventCount(s.getEventCount() + 1);
        s.setLastEventTime(Math.max(s.getLastEventTime(), at));
        Location here = t.getLocation();
        if (here != null) {
            s.setLastLocation(here);
            if (t.getCardPresent()) {
                s.setLastCardPresentLocation(here);
                s.setLastCardPresentTime(at);
            }
        }
        boolean approved = t.getStatus() == TransactionStatus.APPROVED;
        if (t.getAmount() != null && approved) {
            long amount = t.getAmount().getAmountMinor();
            add(s.getAmounts1h(), at, amount);
            add(s.getAmounts24h(), at, amount);
            add(s.getAmounts7d(), at, amount);
            // Welford's online mean and variance
            long n = s.getAmountCount() + 1;
            double delta = amount - s.getAmountMean();
            double mean = s.getAmountMean() + delta / n;
            s.setAmountCount(n);
            s.setAmountMean(mean);
            s.setAmountM2(s.getAmountM2() + delta * (amount - mean));
        }
        if (!approved) {
            add(s.getDeclines1h(), at, 0);
        }
        Merchant m = t.getMerchant();
        remember(s.getDevices(), t.getDeviceId(), at);
        remember(s.getIps(), t.getIpAddress(), at);
        remember(s.getCountries(), country(t), at);
        remember(s.getMerchants(), m == null ? null : m.getMerchantId(), at);
        remember(s.getMccs(), m == null ? null : m.getCategoryCode(), at);
        remember(s.getPayees(), t.getCounterpartyId(), at);
    }

    /** When an account last active at {@code lastEventTime} is forgotten, rounded up to a day. */
    public static long expiry(long lastEventTime, Duration retention) {
        long deadline = lastEventTime + retention.toMillis();
        return Math.floorDiv(deadline + DAY - 1, DAY) * DAY;
    }

    private static String country(Transaction t) {
        return t.getLocation() == null ? null : t.getLocation().getCountry();
    }

    private static void seen(
            Map<String, Seen> set,
            String value,
            java.util.function.Consumer<Boolean> isNew,
            java.util.function.Consumer<Long> firstSeen) {
        if (value == null) {
            return;
        }
        Seen s = set.get(value);
        isNew.accept(s == null);
        if (s != null) {
            firstSeen.accept(s.getFirst());
        }
    }

    private void remember(Map<String, Seen> set, String value, long at) {
        if (value == null) {
            return;
        }
        Seen s = set.get(value);
        if (s != null) {
            s.setFirst(Math.min(s.getFirst(), at));
            s.setLast(Math.max(s.getLast(), at));
            return;
        }
        if (set.size() >= maxSeen) {
            String oldest = null;
            long oldestLast = Long.MAX_VALUE;
            for (Map.Entry<String, Seen> e : set.entrySet()) {
                if (e.getValue().getLast() < oldestLast) {
                    oldest = e.getKey();
                    oldestLast = e.getValue().getLast();
                }
            }
            set.remove(oldest);
        }
        set.put(value, new Seen(at, at));
    }

    /**
     * Sparse time buckets covering {@code window} plus the bucket in progress: only buckets that
     * hold events are stored, so a quiet account costs a few bytes, and buckets older than the
     * window are dropped, so a busy one holds at most {@code window / bucketMillis + 1}.
     */
    static Buckets buckets(long bucketMillis, long window) {
        return new Buckets(
                bucketMillis, window, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    static void add(Buckets b, long at, long amount) {
        long size = b.getBucketMillis();
        long start = Math.floorDiv(at, size) * size;
        List<Long> starts = b.getStarts();
        long newest = start;
        for (long s : starts) {
            newest = Math.max(newest, s);
        }
        long oldestKept = newest - b.getWindowMillis();
        if (start < oldestKept) {
            return; // older than anything the windows still cover
        }
        for (int i = starts.size() - 1; i >= 0; i--) {
            if (starts.get(i) < oldestKept) {
                starts.remove(i);
                b.getCounts().remove(i);
                b.getSums().remove(i);
            }
        }
        int i = starts.indexOf(start);
        if (i < 0) {
            starts.add(start);
            b.getCounts().add(1L);
            b.getSums().add(amount);
        } else {
            b.getCounts().set(i, b.getCounts().get(i) + 1);
            b.getSums().set(i, b.getSums().get(i) + amount);
        }
    }

    /** Buckets that overlap (at - window, at]. */
    static long count(Buckets b, long at, long window) {
        return total(b, at, window, b.getCounts());
    }

    static long sum(Buckets b, long at, long window) {
        return total(b, at, window, b.getSums());
    }

    private static long total(Buckets b, long at, long window, List<Long> values) {
        long size = b.getBucketMillis();
        long total = 0;
        for (int i = 0; i < values.size(); i++) {
            long start = b.getStarts().get(i);
            if (start <= at && start + size > at - window) {
                total += values.get(i);
            }
        }
        return total;
    }
}

package dev.argus.cli.watch;

import dev.argus.job.JobConfig;
import dev.argus.model.Alert;
import dev.argus.model.MatchedEvent;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.WireFormatException;
import dev.argus.rules.Rule;
import dev.argus.sandbox.TransactionGenerator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Detection latency as payment systems see it, measured the same way by {@code argus local} and
 * {@code argus bench}: two consumers of the alerts topic, one {@code read_uncommitted} and one
 * {@code read_committed}. An alert's latency is measured from the broker append time of its latest
 * matched transaction (the last of them appended, as the producer reported with {@link #appended};
 * not the highest id, since the generator numbers the events of an injected case when it schedules
 * them, before they are sent) to
 *
 * <ul>
 *   <li>{@code read_uncommitted}: the alert's own append time, when the job wrote it inside its
 *       open Kafka transaction;
 *   <li>{@code read_committed}: the moment the consumer received it, i.e. after the checkpoint that
 *       committed the transaction.
 * </ul>
 *
 * Both topics must be created with {@link #TOPIC_CONFIG} ({@code LogAppendTime}), so that the times
 * are the broker's. Each alert counts once per level, at its first sighting. Alerts of absence
 * rules are left out: they fire when a time runs out, not on an event.
 */
public final class DetectionLatency implements AutoCloseable {
    /** The configuration of the transactions and alerts topics: the broker stamps append times. */
    public static final Map<String, String> TOPIC_CONFIG =
            Map.of("message.timestamp.type", "LogAppendTime");

    /**
     * One alert as one consumer first saw it: when its last matched transaction was appended, and
     * the latency from then.
     */
    private record Seen(String ruleId, long appendedMillis, long latencyMillis) {}

    private final AppendTimes appended = new AppendTimes(System.currentTimeMillis() - 60_000);
    private final Set<String> timeoutRules;
    private final Map<String, Seen> uncommitted = new ConcurrentHashMap<>();
    private final Map<String, Seen> committed = new ConcurrentHashMap<>();
    private final Set<String> committedIds = ConcurrentHashMap.newKeySet();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    /**
     * Starts the two consumers of {@code topic.alerts}.
     *
     * @param rules the rules the job runs: those that alert on a timeout are left out
     * @param group the consumers' group prefix, e.g. {@code argus-local}; {@code -latency} is
     *     appended, so that they share no group (and no partitions) with the caller's own consumers
     *     of the alerts
     */
    public DetectionLatency(JobConfig config, Collection<Rule> rules, String group) {
        this.timeoutRules =
                rules.stream()
                        .filter(Rule::alertsOnTimeout)
                        .map(Rule::id)
                        .collect(Collectors.toUnmodifiableSet());
        watch(config, group + "-latency", "read_uncommitted", uncommitted);
        watch(config, group + "-latency", "read_committed", committed);
    }

    /**
     * Notes the broker append time of a generated transaction: call it from the producer's callback
     * with the record's timestamp.
     *
     * @param sequence the transaction's {@link TransactionGenerator#sequenceOf sequence number}
     */
    public void appended(long sequence, long appendMillis) {
        appended.put(sequence, appendMillis);
    }

    /**
     * When the broker appended the latest of an alert's matched transactions, epoch ms; -1 when one
     * of them was not noted.
     */
    public long lastAppended(Alert alert) {
        if (timeoutRules.contains(alert.getRuleId())) {
            return -1; // it alerts when its window runs out, not on a transaction
        }
        long last = -1;
        for (MatchedEvent e : alert.getMatchedEvents()) {
            long at = appended.get(TransactionGenerator.sequenceOf(e.getTransactionId()));
            if (at < 0) {
                return -1;
            }
            last = Math.max(last, at);
        }
        return last;
    }

    private void watch(JobConfig config, String group, String isolation, Map<String, Seen> into) {
        ConfluentAvroDeserializer<Alert> deserializer =
                new ConfluentAvroDeserializer<>(config.registry(), Alert.class);
        boolean isCommitted = isolation.equals("read_committed");
        threads.add(
                TopicWatcher.start(
                        config,
                        config.get("topic.alerts"),
                        isolation,
                        group,
                        () -> closed,
                        (r, received) -> {
                            Alert alert;
                            try {
                                alert = deserializer.deserialize(r.value());
                            } catch (WireFormatException e) {
                                unreadable.incrementAndGet();
                                return;
                            }
                            if (isCommitted && !committedIds.add(alert.getAlertId())) {
                                duplicates.incrementAndGet();
                            }
                            if (timeoutRules.contains(alert.getRuleId())
                                    || into.containsKey(alert.getAlertId())) {
                                return;
                            }
                            // -1: a transaction not one of ours, or not noted: no figure
                            long from = lastAppended(alert);
                            if (from >= 0) {
                                long to = isCommitted ? received : r.timestamp();
                                into.putIfAbsent(
                                        alert.getAlertId(),
                                        new Seen(alert.getRuleId(), from, to - from));
                            }
                        }));
    }

    /** Sorted latencies, in milliseconds, of every alert measured so far. */
    public List<Long> latencies(boolean readCommitted) {
        return latencies(readCommitted, 0, Long.MAX_VALUE);
    }

    /**
     * Sorted latencies, in milliseconds, of the alerts whose last matched transaction was appended
     * in {@code [fromMillis, toMillis)}.
     */
    public List<Long> latencies(boolean readCommitted, long fromMillis, long toMillis) {
        List<Long> out = new ArrayList<>();
        for (Seen s : (readCommitted ? committed : uncommitted).values()) {
            if (s.appendedMillis() >= fromMillis && s.appendedMillis() < toMillis) {
                out.add(s.latencyMillis());
            }
        }
        Collections.sort(out);
        return out;
    }

    /**
     * The same latencies by rule, each list sorted, the rules in their ids' order: a rule that
     * alerts late shows here where the whole pack's percentiles hide it.
     */
    public SortedMap<String, List<Long>> latenciesByRule(
            boolean readCommitted, long fromMillis, long toMillis) {
        SortedMap<String, List<Long>> out = new TreeMap<>();
        for (Seen s : (readCommitted ? committed : uncommitted).values()) {
            if (s.appendedMillis() >= fromMillis && s.appendedMillis() < toMillis) {
                out.computeIfAbsent(s.ruleId(), r -> new ArrayList<>()).add(s.latencyMillis());
            }
        }
        out.values().forEach(Collections::sort);
        return out;
    }

    /** Distinct alerts read committed so far, absence rules' alerts included. */
    public long committedAlerts() {
        return committedIds.size();
    }

    /** Alerts read committed more than once: exactly-once says zero. */
    public long duplicates() {
        return duplicates.get();
    }

    /** Alert records neither consumer could decode. */
    public long unreadable() {
        return unreadable.get();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        for (Thread t : threads) {
            t.join(5_000);
        }
    }
}

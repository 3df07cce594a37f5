package dev.argus.cli.bench;

import dev.argus.cli.watch.TopicWatcher;
import dev.argus.job.JobConfig;
import dev.argus.model.Alert;
import dev.argus.model.MatchedEvent;
import dev.argus.model.serde.ConfluentAvroDeserializer;
import dev.argus.model.serde.WireFormatException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Detection latency as payment systems see it: two consumers of the alerts topic, one {@code
 * read_uncommitted} and one {@code read_committed}. An alert's latency is measured from the broker
 * append time of its latest matched transaction:
 *
 * <ul>
 *   <li>{@code read_uncommitted}: to the alert's own append time (the topic uses {@code
 *       LogAppendTime}), when the job wrote it inside its open Kafka transaction;
 *   <li>{@code read_committed}: to the moment the consumer received it, i.e. after the checkpoint
 *       that committed the transaction.
 * </ul>
 *
 * Alerts of absence rules are left out: they fire when a time runs out, not on an event.
 */
final class AlertWatch implements AutoCloseable {
    /** One alert as one consumer saw it. */
    record Seen(long latestSequence, long latencyMillis) {}

    private final AppendTimes appended;
    private final Set<String> timeoutRules;
    private final ConcurrentLinkedQueue<Seen> uncommitted = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Seen> committed = new ConcurrentLinkedQueue<>();
    private final Set<String> committedIds = ConcurrentHashMap.newKeySet();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    AlertWatch(JobConfig config, AppendTimes appended, Set<String> timeoutRules) {
        this.appended = appended;
        this.timeoutRules = timeoutRules;
        watch(config, "read_uncommitted", uncommitted);
        watch(config, "read_committed", committed);
    }

    private void watch(JobConfig config, String isolation, ConcurrentLinkedQueue<Seen> into) {
        ConfluentAvroDeserializer<Alert> deserializer =
                new ConfluentAvroDeserializer<>(config.registry(), Alert.class);
        boolean isCommitted = isolation.equals("read_committed");
        threads.add(
                TopicWatcher.start(
                        config,
                        config.get("topic.alerts"),
                        isolation,
                        "argus-bench",
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
                            if (timeoutRules.contains(alert.getRuleId())) {
                                return;
                            }
                            long latest = latestSequence(alert);
                            long from = appended.get(latest);
                            if (from >= 0) {
                                long to = isCommitted ? received : r.timestamp();
                                into.add(new Seen(latest, to - from));
                            }
                        }));
    }

    private static long latestSequence(Alert alert) {
        long latest = -1;
        for (MatchedEvent e : alert.getMatchedEvents()) {
            latest = Math.max(latest, Traffic.sequenceOf(e.getTransactionId()));
        }
        return latest;
    }

    /**
     * Sorted latencies, in milliseconds, of the alerts whose latest matched transaction has a
     * sequence number in {@code [from, to)}.
     */
    List<Long> latencies(boolean readCommitted, long from, long to) {
        List<Long> out = new ArrayList<>();
        for (Seen s : readCommitted ? committed : uncommitted) {
            if (s.latestSequence() >= from && s.latestSequence() < to) {
                out.add(s.latencyMillis());
            }
        }
        Collections.sort(out);
        return out;
    }

    /** Distinct alerts read committed so far. */
    long committedAlerts() {
        return committedIds.size();
    }

    /** Alerts read committed more than once: exactly-once says zero. */
    long duplicates() {
        return duplicates.get();
    }

    long unreadable() {
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

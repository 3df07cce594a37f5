package dev.argus.job.engine;

import dev.argus.job.savepoint.States;
import dev.argus.model.EnrichedTransaction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;

/**
 * Event-time ordering: the events the watermark has not passed yet, of every account of the
 * subtask, in memory and in order of time and arrival. An event costs no state access until the
 * watermark passes it.
 *
 * <p>A snapshot writes them to the operator's union list state {@value States#RULE_ENGINE_WAITING}
 * (each entry: account, time, arrival, event); on restore each subtask takes back those of the
 * accounts it owns, whatever the new parallelism. Past {@link #MAX} waiting events (a stalled
 * watermark) the operator moves them into their accounts' values, so that they do not fill the
 * heap.
 *
 * <p>The events are the objects the operator was given: its input must not reuse them, which holds
 * for records from the network (Flink deserializes each into a new object) and for the account
 * profile chained before it, which builds one per event.
 */
final class WaitingEvents {
    /** How many events may wait in memory before they move into their accounts' values. */
    static final int MAX = 20_000;

    /** An event waiting for the watermark; {@code arrival} keeps ties in arrival order. */
    record Pending(String account, long timestamp, long arrival, EnrichedTransaction event) {}

    private final EventSerializer serializer;
    private final PriorityQueue<Pending> queue =
            new PriorityQueue<>(
                    Comparator.comparingLong(Pending::timestamp)
                            .thenComparingLong(Pending::arrival));
    private ListState<byte[]> state;
    private long arrivals;

    WaitingEvents(EventSerializer serializer) {
        this.serializer = serializer;
    }

    /** Registers the union list state and, on restore, takes back the owned accounts' events. */
    void initialize(StateInitializationContext context, TaskInfo task) throws Exception {
        state = context.getOperatorStateStore().getUnionListState(States.ruleEngineWaiting());
        if (!context.isRestored()) {
            return;
        }
        int keyGroups = task.getMaxNumberOfParallelSubtasks();
        KeyGroupRange owned =
                KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                        keyGroups,
                        task.getNumberOfParallelSubtasks(),
                        task.getIndexOfThisSubtask());
        for (byte[] bytes : state.get()) {
            DataInputDeserializer in = new DataInputDeserializer(bytes);
            String account = in.readUTF();
            if (owned.contains(KeyGroupRangeAssignment.assignToKeyGroup(account, keyGroups))) {
                long timestamp = in.readLong();
                long arrival = in.readLong();
                queue.add(new Pending(account, timestamp, arrival, serializer.deserialize(in)));
                arrivals = Math.max(arrivals, arrival + 1);
            }
        }
    }

    /** Writes every waiting event into the union list state. */
    void snapshot() throws Exception {
        List<byte[]> entries = new ArrayList<>(queue.size());
        DataOutputSerializer bytes = new DataOutputSerializer(512);
        for (Pending p : queue) {
            bytes.clear();
            bytes.writeUTF(p.account());
            bytes.writeLong(p.timestamp());
            bytes.writeLong(p.arrival());
            serializer.serialize(p.event(), bytes);
            entries.add(bytes.getCopyOfBuffer());
        }
        serializer.forget();
        state.update(entries);
    }

    /** Adds an event; true when more than {@link #MAX} now wait. */
    boolean add(String account, long timestamp, EnrichedTransaction event) {
        queue.add(new Pending(account, timestamp, arrivals++, event));
        return queue.size() > MAX;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    /**
     * Takes the events up to {@code upTo} out of the queue, by account, each account's in order of
     * time and arrival.
     */
    Map<String, List<Pending>> takeUpTo(long upTo) {
        Map<String, List<Pending>> byAccount = new LinkedHashMap<>();
        while (!queue.isEmpty() && queue.peek().timestamp() <= upTo) {
            Pending p = queue.poll();
            byAccount.computeIfAbsent(p.account(), a -> new ArrayList<>()).add(p);
        }
        return byAccount;
    }
}

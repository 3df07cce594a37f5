package dev.argus.job.control;

import dev.argus.model.ChangeList;
import dev.argus.model.ControlChange;
import dev.argus.rules.cel.RuntimeLists;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The entries of the named lists changed through the control topic, as of the event being judged:
 * those whose change the watermark has passed, in a {@link Store} (the rule engine's broadcast
 * state), and the changes still ahead of it, each applying to events from its effective time on. An
 * entry is its list's name and value; it is in the list (put) or not (removed), whatever the pack's
 * values say.
 */
public final class ListEntries implements RuntimeLists.Entries {
    /** Where the entries the watermark has passed are kept. */
    public interface Store {
        Boolean get(String key);

        void put(String key, Boolean in);

        Iterable<Map.Entry<String, Boolean>> entries();
    }

    private record Pending(long effectiveAt, long offset, boolean in) {}

    private final Store store;
    private final Map<String, List<Pending>> pending = new HashMap<>();
    private final List<ControlChange> ahead = new ArrayList<>();
    private boolean stored;
    private long at = Long.MIN_VALUE;
    private long version;

    public ListEntries(Store store) {
        this.store = store;
        this.stored = store.entries().iterator().hasNext();
    }

    /** The key of an entry. */
    public static String key(String list, String value) {
        return list + '\u001f' + value;
    }

    /** Whether no entry was changed at run time: the packs' values hold as they are. */
    public boolean isEmpty() {
        return !stored && ahead.isEmpty();
    }

    /** Judges events of time {@code time} from now on. */
    public void at(long time) {
        if (time != at) {
            long from = Math.min(at, time);
            long to = Math.max(at, time);
            for (ControlChange c : ahead) {
                long effective = c.getEffectiveAt().toEpochMilli();
                if (effective > from && effective <= to) {
                    version++; // a change takes effect, or no longer, between the two times
                    break;
                }
            }
        }
        at = time;
    }

    /** A change decided by the control function, to apply from its effective time. */
    public void add(ControlChange change) {
        ChangeList c = (ChangeList) change.getChange();
        long from = change.getEffectiveAt().toEpochMilli();
        for (String v : c.getPut()) {
            pending(c.getList(), v).add(new Pending(from, change.getOffset(), true));
        }
        for (String v : c.getRemove()) {
            pending(c.getList(), v).add(new Pending(from, change.getOffset(), false));
        }
        ahead.add(change);
        ahead.sort(
                Comparator.comparing(ControlChange::getEffectiveAt)
                        .thenComparingLong(ControlChange::getOffset));
        if (from <= at) {
            version++; // the entries as of the current time change only if it is in force
        }
    }

    private List<Pending> pending(String list, String value) {
        return pending.computeIfAbsent(key(list, value), k -> new ArrayList<>(1));
    }

    /**
     * Stores the changes in force at or before {@code time}, which no event still to come can
     * precede; returns their command ids.
     */
    public List<String> passed(long time) {
        List<String> done = new ArrayList<>();
        while (!ahead.isEmpty() && ahead.get(0).getEffectiveAt().toEpochMilli() <= time) {
            ControlChange change = ahead.remove(0);
            ChangeList c = (ChangeList) change.getChange();
            for (String v : c.getPut()) {
                apply(c.getList(), v, change, true);
            }
            for (String v : c.getRemove()) {
                apply(c.getList(), v, change, false);
            }
            done.add(change.getCommandId());
        }
        if (!done.isEmpty()) {
            version++;
        }
        return done;
    }

    private void apply(String list, String value, ControlChange change, boolean in) {
        String key = key(list, value);
        store.put(key, in);
        stored = true;
        List<Pending> p = pending.get(key);
        if (p != null) {
            p.removeIf(e -> e.offset() == change.getOffset() && e.in() == in);
            if (p.isEmpty()) {
                pending.remove(key);
            }
        }
    }

    @Override
    public Boolean entry(String list, String value) {
        String key = key(list, value);
        List<Pending> p = pending.get(key);
        if (p != null) {
            Pending latest = null;
            for (Pending e : p) {
                if (e.effectiveAt() <= at
                        && (latest == null
                                || e.effectiveAt() > latest.effectiveAt()
                                || (e.effectiveAt() == latest.effectiveAt()
                                        && e.offset() >= latest.offset()))) {
                    latest = e;
                }
            }
            if (latest != null) {
                return latest.in();
            }
        }
        return stored ? store.get(key) : null;
    }

    @Override
    public Map<String, Boolean> entries(String list) {
        String prefix = list + '\u001f';
        Map<String, Boolean> all = new LinkedHashMap<>();
        for (Map.Entry<String, Boolean> e : store.entries()) {
            if (e.getKey().startsWith(prefix)) {
                all.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        for (String key : pending.keySet()) {
            if (key.startsWith(prefix)) {
                String value = key.substring(prefix.length());
                all.put(value, entry(list, value));
            }
        }
        all.values().removeIf(java.util.Objects::isNull);
        return all;
    }

    @Override
    public long version() {
        return version;
    }
}

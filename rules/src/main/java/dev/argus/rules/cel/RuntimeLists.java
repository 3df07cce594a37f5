package dev.argus.rules.cel;

import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The named lists as rule conditions read them ({@code lists.<name>}) when the running job changes
 * their entries at run time: each list is the pack's values, with the entries put or removed since
 * on top. The job installs the entries in force for the thread that evaluates ({@link #use}); a
 * condition then reads each list through a view whose {@code contains} is one hash lookup, so a
 * list of a million entries costs what one of ten does. Without entries installed (tests, the
 * backtest, a job without a control topic), conditions read the pack's values, through the same
 * kind of view.
 */
public final class RuntimeLists {
    /** Entries changed at run time, as of the event being judged. */
    public interface Entries {
        /** Whether {@code value} was put (true) or removed (false) at run time; null: neither. */
        Boolean entry(String list, String value);

        /** Every entry of {@code list} changed at run time, with whether it is in the list. */
        Map<String, Boolean> entries(String list);

        /** Changes whenever an entry does: a view caches what it listed until then. */
        long version();
    }

    /**
     * A thread's entries in force. A condition keeps its thread's holder and reads the entries from
     * it: a thread-local lookup per condition and event cost more than the condition's plan.
     */
    static final class Current {
        final Thread thread = Thread.currentThread();
        Entries entries;
    }

    private static final ThreadLocal<Current> CURRENT = ThreadLocal.withInitial(Current::new);

    private RuntimeLists() {}

    /** Makes {@code entries} those the thread's conditions read; null: the pack's values only. */
    public static void use(Entries entries) {
        CURRENT.get().entries = entries;
    }

    /** The thread's entries, or null. */
    static Entries current() {
        return CURRENT.get().entries;
    }

    /** The thread's holder of its entries in force, to keep. */
    static Current holder() {
        return CURRENT.get();
    }

    /**
     * The lists a condition reads: the pack's {@code lists} with {@code entries} on top, or the
     * pack's as they are without entries.
     */
    static Map<String, List<String>> view(Map<String, List<String>> lists, Entries entries) {
        Map<String, List<String>> view = new LinkedHashMap<>();
        lists.forEach((name, values) -> view.put(name, new Member(name, values, entries)));
        return new AbstractMap<>() {
            @Override
            public Set<Entry<String, List<String>>> entrySet() {
                return view.entrySet();
            }

            @Override
            public List<String> get(Object key) {
                return view.get(key);
            }

            @Override
            public boolean containsKey(Object key) {
                return view.containsKey(key);
            }
        };
    }

    /** One list: membership in one lookup; its elements listed only when a rule iterates. */
    private static final class Member extends AbstractList<String> {
        private final String name;
        private final List<String> packOrder;
        private final Entries entries;
        private Set<String> packValues;
        private List<String> listed;
        private long listedAt = -1;

        /** {@code entries} null: the pack's values as they are. */
        Member(String name, List<String> packValues, Entries entries) {
            this.name = name;
            this.packOrder = packValues;
            this.entries = entries;
        }

        @Override
        public boolean contains(Object o) {
            if (!(o instanceof String value)) {
                return false;
            }
            Boolean changed = entries == null ? null : entries.entry(name, value);
            if (changed != null) {
                return changed;
            }
            if (packValues == null) {
                packValues = new HashSet<>(packOrder);
            }
            return packValues.contains(value);
        }

        @Override
        public String get(int index) {
            return listed().get(index);
        }

        @Override
        public int size() {
            return listed().size();
        }

        private List<String> listed() {
            if (entries == null) {
                return packOrder;
            }
            if (listed == null || listedAt != entries.version()) {
                Map<String, Boolean> changed = entries.entries(name);
                List<String> all = new ArrayList<>();
                for (String v : packOrder) {
                    if (!Boolean.FALSE.equals(changed.get(v))) {
                        all.add(v);
                    }
                }
                Set<String> pack = new HashSet<>(packOrder);
                changed.forEach(
                        (v, in) -> {
                            if (in && !pack.contains(v)) {
                                all.add(v);
                            }
                        });
                listed = all;
                listedAt = entries.version();
            }
            return listed;
        }
    }
}

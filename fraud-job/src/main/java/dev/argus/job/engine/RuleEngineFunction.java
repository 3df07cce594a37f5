package dev.argus.job.engine;

import dev.argus.job.functions.MatchToAlertFunction;
import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The rule engine: every rule of the pack in one keyed operator, with flink-cep's own NFA per rule
 * (see {@link RuleRunner}) and one RocksDB value per account holding all of them: read once and
 * written once per event, and only when something changed. At most one event-time timer per
 * account, at the earliest moment something is due: a partial match leaving its window (absence
 * rules alert then) or, in event-time ordering, the earliest buffered event.
 *
 * <p>Two orderings, chosen per deployment:
 *
 * <ul>
 *   <li>{@link Ordering#EVENT_TIME}: events wait in the account's value until the watermark passes
 *       them and are then processed in event-time order, exactly as {@code CEP.pattern(...)
 *       .inEventTime()} does;
 *   <li>{@link Ordering#ARRIVAL}: each event is processed when it arrives, at its event time (or
 *       the account's latest time, if it arrives out of order), for the lowest latency; {@code
 *       within} still counts in event time.
 * </ul>
 *
 * <p>The account's value: a format version, the account's clock (NFA time never goes back), the
 * registered timer, the events waiting for the watermark, and one section per rule that holds
 * partial matches, keyed by the rule's id and pattern fingerprint. A section whose key no active
 * rule has (a removed rule, or one whose pattern changed) is dropped when the account is next
 * touched: a changed rule starts clean, the others keep their partial matches.
 */
public final class RuleEngineFunction
        extends KeyedProcessFunction<String, EnrichedTransaction, Alert> {
    private static final long serialVersionUID = 1L;

    /**
     * The value's layout; a change to it needs a new number and a reader for the old one. Format 2
     * prefixes each shared-buffer value, and each event inside one, with its length (format 1 did
     * not); the rest is the same.
     */
    static final int FORMAT = 2;

    public static final String STATE = "rule-engine";

    /** Events behind the watermark in event-time ordering, as flink-cep's late side output. */
    public static final OutputTag<EnrichedTransaction> LATE =
            new OutputTag<>(
                    "late-at-rule-engine",
                    new org.apache.flink.formats.avro.typeutils.AvroTypeInfo<>(
                            EnrichedTransaction.class));

    /** When an account's events are evaluated. */
    public enum Ordering {
        ARRIVAL,
        EVENT_TIME
    }

    private final List<Rule> rules;
    private final Ordering ordering;
    private final int maxPartialMatches;

    private transient ValueState<byte[]> state;
    private transient List<RuleRunner> runners;
    private transient Map<String, Integer> bySection;
    private transient String[] sectionKeys;
    private transient EventSerializer eventSerializer;
    private transient DataOutputSerializer scratch;
    private transient DataOutputSerializer out;
    private transient Counter[] matches;
    private transient Counter[] dropped;

    /**
     * @param maxPartialMatches how many partial matches one rule may hold for one account; past it,
     *     that rule's partial matches for the account are dropped and counted
     */
    public RuleEngineFunction(List<Rule> rules, Ordering ordering, int maxPartialMatches) {
        if (maxPartialMatches < 1) {
            throw new IllegalArgumentException("rules.max-partial-matches must be at least 1");
        }
        this.rules = List.copyOf(rules);
        this.ordering = ordering;
        this.maxPartialMatches = maxPartialMatches;
    }

    /** The key of a rule's section: its id and pattern fingerprint. */
    static String sectionKey(Rule rule) {
        return rule.id() + "@" + rule.fingerprint();
    }

    /** The account's value: bytes in the engine's own versioned layout (see the class comment). */
    static ValueStateDescriptor<byte[]> descriptor() {
        return new ValueStateDescriptor<>(STATE, BytePrimitiveArraySerializer.INSTANCE);
    }

    /** The section keys (rule id @ fingerprint) in an account's value, in order; for tests. */
    static List<String> sectionKeys(byte[] value) throws IOException {
        List<String> keys = new ArrayList<>();
        if (value != null) {
            parse(value, new Account(0), (key, section) -> keys.add(key));
        }
        return keys;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        state = getRuntimeContext().getState(descriptor());
        eventSerializer = new EventSerializer();
        runners = new ArrayList<>();
        bySection = new LinkedHashMap<>();
        sectionKeys = new String[rules.size()];
        matches = new Counter[rules.size()];
        dropped = new Counter[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            runners.add(new RuleRunner(rule, getRuntimeContext(), eventSerializer));
            sectionKeys[i] = sectionKey(rule);
            bySection.put(sectionKeys[i], i);
            var group =
                    getRuntimeContext()
                            .getMetricGroup()
                            .addGroup("argus")
                            .addGroup("rule", rule.id());
            matches[i] = group.counter("matches");
            dropped[i] = group.counter("partial_matches_dropped");
        }
        scratch = new DataOutputSerializer(1024);
        out = new DataOutputSerializer(4096);
    }

    @Override
    public void close() throws Exception {
        if (runners != null) {
            for (RuleRunner r : runners) {
                r.close();
            }
        }
    }

    /** An account's value, decoded. */
    private static final class Account {
        long clock = Long.MIN_VALUE;
        long timer = Long.MIN_VALUE;
        final List<Waiting> waiting = new ArrayList<>();
        final byte[][] sections;
        boolean dirty;

        Account(int rules) {
            sections = new byte[rules][];
        }
    }

    /** An event waiting for the watermark; {@code arrival} keeps ties in arrival order. */
    private record Waiting(long timestamp, long arrival, byte[] event) {}

    @Override
    public void processElement(EnrichedTransaction event, Context ctx, Collector<Alert> out)
            throws Exception {
        long timestamp = ctx.timestamp();
        if (ordering == Ordering.EVENT_TIME && timestamp <= ctx.timerService().currentWatermark()) {
            ctx.output(LATE, event); // nothing of the account is read for it
            return;
        }
        Account account = read();
        if (ordering == Ordering.EVENT_TIME) {
            long arrival =
                    account.waiting.isEmpty()
                            ? 0
                            : account.waiting.get(account.waiting.size() - 1).arrival() + 1;
            account.waiting.add(new Waiting(timestamp, arrival, eventSerializer.encode(event)));
            account.dirty = true;
            // the rules' sections are not loaded here: keep an earlier timer (a window end or an
            // earlier event), else wake up for this event
            if (account.timer == Long.MIN_VALUE || timestamp < account.timer) {
                replaceTimer(account, timestamp, ctx);
            }
            write(account);
            return;
        }
        long at = Math.max(timestamp, account.clock);
        account.clock = at;
        Loaded loaded = new Loaded(account);
        step(loaded, event, at, out, ctx);
        saveChanged(loaded);
        schedule(loaded, ctx);
        write(account);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        Account account = read();
        if (account.timer != timestamp) {
            return; // a timer this account no longer wants
        }
        // the timer has fired: the value must not keep it, even when nothing else changes
        account.timer = Long.MIN_VALUE;
        account.dirty = true;
        long watermark = ctx.timerService().currentWatermark();
        Loaded loaded = new Loaded(account);
        if (ordering == Ordering.EVENT_TIME) {
            account.waiting.sort(
                    Comparator.comparingLong(Waiting::timestamp)
                            .thenComparingLong(Waiting::arrival));
            while (!account.waiting.isEmpty() && account.waiting.get(0).timestamp() <= watermark) {
                Waiting w = account.waiting.remove(0);
                account.dirty = true;
                EnrichedTransaction event = eventSerializer.decode(w.event());
                step(loaded, event, w.timestamp(), out, ctx);
            }
        }
        long at = Math.max(watermark, account.clock);
        account.clock = at;
        for (int i = 0; i < runners.size(); i++) {
            // a rule the account holds nothing for has nothing to time out
            if (!loaded.holdsNothing(i)) {
                RuleRunner r = loaded.runner(i);
                emit(i, r.advanceTime(at), out, ctx);
                loaded.touched[i] |= r.changed();
            }
        }
        saveChanged(loaded);
        schedule(loaded, ctx);
        write(account);
    }

    /**
     * Feeds one event, at {@code at}, to every rule. A rule the account holds nothing for is not
     * even loaded unless the event can start a partial match of it.
     */
    private void step(
            Loaded loaded, EnrichedTransaction event, long at, Collector<Alert> out, Context ctx)
            throws Exception {
        for (int i = 0; i < runners.size(); i++) {
            if (loaded.holdsNothing(i) && runners.get(i).cannotStart(event, at)) {
                continue;
            }
            RuleRunner r = loaded.runner(i);
            emit(i, r.advanceTime(at), out, ctx);
            emitMatches(i, r.process(event, at), out, ctx);
            loaded.touched[i] |= r.changed() | cap(i);
        }
    }

    /**
     * Past the cap, a rule's partial matches for the account are dropped, all of them, and the rule
     * starts over for the account: a pattern that piles up partial matches (a relaxed loop over
     * frequent events in a long window) must not grow one account's value without bound.
     */
    private boolean cap(int rule) {
        RuleRunner r = runners.get(rule);
        int partial = r.partialMatches();
        if (partial <= maxPartialMatches) {
            return false;
        }
        dropped[rule].inc(partial);
        r.reset();
        return true;
    }

    /**
     * The rules' runners for one account, each loaded with the account's section on first use (a
     * rule without one starts fresh), and which of them changed.
     */
    private final class Loaded {
        final Account account;
        final boolean[] loaded = new boolean[runners.size()];
        final boolean[] touched = new boolean[runners.size()];

        Loaded(Account account) {
            this.account = account;
        }

        /** Whether the account holds nothing for rule {@code i}, untouched in this step. */
        boolean holdsNothing(int i) {
            return !loaded[i] && account.sections[i] == null;
        }

        RuleRunner runner(int i) throws IOException {
            RuleRunner r = runners.get(i);
            if (!loaded[i]) {
                byte[] section = account.sections[i];
                if (section == null) {
                    r.reset();
                } else {
                    r.load(section, FORMAT);
                }
                loaded[i] = true;
            }
            return r;
        }
    }

    private void saveChanged(Loaded loaded) throws Exception {
        for (int i = 0; i < runners.size(); i++) {
            if (loaded.touched[i]) {
                loaded.account.sections[i] = runners.get(i).save(scratch);
                loaded.account.dirty = true;
            }
        }
    }

    /** Keeps one timer: the earliest waiting event or window end of the account. */
    private void schedule(Loaded loaded, Context ctx) throws IOException {
        Account account = loaded.account;
        long next = Long.MAX_VALUE;
        for (Waiting w : account.waiting) {
            next = Math.min(next, w.timestamp());
        }
        for (int i = 0; i < runners.size(); i++) {
            if (account.sections[i] != null) {
                next = Math.min(next, loaded.runner(i).nextDeadline());
            }
        }
        replaceTimer(account, next == Long.MAX_VALUE ? Long.MIN_VALUE : next, ctx);
    }

    /** Moves the account's one timer to {@code wanted} ({@link Long#MIN_VALUE}: none). */
    private static void replaceTimer(Account account, long wanted, Context ctx) {
        if (wanted != account.timer) {
            if (account.timer != Long.MIN_VALUE) {
                ctx.timerService().deleteEventTimeTimer(account.timer);
            }
            if (wanted != Long.MIN_VALUE) {
                ctx.timerService().registerEventTimeTimer(wanted);
            }
            account.timer = wanted;
            account.dirty = true;
        }
    }

    private void emit(int rule, RuleRunner.Output output, Collector<Alert> out, Context ctx) {
        emitMatches(rule, output.matches(), out, ctx);
        Rule r = rules.get(rule);
        if (r.alertsOnTimeout()) {
            for (Map<String, List<EnrichedTransaction>> m : output.timedOut()) {
                if (r.isAbsence(m)) {
                    out.collect(MatchToAlertFunction.toAlert(r, m, now(ctx)));
                    matches[rule].inc();
                }
            }
        }
    }

    private void emitMatches(
            int rule,
            List<Map<String, List<EnrichedTransaction>>> found,
            Collector<Alert> out,
            Context ctx) {
        Rule r = rules.get(rule);
        if (r.alertsOnTimeout()) {
            return; // the awaited event came in time: nothing is wrong
        }
        for (Map<String, List<EnrichedTransaction>> m : found) {
            out.collect(MatchToAlertFunction.toAlert(r, m, now(ctx)));
            matches[rule].inc();
        }
    }

    private static Instant now(Context ctx) {
        return Instant.ofEpochMilli(ctx.timerService().currentProcessingTime());
    }

    /** The account's value, decoded; sections of rules that no longer run are left out. */
    private Account read() throws Exception {
        eventSerializer.forget(); // another account: other event objects
        Account account = new Account(runners.size());
        byte[] value = state.value();
        if (value == null) {
            return account;
        }
        int format =
                parse(
                        value,
                        account,
                        (key, section) -> {
                            Integer rule = bySection.get(key);
                            if (rule != null) {
                                account.sections[rule] = section;
                            } else {
                                account.dirty = true; // a removed or changed rule: its matches go
                            }
                        });
        if (format < FORMAT) {
            // written by an earlier version: every section in today's layout before anything else
            for (int rule = 0; rule < runners.size(); rule++) {
                if (account.sections[rule] != null) {
                    runners.get(rule).load(account.sections[rule], format);
                    account.sections[rule] = runners.get(rule).save(scratch);
                }
            }
            account.dirty = true;
        }
        return account;
    }

    /** A rule's section as stored in the account's value. */
    private interface SectionReader {
        void section(String key, byte[] bytes) throws IOException;
    }

    /**
     * Decodes the value into {@code account} (clock, timer, waiting events), hands each section to
     * {@code sections}, and returns the value's format.
     */
    private static int parse(byte[] value, Account account, SectionReader sections)
            throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(value);
        int format = in.readInt();
        if (format < 1 || format > FORMAT) {
            throw new IOException(
                    "rule engine state of format "
                            + format
                            + ", this version reads 1 to "
                            + FORMAT
                            + ": restore with the Argus version that wrote it or a later one");
        }
        account.clock = in.readLong();
        account.timer = in.readLong();
        for (int n = in.readInt(); n > 0; n--) {
            long timestamp = in.readLong();
            long arrival = in.readLong();
            byte[] event = new byte[in.readInt()];
            in.readFully(event);
            account.waiting.add(new Waiting(timestamp, arrival, event));
        }
        for (int n = in.readInt(); n > 0; n--) {
            String key = in.readUTF();
            byte[] section = new byte[in.readInt()];
            in.readFully(section);
            sections.section(key, section);
        }
        return format;
    }

    /** Writes the account's value back if anything in it changed; clears it when it is empty. */
    private void write(Account account) throws IOException {
        if (!account.dirty) {
            return;
        }
        boolean empty = account.waiting.isEmpty() && account.timer == Long.MIN_VALUE;
        for (byte[] s : account.sections) {
            empty &= s == null;
        }
        if (empty) {
            state.clear();
            return;
        }
        out.clear();
        out.writeInt(FORMAT);
        out.writeLong(account.clock);
        out.writeLong(account.timer);
        out.writeInt(account.waiting.size());
        for (Waiting w : account.waiting) {
            out.writeLong(w.timestamp());
            out.writeLong(w.arrival());
            out.writeInt(w.event().length);
            out.write(w.event());
        }
        int sections = 0;
        for (byte[] s : account.sections) {
            sections += s == null ? 0 : 1;
        }
        out.writeInt(sections);
        for (int i = 0; i < runners.size(); i++) {
            byte[] s = account.sections[i];
            if (s != null) {
                out.writeUTF(sectionKeys[i]);
                out.writeInt(s.length);
                out.write(s);
            }
        }
        state.update(out.getCopyOfBuffer());
    }
}

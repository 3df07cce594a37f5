package dev.argus.job.engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * One account's value in the rule engine's state, decoded, and its binary layout: a format version,
 * the account's clock (NFA time never goes back), the registered timer, the events waiting for the
 * watermark, and one section per rule that holds partial matches, keyed by the rule's id and
 * pattern fingerprint ({@link #sectionKey}).
 *
 * <p>The layout is part of the savepoint contract, like the state's name: a change to it needs a
 * new {@link #FORMAT} and a reader for the old one. Formats 1 and 2 held flink-cep's own NFA state
 * and shared-buffer contents in each section (format 2 with each shared-buffer value, and each
 * event inside one, prefixed by its length); format 3 holds the compact {@link NfaSection}, and
 * older sections are converted to it when the account is first read. The rest is the same. A
 * section whose key no active rule has (a removed rule, or one whose pattern changed) is dropped
 * when the account is read: a changed rule starts clean, the others keep their partial matches.
 */
final class AccountValue {
    /** The layout this version writes; it reads 1 to this. */
    static final int FORMAT = 3;

    /** Time up to which the account's rules have been advanced. */
    long clock = Long.MIN_VALUE;

    /** The account's one event-time timer, or {@link Long#MIN_VALUE} for none. */
    long timer = Long.MIN_VALUE;

    /** Events waiting in the value for the watermark (after an overflow of the waiting events). */
    final List<Waiting> waiting = new ArrayList<>();

    /** Each active rule's section, by the rule's index; null where the account holds nothing. */
    final byte[][] sections;

    /** Whether the value must be written back. */
    boolean dirty;

    AccountValue(int rules) {
        sections = new byte[rules][];
    }

    /**
     * An event waiting in the account's value for the watermark; {@code arrival} keeps ties in
     * arrival order.
     */
    record Waiting(long timestamp, long arrival, byte[] event) {}

    /** Re-encodes a section written in an older format into today's. */
    interface SectionMigration {
        byte[] migrate(int rule, byte[] section, int format) throws Exception;
    }

    /** The key of a rule's section: its id and pattern fingerprint. */
    static String sectionKey(dev.argus.rules.Rule rule) {
        return rule.id() + "@" + rule.fingerprint();
    }

    /**
     * Decodes a stored value for {@code rules} active rules. Sections of rules not in {@code
     * bySection} (rule index by section key) are left out and mark the value dirty; sections of an
     * older format go through {@code migration} so that everything after works on today's layout.
     */
    static AccountValue decode(
            byte[] value, int rules, Map<String, Integer> bySection, SectionMigration migration)
            throws Exception {
        AccountValue account = new AccountValue(rules);
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
            for (int rule = 0; rule < account.sections.length; rule++) {
                if (account.sections[rule] != null) {
                    account.sections[rule] =
                            migration.migrate(rule, account.sections[rule], format);
                }
            }
            account.dirty = true;
        }
        return account;
    }

    /** Whether the account holds nothing at all: its value can be cleared. */
    boolean isEmpty() {
        if (!waiting.isEmpty() || timer != Long.MIN_VALUE) {
            return false;
        }
        for (byte[] s : sections) {
            if (s != null) {
                return false;
            }
        }
        return true;
    }

    /** Encodes the value in today's format; {@code sectionKeys} by rule index. */
    byte[] encode(DataOutputSerializer out, String[] sectionKeys) throws IOException {
        out.clear();
        out.writeInt(FORMAT);
        out.writeLong(clock);
        out.writeLong(timer);
        out.writeInt(waiting.size());
        for (Waiting w : waiting) {
            out.writeLong(w.timestamp());
            out.writeLong(w.arrival());
            out.writeInt(w.event().length);
            out.write(w.event());
        }
        int present = 0;
        for (byte[] s : sections) {
            present += s == null ? 0 : 1;
        }
        out.writeInt(present);
        for (int i = 0; i < sections.length; i++) {
            byte[] s = sections[i];
            if (s != null) {
                out.writeUTF(sectionKeys[i]);
                out.writeInt(s.length);
                out.write(s);
            }
        }
        return out.getCopyOfBuffer();
    }

    /** The section keys (rule id @ fingerprint) in a stored value, in order; for tests. */
    static List<String> sectionKeys(byte[] value) throws IOException {
        List<String> keys = new ArrayList<>();
        if (value != null) {
            parse(value, new AccountValue(0), (key, section) -> keys.add(key));
        }
        return keys;
    }

    /** How many events wait for the watermark in a stored value; for tests. */
    static int waitingEvents(byte[] value) throws IOException {
        AccountValue account = new AccountValue(0);
        parse(value, account, (key, section) -> {});
        return account.waiting.size();
    }

    /** A rule's section as stored in the account's value. */
    interface SectionReader {
        void section(String key, byte[] bytes) throws IOException;
    }

    /**
     * Decodes the value into {@code account} (clock, timer, waiting events), hands each section to
     * {@code sections}, and returns the value's format.
     */
    static int parse(byte[] value, AccountValue account, SectionReader sections)
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
}

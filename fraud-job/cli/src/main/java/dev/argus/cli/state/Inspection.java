package dev.argus.cli.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code argus state inspect} found in a savepoint; printed as a table ({@link #table}) or as
 * JSON ({@link #json}), the same figures in both. Instants are ISO-8601 strings, null for none.
 *
 * @param savepoint the savepoint's directory
 * @param accounts accounts with state in the profile and in the rule engine
 * @param bytesPerAccount each account's state, serialized: its engine value and its profile
 * @param engineValueBytes each engine value as stored
 * @param profileBytes each profile, serialized by its Avro serializer
 * @param partialMatches partial matches of every rule over every account
 * @param rules each rule's section (rule id and pattern fingerprint), most partial matches first
 * @param oldestPendingDeadline the earliest time a partial match leaves its window, null for none
 * @param sectionsWithoutDeadline accounts' sections holding partial matches whose deadline is not
 *     known: of an older format and a rule the pack does not have
 */
public record Inspection(
        String savepoint,
        Accounts accounts,
        Distribution bytesPerAccount,
        Distribution engineValueBytes,
        Distribution profileBytes,
        long partialMatches,
        List<RuleState> rules,
        Deadline oldestPendingDeadline,
        long sectionsWithoutDeadline,
        Engine engine,
        PackInForce pack) {

    /**
     * @param profile accounts with a profile
     * @param ruleEngine accounts with a value in the rule engine
     * @param both accounts with both
     * @param total accounts with either
     */
    public record Accounts(long profile, long ruleEngine, long both, long total) {}

    /**
     * One rule's section over every account.
     *
     * @param inPack whether the packs in force (the start pack and those deployed at run time) have
     *     the rule with this fingerprint; the engine drops other sections at an account's next step
     * @param accounts accounts holding a section of the rule
     * @param bytes the sections' bytes, together
     * @param earliestDeadline when its earliest partial match leaves its window
     */
    public record RuleState(
            String rule,
            String section,
            boolean inPack,
            long partialMatches,
            long accountsWithPartialMatches,
            long accounts,
            long bytes,
            String earliestDeadline) {}

    public record Deadline(String at, String rule, String account) {}

    /**
     * @param formats accounts by the layout of their value
     * @param currentFormat the layout this version writes; older ones are converted when the
     *     account is next read
     * @param accountsWithTimer accounts with an event-time timer
     * @param earliestTimer the earliest timer (a window's end or an event waiting in the value)
     * @param eventsWaitingInValues events waiting for the watermark in the accounts' values
     * @param eventsWaitingInOperatorState events waiting for the watermark in the engine's operator
     *     state (event-time ordering)
     */
    public record Engine(
            Map<Integer, Long> formats,
            int currentFormat,
            long accountsWithTimer,
            String earliestTimer,
            long eventsWaitingInValues,
            long eventsWaitingInOperatorState) {}

    /**
     * @param version the version of the pack in force once every deploy in the savepoint has taken
     *     effect
     * @param source {@code start pack} or {@code deployed at run time}
     * @param startPack the start pack given ({@code --pack}): the savepoint does not record it
     * @param startPackVersion its version
     * @param deploys the packs deployed at run time the engine keeps, in order of effect
     * @param deploysOfOtherStartPacks deploys applied while the job ran a start pack of another
     *     version: not in force for a job started with this one
     * @param sectionsOfPack accounts' sections of rules the packs in force have
     * @param sectionsOfOtherRules accounts' sections of other rules (or other fingerprints)
     */
    public record PackInForce(
            String version,
            String source,
            String startPack,
            String startPackVersion,
            List<Deploy> deploys,
            long deploysOfOtherStartPacks,
            long sectionsOfPack,
            long sectionsOfOtherRules) {}

    public record Deploy(String commandId, String version, String effectiveAt, boolean inForce) {}

    /** The inspection as indented JSON. */
    public String json() {
        try {
            return new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The inspection as a table for people. */
    public String table() {
        StringBuilder s = new StringBuilder();
        line(s, "savepoint        %s", savepoint);
        line(
                s,
                "pack in force    %s (%s)%s",
                pack.version(),
                pack.source(),
                pack.deploys().isEmpty()
                        ? ", no pack deployed at run time"
                        : ", " + pack.deploys().size() + " deployed at run time");
        line(
                s,
                "start pack       %s from %s (the savepoint does not record it: give the job's"
                        + " rules.path with --pack)",
                pack.startPackVersion(),
                pack.startPack());
        line(
                s,
                "                 %,d account sections of its rules, %,d of other rules%s",
                pack.sectionsOfPack(),
                pack.sectionsOfOtherRules(),
                pack.sectionsOfOtherRules() == 0
                        ? ""
                        : " (dropped at each account's next step by a job running this pack)");
        for (Deploy d : pack.deploys()) {
            line(
                    s,
                    "  deploy %s: %s from %s%s",
                    d.commandId(),
                    d.version(),
                    d.effectiveAt(),
                    d.inForce() ? " (in force)" : "");
        }
        if (pack.deploysOfOtherStartPacks() > 0) {
            line(
                    s,
                    "  %d deploys made while the job ran another start pack: not in force",
                    pack.deploysOfOtherStartPacks());
        }
        s.append('\n');
        line(s, "accounts with state");
        line(s, "  profile        %,12d", accounts.profile());
        line(s, "  rule engine    %,12d", accounts.ruleEngine());
        line(s, "  both           %,12d", accounts.both());
        line(s, "  either         %,12d", accounts.total());
        s.append('\n');
        line(
                s,
                "%-28s %10s %8s %8s %8s %8s %8s %10s",
                "bytes per account",
                "accounts",
                "min",
                "p50",
                "p90",
                "p99",
                "max",
                "mean");
        distribution(s, "  engine value + profile", bytesPerAccount);
        distribution(s, "  rule engine value", engineValueBytes);
        distribution(s, "  profile", profileBytes);
        s.append('\n');
        int width = "partial matches per rule".length();
        for (RuleState r : rules) {
            width = Math.max(width, r.rule().length() + 2);
        }
        line(
                s,
                "%-" + width + "s %16s %20s %16s %12s  %s",
                "partial matches per rule",
                "partial matches",
                "accounts with any",
                "accounts held",
                "bytes",
                "earliest deadline");
        for (RuleState r : rules) {
            line(
                    s,
                    "%-" + width + "s %,16d %,20d %,16d %,12d  %s%s",
                    "  " + r.rule(),
                    r.partialMatches(),
                    r.accountsWithPartialMatches(),
                    r.accounts(),
                    r.bytes(),
                    r.earliestDeadline() == null ? "-" : r.earliestDeadline(),
                    r.inPack() ? "" : "  (not in the pack: " + r.section() + ")");
        }
        line(s, "%-" + width + "s %,16d", "  total", partialMatches);
        s.append('\n');
        if (oldestPendingDeadline == null) {
            line(s, "oldest pending deadline  none: no partial match waits for a window's end");
        } else {
            line(
                    s,
                    "oldest pending deadline  %s, rule %s, account %s",
                    oldestPendingDeadline.at(),
                    oldestPendingDeadline.rule(),
                    oldestPendingDeadline.account());
        }
        if (sectionsWithoutDeadline > 0) {
            line(
                    s,
                    "                         (%,d sections of rules not in the pack, in an older"
                            + " format, have no known deadline)",
                    sectionsWithoutDeadline);
        }
        line(
                s,
                "engine timers            %,d accounts, earliest %s",
                engine.accountsWithTimer(),
                engine.earliestTimer() == null ? "-" : engine.earliestTimer());
        line(
                s,
                "waiting events           %,d in accounts' values, %,d in operator state",
                engine.eventsWaitingInValues(),
                engine.eventsWaitingInOperatorState());
        StringBuilder formats = new StringBuilder();
        engine.formats()
                .forEach(
                        (f, n) ->
                                formats.append(formats.length() == 0 ? "" : ", ")
                                        .append(
                                                String.format(
                                                        Locale.ROOT, "%,d in format %d", n, f)));
        line(
                s,
                "engine value layout      %s%s",
                formats.length() == 0 ? "no account" : formats,
                engine.formats().keySet().stream().anyMatch(f -> f < engine.currentFormat())
                        ? " (this version writes "
                                + engine.currentFormat()
                                + "; older values are converted when their account is next read)"
                        : "");
        return s.toString();
    }

    private static void distribution(StringBuilder s, String name, Distribution d) {
        line(
                s,
                "%-28s %,10d %,8d %,8d %,8d %,8d %,8d %,10.1f",
                name,
                d.count(),
                d.min(),
                d.p50(),
                d.p90(),
                d.p99(),
                d.max(),
                d.mean());
    }

    private static void line(StringBuilder s, String format, Object... args) {
        s.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}

package dev.argus.job.control;

import dev.argus.model.ControlChange;
import dev.argus.model.DeployPack;
import dev.argus.model.PackFile;
import dev.argus.rules.PackFiles;
import dev.argus.rules.PatternCheck;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which pack judges an event of a given time: the pack the job started with, then every pack
 * deployed through the control topic from its effective time on. Each event is judged by exactly
 * one: the last to take effect at or before its event time (ties go to the later command of the
 * topic). The rule engine and the alert gates each keep one, built from the changes in their
 * broadcast state; a deployed pack is compiled once per instance.
 *
 * <p>A deploy applied while the job ran another start pack (its {@code base_version}) is not in
 * force: a restart with a pack of another version replaces the packs deployed at run time.
 */
public final class PackTimeline {
    /**
     * A pack in force from {@code effectiveAt} ({@link Long#MIN_VALUE} for the start pack).
     *
     * @param id the deploy's command id, or {@link #START} for the start pack
     * @param offset the command's offset in the control topic (-1 for the start pack)
     * @param rules the pack's active rules (not {@code off}), in file order
     */
    public record Pack(String id, String version, long effectiveAt, long offset, List<Rule> rules) {
        /** The names of the pack's lists. */
        public java.util.Set<String> listNames() {
            return rules.get(0).listNames();
        }

        /** The pack's active rule of that id, or null. */
        public Rule rule(String ruleId) {
            for (Rule r : rules) {
                if (r.id().equals(ruleId)) {
                    return r;
                }
            }
            return null;
        }
    }

    /** The id of the start pack. */
    public static final String START = "start";

    private final Pack start;
    private final Map<String, Pack> compiled = new HashMap<>();
    private List<Pack> packs;

    /**
     * @param startRules the active rules of the pack the job started with
     */
    public PackTimeline(List<Rule> startRules) {
        this.start =
                new Pack(
                        START,
                        startRules.get(0).packVersion(),
                        Long.MIN_VALUE,
                        -1,
                        List.copyOf(startRules));
        this.packs = List.of(start);
    }

    /** Whether a change belongs here: a deploy applied while the job ran this start pack. */
    public boolean isDeploy(ControlChange change) {
        return change.getChange() instanceof DeployPack
                && change.getBaseVersion().toString().equals(start.version());
    }

    /**
     * Replaces the deployed packs with those of {@code changes} (others are ignored), compiling the
     * new ones.
     */
    public void update(Iterable<ControlChange> changes) {
        List<Pack> next = new ArrayList<>();
        next.add(start);
        Map<String, Pack> kept = new HashMap<>();
        for (ControlChange c : changes) {
            if (!isDeploy(c)) {
                continue;
            }
            String id = c.getCommandId();
            Pack pack = compiled.get(id);
            if (pack == null) {
                DeployPack deploy = (DeployPack) c.getChange();
                List<Rule> rules = compile(deploy);
                pack =
                        new Pack(
                                id,
                                rules.get(0).packVersion(),
                                c.getEffectiveAt().toEpochMilli(),
                                c.getOffset(),
                                rules);
            }
            kept.put(id, pack);
            next.add(pack);
        }
        compiled.clear();
        compiled.putAll(kept);
        next.sort(Comparator.comparingLong(Pack::effectiveAt).thenComparingLong(Pack::offset));
        packs = Collections.unmodifiableList(next);
    }

    /** {@link #update} from a broadcast state's entries. */
    public void updateFrom(Iterable<Map.Entry<String, ControlChange>> entries) {
        List<ControlChange> changes = new ArrayList<>();
        entries.forEach(e -> changes.add(e.getValue()));
        update(changes);
    }

    /** The pack that judges an event of time {@code at}. */
    public Pack at(long at) {
        Pack found = packs.get(0);
        for (Pack p : packs) {
            if (p.effectiveAt() <= at) {
                found = p;
            } else {
                break;
            }
        }
        return found;
    }

    /**
     * The pack that judged an alert of pack {@code version} whose last matched event is at {@code
     * at}: of the packs of that version, the last to take effect at or before {@code at}, else the
     * first after it (an absence rule's alert is judged when its window ends, which may be after a
     * cutover its last event came before); the pack in force at {@code at} when none has that
     * version.
     */
    public Pack judged(String version, long at) {
        Pack before = null;
        Pack after = null;
        for (Pack p : packs) {
            if (!p.version().equals(version)) {
                continue;
            }
            if (p.effectiveAt() <= at) {
                before = p;
            } else if (after == null) {
                after = p;
            }
        }
        return before != null ? before : after != null ? after : at(at);
    }

    /** The pack in force once every cutover has passed: the last to take effect. */
    public Pack latest() {
        return packs.get(packs.size() - 1);
    }

    /** Every pack in force at some time, the start pack first, in order of effect. */
    public List<Pack> packs() {
        return packs;
    }

    /**
     * The deploys no event can be judged by any more: each replaced by a later one in force at or
     * before {@code time} (an event time no event of the job can precede).
     */
    public List<String> replacedBy(long time) {
        List<String> replaced = new ArrayList<>();
        for (int i = 0; i + 1 < packs.size(); i++) {
            if (packs.get(i + 1).effectiveAt() <= time && !packs.get(i).id().equals(START)) {
                replaced.add(packs.get(i).id());
            }
        }
        return replaced;
    }

    /** A deploy's files as the pack loader takes them. */
    public static Map<String, String> files(DeployPack deploy) {
        Map<String, String> files = new LinkedHashMap<>();
        for (PackFile f : deploy.getFiles()) {
            files.put(f.getPath(), f.getContent());
        }
        return files;
    }

    /**
     * The active rules of a deployed pack. The control function validated it before it was applied,
     * so a problem here means this version of Argus reads the pack differently: the job must not
     * judge by another pack instead, and stops with what to do.
     */
    private static List<Rule> compile(DeployPack deploy) {
        RulePackLoader.Result result = PackFiles.load(files(deploy), PatternCheck.NONE);
        if (!result.valid()) {
            throw new IllegalStateException(
                    "a rule pack deployed through the control topic ("
                            + deploy.getSource()
                            + ") no longer loads: "
                            + result.problems()
                            + ". Restart the job from its savepoint with rules.path set to a pack"
                            + " of another version: that replaces the packs deployed at run time.");
        }
        List<Rule> active = result.pack().active();
        if (active.isEmpty()) {
            throw new IllegalStateException(
                    "a rule pack deployed through the control topic ("
                            + deploy.getSource()
                            + ") has no active rule");
        }
        return active;
    }
}

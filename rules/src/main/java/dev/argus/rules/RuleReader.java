package dev.argus.rules;

import dev.argus.model.Severity;
import dev.argus.rules.RuleSpec.AlertOn;
import dev.argus.rules.RuleSpec.Follows;
import dev.argus.rules.RuleSpec.LoopContiguity;
import dev.argus.rules.RuleSpec.Mode;
import dev.argus.rules.RuleSpec.Skip;
import dev.argus.rules.RuleSpec.Stage;
import dev.argus.rules.yaml.Problems;
import dev.argus.rules.yaml.YamlMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/** Reads one rule file into a {@link RuleSpec}, reporting every problem of its keys and values. */
final class RuleReader {
    static final List<String> REQUIRED =
            List.of(
                    "id",
                    "version",
                    "title",
                    "owner",
                    "severity",
                    "score",
                    "mode",
                    "explanation",
                    "pattern");
    // 'within' is required too, with a message of its own: see read()
    static final List<String> OPTIONAL =
            List.of(
                    "within",
                    "description",
                    "tags",
                    "typology",
                    "skip",
                    "alert_on",
                    "quiet_period",
                    "max_alerts_per_minute");
    static final List<String> STAGE_REQUIRED = List.of("stage", "where");
    static final List<String> STAGE_OPTIONAL =
            List.of("follows", "times", "optional", "greedy", "loop");

    static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
    static final Pattern STAGE_NAME = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final Pattern TIMES = Pattern.compile("(\\d+)(?:(\\+)|\\.\\.(\\d+))?");
    private static final Pattern SKIP_TO =
            Pattern.compile("(skip_to_first|skip_to_last)\\((\\w+)\\)");

    private RuleReader() {}

    /**
     * The spec, or empty when the file is not a mapping. When some keys have problems the spec is
     * still returned, with defaults in their place, so that its conditions are checked too; the
     * caller knows from the problem count that it must not run.
     */
    static Optional<RuleSpec> read(Node root, Problems problems) {
        Optional<YamlMap> maybe = YamlMap.of(root, problems, "a rule file");
        if (maybe.isEmpty()) {
            return Optional.empty();
        }
        YamlMap rule = maybe.get();
        Optional<String> id = rule.string("id");
        id.ifPresent(problems::ruleId);
        rule.checkKeys("a rule", REQUIRED, OPTIONAL);
        id.filter(i -> !ID.matcher(i).matches())
                .ifPresent(
                        i ->
                                problems.add(
                                        rule.line("id"),
                                        "id '" + i + "' is not kebab-case",
                                        "use lower-case letters, digits and '-', e.g."
                                                + " card-testing; the id names the rule's"
                                                + " operator in savepoints"));
        Optional<Integer> version = rule.integer("version", 1, 1_000_000);
        Optional<Severity> severity = rule.choice("severity", Severity.class);
        Optional<Integer> score = rule.integer("score", 0, 100);
        Optional<Mode> mode = rule.choice("mode", Mode.class);
        AlertOn alertOn = rule.choice("alert_on", AlertOn.class).orElse(AlertOn.MATCH);
        List<String> tags = rule.strings("tags").orElse(List.of());
        Optional<String> typology = rule.string("typology");
        typology.filter(t -> !ID.matcher(t).matches())
                .ifPresent(
                        t ->
                                problems.add(
                                        rule.line("typology"),
                                        "typology '" + t + "' is not kebab-case",
                                        "name the fraud typology the rule is written against in"
                                                + " lower-case letters, digits and '-', e.g."
                                                + " card-testing, as the labels of a data set"
                                                + " name it"));
        Optional<Duration> within = rule.duration("within");
        within.filter(d -> d.isZero())
                .ifPresent(d -> problems.add(rule.line("within"), "'within' is zero", null));
        List<Stage> stages = stages(rule, problems);
        // one event matched on its own holds no partial match: only it may go without a window
        boolean singleEvent = stages.size() == 1 && !stages.get(0).loops();
        if (!rule.has("within") && !singleEvent) {
            problems.add(
                    rule.line(),
                    "the pattern has no 'within'",
                    "without a window, partial matches wait forever and the account's state grows"
                            + " without bound: add e.g. 'within: 1h'");
        }
        Skip skip = Skip.NO_SKIP;
        String skipStage = null;
        Optional<String> skipText = rule.string("skip");
        if (skipText.isPresent()) {
            Matcher to = SKIP_TO.matcher(skipText.get().trim());
            if (to.matches()) {
                skip = Skip.valueOf(to.group(1).toUpperCase());
                skipStage = to.group(2);
                String name = skipStage;
                if (stages.stream().noneMatch(s -> s.name().equals(name))) {
                    problems.add(
                            rule.line("skip"),
                            "'skip' names stage '" + name + "', which the pattern does not have",
                            Problems.didYouMean(name, stages.stream().map(Stage::name).toList())
                                    + "name one of the pattern's stages");
                }
            } else {
                skip =
                        rule.choice("skip", Skip.class)
                                .filter(s -> s != Skip.SKIP_TO_FIRST && s != Skip.SKIP_TO_LAST)
                                .orElse(Skip.NO_SKIP);
            }
        }
        if (alertOn == AlertOn.TIMEOUT && !stages.isEmpty()) {
            Stage last = stages.get(stages.size() - 1);
            if (stages.size() < 2 || last.follows().negated() || last.optional()) {
                problems.add(
                        rule.line("alert_on"),
                        "'alert_on: timeout' needs at least two stages and a last stage that is"
                                + " neither negated nor optional",
                        "the last stage is the event that is awaited; the rule alerts when it"
                                + " does not come within 'within' after the stages before it");
            }
        }
        return Optional.of(
                new RuleSpec(
                        problems.file(),
                        rule.line(),
                        id.orElse("?"),
                        version.orElse(1),
                        rule.string("title").orElse(""),
                        rule.string("description").orElse(""),
                        rule.string("owner").orElse(""),
                        severity.orElse(Severity.LOW),
                        score.orElse(0),
                        mode.orElse(Mode.OFF),
                        tags,
                        typology.orElse(null),
                        rule.string("explanation").orElse(""),
                        rule.node("explanation").map(YamlMap::textLine).orElse(rule.line()),
                        within.orElse(null),
                        skip,
                        skipStage,
                        alertOn,
                        rule.has("quiet_period")
                                ? rule.duration("quiet_period").orElse(null)
                                : null,
                        rule.has("max_alerts_per_minute")
                                ? rule.integer("max_alerts_per_minute", 1, 1_000_000).orElse(0)
                                : 0,
                        stages));
    }

    private static List<Stage> stages(YamlMap rule, Problems problems) {
        List<Stage> stages = new ArrayList<>();
        List<YamlMap> items = rule.maps("pattern", "stage");
        if (rule.has("pattern") && items.isEmpty()) {
            problems.add(rule.line("pattern"), "the pattern has no stages", null);
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            YamlMap s = items.get(i);
            s.checkKeys("a stage", STAGE_REQUIRED, STAGE_OPTIONAL);
            String name = s.string("stage").orElse("stage" + (i + 1));
            if (!STAGE_NAME.matcher(name).matches()) {
                problems.add(
                        s.line("stage"),
                        "stage name '" + name + "' is not a valid name",
                        "use lower-case letters, digits and '_', starting with a letter; conditions"
                                + " refer to it as matched."
                                + name.replaceAll("\\W", "_"));
            }
            if (!names.add(name)) {
                problems.add(s.line("stage"), "two stages are named '" + name + "'", null);
            }
            Follows follows = s.choice("follows", Follows.class).orElse(Follows.FOLLOWED_BY);
            if (i == 0 && s.has("follows")) {
                problems.add(
                        s.line("follows"),
                        "the first stage cannot have 'follows'",
                        "'follows' says how a stage relates to the stage before it");
            }
            int min = 1;
            int max = 1;
            Optional<String> times = s.string("times");
            if (times.isPresent()) {
                Matcher m = TIMES.matcher(times.get().trim());
                if (m.matches()) {
                    min = Integer.parseInt(m.group(1));
                    max =
                            m.group(2) != null
                                    ? -1
                                    : m.group(3) != null ? Integer.parseInt(m.group(3)) : min;
                }
                if (!m.matches() || min < 1 || (max != -1 && max < min)) {
                    problems.add(
                            s.line("times"),
                            "'times' is '" + times.get() + "'",
                            "write 3 (exactly 3), 2..5 (from 2 to 5) or 3+ (3 or more; 1+ is one"
                                    + " or more); use 'optional: true' for zero");
                    min = 1;
                    max = 1;
                }
            }
            boolean optional = s.bool("optional").orElse(false);
            boolean greedy = s.bool("greedy").orElse(false);
            Optional<LoopContiguity> loop = s.choice("loop", LoopContiguity.class);
            if (follows.negated()
                    && (times.isPresent() || optional || greedy || loop.isPresent())) {
                problems.add(
                        s.line(),
                        "negated stage '" + name + "' cannot have times, optional, greedy or loop",
                        "a negated stage says that no such event happens; it has no quantity");
            }
            if (greedy && max == 1) {
                problems.add(
                        s.line("greedy"),
                        "'greedy' applies only to a stage that repeats",
                        "set 'times' to a range such as 2..5 or 3+");
            }
            if (loop.isPresent() && max == 1) {
                problems.add(
                        s.line("loop"),
                        "'loop' applies only to a stage that repeats",
                        "set 'times' to a count, a range or N+");
            }
            if (max == -1 && loop.orElse(null) == LoopContiguity.NONDETERMINISTIC) {
                problems.add(
                        s.line("loop"),
                        "stage '" + name + "' repeats without limit with 'loop: nondeterministic'",
                        "every combination of its events becomes a partial match, so state and"
                                + " work grow exponentially: give 'times' an upper bound (2..5) or"
                                + " use 'loop: relaxed'");
            }
            Node where = s.node("where").orElse(null);
            stages.add(
                    new Stage(
                            name,
                            s.line(),
                            follows,
                            s.string("where").orElse("true"),
                            where != null ? YamlMap.textLine(where) : s.line(),
                            min,
                            max,
                            optional,
                            greedy,
                            loop.orElse(LoopContiguity.RELAXED)));
        }
        return stages;
    }
}

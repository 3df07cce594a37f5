package dev.argus.cli.bench;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.yaml.YamlMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Writes rule packs of a given size for {@code argus bench --rule-packs}: what a rule costs is
 * measured by running the same traffic through packs of 16, 50 and 100 rules. A pack of N rules
 * holds the shipped pack's active rules (the first N of them when N is smaller), then variants of
 * them, in the pack's order and round after round, until there are N.
 *
 * <p>A variant is the shipped rule's YAML with a new id ({@code card-testing-v2} in the first
 * round, {@code -v3} in the second, ...) and conditions changed the way a risk team writes a
 * sibling rule, so that it stays a meaningful rule that still matches some of the bench's traffic
 * and costs what a rule of its kind costs, rather than a copy that the engine could evaluate once
 * for both:
 *
 * <ul>
 *   <li>thresholds scaled: amounts ({@code amount_minor}, {@code sum_amount(...)}, {@code
 *       max_amount(...)}), distances, days of dormancy and z-scores, by ×1.5, ×2, ×2.5 ... in odd
 *       rounds and ÷1.5, ÷2, ÷2.5 ... in even ones (counts and times of day are left alone);
 *   <li>a merchant category list ({@code category_code in lists.x}) replaced by other categories of
 *       the traffic's catalogue;
 *   <li>a rule whose first stage takes a transfer or an app or web banking event starts only from
 *       such events on one channel: {@code MOBILE} in odd rounds, {@code WEB} in even ones;
 *   <li>a card rule with none of these to change starts only from payments of 1.50, 2.00, 2.50 ...
 *       or more (in minor units), round after round;
 *   <li>{@code within} doubled in odd rounds, halved in even ones;
 *   <li>a repeated stage's count ({@code times: 3}, {@code 2+}) one higher in odd rounds and one
 *       lower in even ones (never below 2), unless its condition counts its own events.
 * </ul>
 *
 * <p>Everything depends on the round alone, so the same N always gives the same pack, and a smaller
 * pack is the first rules of a larger one. The title and description say that the rule is a
 * generated variant and what changed. The pack's {@code pack.yaml} (version, lists, settings) is
 * copied as it is; test cases are not ({@code *.test.yaml}: the job's loader does not read them,
 * and a variant's scaled thresholds would fail its original's cases), nor are snoozes (they name
 * accounts of the shipped rules, which a smaller pack may not have). Every pack written is loaded
 * back through {@link RulePackLoader#loadForJob}, the job's own loader, before it is used.
 */
final class RulePackGenerator {
    /** Comparisons of a measure with a number: the thresholds a variant scales. */
    private static final Pattern THRESHOLD =
            Pattern.compile(
                    "(amount_minor|(?:sum|max)_amount\\([^()]*\\)|distance_km\\([^()]*\\)"
                            + "|profile\\.days_since_last_event|profile\\.amount_zscore)"
                            + "(\\s*(?:>=|<=|>|<)\\s*)(\\d+(?:\\.\\d+)?)\\b");

    /** A merchant category tested against a named list of the pack. */
    private static final Pattern CATEGORY_LIST =
            Pattern.compile("(merchant\\.category_code\\s+in\\s+)lists\\.\\w+");

    /** Event types that come from the bank's app or web banking, or are transfers. */
    private static final Pattern DIGITAL_TYPE =
            Pattern.compile("'(TRANSFER|LOGIN|NEW_DEVICE|CREDENTIAL_CHANGE|NEW_PAYEE)'");

    private static final Pattern TIMES = Pattern.compile("(\\d+)(\\+?)");

    /**
     * Categories of the bench traffic's catalogue (dev.argus.sandbox.traffic.Catalog) where stolen
     * cards are spent or value moved: resellable goods, digital goods and top-ups, the money-moving
     * categories, travel. A variant takes one set in turn.
     */
    private static final List<List<String>> CATEGORY_SETS =
            List.of(
                    List.of("5732", "5944", "5999"),
                    List.of("5816", "4814", "6540"),
                    List.of("6051", "4829", "7995"),
                    List.of("4511", "7011", "5732"));

    private RulePackGenerator() {}

    /**
     * Writes a pack of {@code size} rules made from the pack at {@code location} into {@code dir}
     * (created if needed), and checks that the job's loader takes it.
     *
     * @param location a pack as {@code rules.path} names it: {@link RulePackLoader#BUILT_IN} or a
     *     directory
     * @return the pack, as the job will load it from {@code dir}
     * @throws IllegalArgumentException when {@code size} is not positive
     * @throws dev.argus.rules.RulePackException when a written rule does not load (a bug here)
     */
    static RulePack write(String location, int size, Path dir) throws IOException {
        return write(
                location, RulePackLoader.loadForJob(location, CepPatternCheck.INSTANCE), size, dir);
    }

    /**
     * {@link #write(String, int, Path)} from the pack at {@code location} as already loaded ({@code
     * shipped}): several packs are made from one load.
     */
    static RulePack write(String location, RulePack shipped, int size, Path dir)
            throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("a pack has at least one rule, not " + size);
        }
        List<Rule> active = shipped.active();
        Path root = RulePackLoader.resolve(location);
        Map<String, Path> fileOfId = ruleFiles(root);
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("pack.yaml"),
                Files.readString(packFile(root), StandardCharsets.UTF_8),
                StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            Rule original = active.get(i % active.size());
            Path file = fileOfId.get(original.id());
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int round = i / active.size();
            if (round == 0) {
                write(dir.resolve("shipped").resolve(root.relativize(file).toString()), text);
            } else {
                String id = original.id() + "-v" + (round + 1);
                write(
                        dir.resolve("variants")
                                .resolve(String.format("round-%03d", round))
                                .resolve(id + ".yaml"),
                        variant(text, id, round));
            }
        }
        return RulePackLoader.loadForJob(dir.toString(), CepPatternCheck.INSTANCE);
    }

    /**
     * The YAML of a variant of a rule: a new id, and the thresholds, categories, channel, window
     * and counts of the given round (see the class's description).
     *
     * @param round 1 for the first variant of a rule, 2 for the second, ...
     */
    static String variant(String ruleYaml, String id, int round) {
        boolean odd = round % 2 == 1;
        double step = 1 + 0.5 * ((round + 1) / 2);
        double factor = odd ? step : 1 / step;
        String channel = odd ? "MOBILE" : "WEB";
        List<String> categories = CATEGORY_SETS.get((round - 1) % CATEGORY_SETS.size());

        Map<String, Object> rule = yaml().load(ruleYaml);
        String originalId = String.valueOf(rule.get("id"));
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> changes = new java.util.ArrayList<>();
        for (Map.Entry<String, Object> e : rule.entrySet()) {
            out.put(e.getKey(), e.getValue());
        }
        out.put("id", id);

        boolean scaled = false;
        boolean recategorized = false;
        boolean rechanneled = false;
        boolean recounted = false;
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> stages = (List<Map<String, Object>>) rule.get("pattern");
        for (int i = 0; i < stages.size(); i++) {
            Map<String, Object> stage = stages.get(i);
            String name = String.valueOf(stage.get("stage"));
            String where = String.valueOf(stage.get("where")).strip();
            String before = where;
            where = scaleThresholds(where, factor);
            scaled |= !where.equals(before);
            String scaledWhere = where;
            where =
                    CATEGORY_LIST
                            .matcher(where)
                            .replaceAll(
                                    Matcher.quoteReplacement(
                                            "merchant.category_code in "
                                                    + categories.stream()
                                                            .map(c -> "'" + c + "'")
                                                            .collect(
                                                                    Collectors.joining(
                                                                            ", ", "[", "]"))));
            recategorized |= !where.equals(scaledWhere);
            if (i == 0 && DIGITAL_TYPE.matcher(where).find()) {
                where = "(" + where + ")\n&& txn.channel == '" + channel + "'";
                rechanneled = true;
            }
            stages.get(i).put("where", where);
            Object times = stage.get("times");
            if (times != null && !where.contains("size(matched." + name + ") <")) {
                Matcher m = TIMES.matcher(String.valueOf(times).trim());
                if (m.matches() && Integer.parseInt(m.group(1)) >= 2) {
                    int n = Integer.parseInt(m.group(1));
                    int changed = odd || n - 1 < 2 ? n + 1 : n - 1;
                    stage.put("times", m.group(2).isEmpty() ? changed : changed + "+");
                    recounted = true;
                }
            }
        }
        String first = String.valueOf(stages.get(0).get("where"));
        if (!scaled && !recategorized && !rechanneled && first.contains("'CARD_PAYMENT'")) {
            // a card rule with no threshold, category or channel to change (count-velocity,
            // declines-then-approval): leave out the smallest payments instead
            long floor = Math.round(100 * step);
            stages.get(0)
                    .put(
                            "where",
                            "("
                                    + first
                                    + ")\n&& has(txn.amount) && txn.amount.amount_minor >= "
                                    + floor);
            changes.add("first stage's payments of " + floor + " minor units or more");
        }
        if (scaled) {
            changes.add("thresholds " + (odd ? "x" : "/") + number(step, true));
        }
        if (recategorized) {
            changes.add("merchant categories " + String.join(", ", categories));
        }
        if (rechanneled) {
            changes.add("starts only on channel " + channel);
        }
        if (recounted) {
            changes.add("repeated stages " + (odd ? "one more" : "one fewer") + " time");
        }
        Object within = rule.get("within");
        if (within != null) {
            Duration d =
                    YamlMap.parseDuration(String.valueOf(within))
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    originalId + ": within '" + within + "'"));
            Duration scaledWithin = odd ? d.multipliedBy(2) : d.dividedBy(2);
            out.put("within", duration(scaledWithin));
            changes.add("within " + duration(scaledWithin));
        }
        out.put("pattern", stages);
        out.put("title", rule.get("title") + " (generated variant " + (round + 1) + ")");
        out.put(
                "description",
                "Generated by argus bench --rule-packs from "
                        + originalId
                        + " to measure what a rule costs; not tuned, not for deployment. Changed: "
                        + String.join("; ", changes)
                        + ".");
        return "# generated by argus bench --rule-packs from "
                + originalId
                + ": a variant to measure cost, not a rule to deploy\n"
                + yaml().dump(out);
    }

    /** Every threshold of a condition multiplied by {@code factor}, keeping its type. */
    static String scaleThresholds(String where, double factor) {
        Matcher m = THRESHOLD.matcher(where);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            boolean decimal = m.group(3).contains(".");
            double value = Double.parseDouble(m.group(3)) * factor;
            m.appendReplacement(
                    out,
                    Matcher.quoteReplacement(m.group(1) + m.group(2) + number(value, decimal)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * A number as a CEL literal: an integer (at least 1, as amounts and distances are compared with
     * whole units) or a double with a decimal point, so that a comparison keeps its operand types.
     */
    private static String number(double value, boolean decimal) {
        if (!decimal) {
            return String.valueOf(Math.max(1, Math.round(value)));
        }
        String s =
                BigDecimal.valueOf(value)
                        .setScale(2, RoundingMode.HALF_UP)
                        .stripTrailingZeros()
                        .toPlainString();
        return s.contains(".") ? s : s + ".0";
    }

    /** A duration as rules write it: {@code 45m}, {@code 2h}, {@code 90s}. */
    private static String duration(Duration d) {
        long s = Math.max(1, d.toSeconds());
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** The rule files under a pack's root by rule id: the loader insists on {@code <id>.yaml}. */
    private static Map<String, Path> ruleFiles(Path root) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".yaml")
                        && !name.endsWith(".test.yaml")
                        && !name.equals("pack.yaml")
                        && !name.equals("snoozes.yaml")) {
                    files.put(name.substring(0, name.length() - ".yaml".length()), f);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return files;
    }

    /** {@code pack.yaml} of a pack: in its root or a folder above, as the loader finds it. */
    private static Path packFile(Path root) {
        for (Path dir = root; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("pack.yaml");
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("no pack.yaml in or above " + root);
    }

    private static Yaml yaml() {
        DumperOptions dump = new DumperOptions();
        dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dump.setWidth(100);
        dump.setSplitLines(false);
        return new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(dump), dump);
    }
}

package dev.argus.rules.yaml;

import java.io.Reader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML mapping read key by key with line numbers, reporting every wrong, unknown or missing key
 * to {@link Problems} instead of stopping at the first. Getters return empty on a problem so the
 * caller goes on checking the rest of the file.
 */
public final class YamlMap {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final Node node;
    private final Problems problems;
    private final Map<String, Node> values = new LinkedHashMap<>();
    private final Map<String, Integer> keyLines = new LinkedHashMap<>();

    private YamlMap(Node node, Problems problems) {
        this.node = node;
        this.problems = problems;
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                String key =
                        tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : "<complex key>";
                int line = line(tuple.getKeyNode());
                if (values.containsKey(key)) {
                    problems.add(
                            line,
                            "key '" + key + "' appears twice",
                            "remove one of them; YAML keeps only the last");
                }
                values.put(key, tuple.getValueNode());
                keyLines.put(key, line);
            }
        }
    }

    /** Parses a whole document; a syntax error becomes a problem and the result is empty. */
    public static Optional<Node> parse(Reader reader, Problems problems) {
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(true); // reported by YamlMap with the line
            Node root = new Yaml(options).compose(reader);
            if (root == null) {
                problems.add(1, "the file is empty", null);
            }
            return Optional.ofNullable(root);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            problems.add(
                    line,
                    "YAML syntax: " + e.getProblem(),
                    "check the indentation (spaces, not tabs) and quote values that contain ': '"
                            + " or start with a special character such as '{', '[', '*' or '&'");
            return Optional.empty();
        } catch (RuntimeException e) {
            problems.add(0, "YAML syntax: " + e.getMessage(), null);
            return Optional.empty();
        }
    }

    /** The node as a mapping; a problem if it is something else. */
    public static Optional<YamlMap> of(Node node, Problems problems, String what) {
        if (!(node instanceof MappingNode)) {
            problems.add(
                    line(node),
                    what + " must be a mapping of keys to values",
                    "write it as 'key: value' lines, indented under it");
            return Optional.empty();
        }
        return Optional.of(new YamlMap(node, problems));
    }

    public static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }

    /**
     * The line of the first character of a scalar's text: block scalars ({@code |} and {@code >})
     * start on the line after their indicator.
     */
    public static int textLine(Node node) {
        if (node instanceof ScalarNode s && (s.getScalarStyle().getChar() != null)) {
            char style = s.getScalarStyle().getChar();
            if (style == '|' || style == '>') {
                return line(node) + 1;
            }
        }
        return line(node);
    }

    public int line() {
        return line(node);
    }

    /** The line of {@code key}'s value, or of the mapping when the key is absent. */
    public int line(String key) {
        Node v = values.get(key);
        return v != null ? line(v) : keyLines.getOrDefault(key, line());
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public Optional<Node> node(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** Reports keys that are not allowed and required keys that are missing. */
    public void checkKeys(String what, Collection<String> required, Collection<String> optional) {
        List<String> allowed = new ArrayList<>(required);
        allowed.addAll(optional);
        for (String key : values.keySet()) {
            if (!allowed.contains(key)) {
                problems.add(
                        keyLines.get(key),
                        "unknown key '" + key + "' in " + what,
                        Problems.didYouMean(key, allowed) + "allowed keys: " + allowed);
            }
        }
        for (String key : required) {
            if (!values.containsKey(key)) {
                problems.add(line(), "missing key '" + key + "' in " + what, null);
            }
        }
    }

    public Optional<String> string(String key) {
        Node v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof ScalarNode s && !s.getTag().equals(Tag.NULL)) {
            return Optional.of(s.getValue());
        }
        problems.add(line(v), "'" + key + "' must be a single value", null);
        return Optional.empty();
    }

    public Optional<Integer> integer(String key, int min, int max) {
        return string(key)
                .flatMap(
                        s -> {
                            try {
                                int i = Integer.parseInt(s.trim());
                                if (i >= min && i <= max) {
                                    return Optional.of(i);
                                }
                            } catch (NumberFormatException e) {
                                // reported below
                            }
                            problems.add(
                                    line(key),
                                    "'" + key + "' is '" + s + "'",
                                    "use a whole number from " + min + " to " + max);
                            return Optional.empty();
                        });
    }

    public Optional<Boolean> bool(String key) {
        return string(key)
                .flatMap(
                        s -> {
                            if (s.equals("true") || s.equals("false")) {
                                return Optional.of(Boolean.parseBoolean(s));
                            }
                            problems.add(
                                    line(key), "'" + key + "' is '" + s + "'", "use true or false");
                            return Optional.empty();
                        });
    }

    /** A value from a fixed set of words, written in lower case in YAML. */
    public <E extends Enum<E>> Optional<E> choice(String key, Class<E> type) {
        return string(key)
                .flatMap(
                        s -> {
                            for (E e : type.getEnumConstants()) {
                                if (e.name().equalsIgnoreCase(s.trim())) {
                                    return Optional.of(e);
                                }
                            }
                            List<String> names = new ArrayList<>();
                            for (E e : type.getEnumConstants()) {
                                names.add(e.name().toLowerCase());
                            }
                            problems.add(
                                    line(key),
                                    "'" + key + "' is '" + s + "'",
                                    Problems.didYouMean(s.toLowerCase(), names)
                                            + "use one of "
                                            + names);
                            return Optional.empty();
                        });
    }

    public Optional<Duration> duration(String key) {
        return string(key).flatMap(s -> parseDuration(s, line(key), key));
    }

    private Optional<Duration> parseDuration(String text, int line, String key) {
        Optional<Duration> d = parseDuration(text);
        if (d.isEmpty()) {
            problems.add(
                    line,
                    "'" + key + "' is '" + text + "', not a duration",
                    "write a duration such as 30s, 10m, 1h30m or 7d (ms, s, m, h, d)");
        }
        return d;
    }

    /** Parses {@code 90s}, {@code 10m}, {@code 1h30m}, {@code 7d}; empty if malformed. */
    public static Optional<Duration> parseDuration(String text) {
        String t = text.trim();
        Matcher m = DURATION.matcher(t);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total =
                    total.plus(
                            switch (m.group(2)) {
                                case "ms" -> Duration.ofMillis(n);
                                case "s" -> Duration.ofSeconds(n);
                                case "m" -> Duration.ofMinutes(n);
                                case "h" -> Duration.ofHours(n);
                                default -> Duration.ofDays(n);
                            });
            at = m.end();
            while (at < t.length() && t.charAt(at) == ' ') {
                at++;
            }
        }
        return at == t.length() && at > 0 ? Optional.of(total) : Optional.empty();
    }

    /** A list of single values; a single value counts as a list of one. */
    public Optional<List<String>> strings(String key) {
        Node v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof ScalarNode s) {
            return Optional.of(List.of(s.getValue()));
        }
        List<String> out = new ArrayList<>();
        if (v instanceof SequenceNode seq) {
            for (Node item : seq.getValue()) {
                if (item instanceof ScalarNode s) {
                    out.add(s.getValue());
                } else {
                    problems.add(line(item), "'" + key + "' must list single values", null);
                }
            }
            return Optional.of(out);
        }
        problems.add(line(v), "'" + key + "' must be a list such as [a, b]", null);
        return Optional.empty();
    }

    /** A list of mappings. */
    public List<YamlMap> maps(String key, String what) {
        Node v = values.get(key);
        List<YamlMap> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!(v instanceof SequenceNode seq)) {
            problems.add(
                    line(v),
                    "'" + key + "' must be a list of " + what + "s",
                    "start each " + what + " with '- '");
            return out;
        }
        for (Node item : seq.getValue()) {
            of(item, problems, what).ifPresent(out::add);
        }
        return out;
    }

    public Problems problems() {
        return problems;
    }
}

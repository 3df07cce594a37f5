package dev.argus.rules;

import dev.argus.rules.testing.RuleTestCase;
import dev.argus.rules.testing.RuleTestReader;
import dev.argus.rules.yaml.Problem;
import dev.argus.rules.yaml.Problems;
import dev.argus.rules.yaml.YamlMap;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Loads a rule pack from files and directories: {@code pack.yaml} (version and named lists), one
 * rule per {@code <id>.yaml}, and its test cases in {@code <id>.test.yaml} beside it. Reports every
 * problem of every file at once; the pack is usable only when there are none.
 */
public final class RulePackLoader {
    /** The pack shipped inside the job jar. */
    public static final String BUILT_IN = "classpath:argus-pack";

    static final String PACK_FILE = "pack.yaml";
    static final String TEST_SUFFIX = ".test.yaml";
    static final String SNOOZE_FILE = "snoozes.yaml";
    private static final Pattern LIST_NAME = Pattern.compile("[a-z_][a-z0-9_]*");

    private RulePackLoader() {}

    /** What loading found: the pack (when valid), the test cases, and every problem. */
    public record Result(
            RulePack pack, List<RuleTestCase> tests, List<Problem> problems, int ruleFiles) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /**
     * Loads a pack for the job: {@link #BUILT_IN} or a directory. Throws with every problem when it
     * is invalid, so the job refuses to start and says why.
     *
     * @param check the engine's word on each rule's pattern
     */
    public static RulePack loadForJob(String location, PatternCheck check) {
        Result result = load(List.of(resolve(location)), false, check);
        if (!result.valid()) {
            throw new RulePackException(location, result.problems());
        }
        if (result.pack().rules().isEmpty()) {
            throw new RulePackException(
                    location,
                    List.of(
                            new Problem(
                                    location,
                                    0,
                                    null,
                                    "the pack has no rules",
                                    "point rules.path at a directory with rule files")));
        }
        return result.pack();
    }

    /** A location as a path: {@code classpath:<dir>} (also inside a jar) or a file system path. */
    public static Path resolve(String location) {
        if (!location.startsWith("classpath:")) {
            return Path.of(location);
        }
        String name = location.substring("classpath:".length());
        URL url = RulePackLoader.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalArgumentException(
                    "no rule pack '" + name + "' on the class path; set rules.path to a directory");
        }
        try {
            URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                return fs.provider().getPath(uri);
            }
            return Path.of(uri);
        } catch (URISyntaxException | IOException e) {
            throw new IllegalArgumentException("cannot open the rule pack at " + url, e);
        }
    }

    /**
     * Loads everything under the given files and directories.
     *
     * @param withTests whether to read the test files of the rules too
     * @param check the engine's word on each rule's pattern ({@link PatternCheck#NONE}: none)
     */
    public static Result load(List<Path> paths, boolean withTests, PatternCheck check) {
        List<Problem> problems = new ArrayList<>();
        Set<Path> ruleFiles = new LinkedHashSet<>();
        Set<Path> testFiles = new LinkedHashSet<>();
        Path packFile = null;
        for (Path path : paths) {
            if (!Files.exists(path)) {
                problems.add(
                        new Problem(
                                path.toString(),
                                0,
                                null,
                                "no such file or directory",
                                "give rule files or directories, e.g. rules/pack"));
                continue;
            }
            for (Path file : yamlFiles(path, problems)) {
                String name = file.getFileName().toString();
                if (name.equals(PACK_FILE)) {
                    packFile = file;
                } else if (name.equals(SNOOZE_FILE)) {
                    continue; // read with the pack file
                } else if (name.endsWith(TEST_SUFFIX)) {
                    testFiles.add(file);
                    ruleFiles.add(ruleFileOf(file));
                } else {
                    ruleFiles.add(file);
                    Path test = sibling(file, stem(name) + TEST_SUFFIX);
                    if (withTests && Files.exists(test)) {
                        testFiles.add(test);
                    }
                }
            }
            if (packFile == null) {
                packFile = findPackFile(path);
            }
        }

        String version = "unversioned";
        Map<String, List<String>> lists = new LinkedHashMap<>();
        ActionBands[] actions = {ActionBands.DEFAULT};
        java.time.Duration[] quiet = {PackSettings.DEFAULT_QUIET_PERIOD};
        List<PackSettings.Snooze> snoozes = new ArrayList<>();
        if (packFile != null) {
            version = readPackFile(packFile, lists, actions, quiet, problems);
            Path snoozeFile = sibling(packFile, SNOOZE_FILE);
            if (Files.exists(snoozeFile)) {
                readSnoozes(snoozeFile, snoozes, problems);
            }
        }
        PackSettings settings = new PackSettings(version, actions[0], quiet[0], snoozes);

        List<Rule> rules = new ArrayList<>();
        Map<String, String> fileOfId = new LinkedHashMap<>();
        Map<Path, Rule> ruleOfFile = new LinkedHashMap<>();
        for (Path file : ruleFiles) {
            Problems p = new Problems(file.toString(), problems);
            if (!Files.exists(file)) {
                p.add(
                        0,
                        "the test file has no rule file beside it",
                        "name them <id>.yaml and <id>.test.yaml");
                continue;
            }
            int before = p.count();
            Optional<RuleSpec> spec = parse(file, p).flatMap(root -> RuleReader.read(root, p));
            if (spec.isEmpty()) {
                continue;
            }
            RuleSpec s = spec.get();
            String expectedName = s.id() + ".yaml";
            if (!s.id().equals("?") && !file.getFileName().toString().equals(expectedName)) {
                p.add(
                        s.line(),
                        "the file of rule '" + s.id() + "' is named " + file.getFileName(),
                        "name it " + expectedName + " so people and tools find a rule by its id");
            }
            String other =
                    s.id().equals("?") ? null : fileOfId.putIfAbsent(s.id(), file.toString());
            if (other != null) {
                p.add(
                        s.line(),
                        "duplicate rule id '" + s.id() + "': " + other + " has it too",
                        "rule ids are unique: they name the rule's alerts and its state");
            }
            Path testFile = sibling(file, stem(file.getFileName().toString()) + TEST_SUFFIX);
            if (withTests && !Files.exists(testFile)) {
                p.add(
                        0,
                        "the rule has no test file",
                        "write its cases in "
                                + testFile.getFileName()
                                + ": at least one that alerts and one that does not");
            }
            boolean valid = p.count() == before;
            Rule rule = RuleCompiler.compile(s, lists, settings, valid, p, check);
            if (rule != null) {
                rules.add(rule);
                ruleOfFile.put(file, rule);
            }
        }

        // a subset of the pack (one rule file or folder) leaves the others' snoozes unchecked: they
        // are checked against every rule of the pack's folder, named <id>.yaml
        Set<String> packRuleIds =
                snoozes.stream().allMatch(z -> fileOfId.containsKey(z.ruleId()))
                        ? Set.of()
                        : ruleIdsBeside(packFile);
        for (PackSettings.Snooze snooze : snoozes) {
            if (!fileOfId.containsKey(snooze.ruleId()) && !packRuleIds.contains(snooze.ruleId())) {
                problems.add(
                        new Problem(
                                sibling(packFile, SNOOZE_FILE).toString(),
                                0,
                                snooze.ruleId(),
                                "a snooze of account '"
                                        + snooze.account()
                                        + "' names a rule the pack does not have",
                                Problems.didYouMean(snooze.ruleId(), fileOfId.keySet())
                                        + "use a rule id from the pack"));
            }
        }

        List<RuleTestCase> tests = new ArrayList<>();
        for (Path file : testFiles) {
            Rule rule = ruleOfFile.get(ruleFileOf(file));
            if (rule == null) {
                continue; // its rule's problems are reported already
            }
            Problems p = new Problems(file.toString(), problems);
            p.ruleId(rule.id());
            parse(file, p).ifPresent(root -> tests.addAll(RuleTestReader.read(root, rule.id(), p)));
        }
        String where = paths.size() == 1 ? paths.get(0).toString() : paths.toString();
        List<Problem> sorted = Problems.sorted(problems);
        return new Result(
                sorted.isEmpty() ? new RulePack(where, version, lists, rules) : null,
                tests,
                sorted,
                ruleFiles.size());
    }

    private static String readPackFile(
            Path file,
            Map<String, List<String>> lists,
            ActionBands[] actions,
            java.time.Duration[] quiet,
            List<Problem> sink) {
        Problems p = new Problems(file.toString(), sink);
        Optional<YamlMap> pack =
                parse(file, p).flatMap(root -> YamlMap.of(root, p, "the pack file"));
        if (pack.isEmpty()) {
            return "invalid";
        }
        pack.get()
                .checkKeys(
                        "the pack file",
                        List.of("version"),
                        List.of("description", "lists", "actions", "quiet_period"));
        pack.get().duration("quiet_period").ifPresent(d -> quiet[0] = d);
        pack.get()
                .node("actions")
                .flatMap(n -> YamlMap.of(n, p, "'actions'"))
                .ifPresent(
                        a -> {
                            a.checkKeys("'actions'", List.of("step_up", "block"), List.of());
                            int stepUp = a.integer("step_up", 0, 100).orElse(60);
                            int block = a.integer("block", 0, 100).orElse(85);
                            if (stepUp > block) {
                                p.add(
                                        a.line(),
                                        "'actions': step_up " + stepUp + " is above block " + block,
                                        "scores from step_up recommend STEP_UP, from block BLOCK:"
                                                + " step_up must not be above block");
                            }
                            actions[0] = new ActionBands(stepUp, block);
                        });
        Optional<YamlMap> listMap =
                pack.get().node("lists").flatMap(n -> YamlMap.of(n, p, "'lists'"));
        listMap.ifPresent(
                m -> {
                    for (String name : m.keys()) {
                        if (!LIST_NAME.matcher(name).matches()) {
                            p.add(
                                    m.line(name),
                                    "list name '" + name + "' is not a valid name",
                                    "use lower-case letters, digits and '_'; conditions write"
                                            + " lists."
                                            + name.replaceAll("\\W", "_"));
                        }
                        YamlMap.of(m.node(name).get(), p, "list '" + name + "'")
                                .ifPresent(
                                        list -> {
                                            list.checkKeys(
                                                    "list '" + name + "'",
                                                    List.of("values"),
                                                    List.of("description", "source"));
                                            lists.put(
                                                    name, list.strings("values").orElse(List.of()));
                                        });
                    }
                });
        return pack.get().string("version").orElse("invalid");
    }

    /** snoozes.yaml: accounts silenced for a rule until a time. */
    private static void readSnoozes(
            Path file, List<PackSettings.Snooze> snoozes, List<Problem> sink) {
        Problems p = new Problems(file.toString(), sink);
        parse(file, p)
                .flatMap(root -> YamlMap.of(root, p, "the snooze file"))
                .ifPresent(
                        f -> {
                            f.checkKeys("the snooze file", List.of("snoozes"), List.of());
                            for (YamlMap s : f.maps("snoozes", "snooze")) {
                                s.checkKeys(
                                        "a snooze",
                                        List.of("account", "rule", "until", "reason"),
                                        List.of("by"));
                                java.time.Instant until = null;
                                try {
                                    until = java.time.Instant.parse(s.string("until").orElse(""));
                                } catch (java.time.format.DateTimeParseException e) {
                                    p.add(
                                            s.line("until"),
                                            "'until' is not a UTC time",
                                            "write it like 2026-12-01T00:00:00Z");
                                }
                                if (until != null) {
                                    snoozes.add(
                                            new PackSettings.Snooze(
                                                    s.string("account").orElse(""),
                                                    s.string("rule").orElse(""),
                                                    until,
                                                    s.string("reason").orElse("")));
                                }
                            }
                        });
    }

    private static Optional<Node> parse(Path file, Problems problems) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return YamlMap.parse(reader, problems);
        } catch (IOException e) {
            problems.add(0, "cannot read the file: " + e, null);
            return Optional.empty();
        }
    }

    private static List<Path> yamlFiles(Path path, List<Problem> problems) {
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        try (Stream<Path> walk = Files.walk(path)) {
            return walk.filter(Files::isRegularFile)
                    .filter(
                            f ->
                                    f.getFileName().toString().endsWith(".yaml")
                                            || f.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            problems.add(new Problem(path.toString(), 0, null, "cannot list: " + e, null));
            return List.of();
        }
    }

    /** The ids of the rule files in the folder of {@code pack.yaml} and below it, by file name. */
    private static Set<String> ruleIdsBeside(Path packFile) {
        Set<String> ids = new HashSet<>();
        try (var files = Files.walk(packFile.toAbsolutePath().getParent())) {
            files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.endsWith(TEST_SUFFIX))
                    .filter(n -> !n.equals(PACK_FILE) && !n.equals(SNOOZE_FILE))
                    .forEach(n -> ids.add(stem(n)));
        } catch (IOException | UncheckedIOException e) {
            return Set.of(); // then the snooze is reported, as without a subset
        }
        return ids;
    }

    /** pack.yaml in the directory or one of its parents. */
    private static Path findPackFile(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        while (dir != null) {
            Path candidate = dir.resolve(PACK_FILE);
            if (Files.exists(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        return null;
    }

    /** The rule file beside a test file: {@code x.test.yaml} tests {@code x.yaml}. */
    private static Path ruleFileOf(Path testFile) {
        String name = testFile.getFileName().toString();
        return sibling(testFile, name.substring(0, name.length() - TEST_SUFFIX.length()) + ".yaml");
    }

    private static Path sibling(Path file, String name) {
        Path parent = file.getParent();
        return parent == null ? Path.of(name) : parent.resolve(name);
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }
}

package dev.argus.rules;

import dev.argus.rules.yaml.Problem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A rule pack as text: its {@code pack.yaml}, {@code snoozes.yaml} and rule files by path relative
 * to the pack's directory (test files left out), as a deploy sends them through the control topic,
 * and the pack loaded from that text with problems named by those paths.
 */
public final class PackFiles {
    private PackFiles() {}

    /**
     * The pack's files under {@code dir}: every {@code .yaml} but the test cases, by path relative
     * to it with {@code /} between folders, in path order.
     */
    public static Map<String, String> read(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve(RulePackLoader.PACK_FILE))) {
            throw new IOException(
                    dir
                            + " has no "
                            + RulePackLoader.PACK_FILE
                            + ": give the pack's directory, e.g. rules/pack");
        }
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                if ((name.endsWith(".yaml") || name.endsWith(".yml"))
                        && !name.endsWith(RulePackLoader.TEST_SUFFIX)) {
                    String relative = dir.relativize(file).toString().replace('\\', '/');
                    files.put(relative, Files.readString(file, StandardCharsets.UTF_8));
                }
            }
        }
        return files;
    }

    /**
     * Loads a pack from its files' text, as {@link RulePackLoader#load} loads a directory; problems
     * name the files by their relative paths. A pack without {@code pack.yaml} or without a rule is
     * refused.
     */
    public static RulePackLoader.Result load(Map<String, String> files, PatternCheck check) {
        List<Problem> problems = new ArrayList<>();
        for (String path : files.keySet()) {
            List<String> segments = List.of(path.split("/", -1));
            boolean folderOfAnother =
                    files.keySet().stream().anyMatch(other -> other.startsWith(path + "/"));
            if (path.isBlank()
                    || path.startsWith("/")
                    || path.contains("\\")
                    || path.indexOf('\u0000') >= 0
                    || path.length() > 1000
                    || folderOfAnother
                    || segments.stream()
                            .anyMatch(
                                    seg ->
                                            seg.isEmpty()
                                                    || seg.equals(".")
                                                    || seg.equals("..")
                                                    || seg.length() > 200)) {
                problems.add(
                        new Problem(
                                path,
                                0,
                                null,
                                "not a path inside the pack's directory",
                                "paths are relative to the pack's directory, like"
                                        + " velocity/card-testing.yaml"));
            }
        }
        if (!files.containsKey(RulePackLoader.PACK_FILE)) {
            problems.add(
                    new Problem(
                            RulePackLoader.PACK_FILE,
                            0,
                            null,
                            "the pack has no " + RulePackLoader.PACK_FILE,
                            "deploy the pack's directory, which holds pack.yaml with its version"));
        }
        if (!problems.isEmpty()) {
            return new RulePackLoader.Result(null, List.of(), problems, 0);
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("argus-pack-");
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path file = dir.resolve(f.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
            }
            RulePackLoader.Result result = RulePackLoader.load(List.of(dir), false, check);
            String prefix = dir.toString() + dir.getFileSystem().getSeparator();
            List<Problem> named = new ArrayList<>();
            for (Problem p : result.problems()) {
                String file =
                        p.file().startsWith(prefix)
                                ? p.file().substring(prefix.length())
                                : p.file();
                named.add(new Problem(file, p.line(), p.ruleId(), p.message(), p.hint()));
            }
            if (named.isEmpty() && result.pack().rules().isEmpty()) {
                named.add(
                        new Problem(
                                RulePackLoader.PACK_FILE,
                                0,
                                null,
                                "the pack has no rules",
                                "deploy the directory that holds the rule files too"));
            }
            RulePack pack =
                    named.isEmpty()
                            ? new RulePack(
                                    "deployed pack " + result.pack().version(),
                                    result.pack().version(),
                                    result.pack().lists(),
                                    result.pack().rules())
                            : null;
            return new RulePackLoader.Result(pack, List.of(), named, result.ruleFiles());
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return new RulePackLoader.Result(
                    null,
                    List.of(),
                    List.of(
                            new Problem(
                                    RulePackLoader.PACK_FILE,
                                    0,
                                    null,
                                    "the pack's files cannot be written to a temporary directory: "
                                            + e.getMessage(),
                                    "check the paths of the pack's files, and the space in the"
                                            + " temporary directory")),
                    0);
        } finally {
            if (dir != null) {
                delete(dir);
            }
        }
    }

    /** A digest of the files' paths and text: two deploys of one version must be the same pack. */
    public static String digest(Map<String, String> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
                sha.update(f.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(f.getValue().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}

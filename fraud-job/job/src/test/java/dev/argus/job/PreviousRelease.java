package dev.argus.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The job jar of the release that wrote a golden savepoint, built from that release's commit (the
 * manifest's {@code argus.commit}) into {@code target/previous-release/}, once: {@code git archive}
 * of the commit, then {@code mvn package} without its tests. The release's poms are built as they
 * were, but for its test dependencies, which a build without tests does not need (0.1.0 still named
 * jqwik, which the project no longer uses).
 */
final class PreviousRelease {
    private PreviousRelease() {}

    /** The job jar of the release that wrote {@code golden}, building it when it is not there. */
    static Path jobJar(GoldenSavepoint golden) throws Exception {
        String commit = golden.manifest().getProperty("argus.commit");
        Path build = Path.of("target/previous-release").resolve(golden.toString()).toAbsolutePath();
        Path jar = find(build);
        if (jar != null) {
            return jar;
        }
        Path source = build.resolve("source");
        Files.createDirectories(source);
        Path log = build.resolve("build.log");
        run(
                log,
                "bash",
                "-c",
                "git -C ../.. archive "
                        + commit
                        + " | tar -x -C "
                        + source
                        + " || { echo 'git archive of "
                        + commit
                        + " failed: the upgrade drill needs a git clone with that commit'; exit 1; }");
        try (Stream<Path> poms = Files.walk(source)) {
            for (Path pom : poms.filter(p -> p.endsWith("pom.xml")).toList()) {
                List<String> lines =
                        Files.readAllLines(pom).stream().filter(l -> !l.contains("jqwik")).toList();
                Files.write(pom, lines);
            }
        }
        run(
                log,
                "mvn",
                "-B",
                "-q",
                "-f",
                source.resolve("pom.xml").toString(),
                "package",
                "-Dmaven.test.skip=true",
                "-Dspotless.check.skip=true",
                "-Dspotless.apply.skip=true");
        jar = find(build);
        if (jar == null) {
            throw new IllegalStateException(
                    "the build of " + commit + " made no job jar; see " + log);
        }
        return jar;
    }

    private static Path find(Path build) throws IOException {
        if (!Files.isDirectory(build)) {
            return null;
        }
        try (Stream<Path> files = Files.walk(build)) {
            return files.filter(p -> p.toString().endsWith("-job.jar"))
                    .filter(p -> p.getParent().endsWith("target"))
                    .findFirst()
                    .orElse(null);
        }
    }

    private static void run(Path log, String... command) throws Exception {
        Process p =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed; see " + log);
        }
    }
}

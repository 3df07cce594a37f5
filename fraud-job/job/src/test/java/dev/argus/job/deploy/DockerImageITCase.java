package dev.argus.job.deploy;

import static dev.argus.job.deploy.KubernetesManifestsTest.at;
import static dev.argus.job.deploy.KubernetesManifestsTest.flinkDeployment;
import static dev.argus.job.deploy.KubernetesManifestsTest.render;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/docker/Dockerfile against the build and the manifests, without Docker: the base image runs
 * the project's Flink, the jar it copies is the one {@code ./argus build} wrote (so this runs after
 * the package phase, as an integration test), it lands where each overlay's jarURI points, and the
 * jar's entry class is the manifests' entryClass, with a main method.
 */
class DockerImageITCase {

    static final Path ROOT = Path.of("../..");
    static final Path DOCKERFILE = ROOT.resolve("deploy/docker/Dockerfile");

    /** One instruction of the Dockerfile: its keyword and its arguments. */
    record Instruction(String keyword, String arguments) {}

    private static List<Instruction> instructions;
    private static Map<String, String> args;

    @BeforeAll
    static void parse() throws IOException {
        instructions = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String raw : Files.readAllLines(DOCKERFILE)) {
            if (line.isEmpty() && (raw.isBlank() || raw.stripLeading().startsWith("#"))) {
                continue;
            }
            if (raw.endsWith("\\")) {
                line.append(raw, 0, raw.length() - 1).append(' ');
                continue;
            }
            line.append(raw);
            String[] parts = line.toString().strip().split("\\s+", 2);
            instructions.add(
                    new Instruction(parts[0].toUpperCase(), parts.length > 1 ? parts[1] : ""));
            line.setLength(0);
        }
        args = new LinkedHashMap<>();
        for (Instruction i : all("ARG")) {
            String[] kv = i.arguments().split("=", 2);
            args.put(kv[0], kv.length > 1 ? kv[1] : null);
        }
    }

    private static List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    private static String substitute(String s) {
        Matcher m = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?").matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = args.get(m.group(1));
            assertThat(value).as("default of ARG %s in %s", m.group(1), DOCKERFILE).isNotNull();
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        return m.appendTail(out).toString();
    }

    /** The COPY of the job jar: its source (from the repository's root) and destination. */
    private static String[] copy() {
        List<Instruction> copies = all("COPY");
        assertThat(copies).as("COPY instructions in %s", DOCKERFILE).hasSize(1);
        List<String> words = new ArrayList<>();
        for (String w : copies.get(0).arguments().split("\\s+")) {
            if (!w.startsWith("--")) {
                words.add(substitute(w));
            } else {
                assertThat(w).as("COPY flag").startsWith("--chown=");
            }
        }
        assertThat(words).as("COPY's source and destination").hasSize(2);
        return words.toArray(String[]::new);
    }

    @Test
    void theBaseImageRunsTheProjectsFlinkOnTheProjectsJava() throws IOException {
        List<Instruction> from = all("FROM");
        assertThat(from).hasSize(1);
        Matcher image =
                Pattern.compile("flink:(\\d+\\.\\d+\\.\\d+)-java(\\d+)")
                        .matcher(from.get(0).arguments());
        assertThat(image.matches())
                .as(
                        "FROM %s: the official image, flink:<Flink version>-java<Java>",
                        from.get(0).arguments())
                .isTrue();
        assertThat(image.group(1))
                .as("the image's Flink, the project's flink.version")
                .isEqualTo(EnvironmentInformation.getVersion());
        // the jar's classes must run on the image's Java: class file version 44 + Java release
        try (JarFile jar = new JarFile(jobJar().toFile())) {
            byte[] entry = classBytes(jar, entryClass("prod"));
            int major = ((entry[6] & 0xff) << 8) | (entry[7] & 0xff);
            assertThat(major - 44)
                    .as("the entry class's Java release")
                    .isLessThanOrEqualTo(Integer.parseInt(image.group(2)));
        }
        // every Flink jar the image's RUN lines name is of the same version
        Matcher named =
                Pattern.compile("flink-[a-z0-9-]+?-(\\d+\\.\\d+\\.\\d+)\\.jar")
                        .matcher(
                                String.join(
                                        " ",
                                        all("RUN").stream().map(Instruction::arguments).toList()));
        while (named.find()) {
            assertThat(named.group(1))
                    .as(named.group())
                    .isEqualTo(EnvironmentInformation.getVersion());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void eachOverlayRunsTheImagesFlinkVersion(String overlay) throws IOException {
        String[] version = EnvironmentInformation.getVersion().split("\\.");
        assertThat((String) at(flinkDeployment(render(overlay)), "spec", "flinkVersion"))
                .isEqualTo("v" + version[0] + "_" + version[1]);
    }

    @Test
    void theJarItCopiesIsTheOneTheBuildWrote() throws IOException {
        assertThat(args.get("ARGUS_VERSION"))
                .as(
                        "ARG ARGUS_VERSION in %s: set its default to the root pom's version",
                        DOCKERFILE)
                .isEqualTo(projectVersion());
        Path source = ROOT.resolve(copy()[0]).normalize();
        assertThat(source)
                .as("the COPY source after `./argus build` (the job module's shaded jar)")
                .isRegularFile()
                .isEqualTo(jobJar());
        assertThat(excludedFromContext(copy()[0]))
                .as("%s excluded by %s.dockerignore", copy()[0], DOCKERFILE)
                .isFalse();
        try (JarFile jar = new JarFile(source.toFile())) {
            // the shaded jar: with the Kafka connector, without what the image's Flink provides
            assertThat(jar.getEntry("org/apache/flink/connector/kafka/source/KafkaSource.class"))
                    .isNotNull();
            assertThat(
                            jar.getEntry(
                                    "org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class"))
                    .isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void itLandsWhereTheManifestsJarUriPoints(String overlay) throws IOException {
        String jarUri = at(flinkDeployment(render(overlay)), "spec", "job", "jarURI");
        assertThat(jarUri).startsWith("local://");
        assertThat(copy()[1]).isEqualTo(jarUri.substring("local://".length()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theJarsEntryClassIsTheManifestsWithAMain(String overlay) throws IOException {
        String entryClass = entryClass(overlay);
        try (JarFile jar = new JarFile(jobJar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo(entryClass);
            assertThat(hasMain(classBytes(jar, entryClass)))
                    .as("%s has public static void main(String[])", entryClass)
                    .isTrue();
        }
    }

    private static String entryClass(String overlay) throws IOException {
        return at(flinkDeployment(render(overlay)), "spec", "job", "entryClass");
    }

    /** The jar `./argus build` writes: the job module's shaded jar. */
    private static Path jobJar() {
        Path jar =
                ROOT.resolve(
                                "fraud-job/job/target/argus-fraud-job-"
                                        + projectVersion()
                                        + "-job.jar")
                        .normalize();
        assertThat(jar)
                .as("the job jar: run `./argus build`, or this test in Maven's verify phase")
                .isRegularFile();
        return jar;
    }

    private static String projectVersion() {
        try {
            return DocumentBuilderFactory.newInstance()
                    .newDocumentBuilder()
                    .parse(ROOT.resolve("pom.xml").toFile())
                    .getDocumentElement()
                    .getElementsByTagName("version")
                    .item(0)
                    .getTextContent();
        } catch (Exception e) {
            throw new IllegalStateException(
                    "cannot read the version of " + ROOT.resolve("pom.xml"), e);
        }
    }

    private static byte[] classBytes(JarFile jar, String className) throws IOException {
        JarEntry entry = jar.getJarEntry(className.replace('.', '/') + ".class");
        assertThat(entry).as("%s in the job jar", className).isNotNull();
        try (InputStream in = jar.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    /** Whether Docker leaves this path out of the build context: the last matching pattern wins. */
    private static boolean excludedFromContext(String path) throws IOException {
        boolean excluded = false;
        for (String line : Files.readAllLines(Path.of(DOCKERFILE + ".dockerignore"))) {
            String pattern = line.strip();
            if (pattern.isEmpty() || pattern.startsWith("#")) {
                continue;
            }
            boolean exception = pattern.startsWith("!");
            var matcher =
                    FileSystems.getDefault()
                            .getPathMatcher("glob:" + (exception ? pattern.substring(1) : pattern));
            // a pattern that matches a folder matches everything in it
            for (Path p = Path.of(path); p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    excluded = !exception;
                    break;
                }
            }
        }
        return excluded;
    }

    /** Whether a class file declares {@code public static void main(String[])}. */
    static boolean hasMain(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        in.skipBytes(8); // magic, minor and major version
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7, 8, 16, 19, 20 -> in.skipBytes(2);
                case 15 -> in.skipBytes(3);
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
                case 5, 6 -> {
                    in.skipBytes(8);
                    i++;
                }
                default -> throw new IOException("constant pool tag " + tag + " unknown");
            }
        }
        in.skipBytes(6); // access flags, this class, super class
        in.skipBytes(2 * in.readUnsignedShort()); // interfaces
        skipMembers(in, null); // fields
        return skipMembers(in, utf8);
    }

    private static boolean skipMembers(DataInputStream in, String[] utf8) throws IOException {
        boolean main = false;
        int members = in.readUnsignedShort();
        for (int m = 0; m < members; m++) {
            int access = in.readUnsignedShort();
            int name = in.readUnsignedShort();
            int descriptor = in.readUnsignedShort();
            if (utf8 != null
                    && "main".equals(utf8[name])
                    && "([Ljava/lang/String;)V".equals(utf8[descriptor])
                    && (access & 0x0009) == 0x0009) {
                main = true;
            }
            int attributes = in.readUnsignedShort();
            for (int a = 0; a < attributes; a++) {
                in.skipBytes(2);
                in.skipBytes(in.readInt());
            }
        }
        return main;
    }
}

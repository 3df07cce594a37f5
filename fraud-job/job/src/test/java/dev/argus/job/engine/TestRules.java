package dev.argus.job.engine;

import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Rules written inline in tests, compiled by the real loader. */
final class TestRules {
    private TestRules() {}

    /** The rule, or null when the language refuses it. */
    static Rule compile(String yaml) throws IOException {
        List<Rule> rules = pack(yaml);
        return rules == null ? null : rules.get(0);
    }

    /** The rules of one pack, one YAML text per rule; null when the pack is invalid. */
    static List<Rule> pack(String... yamls) throws IOException {
        return packOfVersion("test-1", yamls);
    }

    /** {@link #pack} with the pack's version. */
    static List<Rule> packOfVersion(String version, String... yamls) throws IOException {
        return packWith("version: " + version + "\nquiet_period: 0s\n", yamls);
    }

    /** {@link #pack} with the given pack.yaml (its version, lists and settings). */
    static List<Rule> packWith(String packYaml, String... yamls) throws IOException {
        Path dir = Files.createTempDirectory("argus-test-rules-");
        try {
            Files.writeString(dir.resolve("pack.yaml"), packYaml);
            for (String yaml : yamls) {
                String id = yaml.substring(4, yaml.indexOf('\n')).trim();
                Files.writeString(dir.resolve(id + ".yaml"), yaml);
            }
            RulePackLoader.Result result =
                    RulePackLoader.load(List.of(dir), false, CepPatternCheck.INSTANCE);
            return result.valid() ? new ArrayList<>(result.pack().rules()) : null;
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

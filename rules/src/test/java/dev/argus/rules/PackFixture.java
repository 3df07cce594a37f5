package dev.argus.rules;

import dev.argus.rules.yaml.Problem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A rule pack written file by file into a directory, for tests of loading and validation. */
final class PackFixture {
    static final String PACK =
            """
            version: test-1
            lists:
              high_risk_mcc: {values: ["7995", "6051"]}
            """;

    /** A valid rule with one stage; tests replace parts of it. */
    static final String VALID_RULE =
            """
            id: small-then-large
            version: 2
            title: Small then large
            owner: tests
            severity: high
            score: 70
            mode: enforce
            explanation: "{{ size(matched.small) }} small then {{ money(txn.amount) }}"
            within: 10m
            skip: skip_past_last_event
            pattern:
              - stage: small
                where: txn.amount.amount_minor <= 500
                times: 2+
              - stage: large
                where: txn.amount.amount_minor >= 50000
            """;

    private final Path dir;

    PackFixture(Path dir) {
        this.dir = dir;
        write("pack.yaml", PACK);
    }

    PackFixture write(String name, String content) {
        try {
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    RulePackLoader.Result load() {
        return load(PatternCheck.NONE);
    }

    RulePackLoader.Result load(PatternCheck check) {
        return RulePackLoader.load(List.of(dir), true, check);
    }

    List<Problem> problems() {
        return load().problems();
    }
}

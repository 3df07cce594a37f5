package dev.argus.cli.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.Argus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code argus rules test} on Flink, as the risk team runs it. */
class RulesCommandITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = new MiniClusterExtension();

    private static int argus(StringWriter out, String... args) {
        return Argus.execute(new PrintWriter(out), new PrintWriter(System.err), args);
    }

    @Test
    void theTestCommandPrintsADiffForAFailingCaseAndExitsNonZero(@TempDir Path dir)
            throws Exception {
        Path source = Path.of("src/test/resources/language-pack");
        for (String f : List.of("pack.yaml", "strict-next.yaml", "strict-next.test.yaml")) {
            Files.copy(source.resolve(f), dir.resolve(f));
        }
        // claim that an event in between does not break strict contiguity
        Path tests = dir.resolve("strict-next.test.yaml");
        Files.writeString(
                tests,
                Files.readString(tests)
                        .replace(
                                "      - {id: t, at: 1m, type: transfer}\n    expect: []",
                                "      - {id: t, at: 1m, type: transfer}\n    expect:\n"
                                        + "      - matched: [a, t]"));
        StringWriter out = new StringWriter();
        int status = argus(out, "rules", "test", dir.toString());
        String printed = out.toString();
        assertThat(status).isEqualTo(1);
        assertThat(printed)
                .contains(
                        "FAIL strict-next \u203a an event in between breaks strict contiguity",
                        "strict-next.test.yaml:8)",
                        "  expected: strict-next [a, t]",
                        "  actual:   no alerts",
                        "  - missing alert    strict-next [a, t]")
                .endsWith("1 passed, 1 failed\n");
    }

    /** One rule of the shipped pack, whose snoozes name other rules; verbose shows explanations. */
    @Test
    void oneRuleOfTheShippedPackVerboseShowsTheRenderedExplanations() throws Exception {
        StringWriter out = new StringWriter();
        int status =
                argus(
                        out,
                        "rules",
                        "test",
                        "-v",
                        "../../rules/pack/account-takeover/new-payee-large-transfer.yaml");
        assertThat(status).as(out.toString()).isZero();
        assertThat(out.toString())
                .contains(
                        "PASS new-payee-large-transfer › a large transfer to a payee added ten"
                                + " minutes before alerts\n"
                                + "  explanation: 4800.00 EUR was sent to payee"
                                + " GB29NWBK60161331926819 in 1 payment(s), the last 10 minutes"
                                + " after the payee was added; the account's mean amount is 0.00"
                                + " EUR.\n")
                .endsWith("12 passed, 0 failed\n");
    }
}

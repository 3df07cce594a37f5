package dev.argus.cli.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.argus.cli.ArgusRun;
import dev.argus.cli.option.ExitCodes;
import dev.argus.model.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code argus state inspect} on the golden savepoint the job module restores in its upgrade test
 * (written by Argus 0.1.0, in the engine's older value format), against what the stream beside it
 * implies; and on paths that are not a savepoint of the job.
 */
class StateInspectTest {
    /** The golden savepoint, from this module's directory. */
    private static final Path GOLDEN =
            Path.of("../job/src/test/resources/savepoints/0.1.0-02d39c1");

    private static ArgusRun table;
    private static ArgusRun json;

    @BeforeAll
    static void inspect() {
        table = inspect(List.of());
        json = inspect(List.of("--json"));
    }

    private static ArgusRun inspect(List<String> more) {
        List<String> args = new ArrayList<>(List.of("state", "inspect"));
        args.add(GOLDEN.resolve("savepoint").toString());
        args.addAll(List.of("--pack", GOLDEN.resolve("pack").toString()));
        args.addAll(more);
        return ArgusRun.execute(args);
    }

    @Test
    void countsTheAccountsTheStreamBeforeTheSavepointHad() throws Exception {
        assertThat(json.status()).as(json.err()).isEqualTo(ExitCodes.OK);
        JsonNode accounts = report().path("accounts");
        Set<String> before = new HashSet<>();
        for (Transaction t : transactions().subList(0, split())) {
            before.add(t.getAccountId().toString());
        }
        // every valid transaction before the savepoint reached its account's profile
        assertThat(accounts.path("profile").asLong()).isEqualTo(before.size());
        assertThat(accounts.path("ruleEngine").asLong()).isPositive();
        assertThat(accounts.path("both").asLong()).isEqualTo(accounts.path("ruleEngine").asLong());
        assertThat(accounts.path("total").asLong()).isEqualTo(before.size());
        // progress went to standard error, the report alone to standard output
        assertThat(json.err()).containsPattern("read [\\d,]+ account states in");
        assertThat(json.out().trim()).startsWith("{").endsWith("}");
    }

    @Test
    void partialMatchesAddUpAlikeInTheTableAndTheJson() throws Exception {
        assertThat(table.status()).as(table.err()).isEqualTo(ExitCodes.OK);
        JsonNode report = report();
        long sum = 0;
        Map<String, long[]> byRule = new HashMap<>();
        for (JsonNode rule : report.path("rules")) {
            long partial = rule.path("partialMatches").asLong();
            long withAny = rule.path("accountsWithPartialMatches").asLong();
            assertThat(partial).as(rule.toString()).isNotNegative();
            assertThat(withAny).isBetween(0L, rule.path("accounts").asLong());
            assertThat(partial).isGreaterThanOrEqualTo(withAny);
            assertThat(rule.path("inPack").asBoolean()).as(rule.toString()).isTrue();
            sum += partial;
            byRule.merge(
                    rule.path("rule").asText(),
                    new long[] {partial, withAny},
                    StateInspectTest::add);
        }
        assertThat(report.path("partialMatches").asLong()).isEqualTo(sum).isPositive();

        // the table says the same, rule by rule
        Map<String, long[]> tableRows = new HashMap<>();
        Pattern row =
                Pattern.compile(
                        "^  (\\S+)\\s+([\\d,]+)\\s+([\\d,]+)\\s+[\\d,]+\\s+[\\d,]+\\s+\\S+$");
        boolean inRules = false;
        long tableTotal = -1;
        for (String line : table.out().split("\n")) {
            if (line.startsWith("partial matches per rule")) {
                inRules = true;
            } else if (inRules && line.startsWith("  total")) {
                tableTotal = number(line.substring("  total".length()).trim());
                inRules = false;
            } else if (inRules) {
                Matcher m = row.matcher(line);
                assertThat(m.matches()).as(line).isTrue();
                tableRows.merge(
                        m.group(1),
                        new long[] {number(m.group(2)), number(m.group(3))},
                        StateInspectTest::add);
            }
        }
        assertThat(tableTotal).isEqualTo(sum);
        assertThat(tableRows).containsOnlyKeys(byRule.keySet().toArray(String[]::new));
        byRule.forEach(
                (rule, figures) ->
                        assertThat(tableRows.get(rule)).as(rule).containsExactly(figures));
    }

    @Test
    void readsTheOlderValueFormatAndTheDeadlines() throws Exception {
        JsonNode report = report();
        JsonNode engine = report.path("engine");
        int current = engine.path("currentFormat").asInt();
        // 0.1.0 wrote flink-cep's own state in each section: read through the engine's migration
        engine.path("formats")
                .fieldNames()
                .forEachRemaining(f -> assertThat(Integer.parseInt(f)).isLessThan(current));
        long inFormats = 0;
        for (JsonNode n : engine.path("formats")) {
            inFormats += n.asLong();
        }
        assertThat(inFormats).isEqualTo(report.path("accounts").path("ruleEngine").asLong());
        assertThat(engine.path("accountsWithTimer").asLong()).isPositive();
        assertThat(engine.path("eventsWaitingInOperatorState").asLong()).isPositive();

        JsonNode oldest = report.path("oldestPendingDeadline");
        Instant at = Instant.parse(oldest.path("at").asText());
        assertThat(at).isAfter(Instant.parse(manifest().getProperty("stream.start")));
        // the oldest deadline is the earliest of the rules', and of a rule holding partial matches
        Instant earliest = Instant.MAX;
        String ruleOfEarliest = null;
        for (JsonNode rule : report.path("rules")) {
            if (!rule.path("earliestDeadline").isNull()) {
                assertThat(rule.path("partialMatches").asLong()).isPositive();
                Instant d = Instant.parse(rule.path("earliestDeadline").asText());
                if (d.isBefore(earliest)) {
                    earliest = d;
                    ruleOfEarliest = rule.path("rule").asText();
                }
            }
        }
        assertThat(at).isEqualTo(earliest);
        assertThat(oldest.path("rule").asText()).isEqualTo(ruleOfEarliest);
        assertThat(table.out())
                .contains("oldest pending deadline  " + at + ", rule " + ruleOfEarliest);
        // an account's timer is at its earliest deadline or earlier (an event waiting in its value)
        assertThat(Instant.parse(engine.path("earliestTimer").asText())).isBeforeOrEqualTo(at);
    }

    @Test
    void sizesAreConsistentDistributions() throws Exception {
        JsonNode report = report();
        JsonNode accounts = report.path("accounts");
        assertThat(report.path("bytesPerAccount").path("count").asLong())
                .isEqualTo(accounts.path("total").asLong());
        assertThat(report.path("profileBytes").path("count").asLong())
                .isEqualTo(accounts.path("profile").asLong());
        assertThat(report.path("engineValueBytes").path("count").asLong())
                .isEqualTo(accounts.path("ruleEngine").asLong());
        for (String name : List.of("bytesPerAccount", "engineValueBytes", "profileBytes")) {
            JsonNode d = report.path(name);
            assertThat(d.path("min").asLong()).as(name).isPositive();
            assertThat(
                            List.of(
                                    d.path("min").asLong(),
                                    d.path("p50").asLong(),
                                    d.path("p90").asLong(),
                                    d.path("p99").asLong(),
                                    d.path("max").asLong()))
                    .as(name)
                    .isSorted();
            assertThat(d.path("mean").asDouble())
                    .isBetween(d.path("min").asDouble(), d.path("max").asDouble());
        }
        // everything an account holds: the profile and the engine's value, the rules' sections in
        // it
        double total = mean(report, "bytesPerAccount") * accounts.path("total").asLong();
        double parts =
                mean(report, "engineValueBytes") * accounts.path("ruleEngine").asLong()
                        + mean(report, "profileBytes") * accounts.path("profile").asLong();
        assertThat(total).isCloseTo(parts, org.assertj.core.data.Offset.offset(0.5));
        long sections = 0;
        for (JsonNode rule : report.path("rules")) {
            sections += rule.path("bytes").asLong();
        }
        assertThat((double) sections)
                .isLessThan(
                        mean(report, "engineValueBytes") * accounts.path("ruleEngine").asLong());
    }

    @Test
    void thePackInForceIsTheStartPackBesideTheSavepoint() throws Exception {
        JsonNode pack = report().path("pack");
        Properties packYaml = new Properties(); // "version: 2026.11.3" reads as a property
        try (InputStream in = Files.newInputStream(GOLDEN.resolve("pack/pack.yaml"))) {
            packYaml.load(in);
        }
        String version = packYaml.getProperty("version");
        assertThat(version).isNotBlank();
        // the manifest does not record the pack; if a later one does, it must agree
        assertThat(manifest().getProperty("rules.version", version)).isEqualTo(version);
        assertThat(pack.path("version").asText()).isEqualTo(version);
        assertThat(pack.path("source").asText()).isEqualTo("start pack");
        assertThat(pack.path("deploys")).isEmpty();
        // every section the savepoint holds is of one of its rules
        assertThat(pack.path("sectionsOfPack").asLong()).isPositive();
        assertThat(pack.path("sectionsOfOtherRules").asLong()).isZero();
        assertThat(table.out()).contains("pack in force    " + version + " (start pack)");
    }

    /**
     * With another pack (today's), the sections of rules it lacks or changed are read without their
     * rule: the same partial matches, flagged as sections such a job drops.
     */
    @Test
    void sectionsOfRulesThePackDoesNotHaveAreReadWithoutThem() throws Exception {
        ArgusRun other =
                ArgusRun.execute(
                        List.of(
                                "state",
                                "inspect",
                                GOLDEN.resolve("savepoint").toString(),
                                "--pack",
                                "../../rules/pack",
                                "--json"));
        assertThat(other.status()).as(other.err()).isEqualTo(ExitCodes.OK);
        JsonNode withOther = new ObjectMapper().readTree(other.out());
        Map<String, Long> expected = new HashMap<>();
        for (JsonNode rule : report().path("rules")) {
            expected.put(rule.path("section").asText(), rule.path("partialMatches").asLong());
        }
        Map<String, Long> actual = new HashMap<>();
        long notInPack = 0;
        for (JsonNode rule : withOther.path("rules")) {
            actual.put(rule.path("section").asText(), rule.path("partialMatches").asLong());
            notInPack += rule.path("inPack").asBoolean() ? 0 : rule.path("accounts").asLong();
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(withOther.path("pack").path("sectionsOfOtherRules").asLong())
                .isEqualTo(notInPack)
                .isPositive();
        assertThat(withOther.path("pack").path("version").asText())
                .isNotEqualTo(report().path("pack").path("version").asText());
    }

    @Test
    void aDirectoryThatIsNotASavepointSaysWhatToGive(@TempDir Path empty) {
        ArgusRun run =
                ArgusRun.execute(
                        List.of(
                                "state",
                                "inspect",
                                GOLDEN.toString(),
                                "--pack",
                                GOLDEN.resolve("pack").toString()));
        assertThat(run.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).isEmpty();
        assertThat(run.err())
                .contains("is not a savepoint or a retained checkpoint: it has no _metadata file")
                .contains("Give the directory Flink wrote the savepoint to");

        ArgusRun missing =
                ArgusRun.execute(List.of("state", "inspect", empty.resolve("nothing").toString()));
        assertThat(missing.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(missing.err()).contains("does not exist");
    }

    @Test
    void aMetadataFileThatIsNotFlinksSaysSo(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("_metadata"), "not a checkpoint");
        ArgusRun run = ArgusRun.execute(List.of("state", "inspect", dir.toString()));
        assertThat(run.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.err()).contains("is not the metadata of a savepoint this Flink reads");
    }

    private static JsonNode report() throws IOException {
        return new ObjectMapper().readTree(json.out());
    }

    private static double mean(JsonNode report, String name) {
        return report.path(name).path("mean").asDouble();
    }

    private static long[] add(long[] a, long[] b) {
        return new long[] {a[0] + b[0], a[1] + b[1]};
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    private static Properties manifest() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(GOLDEN.resolve("manifest.properties"))) {
            p.load(in);
        }
        return p;
    }

    private static int split() throws IOException {
        return Integer.parseInt(manifest().getProperty("stream.split"));
    }

    private static List<Transaction> transactions() throws IOException {
        List<Transaction> out = new ArrayList<>();
        try (DataFileReader<Transaction> reader =
                new DataFileReader<>(
                        GOLDEN.resolve("transactions.avro").toFile(),
                        new SpecificDatumReader<>(Transaction.class))) {
            reader.forEach(out::add);
        }
        return out;
    }
}

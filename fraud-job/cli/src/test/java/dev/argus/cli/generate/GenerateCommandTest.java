package dev.argus.cli.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.Argus;
import dev.argus.sandbox.traffic.Dataset;
import dev.argus.sandbox.traffic.Labels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int argus(String... args) {
        return Argus.execute(new PrintWriter(out), new PrintWriter(err), args);
    }

    @Test
    void writesADataSetAndSaysWhatIsInIt(@TempDir Path dir) throws Exception {
        Path set = dir.resolve("set");
        assertThat(
                        argus(
                                "generate",
                                "--accounts=400",
                                "--days",
                                "5",
                                "--seed=3",
                                "--fraud-rate=20",
                                "--out",
                                set.toString()))
                .as(err.toString())
                .isZero();
        assertThat(out.toString())
                .contains("generating 400 accounts x 5 days from 2026-10-05")
                .contains("day  5.0 of 5")
                .contains("per account-day")
                .contains("typology", "look-alikes");
        assertThat(Dataset.transactionFiles(set)).hasSize(5);
        assertThat(Files.readString(set.resolve(Dataset.MANIFEST)))
                .contains(
                        "\"start\" : \"2026-10-05T00:00:00Z\"",
                        "\"fraud_cases_per_1000_account_days\" : 20.0");
        assertThat(Labels.read(set.resolve(Labels.FILE_NAME))).isNotEmpty();

        // a second time into the same folder is refused: a data set is never mixed with another
        out.getBuffer().setLength(0);
        assertThat(argus("generate", "--accounts=10", "--days=4", "--out", set.toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("is not empty");
    }
}

package dev.argus.cli.backtest;

import static dev.argus.cli.backtest.BacktestCommandITCase.argus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.ArgusRun;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to {@code argus backtest}: each a clear error, a non-zero exit, and nothing run. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BacktestInputITCase {
    Path dir;
    Path data;

    @BeforeAll
    void aDataSet(@TempDir Path dir) throws IOException {
        this.dir = dir;
        data = BacktestCommandITCase.dataset(dir);
    }

    private Path firstFile() throws IOException {
        try (var files = Files.list(data)) {
            return files.filter(p -> p.toString().endsWith(".avro"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
    }

    @Test
    void aTruncatedFileIsNamed() throws IOException {
        Path cut = dir.resolve("cut/transactions-2026-10-05.avro");
        Files.createDirectories(cut.getParent());
        Files.copy(firstFile(), cut);
        try (RandomAccessFile f = new RandomAccessFile(cut.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        ArgusRun run =
                argus("backtest", "--input", cut.toString(), "--out", dir.resolve("o1").toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains(cut.toString(), "damaged or truncated after");
        assertThat(dir.resolve("o1")).doesNotExist();
    }

    @Test
    void aFileThatIsNotAvroIsNamed() throws IOException {
        Path text = dir.resolve("notes.avro");
        Files.writeString(text, "account,amount\nacc-1,12.00\n");
        ArgusRun run =
                argus(
                        "backtest",
                        "--input",
                        text.toString(),
                        "--out",
                        dir.resolve("o2").toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains(text.toString(), "not an Avro object container file");
        ArgusRun missing =
                argus(
                        "backtest",
                        "--input",
                        dir.resolve("nowhere").toString(),
                        "--out",
                        dir.resolve("o2").toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("nowhere: no such file or folder");
    }

    @Test
    void aBadPackIsReportedInFullAndNothingRuns() throws IOException {
        Path pack = BacktestCommandITCase.candidatePack(dir.resolve("bad"));
        Path a = pack.resolve("cards/card-testing.yaml");
        Files.writeString(a, Files.readString(a).replace("txn.type", "txn.kind"));
        Path b = pack.resolve("velocity/count-velocity.yaml");
        Files.writeString(b, Files.readString(b).replace("within:", "whithin:"));
        ArgusRun run =
                argus(
                        "backtest",
                        "--pack",
                        pack.toString(),
                        "--input",
                        data.toString(),
                        "--out",
                        dir.resolve("o3").toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err())
                .contains(
                        "card-testing.yaml:",
                        "count-velocity.yaml:",
                        "problems in",
                        "nothing was run");
        assertThat(run.out()).doesNotContain("records/s");
    }

    @Test
    void labelsThatNameTransactionsOutsideTheHistoryAreRefused() throws IOException {
        Path labels = dir.resolve("labels.jsonl");
        List<String> lines = Files.readAllLines(data.resolve("labels.jsonl"));
        Files.write(
                labels,
                List.of(
                        lines.get(0)
                                .replaceFirst(
                                        "\"transaction_ids\":\\[\"",
                                        "\"transaction_ids\":[\"tx-from-elsewhere\",\"")));
        ArgusRun run =
                argus(
                        "backtest",
                        "--input",
                        data.toString(),
                        "--labels",
                        labels.toString(),
                        "--out",
                        dir.resolve("o4").toString());
        assertThat(run.status()).as(run.out()).isEqualTo(1);
        assertThat(run.err())
                .contains(
                        "names 1 transaction (of ",
                        "tx-from-elsewhere",
                        "is it the labels file of this history?");
        assertThat(dir.resolve("o4/report.html")).doesNotExist();
    }

    @Test
    void aFolderWithOtherFilesIsNotOverwrittenAndUsageIsChecked() throws IOException {
        Path out = dir.resolve("o5");
        Files.createDirectories(out);
        Files.writeString(out.resolve("thesis.docx"), "mine");
        ArgusRun run = argus("backtest", "--input", data.toString(), "--out", out.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("holds files a backtest does not write (thesis.docx)");
        assertThat(argus("backtest", "--out", out.toString()).status()).isEqualTo(2);
        assertThat(argus("backtest", "--topic", "t", "--out", out.toString()).status())
                .isEqualTo(2);
        ArgusRun memory =
                argus(
                        "backtest",
                        "--input",
                        data.toString(),
                        "--managed-memory",
                        "lots",
                        "--out",
                        dir.resolve("o6").toString());
        assertThat(memory.status()).isEqualTo(2);
        assertThat(memory.err()).contains("--managed-memory 'lots' is not a size");
    }
}

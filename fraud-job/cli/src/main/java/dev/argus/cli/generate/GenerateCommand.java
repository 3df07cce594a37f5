package dev.argus.cli.generate;

import dev.argus.cli.option.ExitCodes;
import dev.argus.sandbox.traffic.BankTraffic;
import dev.argus.sandbox.traffic.CaseLabel;
import dev.argus.sandbox.traffic.Dataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code argus generate}: a labelled data set of bank traffic, in files. */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Write a labelled data set of bank traffic to files.",
        description = {
            "Generates the traffic of --accounts accounts over --days days (accounts of several"
                    + " kinds, each with its own rhythm, with fraud of every typology of the pack"
                    + " and benign look-alikes injected) and writes it to --out: Avro files of"
                    + " Transaction, one per day, labels.jsonl (one line per injected case),"
                    + " accounts.csv and dataset.json. docs/traffic.md describes the traffic and"
                    + " the files. The same options always give the same data set.",
            ""
        })
public final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--accounts",
            paramLabel = "N",
            defaultValue = "10000",
            description = "accounts (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(
            names = "--days",
            paramLabel = "D",
            defaultValue = "30",
            description = "days of traffic (default: ${DEFAULT-VALUE})")
    int days;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "7",
            description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--start",
            paramLabel = "DATE",
            defaultValue = "2026-10-05",
            description =
                    "first day (UTC), e.g. 2026-10-05; fixed by default so that a seed always"
                            + " gives the same data set (default: ${DEFAULT-VALUE})")
    LocalDate start;

    @Option(
            names = "--fraud-rate",
            paramLabel = "R",
            defaultValue = "0.5",
            description =
                    "fraud cases per 1,000 account-days, spread evenly over the typologies"
                            + " (default: ${DEFAULT-VALUE})")
    double fraudRate;

    @Option(
            names = "--look-alike-rate",
            paramLabel = "R",
            defaultValue = "0.5",
            description =
                    "benign look-alike cases per 1,000 account-days (default: ${DEFAULT-VALUE})")
    double lookAlikeRate;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            required = true,
            description = "the folder to write, new or empty")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (accounts < 1) {
            throw usage("--accounts must be positive, not " + accounts);
        }
        if (days < 4) {
            throw usage(
                    "--days must be 4 or more, not "
                            + days
                            + ": cases are injected from the second day and must end before the"
                            + " last");
        }
        if (fraudRate < 0 || lookAlikeRate < 0) {
            throw usage("--fraud-rate and --look-alike-rate must not be negative");
        }
        PrintWriter o = spec.commandLine().getOut();
        BankTraffic.Options options =
                new BankTraffic.Options(
                        accounts,
                        seed,
                        start.atStartOfDay(ZoneOffset.UTC).toInstant(),
                        days,
                        fraudRate,
                        lookAlikeRate,
                        0.0);
        double expected = BankTraffic.expectedEventsPerAccountDay() * accounts * days;
        o.printf(
                "generating %,d accounts x %d days from %s (about %,.0f transactions) into %s%n",
                accounts, days, start, expected, out);
        long began = System.nanoTime();
        boolean terminal = System.console() != null;
        Dataset.Written w;
        try {
            w =
                    Dataset.write(
                            options,
                            out,
                            (n, day) -> {
                                double seconds = (System.nanoTime() - began) / 1e9;
                                String line =
                                        String.format(
                                                "  day %4.1f of %d  %,12d transactions  %,9.0f/s  %s",
                                                Math.min(day, days),
                                                days,
                                                n,
                                                n / Math.max(seconds, 1e-3),
                                                eta(seconds, n, expected));
                                if (terminal) {
                                    o.print("\r" + line);
                                } else if (n % 1_000_000 == 0 || day >= days) {
                                    o.println(line);
                                }
                                o.flush();
                            });
        } catch (IOException e) {
            spec.commandLine().getErr().println("argus generate: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        if (terminal) {
            o.println();
        }
        o.printf(
                "wrote %,d transactions in %.1f s (%,.0f transactions/s): %.2f per account-day%n",
                w.transactions(),
                w.seconds(),
                w.transactions() / w.seconds(),
                w.transactions() / (double) accounts / days);
        o.printf("by type: %s%n", w.byType());
        Map<String, long[]> cases = new TreeMap<>();
        for (CaseLabel c : w.labels()) {
            cases.computeIfAbsent(c.typology(), t -> new long[2])[c.fraud() ? 0 : 1]++;
        }
        o.printf("%-30s %8s %12s%n", "typology", "fraud", "look-alikes");
        cases.forEach((t, n) -> o.printf("%-30s %8d %12d%n", t, n[0], n[1]));
        o.printf(
                "files: %d transaction files, labels.jsonl, accounts.csv, dataset.json in %s%n",
                w.files().size(), out.toAbsolutePath());
        return 0;
    }

    private static String eta(double seconds, long done, double expected) {
        if (done == 0 || done >= expected) {
            return "";
        }
        return String.format("about %.0f s left", seconds * (expected - done) / done);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}

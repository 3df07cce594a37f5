package dev.argus.cli.local;

import dev.argus.cli.option.DurationConverter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code argus local}: its options, which it checks before it starts the {@link LocalRunner}. */
@Command(
        name = "local",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Run Argus on this machine: Kafka, registry, Flink and traffic, all embedded.",
        description = {
            "Runs Argus on this machine with everything embedded: a Kafka broker, the schema"
                    + " registry, the job on Flink with its web UI, and generated traffic with"
                    + " labelled fraud. Prints every alert as a read_committed consumer sees it,"
                    + " then a report.",
            ""
        })
public final class LocalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--rate",
            paramLabel = "N",
            defaultValue = "200",
            description =
                    "transactions per second to generate: with --accounts, how fast event time"
                            + " runs (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(
            names = "--accounts",
            paramLabel = "N",
            defaultValue = "2000",
            description =
                    "accounts, of several kinds, a few events a day each (default:"
                            + " ${DEFAULT-VALUE})")
    int accounts;

    @Option(
            names = "--duration",
            paramLabel = "D",
            defaultValue = "2min",
            converter = DurationConverter.class,
            description =
                    "how long to generate, e.g. 60s, 5min, 1h, or 90 (seconds); 0 = until Ctrl-C;"
                            + " then ordinary traffic goes on until the injected cases are"
                            + " evaluated (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(
            names = "--fraud-rate",
            paramLabel = "R",
            defaultValue = "20",
            description =
                    "fraud cases per 1,000 account-days, spread evenly over the typologies; far"
                            + " above a bank's, so that a few minutes show every typology"
                            + " (default: ${DEFAULT-VALUE})")
    double fraudRate;

    @Option(
            names = "--look-alike-rate",
            paramLabel = "R",
            defaultValue = "20",
            description =
                    "benign look-alike cases per 1,000 account-days (default: ${DEFAULT-VALUE})")
    double lookAlikeRate;

    @Option(
            names = "--bad-ratio",
            paramLabel = "R",
            defaultValue = "0.002",
            description =
                    "chance per transaction of a broken or late record (default:"
                            + " ${DEFAULT-VALUE})")
    double badRatio;

    @Option(
            names = "--ui-port",
            paramLabel = "P",
            defaultValue = "8081",
            description = "Flink web UI port, 0 for any free one (default: ${DEFAULT-VALUE})")
    int uiPort;

    @Option(
            names = "--metrics-port",
            paramLabel = "P",
            defaultValue = "9249",
            description =
                    "port of the job's metrics for Prometheus (http://127.0.0.1:P/metrics, what"
                            + " deploy/grafana/argus-dashboard.json queries), 0 for any free one;"
                            + " a busy port is replaced by a free one (default: ${DEFAULT-VALUE})")
    int metricsPort;

    @Option(
            names = "--registry-port",
            paramLabel = "P",
            defaultValue = "0",
            description = "schema registry port, 0 for any free one (default: ${DEFAULT-VALUE})")
    int registryPort;

    @Option(
            names = "--checkpoint-interval",
            paramLabel = "D",
            defaultValue = "2s",
            converter = DurationConverter.class,
            description = "how often alerts are committed (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @Option(
            names = "--seed",
            paramLabel = "N",
            defaultValue = "7",
            description = "seed of the generator (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        new LocalRunner(options()).run();
        return 0;
    }

    /**
     * The options, checked.
     *
     * @throws ParameterException naming the option at fault
     */
    LocalRunner.Options options() {
        if (rate <= 0) {
            throw usage("--rate must be positive, not " + rate);
        }
        if (accounts < 1) {
            throw usage("--accounts must be positive, not " + accounts);
        }
        within("--fraud-rate", fraudRate, 1000);
        within("--look-alike-rate", lookAlikeRate, 1000);
        within("--bad-ratio", badRatio, 1);
        within("--ui-port", uiPort, 65_535);
        within("--registry-port", registryPort, 65_535);
        within("--metrics-port", metricsPort, 65_535);
        if (checkpointInterval.isZero()) {
            throw usage("--checkpoint-interval must be longer than 0");
        }
        return new LocalRunner.Options(
                rate,
                accounts,
                duration,
                fraudRate,
                lookAlikeRate,
                badRatio,
                uiPort,
                metricsPort,
                registryPort,
                seed,
                checkpointInterval);
    }

    private void within(String option, double value, int max) {
        if (value < 0 || value > max) {
            throw usage(
                    String.format(
                            "%s must be between 0 and %d, not %s",
                            option,
                            max,
                            value == (long) value
                                    ? String.valueOf((long) value)
                                    : String.valueOf(value)));
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}

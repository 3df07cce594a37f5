package dev.argus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** {@code argus bench}'s options as the benchmark gets them, and its job process's arguments. */
class BenchCommandTest {
    @Test
    void defaults() {
        BenchOptions o = BenchCommand.parse();
        assertThat(o.variant()).isEqualTo(Variant.ARGUS);
        assertThat(o.compare()).isFalse();
        assertThat(o.rules()).isEqualTo("all");
        assertThat(o.singleRule()).isEqualTo("card-testing");
        assertThat(o.accounts()).isEqualTo(100_000);
        assertThat(o.rate()).isEqualTo(50.0);
        assertThat(o.fraudRatio()).isEqualTo(0.01);
        assertThat(o.warmup()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.duration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.warmupTransactions()).isZero();
        assertThat(o.transactions()).isZero();
        assertThat(o.latencyDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.checkpointInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.runs()).isEqualTo(1);
        assertThat(o.parallelism()).isEqualTo(2);
        assertThat(o.jobHeap()).isEqualTo("2g");
        assertThat(o.managedMemory()).isEqualTo("512m");
        assertThat(o.profile()).isFalse();
        assertThat(o.ordering()).isEqualTo("arrival");
        assertThat(o.seed()).isEqualTo(7);
        assertThat(o.rulePacks()).isEmpty();
        assertThat(o.jobJvmOptions()).isEmpty();
    }

    @Test
    void theOfferedPhaseStampsWallTimeOnlyForEventTimeOrdering() {
        // arrival ordering: the traffic's own event times, the density of the unthrottled phase
        assertThat(Traffic.offeredAtWallPace(BenchCommand.parse())).isFalse();
        assertThat(Traffic.offeredAtWallPace(BenchCommand.parse("--ordering", "ARRIVAL")))
                .isFalse();
        // event-time ordering: the watermark's wait is measured in wall seconds, as in production
        assertThat(Traffic.offeredAtWallPace(BenchCommand.parse("--ordering", "event-time")))
                .isTrue();
    }

    @Test
    void rulePacks() {
        BenchOptions o = BenchCommand.parse("--rule-packs", "16,50", "--runs", "2");
        assertThat(o.rulePacks()).containsExactly(16, 50);
        assertThat(o.runs()).isEqualTo(2);
        assertThat(new Bench(o, null, null).plans())
                .extracting(Bench.Plan::packSize)
                .containsExactly(16, 50, 16, 50);
        assertThat(new Bench(o, null, null).plans())
                .allSatisfy(
                        p -> {
                            assertThat(p.variant()).isEqualTo(Variant.ARGUS);
                            assertThat(p.rules()).isEqualTo("all");
                            assertThat(p.offeredPhase()).isFalse();
                        });
        for (List<String> args :
                List.of(
                        List.of("--rule-packs", "0"),
                        List.of("--rule-packs", "16,16"),
                        List.of("--rule-packs", "16,50", "--compare"),
                        List.of("--rule-packs", "16,50", "--variant", "keyed"),
                        List.of("--rule-packs", "16,50", "--rules", "3"),
                        List.of("--rule-packs", "16,50", "--duration", "0"))) {
            assertThatThrownBy(() -> BenchCommand.parse(args.toArray(String[]::new)))
                    .as("%s", args)
                    .isInstanceOf(ParameterException.class)
                    .hasMessageContaining("--rule-packs");
        }
    }

    @Test
    void everyOptionInEitherForm() {
        BenchOptions o =
                BenchCommand.parse(
                        "--compare",
                        "--variant=CEP",
                        "--rules",
                        "3",
                        "--single-rule=structuring",
                        "--accounts",
                        "2000",
                        "--rate=75.5",
                        "--traffic=Uniform",
                        "--fraud-ratio",
                        "0.05",
                        "--fraud-rate",
                        "3",
                        "--warmup",
                        "5 min",
                        "--duration=90",
                        "--warmup-transactions",
                        "50000",
                        "--transactions=200000",
                        "--latency-duration",
                        "1h",
                        "--checkpoint-interval=500 ms",
                        "--parallelism",
                        "4",
                        "--job-heap=1g",
                        "--managed-memory",
                        "128m",
                        "--rest-port=18081",
                        "--profile",
                        "--ordering",
                        "ARRIVAL",
                        "--control",
                        "--changelog",
                        "--seed=42",
                        "--keep-savepoints",
                        "--job-jvm-option=-XX:+TieredCompilation",
                        "--job-jvm-option=-Xss2m");
        assertThat(o)
                .isEqualTo(
                        new BenchOptions(
                                Variant.CEP,
                                true,
                                "3",
                                "structuring",
                                2000,
                                75.5,
                                BenchOptions.TrafficKind.UNIFORM,
                                0.05,
                                3.0,
                                Duration.ofMinutes(5),
                                Duration.ofSeconds(90),
                                50_000,
                                200_000,
                                Duration.ofHours(1),
                                Duration.ofMillis(500),
                                2,
                                4,
                                "1g",
                                "128m",
                                18081,
                                true,
                                "arrival",
                                true,
                                true,
                                42,
                                List.of(),
                                0,
                                0,
                                true,
                                List.of("-XX:+TieredCompilation", "-Xss2m")));
        assertThat(BenchCommand.parse("--compare=false", "--runs", "3").runs()).isEqualTo(3);
        assertThat(BenchCommand.parse("--compare=false").compare()).isFalse();
    }

    @Test
    void refusesValuesThatCannotRun() {
        for (List<String> args :
                List.of(
                        List.of("--rate", "0"),
                        List.of("--runs", "0"),
                        List.of("--parallelism", "0"),
                        List.of("--fraud-ratio", "1.5"),
                        List.of("--fraud-rate", "-1"),
                        List.of("--traffic", "busy"),
                        List.of("--transactions", "-1"),
                        List.of("--checkpoint-interval", "0"),
                        List.of("--job-heap", "lots"),
                        List.of("--managed-memory", "lots"),
                        List.of("--rest-port", "70000"),
                        List.of("--rules", "no-such-rule"))) {
            assertThatThrownBy(() -> BenchCommand.parse(args.toArray(String[]::new)))
                    .as("%s", args)
                    .isInstanceOf(ParameterException.class)
                    .hasMessageContaining(args.get(0));
        }
    }

    @Test
    void aFloodAlternatesRunsWithoutAndWithItAndFitsTheOfferedWindow() {
        BenchOptions o =
                BenchCommand.parse(
                        "--flood", "16000", "--duration", "0", "--latency-duration", "80s");
        assertThat(o.floodPerSecond()).isEqualTo(200.0);
        assertThat(o.floodMillis()).isEqualTo(80_000);
        List<Bench.Plan> plans =
                new Bench(BenchCommand.parse("--flood", "10000", "--runs", "2"), null, null)
                        .plans();
        assertThat(plans).extracting(Bench.Plan::flood).containsExactly(false, true, false, true);
        assertThat(plans).allMatch(Bench.Plan::offeredPhase);
        assertThat(BenchCommand.parse("--flood", "10000", "--flood-rate", "1000").floodMillis())
                .isEqualTo(10_000);
        for (List<String> args :
                List.of(
                        List.of("--flood", "100", "--compare"),
                        List.of("--flood", "100", "--variant", "keyed"),
                        List.of("--flood", "100", "--latency-duration", "0"),
                        List.of("--flood", "10000", "--flood-rate", "10"),
                        List.of("--flood", "-1"))) {
            assertThatThrownBy(() -> BenchCommand.parse(args.toArray(String[]::new)))
                    .as("%s", args)
                    .isInstanceOf(ParameterException.class)
                    .hasMessageContaining("--flood");
        }
    }

    @Test
    void theJobProcessReadsTheArgumentsTheBenchmarkGivesIt() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", "localhost:9092");
        config.put("checkpoint.interval", "1000 ms");
        config.put("kafka.sasl.jaas.config", "module required user=\"a\" password=\"b=c\";");
        List<String> args =
                BenchJob.arguments(Variant.STAGE, "card-testing", 3, "256m", 18081, config);

        BenchJob job = new BenchJob();
        new CommandLine(job).parseArgs(args.toArray(String[]::new));
        assertThat(job.variant).isEqualTo(Variant.STAGE);
        assertThat(job.rules).isEqualTo("card-testing");
        assertThat(job.parallelism).isEqualTo(3);
        assertThat(job.managedMemory).isEqualTo("256m");
        assertThat(job.restPort).isEqualTo(18081);
        assertThat(job.config).isEqualTo(config);
    }
}

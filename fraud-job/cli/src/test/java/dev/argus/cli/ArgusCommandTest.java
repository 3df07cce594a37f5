package dev.argus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.cli.option.DurationConverter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code argus} command line itself: help, usage errors and exit statuses, option values.
 * Nothing here runs a command: each either asks for help or fails before it would start.
 */
class ArgusCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int argus(String... args) {
        return Argus.execute(new PrintWriter(out), new PrintWriter(err), args);
    }

    @Test
    void listsItsCommandsAndWhatTheLauncherAdds() {
        assertThat(argus("--help")).isZero();
        assertThat(out.toString())
                .contains("Usage: argus [-hV] [COMMAND]")
                .contains("local", "bench", "generate", "rules", "state", "profile-bench")
                .contains("./argus test", "./argus build");
    }

    @Test
    void aMissingCommandIsAUsageError() {
        assertThat(argus()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required subcommand").contains("Commands:");
        err.getBuffer().setLength(0);
        assertThat(argus("rules")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required subcommand").contains("validate");
    }

    @Test
    void theHelpOfLocalListsEveryOptionWithItsDefault() {
        assertThat(argus("local", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", " "))
                .contains("Usage: argus local")
                .contains("--rate=N", "(default: 200)")
                .contains("--accounts=N", "(default: 2000)")
                .contains("--duration=D", "(default: 2min)")
                .contains("--fraud-rate=R", "--look-alike-rate=R", "(default: 20)")
                .contains("--bad-ratio=R", "(default: 0.002)")
                .contains("--ui-port=P", "(default: 8081)")
                .contains("--metrics-port=P", "(default: 9249)")
                .contains("--registry-port=P", "(default: 0)")
                .contains("--checkpoint-interval=D", "(default: 2s)")
                .contains("--seed=N", "(default: 7)");
    }

    @Test
    void theHelpOfBenchListsEveryOptionWithItsDefault() {
        assertThat(argus("bench", "--help")).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help)
                .contains("Usage: argus bench")
                .contains("--compare ", "--profile ")
                .contains("--variant=V argus, cep, keyed")
                .contains("(default: argus)", "(default: all)", "(default: card-testing)")
                .contains("--accounts=N", "(default: 100000)")
                .contains("--rate=N", "(default: 50)")
                .contains("--traffic=KIND", "(default: bank)")
                .contains("--fraud-rate=R", "(default: 1)")
                .contains("--fraud-ratio=R", "(default: 0.01)")
                .contains("--warmup=D", "(default: 30s)")
                .contains("--duration=D", "--latency-duration=D", "(default: 60s)")
                .contains("--warmup-transactions=N", "--transactions=N", "(default: 0")
                .contains("--checkpoint-interval=D", "(default: 10s)")
                .contains("--runs=N", "(default: 1; 2 with --compare)")
                .contains("--parallelism=N", "(default: 2)")
                .contains("--job-heap=S", "(default: 2g)")
                .contains("--managed-memory=S", "(default: 512m)")
                .contains("--ordering=O", "(default: arrival)")
                .contains("--seed=N", "(default: 7)")
                .contains("--single-rule=ID");
    }

    @Test
    void theHelpOfTheRulesCommandsAndTheProfileBenchmark() {
        assertThat(argus("rules", "--help")).isZero();
        assertThat(out.toString()).contains("validate", "test", "bench");
        for (String command : List.of("validate", "test", "bench")) {
            out.getBuffer().setLength(0);
            assertThat(argus("rules", command, "--help")).isZero();
            assertThat(out.toString())
                    .contains("Usage: argus rules " + command)
                    .contains("[PATH...]", "(default: rules/pack)");
        }
        assertThat(out.toString()).doesNotContain("--verbose");
        out.getBuffer().setLength(0);
        assertThat(argus("rules", "test", "--help")).isZero();
        assertThat(out.toString()).contains("-v, --verbose");

        out.getBuffer().setLength(0);
        assertThat(argus("profile-bench", "--help")).isZero();
        assertThat(out.toString())
                .contains("--events=N", "(default: 300000)")
                .contains("--accounts=N", "(default: 10000)")
                .contains("--runs=N", "(default: 2)");
    }

    /** Every option that has a default shows it, in every command. */
    @Test
    void everyDefaultIsInTheHelp() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Argus.commandLine(), commands);
        assertThat(commands).hasSize(21);
        for (CommandLine command : commands) {
            String help = command.getUsageMessage().replaceAll("\\s+", " ");
            for (OptionSpec option : command.getCommandSpec().options()) {
                if (option.defaultValue() != null) {
                    assertThat(help)
                            .as("%s %s", command.getCommandName(), option.longestName())
                            .contains("(default: " + option.defaultValue());
                }
            }
        }
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        into.add(command);
        command.getSubcommands().values().forEach(c -> collect(c, into));
    }

    @Test
    void aBadValueIsAUsageErrorThatNamesTheOption() {
        assertThat(argus("bench", "--rate", "fast")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Invalid value for option '--rate': 'fast' is not a double")
                .contains("Try 'argus bench --help'");

        err.getBuffer().setLength(0);
        assertThat(argus("local", "--duration", "soon")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Invalid value for option '--duration': 'soon' is not a duration");

        err.getBuffer().setLength(0);
        assertThat(argus("bench", "--variant", "fastest")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Invalid value for option '--variant'")
                .contains("use argus, cep, keyed or stage");

        err.getBuffer().setLength(0);
        assertThat(argus("bench", "--ordering=sorted")).isEqualTo(2);
        assertThat(err.toString()).contains("Invalid value for option '--ordering'");

        err.getBuffer().setLength(0);
        assertThat(argus("bench", "--rules", "card-testing,no-such-rule")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Invalid value for option '--rules': no active rule 'no-such-rule'");

        err.getBuffer().setLength(0);
        assertThat(argus("bench", "--duration", "0", "--latency-duration", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--duration and --latency-duration are both 0");

        err.getBuffer().setLength(0);
        assertThat(argus("bench", "--traffic", "busy")).isEqualTo(2);
        assertThat(err.toString()).contains("'busy' is not a traffic: use bank or uniform");

        err.getBuffer().setLength(0);
        assertThat(argus("generate", "--out", "x", "--days", "2")).isEqualTo(2);
        assertThat(err.toString()).contains("--days must be 4 or more, not 2");

        err.getBuffer().setLength(0);
        assertThat(argus("generate")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--out=DIR'");

        err.getBuffer().setLength(0);
        assertThat(argus("local", "--accounts", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--accounts must be positive, not 0");

        err.getBuffer().setLength(0);
        assertThat(argus("profile-bench", "--runs=0")).isEqualTo(2);
        assertThat(err.toString()).contains("--runs must be positive, not 0");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertThat(argus("local", "--rat", "5")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Unknown options: '--rat', '5'")
                .contains("Possible solutions: --rate")
                .contains("Try 'argus local --help'");

        err.getBuffer().setLength(0);
        assertThat(argus("bench", "--latency", "5s")).isEqualTo(2);
        assertThat(err.toString())
                .contains("Unknown options: '--latency', '5s'")
                .contains("Possible solutions: --latency-duration");

        err.getBuffer().setLength(0);
        assertThat(argus("profile-bench", "--evnts=5")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--evnts=5'");
    }

    @ParameterizedTest
    @CsvSource({
        "30s, PT30S",
        "30 s, PT30S",
        "' 45s ', PT45S",
        "90, PT1M30S",
        "0, PT0S",
        "5 min, PT5M",
        "5min, PT5M",
        "2 m, PT2M",
        "1h, PT1H",
        "2 hours, PT2H",
        "1d, PT24H",
        "250 ms, PT0.25S",
        "1500ms, PT1.5S"
    })
    void durationsParseInEveryForm(String text, String expected) {
        assertThat(new DurationConverter().convert(text)).isEqualTo(Duration.parse(expected));
    }

    @Test
    void aDurationThatIsNotOneIsRefused() {
        for (String text : List.of("", "soon", "-5s", "5 fortnights", "1.5h")) {
            assertThatThrownBy(() -> new DurationConverter().convert(text))
                    .as(text)
                    .isInstanceOf(TypeConversionException.class)
                    .hasMessageContaining("is not a duration");
        }
    }

    @Test
    void aNegativeNumberIsAValueInEitherForm() {
        assertThat(argus("local", "--rate=-1")).isEqualTo(2);
        assertThat(argus("local", "--rate", "-1")).isEqualTo(2);
        assertThat(err.toString().split("--rate must be positive, not -1.0", -1)).hasSize(3);
    }
}

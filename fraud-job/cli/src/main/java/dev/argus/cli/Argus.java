package dev.argus.cli;

import dev.argus.cli.backtest.BacktestCommand;
import dev.argus.cli.bench.BenchCommand;
import dev.argus.cli.control.ControlCommands;
import dev.argus.cli.generate.GenerateCommand;
import dev.argus.cli.local.LocalCommand;
import dev.argus.cli.profile.ProfileBenchmark;
import dev.argus.cli.rules.RulesCommand;
import dev.argus.cli.state.StateCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code argus} command line: {@code local}, {@code bench}, {@code generate}, {@code backtest},
 * {@code rules}, {@code snooze}, {@code unsnooze}, {@code list}, {@code state} and {@code
 * profile-bench}, each with {@code --help}. The {@code argus} launcher chooses the JVM's options
 * and class path and runs this; its {@code test} and {@code build} run Maven.
 *
 * <p>Exit status: 0 done, 1 failed (invalid rules, failing rule tests, an error while running), 2
 * bad usage (an unknown option, a bad value, a missing subcommand).
 */
@Command(
        name = "argus",
        mixinStandardHelpOptions = true,
        versionProvider = Argus.Version.class,
        description = "Argus, real-time fraud detection on Apache Flink: its commands.",
        subcommands = {
            LocalCommand.class,
            BenchCommand.class,
            GenerateCommand.class,
            BacktestCommand.class,
            RulesCommand.class,
            ControlCommands.Snooze.class,
            ControlCommands.Unsnooze.class,
            ControlCommands.Lists.class,
            StateCommand.class,
            ProfileBenchmark.class
        },
        footer = {
            "",
            "argus COMMAND --help lists a command's options with their defaults.",
            "The ./argus launcher also runs Maven: ./argus test (every test), ./argus build (the"
                    + " cluster job jar)."
        })
public final class Argus {
    public static void main(String[] args) {
        System.exit(
                execute(
                        new PrintWriter(System.out, true),
                        new PrintWriter(System.err, true),
                        args));
    }

    /** Runs a command line, printing to {@code out} and {@code err}; returns the exit status. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = commandLine();
        versionEverywhere(commandLine, new Version());
        commandLine.setParameterExceptionHandler(Argus::usageError);
        commandLine.setOut(out);
        commandLine.setErr(err);
        try {
            return commandLine.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * Every command: those declared on the classes, and the commands of {@code argus rules} that
     * talk to the running job ({@code dev.argus.cli.control}, which uses {@code
     * dev.argus.cli.rules} to check and test a pack before deploying it).
     */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Argus());
        CommandLine rules = commandLine.getSubcommands().get("rules");
        rules.addSubcommand(new CommandLine(new ControlCommands.Deploy()));
        rules.addSubcommand(new CommandLine(new ControlCommands.Rollback()));
        rules.addSubcommand(new CommandLine(new ControlCommands.Mode()));
        rules.addSubcommand(new CommandLine(new ControlCommands.History()));
        return commandLine;
    }

    /**
     * A usage error: the message, which names the option or argument at fault, then where to look;
     * the whole usage only for a command whose subcommand is missing or unknown.
     */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        if (command.getSubcommands().isEmpty()) {
            err.println(
                    "Try '"
                            + command.getCommandSpec().qualifiedName()
                            + " --help' for its options.");
        } else {
            command.usage(err);
        }
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** {@code argus local --version} says what {@code argus --version} says. */
    private static void versionEverywhere(CommandLine command, Version version) {
        command.getCommandSpec().versionProvider(version);
        command.getSubcommands().values().forEach(c -> versionEverywhere(c, version));
    }

    /** The version of the jar the command runs from, when it runs from one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Argus.class.getPackage().getImplementationVersion();
            return new String[] {"argus " + (version == null ? "(built from source)" : version)};
        }
    }
}

package dev.argus.cli.option;

import picocli.CommandLine;

/** The exit codes of every {@code argus} command; a usage error is picocli's, 2. */
public final class ExitCodes {
    /** Done. */
    public static final int OK = CommandLine.ExitCode.OK;

    /** Failed: invalid rules, failing rule tests, an error while running. */
    public static final int FAILED = CommandLine.ExitCode.SOFTWARE;

    /** A bad command line: an unknown option, a bad value, a missing command. */
    public static final int USAGE = CommandLine.ExitCode.USAGE;

    private ExitCodes() {}
}

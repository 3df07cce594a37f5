package dev.argus.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** One run of the command line in this JVM: what it printed and its exit status. */
public record ArgusRun(int status, String out, String err) {

    /** Runs {@code argus} with {@code args}. */
    public static ArgusRun execute(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status =
                Argus.execute(
                        new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        return new ArgusRun(status, out.toString(), err.toString());
    }
}

package dev.argus.job;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses the {@code --key value} and {@code --key=value} arguments of Argus's commands. */
public final class CommandLine {
    private CommandLine() {}

    /**
     * The options in the order given; a later repetition of a key wins.
     *
     * @throws IllegalArgumentException for an argument that is not an option, or an option without
     *     a value
     */
    public static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException(
                        "unexpected argument '" + arg + "': use --key value or --key=value");
            }
            String key = arg.substring(2);
            int eq = key.indexOf('=');
            if (eq >= 0) {
                options.put(key.substring(0, eq), key.substring(eq + 1));
            } else if (i + 1 < args.length) {
                options.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
        }
        return options;
    }
}

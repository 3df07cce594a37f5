package dev.argus.job;

import java.time.Duration;
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

    /**
     * A duration option such as {@code 90s}, {@code 5 min} or {@code 2s}; a bare number is seconds
     * (Flink's parser would read it as milliseconds).
     */
    public static Duration duration(String text) {
        String t = text.trim();
        return t.matches("\\d+")
                ? Duration.ofSeconds(Long.parseLong(t))
                : org.apache.flink.util.TimeUtils.parseDuration(t);
    }
}

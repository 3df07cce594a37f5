package dev.argus.rules.yaml;

import java.io.Serializable;

/**
 * One thing wrong with a rule pack, located for the person who fixes it.
 *
 * @param file the file, as given on the command line or found in the pack
 * @param line 1-based line, 0 when the whole file is concerned
 * @param ruleId the rule the problem is in, or null outside a rule
 * @param message what is wrong
 * @param hint what to do about it, or null
 */
public record Problem(String file, int line, String ruleId, String message, String hint)
        implements Serializable {

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(file);
        if (line > 0) {
            s.append(':').append(line);
        }
        s.append(": ");
        if (ruleId != null) {
            s.append("rule '").append(ruleId).append("': ");
        }
        s.append(message);
        if (hint != null) {
            s.append("\n    hint: ").append(hint);
        }
        return s.toString();
    }
}

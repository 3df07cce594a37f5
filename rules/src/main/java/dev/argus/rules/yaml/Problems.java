package dev.argus.rules.yaml;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Collects the problems found in one file, tagging them with the rule being read. */
public final class Problems {
    private final String file;
    private final List<Problem> sink;
    private String ruleId;

    public Problems(String file, List<Problem> sink) {
        this.file = file;
        this.sink = sink;
    }

    public String file() {
        return file;
    }

    public void ruleId(String ruleId) {
        this.ruleId = ruleId;
    }

    public String ruleId() {
        return ruleId;
    }

    public void add(int line, String message, String hint) {
        sink.add(new Problem(file, line, ruleId, message, hint));
    }

    public int count() {
        return sink.size();
    }

    /** Sorted by file and line, as a reader goes through them. */
    public static List<Problem> sorted(Collection<Problem> problems) {
        List<Problem> out = new ArrayList<>(problems);
        out.sort(Comparator.comparing(Problem::file).thenComparingInt(Problem::line));
        return out;
    }

    /** The candidate closest to {@code word}, when it is close enough to be a likely typo. */
    public static String closest(String word, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word.toLowerCase(), c.toLowerCase());
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(2, word.length() / 3) ? best : null;
    }

    /** "did you mean 'x'? " or an empty string. */
    public static String didYouMean(String word, Collection<String> candidates) {
        String c = closest(word, candidates);
        return c == null ? "" : "did you mean '" + c + "'? ";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}

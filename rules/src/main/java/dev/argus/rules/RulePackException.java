package dev.argus.rules;

import dev.argus.rules.yaml.Problem;
import java.util.List;
import java.util.stream.Collectors;

/** A rule pack that cannot run, with every problem found in it. */
public final class RulePackException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final List<Problem> problems;

    public RulePackException(String where, List<Problem> problems) {
        super(
                "the rule pack at "
                        + where
                        + " is invalid ("
                        + problems.size()
                        + (problems.size() == 1 ? " problem" : " problems")
                        + "); fix it and check it with './argus rules validate "
                        + where
                        + "':\n"
                        + problems.stream()
                                .map(Problem::toString)
                                .collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}

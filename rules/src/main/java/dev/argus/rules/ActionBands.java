package dev.argus.rules;

import dev.argus.model.RecommendedAction;
import java.io.Serializable;

/**
 * The score bands of the recommended action, from pack.yaml's {@code actions}: a score at or above
 * {@code block} recommends BLOCK, at or above {@code stepUp} STEP_UP, anything lower REVIEW.
 */
public record ActionBands(int stepUp, int block) implements Serializable {
    public static final ActionBands DEFAULT = new ActionBands(60, 85);

    public RecommendedAction forScore(int score) {
        if (score >= block) {
            return RecommendedAction.BLOCK;
        }
        return score >= stepUp ? RecommendedAction.STEP_UP : RecommendedAction.REVIEW;
    }
}

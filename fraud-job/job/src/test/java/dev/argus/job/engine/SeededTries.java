package dev.argus.job.engine;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Property tries for the differential test, on plain JUnit: each try draws its case from its own
 * seed, so a failing try names the seed that replays it alone. The next try's seed is the first
 * number drawn from this one's, so a first seed and a number of tries replay a whole run.
 *
 * <ul>
 *   <li>{@code -Dargus.differential.tries=N}: N tries per property instead of 40;
 *   <li>{@code -Dargus.differential.seed=S}: the try of seed S alone (the replay of a failed try);
 *       with {@code -Dargus.differential.tries=N}, the N tries from seed S (the replay of a run).
 * </ul>
 *
 * A case refused by {@link #assume} is discarded and not counted as a try; more than 5 discarded
 * cases per try fail the run (the default of the property library the test used before).
 */
final class SeededTries {
    static final String TRIES = "argus.differential.tries";
    static final String SEED = "argus.differential.seed";
    static final int DEFAULT_TRIES = 40;
    private static final int MAX_DISCARDED_PER_TRY = 5;

    private SeededTries() {}

    /** One try: draws its case, checks it, and tells whether the case alerted. */
    interface Try {
        boolean alerted(Draw draw) throws Exception;
    }

    /** Discards the case being tried unless the condition holds. */
    static void assume(boolean condition) {
        if (!condition) {
            throw new Discarded();
        }
    }

    private static final class Discarded extends RuntimeException {
        Discarded() {
            super("case discarded", null, false, false);
        }
    }

    /**
     * Runs the tries of one property and checks that at least {@code minAlerting} of them (a share,
     * 0 to 1) alerted: a test whose cases never alert would prove nothing. A replay of one try
     * checks that try only.
     */
    static void check(String property, double minAlerting, Try body) {
        String triesProperty = System.getProperty(TRIES);
        String seedProperty = System.getProperty(SEED);
        int tries = triesProperty != null ? Integer.parseInt(triesProperty.trim()) : DEFAULT_TRIES;
        long firstSeed = ThreadLocalRandom.current().nextLong();
        if (seedProperty != null) {
            firstSeed = Long.parseLong(seedProperty.trim());
            if (triesProperty == null) {
                tries = 1;
            }
        }
        boolean checkCoverage = seedProperty == null || triesProperty != null;

        long seed = firstSeed;
        int done = 0;
        int discarded = 0;
        int alerted = 0;
        while (done < tries) {
            Draw draw = new Draw(seed);
            long next = draw.random.nextLong();
            try {
                if (body.alerted(draw)) {
                    alerted++;
                }
                done++;
            } catch (Discarded d) {
                discarded++;
                if (discarded > MAX_DISCARDED_PER_TRY * tries) {
                    throw new AssertionError(
                            String.format(
                                    "%s: %d cases discarded for %d tries (from seed %d): the"
                                            + " generator draws too few valid cases",
                                    property, discarded, done, firstSeed));
                }
            } catch (Exception | AssertionError e) {
                throw new AssertionError(
                        String.format(
                                "%s: try %d of %d failed, seed %d; replay it with -D%s=%d",
                                property, done + 1, tries, seed, SEED, seed),
                        e);
            }
            seed = next;
        }

        String summary =
                String.format(
                        "%s: %d tries from seed %d (%d cases discarded), alerts: some %d (%d %%),"
                                + " none %d",
                        property,
                        done,
                        firstSeed,
                        discarded,
                        alerted,
                        Math.round(100.0 * alerted / done),
                        done - alerted);
        System.out.println(summary);
        if (checkCoverage && alerted < minAlerting * done) {
            throw new AssertionError(
                    String.format(
                            "%s; at least %d %% must alert; replay the run with -D%s=%d -D%s=%d",
                            summary, Math.round(100 * minAlerting), SEED, firstSeed, TRIES, tries));
        }
    }

    /**
     * The random choices of one try, drawn as the property library the test used before drew them
     * at 40 tries (measured on 4,000 cases): one draw in three is an edge case (the first or the
     * last option, the bounds of a range and 0, 1 and 2 in it, a list of no or one element), the
     * others are uniform, but integers lean towards the lower bound: the range is split at a third
     * of the way from its lower bound as long as a part spans more than 20, each part as likely.
     */
    static final class Draw {
        private final SplittableRandom random;

        Draw(long seed) {
            this.random = new SplittableRandom(seed);
        }

        /** Any long, uniformly. */
        long anyLong() {
            return random.nextLong();
        }

        @SafeVarargs
        final <T> T oneOf(T... options) {
            if (edgeCase()) {
                return random.nextBoolean() ? options[0] : options[options.length - 1];
            }
            return options[random.nextInt(options.length)];
        }

        int between(int min, int max) {
            if (max - min >= 1024) {
                throw new IllegalArgumentException("larger ranges were split differently");
            }
            if (edgeCase()) {
                Set<Integer> edges = new LinkedHashSet<>();
                for (int e : new int[] {min, min + 1, max - 1, max, -2, -1, 0, 1, 2}) {
                    if (e >= min && e <= max) {
                        edges.add(e);
                    }
                }
                List<Integer> list = new ArrayList<>(edges);
                return list.get(random.nextInt(list.size()));
            }
            List<Integer> starts = new ArrayList<>(List.of(min));
            for (int point = max; point - min > 20; ) {
                point = min + (point - min) / 3;
                starts.add(point);
            }
            starts.sort(null);
            int part = random.nextInt(starts.size());
            int low = starts.get(part);
            int high = part + 1 < starts.size() ? starts.get(part + 1) - 1 : max;
            return low + random.nextInt(high - low + 1);
        }

        /** A list of {@code minSize} to {@code maxSize} elements. */
        <T> List<T> list(int minSize, int maxSize, Supplier<T> element) {
            int size;
            if (edgeCase()) {
                size = minSize == 0 && random.nextBoolean() ? 0 : Math.max(minSize, 1);
            } else {
                size = minSize + random.nextInt(maxSize - minSize + 1);
            }
            List<T> list = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                list.add(element.get());
            }
            return list;
        }

        private boolean edgeCase() {
            return random.nextInt(3) == 0;
        }
    }
}

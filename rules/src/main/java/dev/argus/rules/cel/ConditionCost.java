package dev.argus.rules.cel;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelExpr;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * How many comprehension iterations (the steps of {@code exists}, {@code all}, {@code exists_one},
 * {@code map} and {@code filter}) one evaluation of a condition may take, estimated from its
 * checked syntax tree. cel-java 0.14.0 has no cost estimator, so this is ours: a comprehension over
 * a range of at most n elements costs n steps, each step costing what its body costs, so
 * comprehensions nested in one another multiply. The size of a range is bounded by what it reads:
 *
 * <ul>
 *   <li>{@code matched.<stage>}: the stage's upper bound ({@code times: 2..5} gives 5), or {@link
 *       #ASSUMED_STAGE_EVENTS} for a stage without one ({@code times: 3+});
 *   <li>{@code lists.<name>}: its values in the pack, at least {@link #ASSUMED_LIST_SIZE} since
 *       entries may be put at run time;
 *   <li>a list literal: its elements; the result of {@code map} or {@code filter}: its range;
 *   <li>anything else: {@link #ASSUMED_LIST_SIZE}.
 * </ul>
 *
 * Validation refuses a condition estimated above {@link #MAX_ITERATIONS}; at run time CEL stops an
 * evaluation past {@link #RUN_TIME_MAX_ITERATIONS} ({@link CelCondition} counts it as false).
 * Regular expressions ({@code matches}) are not counted: cel-java runs them with RE2, in time
 * linear in the text, so no pattern backtracks catastrophically.
 */
public final class ConditionCost {
    /** The most iterations validation accepts for one evaluation of a condition. */
    public static final long MAX_ITERATIONS = 10_000;

    /**
     * The most iterations one evaluation may take at run time (CEL's {@code
     * comprehensionMaxIterations}): twice what validation accepts, room for lists that grow at run
     * time, still a few milliseconds at most.
     */
    public static final int RUN_TIME_MAX_ITERATIONS = 20_000;

    /** The events assumed in {@code matched.<stage>} for a stage without an upper bound. */
    public static final int ASSUMED_STAGE_EVENTS = 1_000;

    /** The least entries assumed in a list, and the size of a range of unknown size. */
    public static final int ASSUMED_LIST_SIZE = 1_000;

    /**
     * @param iterations the estimated iterations of one evaluation
     * @param nesting the comprehensions of the most expensive nesting, outermost first
     * @param exprId the outermost comprehension of that nesting, for its position (0: none)
     */
    public record Estimate(long iterations, List<Loop> nesting, long exprId) {
        /** Whether validation refuses it. */
        public boolean tooExpensive() {
            return iterations > MAX_ITERATIONS;
        }

        /** "exists over matched.small (up to 1000) inside exists over ...", innermost first. */
        public String describe() {
            List<String> parts = new ArrayList<>();
            for (int i = nesting.size() - 1; i >= 0; i--) {
                parts.add(nesting.get(i).toString());
            }
            return String.join(" inside ", parts);
        }
    }

    /** A comprehension: its macro, what it iterates over and how many elements that has at most. */
    public record Loop(String macro, String range, long size) {
        @Override
        public String toString() {
            return macro + " over " + range + " (up to " + size + ")";
        }
    }

    private final ToIntFunction<String> stageEvents;
    private final ToIntFunction<String> listSize;

    private ConditionCost(ToIntFunction<String> stageEvents, ToIntFunction<String> listSize) {
        this.stageEvents = stageEvents;
        this.listSize = listSize;
    }

    /**
     * @param stageEvents the most events of a stage, -1 for no bound
     * @param listSize the values of a list in the pack
     */
    public static Estimate of(
            CelAbstractSyntaxTree ast,
            ToIntFunction<String> stageEvents,
            ToIntFunction<String> listSize) {
        ConditionCost c = new ConditionCost(stageEvents, listSize);
        CelExpr root = ast.getExpr();
        Path worst = c.worst(root);
        return new Estimate(c.cost(root), worst.loops, worst.exprId);
    }

    /** Iterations of an expression, saturating. */
    private long cost(CelExpr e) {
        if (e.getKind() == CelExpr.ExprKind.Kind.COMPREHENSION) {
            CelExpr.CelComprehension c = e.comprehension();
            long body = add(1, add(cost(c.loopCondition()), cost(c.loopStep())));
            return add(
                    add(cost(c.iterRange()), cost(c.accuInit())),
                    add(times(size(c.iterRange()), body), cost(c.result())));
        }
        long sum = 0;
        for (CelExpr child : children(e)) {
            sum = add(sum, cost(child));
        }
        return sum;
    }

    private record Path(long product, List<Loop> loops, long exprId) {
        static final Path NONE = new Path(1, List.of(), 0);
    }

    /** The nesting of comprehensions with the largest product of range sizes. */
    private Path worst(CelExpr e) {
        if (e.getKind() == CelExpr.ExprKind.Kind.COMPREHENSION) {
            CelExpr.CelComprehension c = e.comprehension();
            Path inner = max(worst(c.loopCondition()), worst(c.loopStep()));
            long size = size(c.iterRange());
            List<Loop> loops = new ArrayList<>();
            loops.add(new Loop(macro(c), describe(c.iterRange()), size));
            loops.addAll(inner.loops);
            Path here = new Path(times(size, inner.product), List.copyOf(loops), e.id());
            // a comprehension in the range or the result runs once, not per step
            return max(here, max(worst(c.iterRange()), worst(c.result())));
        }
        Path best = Path.NONE;
        for (CelExpr child : children(e)) {
            best = max(best, worst(child));
        }
        return best;
    }

    private static Path max(Path a, Path b) {
        return b.product > a.product || (b.product == a.product && b.loops.size() > a.loops.size())
                ? b
                : a;
    }

    /** At most how many elements a range has. */
    private long size(CelExpr range) {
        switch (range.getKind()) {
            case SELECT -> {
                CelExpr.CelSelect s = range.select();
                if (s.operand().getKind() == CelExpr.ExprKind.Kind.IDENT) {
                    String root = s.operand().ident().name();
                    if (root.equals("matched")) {
                        int max = stageEvents.applyAsInt(s.field());
                        return max < 0 ? ASSUMED_STAGE_EVENTS : max;
                    }
                    if (root.equals("lists")) {
                        return Math.max(ASSUMED_LIST_SIZE, listSize.applyAsInt(s.field()));
                    }
                }
                return ASSUMED_LIST_SIZE;
            }
            case LIST -> {
                return range.list().elements().size();
            }
            case COMPREHENSION -> {
                return size(range.comprehension().iterRange());
            }
            case CALL -> {
                CelExpr.CelCall call = range.call();
                if (call.function().equals("_+_") && call.args().size() == 2) {
                    return add(size(call.args().get(0)), size(call.args().get(1)));
                }
                return ASSUMED_LIST_SIZE;
            }
            default -> {
                return ASSUMED_LIST_SIZE;
            }
        }
    }

    private static String describe(CelExpr range) {
        switch (range.getKind()) {
            case SELECT -> {
                CelExpr.CelSelect s = range.select();
                if (s.operand().getKind() == CelExpr.ExprKind.Kind.IDENT) {
                    return s.operand().ident().name() + "." + s.field();
                }
                return "a list";
            }
            case LIST -> {
                return "a list literal";
            }
            case COMPREHENSION -> {
                return "the result of a " + macro(range.comprehension());
            }
            default -> {
                return "a list";
            }
        }
    }

    /** The macro a comprehension was expanded from, told by its accumulator's initial value. */
    private static String macro(CelExpr.CelComprehension c) {
        CelExpr init = c.accuInit();
        if (init.getKind() == CelExpr.ExprKind.Kind.CONSTANT) {
            return switch (init.constant().getKind()) {
                case BOOLEAN_VALUE -> init.constant().booleanValue() ? "all" : "exists";
                case INT64_VALUE -> "exists_one";
                default -> "comprehension";
            };
        }
        return init.getKind() == CelExpr.ExprKind.Kind.LIST ? "map/filter" : "comprehension";
    }

    private static List<CelExpr> children(CelExpr e) {
        List<CelExpr> out = new ArrayList<>();
        switch (e.getKind()) {
            case SELECT -> out.add(e.select().operand());
            case CALL -> {
                e.call().target().ifPresent(out::add);
                out.addAll(e.call().args());
            }
            case LIST -> out.addAll(e.list().elements());
            case MAP ->
                    e.map()
                            .entries()
                            .forEach(
                                    x -> {
                                        out.add(x.key());
                                        out.add(x.value());
                                    });
            case STRUCT -> e.struct().entries().forEach(x -> out.add(x.value()));
            case COMPREHENSION -> {
                CelExpr.CelComprehension c = e.comprehension();
                out.addAll(
                        List.of(
                                c.iterRange(),
                                c.accuInit(),
                                c.loopCondition(),
                                c.loopStep(),
                                c.result()));
            }
            default -> {}
        }
        return out;
    }

    private static long add(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    private static long times(long a, long b) {
        return a != 0 && b > Long.MAX_VALUE / a ? Long.MAX_VALUE : a * b;
    }

    /** The source offset of an expression, if the tree records one. */
    public static Optional<Integer> offset(CelAbstractSyntaxTree ast, long exprId) {
        return Optional.ofNullable(ast.getSource().getPositionsMap().get(exprId));
    }
}

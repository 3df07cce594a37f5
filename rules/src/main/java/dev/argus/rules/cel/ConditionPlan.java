package dev.argus.rules.cel;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.DoubleBinaryOperator;
import java.util.function.Function;
import java.util.function.LongBinaryOperator;

/**
 * A checked condition, or an explanation's placeholder ({@link #value}), compiled to plain Java for
 * the part of CEL that rules use most: constants, the variables, field selection, {@code has()},
 * the logical, comparison, arithmetic and {@code in} operators, list literals, {@code size()},
 * {@code int()} of a number and the fraud helpers. It exists for speed: CEL's interpreter resolves
 * variables, overloads and types on every evaluation, which made conditions the largest cost of the
 * rule engine.
 *
 * <p>It never decides anything CEL would decide differently. An expression with any other construct
 * (a macro such as {@code exists}, a string method, another conversion) gets no plan. While
 * evaluating, anything outside the plan's certain ground (an evaluation error, such as a missing
 * field or an overflow; a value of a type it does not handle) throws {@link Fallback}, and the
 * caller asks CEL itself. Only {@code &&} and {@code ||} look past an error, exactly as CEL does:
 * {@code false && error} is false and {@code true || error} is true, in either order.
 */
public final class ConditionPlan {
    /** The plan cannot decide this evaluation: evaluate the condition with CEL. */
    public static final class Fallback extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final Fallback INSTANCE = new Fallback();

        private Fallback() {
            super("evaluate with CEL", null, false, false);
        }
    }

    /** The values of the condition's variables for one evaluation. */
    public record Frame(Object txn, Object profile, Object lists, Object matched) {
        /** The same variables for CEL's program, those that are null left out. */
        public Map<String, Object> activation() {
            Map<String, Object> activation = new java.util.HashMap<>(8);
            if (txn != null) {
                activation.put("txn", txn);
            }
            if (profile != null) {
                activation.put("profile", profile);
            }
            if (lists != null) {
                activation.put("lists", lists);
            }
            if (matched != null) {
                activation.put("matched", matched);
            }
            return activation;
        }
    }

    private interface Node {
        Object eval(Frame f);
    }

    private final Node root;

    private ConditionPlan(Node root) {
        this.root = root;
    }

    /** A plan for a checked condition, or empty when it uses what plans do not cover. */
    public static Optional<ConditionPlan> of(CelValidationResult checked) {
        try {
            CelAbstractSyntaxTree ast = checked.getAst();
            return Optional.of(new ConditionPlan(new Compiler(ast).compile(ast.getExpr())));
        } catch (UnsupportedOperationException | CelValidationException e) {
            return Optional.empty();
        }
    }

    /**
     * One operand of a condition's top-level {@code &&}s: {@code text} is its canonical CEL (the
     * same for the same expression in any condition), {@code plan} its plan, null when plans do not
     * cover it.
     */
    public record Part(String text, boolean readsMatched, boolean readsLists, ConditionPlan plan) {}

    /**
     * The operands of a condition's top-level {@code &&}s, in their order: when any of them is
     * false for an event, so is the condition, whatever the others give, errors included (CEL's
     * {@code false && error} is false, in either order). Empty for a condition that is not a
     * conjunction.
     */
    public static List<Part> parts(CelValidationResult checked) {
        try {
            CelAbstractSyntaxTree ast = checked.getAst();
            List<CelExpr> operands = new ArrayList<>();
            conjuncts(ast.getExpr(), operands);
            if (operands.size() < 2) {
                return List.of();
            }
            dev.cel.parser.CelUnparser unparser = dev.cel.parser.CelUnparserFactory.newUnparser();
            List<Part> parts = new ArrayList<>(operands.size());
            for (CelExpr operand : operands) {
                String text =
                        unparser.unparse(
                                CelAbstractSyntaxTree.newParsedAst(operand, ast.getSource()));
                ConditionPlan plan;
                try {
                    plan = new ConditionPlan(new Compiler(ast).compile(operand));
                } catch (UnsupportedOperationException e) {
                    plan = null;
                }
                parts.add(new Part(text, reads(operand, "matched"), reads(operand, "lists"), plan));
            }
            return parts;
        } catch (CelValidationException | RuntimeException e) {
            return List.of(); // the condition is evaluated whole, as before
        }
    }

    private static void conjuncts(CelExpr e, List<CelExpr> out) {
        if (e.getKind() == CelExpr.ExprKind.Kind.CALL
                && e.call().function().equals("_&&_")
                && e.call().target().isEmpty()) {
            for (CelExpr arg : e.call().args()) {
                conjuncts(arg, out);
            }
        } else {
            out.add(e);
        }
    }

    /** Whether the expression names the variable anywhere (comprehensions included). */
    private static boolean reads(CelExpr e, String variable) {
        return switch (e.getKind()) {
            case IDENT -> e.ident().name().equals(variable);
            case SELECT -> reads(e.select().operand(), variable);
            case CALL ->
                    (e.call().target().isPresent() && reads(e.call().target().get(), variable))
                            || e.call().args().stream().anyMatch(a -> reads(a, variable));
            case LIST -> e.list().elements().stream().anyMatch(a -> reads(a, variable));
            case CONSTANT, NOT_SET -> false;
            default -> true; // maps, structs, comprehensions: assume it does
        };
    }

    /**
     * The condition's value.
     *
     * @throws Fallback when CEL must evaluate it
     */
    public boolean test(Frame frame) {
        return root.eval(frame) instanceof Boolean b ? b : fail();
    }

    /**
     * The value of an expression that is not a condition, such as an explanation's placeholder: a
     * string, an int, a double, a bool, or a list of these.
     *
     * @throws Fallback when CEL must evaluate it, or its value is of any other kind (a map, a
     *     record), whose form CEL decides
     */
    public Object value(Frame frame) {
        Object v = root.eval(frame);
        if (v instanceof List<?> list) {
            for (Object element : list) {
                if (!plain(element)) {
                    return fail();
                }
            }
            return v;
        }
        return plain(v) ? v : fail();
    }

    private static boolean plain(Object v) {
        return v instanceof String
                || v instanceof Long
                || v instanceof Double
                || v instanceof Boolean;
    }

    private static <T> T fail() {
        throw Fallback.INSTANCE;
    }

    private static final class Compiler {
        private final CelAbstractSyntaxTree ast;

        Compiler(CelAbstractSyntaxTree ast) {
            this.ast = ast;
        }

        Node compile(CelExpr e) {
            return switch (e.getKind()) {
                case CONSTANT -> constant(e.constant());
                case IDENT -> ident(e);
                case SELECT -> select(e.select());
                case CALL -> call(e);
                case LIST -> list(e.list());
                default -> unsupported();
            };
        }

        private static Node constant(CelConstant c) {
            Object v =
                    switch (c.getKind()) {
                        case INT64_VALUE -> c.int64Value();
                        case DOUBLE_VALUE -> c.doubleValue();
                        case STRING_VALUE -> c.stringValue();
                        case BOOLEAN_VALUE -> c.booleanValue();
                        default -> unsupported();
                    };
            return f -> v;
        }

        private Node ident(CelExpr e) {
            Optional<CelReference> ref = ast.getReference(e.id());
            if (ref.isPresent() && ref.get().value().isPresent()) {
                return constant(ref.get().value().get());
            }
            return switch (e.ident().name()) {
                case "txn" -> Frame::txn;
                case "profile" -> Frame::profile;
                case "lists" -> Frame::lists;
                case "matched" -> Frame::matched;
                default -> unsupported();
            };
        }

        private Node select(CelExpr.CelSelect s) {
            String field = s.field();
            AvroValues.FieldSlot slot = new AvroValues.FieldSlot(field);
            boolean test = s.testOnly();
            // a field of a variable, the most common selection (txn.type): the variable read
            // directly, not through a node
            switch (variable(s.operand())) {
                case "txn":
                    return test ? f -> has(f.txn(), slot, field) : f -> field(f.txn(), slot, field);
                case "profile":
                    return test
                            ? f -> has(f.profile(), slot, field)
                            : f -> field(f.profile(), slot, field);
                case "lists":
                    return test
                            ? f -> has(f.lists(), slot, field)
                            : f -> field(f.lists(), slot, field);
                case "matched":
                    return test
                            ? f -> has(f.matched(), slot, field)
                            : f -> field(f.matched(), slot, field);
                default:
                    Node operand = compile(s.operand());
                    return test
                            ? f -> has(operand.eval(f), slot, field)
                            : f -> field(operand.eval(f), slot, field);
            }
        }

        /** The variable the expression names, or "" when it is something else. */
        private String variable(CelExpr e) {
            if (e.getKind() != CelExpr.ExprKind.Kind.IDENT || isConstant(e)) {
                return "";
            }
            return e.ident().name();
        }

        private Node list(CelExpr.CelList l) {
            if (!l.optionalIndices().isEmpty()) {
                return unsupported();
            }
            List<Node> elements = l.elements().stream().map(this::compile).toList();
            if (l.elements().stream().allMatch(this::isConstant)) {
                // a literal list of constants, such as txn.type in ['TRANSFER', 'WITHDRAWAL']:
                // built once, not for every evaluation
                List<Object> constant = new ArrayList<>(elements.size());
                for (Node n : elements) {
                    constant.add(n.eval(null));
                }
                List<Object> value = java.util.Collections.unmodifiableList(constant);
                return f -> value;
            }
            Node[] nodes = elements.toArray(new Node[0]);
            return f -> {
                List<Object> out = new ArrayList<>(nodes.length);
                for (Node n : nodes) {
                    out.add(n.eval(f));
                }
                return out;
            };
        }

        private Node call(CelExpr e) {
            CelExpr.CelCall c = e.call();
            if (c.target().isPresent()) {
                return unsupported(); // member functions: string methods and the like
            }
            List<Node> a = c.args().stream().map(this::compile).toList();
            // the operands as variables of each lambda, not list reads on every evaluation
            Node x = a.isEmpty() ? null : a.get(0);
            Node y = a.size() < 2 ? null : a.get(1);
            Node z = a.size() < 3 ? null : a.get(2);
            return switch (c.function()) {
                case "_&&_" -> junction(x, y, false);
                case "_||_" -> junction(x, y, true);
                case "!_" -> f -> x.eval(f) instanceof Boolean b ? !b : fail();
                case "_?_:_" -> f -> x.eval(f) instanceof Boolean b ? (b ? y : z).eval(f) : fail();
                case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_" ->
                        comparison(c.function(), c.args().get(1), x, y);
                case "_+_" -> f -> add(x.eval(f), y.eval(f));
                case "_-_" ->
                        f -> arithmetic(x.eval(f), y.eval(f), Math::subtractExact, (p, q) -> p - q);
                case "_*_" ->
                        f -> arithmetic(x.eval(f), y.eval(f), Math::multiplyExact, (p, q) -> p * q);
                case "_/_" ->
                        f ->
                                arithmetic(
                                        x.eval(f),
                                        y.eval(f),
                                        exactly((p, q) -> p / q),
                                        (p, q) -> p / q);
                case "_%_" -> f -> arithmetic(x.eval(f), y.eval(f), exactly((p, q) -> p % q), null);
                case "-_" -> f -> negate(x.eval(f));
                case "@in" -> f -> in(x.eval(f), y.eval(f));
                case "size" -> f -> size(x.eval(f));
                case "int" -> conversionToInt(e, x);
                case "_[_]" -> f -> index(x.eval(f), y.eval(f));
                default -> helper(e, a);
            };
        }

        /**
         * A comparison, with its operator decided once: {@code ==}, {@code !=}, {@code <}, {@code
         * <=}, {@code >}, {@code >=}. Against a constant (txn.type == 'TRANSFER', amount >= 50000),
         * the constant is not a node, and a string or an int is compared with it at once.
         */
        private Node comparison(String function, CelExpr right, Node x, Node y) {
            int op =
                    switch (function) {
                        case "_==_" -> EQ;
                        case "_!=_" -> NE;
                        case "_<_" -> LT;
                        case "_<=_" -> LE;
                        case "_>_" -> GT;
                        default -> GE;
                    };
            // against a constant string or int, the two commonest shapes, one call fewer and no
            // conversions; everything else as any two operands
            if (isConstant(right)) {
                Object k = y.eval(null);
                if (op <= NE && k instanceof String text) {
                    boolean is = op == EQ;
                    return f -> {
                        Object v = x.eval(f);
                        return (v instanceof String t ? t.equals(text) : equal(v, text)) == is;
                    };
                }
                if (op > NE && k instanceof Long n) {
                    long bound = n;
                    return f -> {
                        Object v = x.eval(f);
                        return holds(
                                op, v instanceof Long a ? Long.compare(a, bound) : compare(v, n));
                    };
                }
            }
            return op <= NE
                    ? f -> equal(x.eval(f), y.eval(f)) == (op == EQ)
                    : f -> holds(op, compare(x.eval(f), y.eval(f)));
        }

        /** {@code int()} of a double or an int, as the checker resolved it; of nothing else. */
        private Node conversionToInt(CelExpr e, Node x) {
            List<String> overloads =
                    ast.getReference(e.id())
                            .<List<String>>map(CelReference::overloadIds)
                            .orElse(List.of());
            if (overloads.isEmpty()
                    || !List.of("double_to_int64", "int64_to_int64").containsAll(overloads)) {
                return unsupported();
            }
            return f -> toInt(x.eval(f));
        }

        private Node helper(CelExpr e, List<Node> args) {
            List<String> overloads =
                    ast.getReference(e.id()).map(CelReference::overloadIds).orElse(null);
            if (overloads == null || overloads.size() != 1) {
                return unsupported();
            }
            Function<Object[], Object> fn = RuleEnvironment.FUNCTIONS.get(overloads.get(0));
            if (fn == null) {
                return unsupported();
            }
            Node[] nodes = args.toArray(new Node[0]);
            return f -> {
                Object[] values = new Object[nodes.length];
                for (int i = 0; i < values.length; i++) {
                    values[i] = nodes[i].eval(f);
                }
                try {
                    Object v = fn.apply(values);
                    return v != null ? v : fail();
                } catch (RuntimeException error) {
                    return fail(); // an error in CEL too; CEL reports it
                }
            };
        }

        /** Whether the expression is a constant: a literal, or a name checked to be one. */
        private boolean isConstant(CelExpr e) {
            return e.getKind() == CelExpr.ExprKind.Kind.CONSTANT
                    || (e.getKind() == CelExpr.ExprKind.Kind.IDENT
                            && ast.getReference(e.id())
                                    .map(r -> r.value().isPresent())
                                    .orElse(false));
        }

        private static <T> T unsupported() {
            throw new UnsupportedOperationException();
        }
    }

    /**
     * CEL's {@code &&} ({@code decisive} false) and {@code ||} ({@code decisive} true): the
     * decisive value wins over an error, on either side.
     */
    private static Node junction(Node left, Node right, boolean decisive) {
        return f -> {
            Object l = tryEval(left, f);
            if (Boolean.valueOf(decisive).equals(l)) {
                return decisive;
            }
            Object r = right.eval(f) instanceof Boolean b ? b : fail();
            if (Boolean.valueOf(decisive).equals(r)) {
                return decisive;
            }
            return Boolean.valueOf(!decisive).equals(l) ? !decisive : fail();
        };
    }

    /** The value, or null where CEL would have an error or the plan cannot tell. */
    private static Object tryEval(Node n, Frame f) {
        try {
            return n.eval(f);
        } catch (Fallback e) {
            return null;
        }
    }

    private static final int EQ = 0;
    private static final int NE = 1;
    private static final int LT = 2;
    private static final int LE = 3;
    private static final int GT = 4;
    private static final int GE = 5;

    /**
     * Whether a comparison's result ({@link #compare}'s sign) satisfies the ordering {@code op}.
     */
    private static boolean holds(int op, int comparison) {
        return switch (op) {
            case LT -> comparison < 0;
            case LE -> comparison <= 0;
            case GT -> comparison > 0;
            default -> comparison >= 0;
        };
    }

    /** CEL's {@code has(o.field)}: whether a record or map has the field (not null). */
    private static boolean has(Object o, AvroValues.FieldSlot slot, String field) {
        if (o instanceof AvroValues.RecordView r) {
            return r.has(slot);
        }
        return o instanceof Map<?, ?> m ? m.containsKey(field) : fail();
    }

    /** CEL's {@code o.field}, where an absent field is an error. */
    private static Object field(Object o, AvroValues.FieldSlot slot, String field) {
        Object v =
                o instanceof AvroValues.RecordView r
                        ? r.get(slot)
                        : (o instanceof Map<?, ?> m ? m.get(field) : null);
        return v != null ? v : fail();
    }

    private static boolean equal(Object x, Object y) {
        if (x instanceof String a && y instanceof String b) {
            return a.equals(b);
        }
        if (x instanceof Long a && y instanceof Long b) {
            return a.longValue() == b.longValue();
        }
        if (x instanceof Double a && y instanceof Double b) {
            return a.doubleValue() == b.doubleValue();
        }
        if (x instanceof Long a && y instanceof Double b) {
            return !b.isNaN() && compareLongDouble(a, b) == 0;
        }
        if (x instanceof Double a && y instanceof Long b) {
            return !a.isNaN() && compareLongDouble(b, a) == 0;
        }
        if (x instanceof Boolean a && y instanceof Boolean b) {
            return a.booleanValue() == b.booleanValue();
        }
        return fail(); // lists, maps, null, mixed types: CEL's rules
    }

    /** Ordering of numbers, including int against double; anything else goes to CEL. */
    private static int compare(Object x, Object y) {
        if (x instanceof Long a && y instanceof Long b) {
            return Long.compare(a, b);
        }
        if (x instanceof Double a && y instanceof Double b && !a.isNaN() && !b.isNaN()) {
            return a < b ? -1 : (a > b ? 1 : 0);
        }
        if (x instanceof Long a && y instanceof Double b && !b.isNaN()) {
            return compareLongDouble(a, b);
        }
        if (x instanceof Double a && y instanceof Long b && !a.isNaN()) {
            return -compareLongDouble(b, a);
        }
        return fail();
    }

    /** Exact comparison of a long and a (non-NaN) double. */
    static int compareLongDouble(long a, double b) {
        if (b >= 0x1p63) {
            return -1;
        }
        if (b < -0x1p63) {
            return 1;
        }
        long whole = (long) Math.floor(b);
        if (a != whole) {
            return a < whole ? -1 : 1;
        }
        return b > whole ? -1 : 0;
    }

    private static Object add(Object x, Object y) {
        return x instanceof String a && y instanceof String b
                ? a + b
                : arithmetic(x, y, Math::addExact, (a, b) -> a + b);
    }

    /**
     * An operator on two ints (exact: an overflow, a division by zero, is CEL's error) or two
     * doubles ({@code real} null: not defined for doubles); anything else goes to CEL.
     */
    private static Object arithmetic(
            Object x, Object y, LongBinaryOperator exact, DoubleBinaryOperator real) {
        if (x instanceof Long a && y instanceof Long b) {
            try {
                return exact.applyAsLong(a, b);
            } catch (ArithmeticException error) {
                return fail();
            }
        }
        if (real != null && x instanceof Double a && y instanceof Double b) {
            return real.applyAsDouble(a, b);
        }
        return fail();
    }

    /** Java's long division and remainder, with CEL's error where the quotient overflows. */
    private static LongBinaryOperator exactly(LongBinaryOperator op) {
        return (a, b) -> {
            if (a == Long.MIN_VALUE && b == -1) {
                throw new ArithmeticException("overflow");
            }
            return op.applyAsLong(a, b); // division by zero throws
        };
    }

    private static Object negate(Object x) {
        if (x instanceof Long a && a != Long.MIN_VALUE) {
            return -a;
        }
        return x instanceof Double a ? -a : fail();
    }

    private static Object in(Object x, Object container) {
        if (!(container instanceof List<?> list)) {
            return fail(); // maps: CEL's rules
        }
        if (x instanceof String) {
            return list.contains(x); // one lookup in a named list (RuntimeLists), as CEL does
        }
        for (Object element : list) {
            if (equal(x, element)) {
                return true;
            }
        }
        return false;
    }

    private static Object index(Object container, Object i) {
        if (container instanceof List<?> list && i instanceof Long n && n >= 0 && n < list.size()) {
            Object v = list.get((int) (long) n);
            return v != null ? v : fail();
        }
        return fail(); // out of range: an error in CEL; maps: CEL's rules
    }

    /**
     * CEL's {@code int()} of an int or a double (towards zero); a double outside ±2^62, NaN, a
     * string or anything else goes to CEL, which decides its range and errors.
     */
    private static Object toInt(Object x) {
        if (x instanceof Long) {
            return x;
        }
        if (x instanceof Double d && Math.abs(d) < 0x1p62) {
            return (long) (double) d;
        }
        return fail();
    }

    private static Object size(Object x) {
        if (x instanceof List<?> list) {
            return (long) list.size();
        }
        if (x instanceof String s) {
            return (long) s.codePointCount(0, s.length());
        }
        return fail();
    }
}

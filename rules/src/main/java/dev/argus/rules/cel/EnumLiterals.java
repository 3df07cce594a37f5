package dev.argus.rules.cel;

import dev.argus.model.Transaction;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Comparisons of an enum field with a string it can never be: {@code txn.type == 'withdrawal'}
 * type-checks (enums are strings in conditions) but never matches, so the rule silently never
 * alerts. Finds {@code ==}, {@code !=} and {@code in [...]} between a transaction's enum field
 * ({@code type}, {@code channel}, {@code status}, also of {@code matched.<stage>[i]}) and string
 * literals that are not among its symbols.
 */
public final class EnumLiterals {
    private static final Map<String, List<String>> SYMBOLS =
            enumFields(Transaction.getClassSchema());

    /**
     * One literal that can never match, its offset in the condition's text, and the operator
     * ({@code ==}, {@code !=} or {@code in}).
     */
    public record Mistake(
            int offset, String operator, String field, String literal, List<String> symbols) {}

    private EnumLiterals() {}

    /** The mistakes of a checked condition, in the order they appear. */
    public static List<Mistake> find(CelAbstractSyntaxTree ast) {
        List<Mistake> out = new ArrayList<>();
        visit(ast, ast.getExpr(), out);
        return out;
    }

    private static void visit(CelAbstractSyntaxTree ast, CelExpr e, List<Mistake> out) {
        switch (e.getKind()) {
            case CALL -> {
                CelExpr.CelCall c = e.call();
                List<CelExpr> args = c.args();
                if (args.size() == 2) {
                    switch (c.function()) {
                        case "_==_", "_!=_" -> {
                            String op = c.function().replace("_", "");
                            compare(ast, op, args.get(0), args.get(1), out);
                            compare(ast, op, args.get(1), args.get(0), out);
                        }
                        case "@in" -> {
                            if (args.get(1).getKind() == CelExpr.ExprKind.Kind.LIST) {
                                for (CelExpr element : args.get(1).list().elements()) {
                                    compare(ast, "in", args.get(0), element, out);
                                }
                            }
                        }
                        default -> {}
                    }
                }
                c.target().ifPresent(t -> visit(ast, t, out));
                args.forEach(a -> visit(ast, a, out));
            }
            case SELECT -> visit(ast, e.select().operand(), out);
            case LIST -> e.list().elements().forEach(x -> visit(ast, x, out));
            case COMPREHENSION -> {
                CelExpr.CelComprehension c = e.comprehension();
                for (CelExpr x :
                        List.of(
                                c.iterRange(),
                                c.accuInit(),
                                c.loopCondition(),
                                c.loopStep(),
                                c.result())) {
                    visit(ast, x, out);
                }
            }
            default -> {}
        }
    }

    private static void compare(
            CelAbstractSyntaxTree ast,
            String operator,
            CelExpr field,
            CelExpr literal,
            List<Mistake> out) {
        if (field.getKind() != CelExpr.ExprKind.Kind.SELECT
                || literal.getKind() != CelExpr.ExprKind.Kind.CONSTANT
                || literal.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
            return;
        }
        List<String> symbols = SYMBOLS.get(field.select().field());
        if (symbols == null || !onTransaction(field.select().operand())) {
            return;
        }
        String value = literal.constant().stringValue();
        if (!symbols.contains(value)) {
            Integer offset = ast.getSource().getPositionsMap().get(literal.id());
            out.add(
                    new Mistake(
                            offset == null ? 0 : offset,
                            operator,
                            field.select().field(),
                            value,
                            symbols));
        }
    }

    /** {@code txn} or an element of {@code matched.<stage>}: the transactions. */
    private static boolean onTransaction(CelExpr operand) {
        if (operand.getKind() == CelExpr.ExprKind.Kind.IDENT) {
            return operand.ident().name().equals("txn");
        }
        if (operand.getKind() == CelExpr.ExprKind.Kind.CALL
                && operand.call().function().equals("_[_]")
                && operand.call().args().get(0).getKind() == CelExpr.ExprKind.Kind.SELECT) {
            CelExpr stages = operand.call().args().get(0).select().operand();
            return stages.getKind() == CelExpr.ExprKind.Kind.IDENT
                    && stages.ident().name().equals("matched");
        }
        return false;
    }

    private static Map<String, List<String>> enumFields(Schema schema) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Schema.Field f : schema.getFields()) {
            Schema s = f.schema();
            if (s.getType() == Schema.Type.UNION) {
                s =
                        s.getTypes().stream()
                                .filter(t -> t.getType() != Schema.Type.NULL)
                                .findFirst()
                                .orElse(s);
            }
            if (s.getType() == Schema.Type.ENUM) {
                out.put(f.name(), List.copyOf(s.getEnumSymbols()));
            }
        }
        return out;
    }
}

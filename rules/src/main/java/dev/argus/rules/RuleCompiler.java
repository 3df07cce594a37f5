package dev.argus.rules;

import dev.argus.model.Transaction;
import dev.argus.rules.RuleSpec.Stage;
import dev.argus.rules.cel.ConditionCost;
import dev.argus.rules.cel.EnumLiterals;
import dev.argus.rules.cel.ExplanationTemplate;
import dev.argus.rules.cel.RuleEnvironment;
import dev.argus.rules.yaml.Problems;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * Checks what {@link RuleReader} cannot: that every condition and explanation placeholder parses
 * and type-checks against the transaction and profile schemas, that the lists they use exist, and
 * that flink-cep accepts the pattern. Every problem is reported, with the file line of the
 * expression.
 */
final class RuleCompiler {
    private static final Pattern UNDEFINED_FIELD = Pattern.compile("undefined field '(\\w+)'");
    private static final Pattern NO_OVERLOAD =
            Pattern.compile(
                    "found no matching overload for '([^']+)' applied to '\\((.*?)\\)'(?:"
                            + " \\(candidates: .*\\))?");
    private static final Pattern UNDECLARED = Pattern.compile("undeclared reference to '(\\w+)'");
    private static final Pattern OPERAND = Pattern.compile("([A-Za-z_][\\w.]*)\\s*\\.?\\s*$");

    private RuleCompiler() {}

    /**
     * @param valid whether the spec was read without problems; if not, its conditions are still
     *     checked but no rule is made
     */
    static Rule compile(
            RuleSpec spec,
            Map<String, List<String>> lists,
            PackSettings pack,
            boolean valid,
            Problems problems,
            PatternCheck check) {
        int before = problems.count();
        RuleEnvironment env = new RuleEnvironment(lists.keySet());
        List<Stage> stages = spec.stages();
        for (int i = 0; i < stages.size(); i++) {
            Stage stage = stages.get(i);
            List<String> visible = spec.visibleStages(i);
            CelValidationResult result = env.compileCondition(stage.where(), spec.file(), visible);
            report(
                    result,
                    stage.where(),
                    stage.whereLine(),
                    "stage '" + stage.name() + "' condition",
                    lists,
                    visible,
                    problems);
            enumLiterals(result, stage, problems);
            cost(result, spec, stage, lists, problems);
        }
        new ExplanationTemplate(
                spec.explanation(),
                spec.file(),
                spec.positiveStages(),
                lists,
                (expression, result) -> {
                    if (result == null) {
                        problems.add(
                                spec.explanationLine(),
                                "explanation: '{{' without a closing '}}'",
                                "close each placeholder: {{ size(matched.small) }}");
                    } else {
                        int base = spec.explanation().indexOf(expression);
                        report(
                                result,
                                expression,
                                base < 0 ? expression : spec.explanation(),
                                Math.max(0, base),
                                spec.explanationLine(),
                                "explanation placeholder {{ " + expression + " }}",
                                lists,
                                spec.positiveStages(),
                                problems);
                    }
                });
        if (problems.count() > before || !valid) {
            return null;
        }
        Rule rule = new Rule(spec, lists, pack);
        try {
            check.check(rule);
        } catch (RuntimeException e) {
            problems.add(
                    spec.line(),
                    "flink-cep rejects the pattern: " + e.getMessage(),
                    "see 'Patterns' in docs/rules.md for the combinations flink-cep supports");
            return null;
        }
        return rule;
    }

    /**
     * A condition whose comprehensions may take more iterations per evaluation than {@link
     * ConditionCost#MAX_ITERATIONS}: nested {@code exists} over {@code matched} or lists, which
     * flink-cep would run for every partial match on every event.
     */
    private static void cost(
            CelValidationResult result,
            RuleSpec spec,
            Stage stage,
            Map<String, List<String>> lists,
            Problems problems) {
        if (result.hasError()) {
            return;
        }
        CelAbstractSyntaxTree ast;
        try {
            ast = result.getAst();
        } catch (CelValidationException e) {
            return; // reported as an error already
        }
        ConditionCost.Estimate estimate =
                ConditionCost.of(
                        ast,
                        name ->
                                spec.stages().stream()
                                        .filter(s -> s.name().equals(name))
                                        .mapToInt(Stage::max)
                                        .findFirst()
                                        .orElse(-1),
                        name -> lists.getOrDefault(name, List.of()).size());
        if (!estimate.tooExpensive()) {
            return;
        }
        int offset = ConditionCost.offset(ast, estimate.exprId()).orElse(-1);
        int[] at =
                offset < 0
                        ? new int[] {stage.whereLine(), 0}
                        : fileLocation(problems.file(), stage.whereLine(), stage.where(), offset);
        String product =
                estimate.nesting().stream()
                        .map(l -> String.valueOf(l.size()))
                        .collect(java.util.stream.Collectors.joining(" × "));
        problems.add(
                at[0],
                "stage '"
                        + stage.name()
                        + "' condition"
                        + (at[1] > 0 ? ", column " + at[1] : "")
                        + ": too expensive, up to "
                        + estimate.iterations()
                        + " iterations per evaluation (the limit is "
                        + ConditionCost.MAX_ITERATIONS
                        + ")",
                (estimate.nesting().size() > 1 ? "nested " : "")
                        + estimate.describe()
                        + " costs up to "
                        + (estimate.nesting().size() > 1 ? product + " = " : "")
                        + estimate.nesting().stream()
                                .mapToLong(ConditionCost.Loop::size)
                                .reduce(
                                        1,
                                        (a, b) ->
                                                a > Long.MAX_VALUE / Math.max(1, b)
                                                        ? Long.MAX_VALUE
                                                        : a * b)
                        + " evaluations of its innermost condition per event, and flink-cep evaluates the condition once per"
                        + " partial match; compare with an aggregate instead (sum_amount,"
                        + " max_amount, last), give the stage an upper bound (times: 2..5), or"
                        + " test membership with 'in' (x in lists.name) rather than exists;"
                        + " see 'Expensive conditions' in docs/rules.md");
    }

    /** A string an enum field can never equal: the condition type-checks but never matches. */
    private static void enumLiterals(CelValidationResult result, Stage stage, Problems problems) {
        if (result.hasError()) {
            return;
        }
        List<EnumLiterals.Mistake> mistakes;
        try {
            mistakes = EnumLiterals.find(result.getAst());
        } catch (CelValidationException e) {
            return; // reported as an error already
        }
        for (EnumLiterals.Mistake m : mistakes) {
            int[] at = fileLocation(problems.file(), stage.whereLine(), stage.where(), m.offset());
            String same =
                    m.symbols().stream()
                            .filter(x -> x.equalsIgnoreCase(m.literal()))
                            .findFirst()
                            .map(x -> "did you mean '" + x + "'? the values are upper case; ")
                            .orElse(Problems.didYouMean(m.literal(), m.symbols()));
            problems.add(
                    at[0],
                    "stage '"
                            + stage.name()
                            + "' condition"
                            + (at[1] > 0 ? ", column " + at[1] : "")
                            + ": "
                            + m.field()
                            + " is never '"
                            + m.literal()
                            + "', so "
                            + (m.operator().equals("!=")
                                    ? "'!=' is always true"
                                    : "'" + m.operator() + "' is never true"),
                    same + m.field() + " is one of " + String.join(", ", m.symbols()));
        }
    }

    /**
     * The file line and column (1-based) of an offset in a condition (or explanation), which YAML
     * may have folded from several lines into one. The text must begin on {@code firstLine}: after
     * the key there for a plain scalar, or as the line itself for a block; each following line of
     * the file is then found in the text in turn. {@code {firstLine, 0}} when the file cannot be
     * read or its lines are not the text (a quoted scalar, for one).
     */
    static int[] fileLocation(String file, int firstLine, String text, int offset) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return new int[] {firstLine, 0};
        }
        int[] none = {firstLine, 0};
        if (firstLine < 1 || firstLine > lines.size()) {
            return none;
        }
        String first = lines.get(firstLine - 1);
        String content = first.strip();
        if (!text.startsWith(content) || content.isEmpty()) {
            // the key's own line: "where: txn.type == ...", perhaps with a comment after it
            content = first.substring(first.indexOf(':') + 1).strip();
            if (!text.startsWith(content) || content.isEmpty()) {
                content = content.replaceFirst("\\s+#.*$", "");
                if (!text.startsWith(content) || content.isEmpty()) {
                    return none;
                }
            }
        }
        int at = 0;
        String raw = first;
        for (int i = firstLine - 1; ; ) {
            if (offset < at + content.length() + 1) {
                return new int[] {i + 1, raw.indexOf(content) + (offset - at) + 1};
            }
            int from = at + content.length();
            do {
                if (++i >= lines.size()) {
                    return none;
                }
                raw = lines.get(i);
                content = raw.strip();
            } while (content.isEmpty()); // a blank line inside a block
            at = text.indexOf(content, from);
            if (at < 0) {
                return none; // past the text
            }
        }
    }

    private static void report(
            CelValidationResult result,
            String source,
            int firstLine,
            String what,
            Map<String, List<String>> lists,
            List<String> stages,
            Problems problems) {
        report(result, source, source, 0, firstLine, what, lists, stages, problems);
    }

    /**
     * @param text what the source stands in as the file gives it (a condition, or a whole
     *     explanation with the placeholder at {@code base})
     */
    private static void report(
            CelValidationResult result,
            String source,
            String text,
            int base,
            int firstLine,
            String what,
            Map<String, List<String>> lists,
            List<String> stages,
            Problems problems) {
        if (!result.hasError()) {
            return;
        }
        String[] sourceLines = source.split("\n", -1);
        for (CelIssue issue : result.getErrors()) {
            // an error at the end of the text is reported on the line after it
            int lines = source.stripTrailing().split("\n", -1).length;
            int celLine = Math.min(lines, Math.max(1, issue.getSourceLocation().getLine()));
            int column = Math.max(0, issue.getSourceLocation().getColumn());
            // where that is in the file: YAML may have folded the condition into one line
            int offset = Math.min(column, sourceLines[celLine - 1].length());
            for (int k = 0; k < celLine - 1; k++) {
                offset += sourceLines[k].length() + 1;
            }
            int[] at = fileLocation(problems.file(), firstLine, text, base + offset);
            problems.add(
                    at[1] > 0 ? at[0] : firstLine + celLine - 1,
                    (at[1] > 0 ? what + ", column " + at[1] : what)
                            + ": "
                            + readable(issue.getMessage()),
                    hint(issue.getMessage(), source, celLine, column, lists, stages));
        }
    }

    /**
     * The checker's message without what says nothing to an analyst: the list of every overload of
     * an operator ({@code (candidates: (bool, bool),(int, int),...)}) and the container.
     */
    static String readable(String message) {
        String m = message.replace(" (in container '')", "");
        Matcher overload = NO_OVERLOAD.matcher(m);
        if (overload.find()) {
            String op = overload.group(1);
            // operators are named by their operands' places: _<=_, _[_], !_; helpers by name
            op = op.equals("@in") ? "in" : op.matches("[^a-z]*") ? op.replace("_", "") : op;
            String types = overload.group(2);
            return "'"
                    + op
                    + "' cannot be used on "
                    + (types.contains("(")
                            ? "(" + types + ")"
                            : String.join(" and ", types.split(",\\s*")));
        }
        return m;
    }

    /** What the author most likely meant, from the checker's message and the text before it. */
    static String hint(
            String message,
            String source,
            int celLine,
            int column,
            Map<String, List<String>> lists,
            List<String> stages) {
        Matcher undefined = UNDEFINED_FIELD.matcher(message);
        if (undefined.find()) {
            String field = undefined.group(1);
            String operand = operandBefore(source, celLine, column);
            String root =
                    operand.contains(".") ? operand.substring(0, operand.indexOf('.')) : operand;
            switch (root) {
                case "lists" -> {
                    return "the pack defines no list '"
                            + field
                            + "'. "
                            + Problems.didYouMean(field, lists.keySet())
                            + "Lists are defined in pack.yaml: "
                            + lists.keySet();
                }
                case "matched" -> {
                    return "no stage '"
                            + field
                            + "' is visible here. "
                            + Problems.didYouMean(field, stages)
                            + "Visible stages: "
                            + stages;
                }
                case "profile" -> {
                    return "the profile has no feature '"
                            + field
                            + "'. "
                            + Problems.didYouMean(field, RuleEnvironment.profileFields())
                            + "Features are listed in docs/rules.md: "
                            + RuleEnvironment.profileFields();
                }
                default -> {
                    List<String> fields = fieldsOf(operand);
                    return Problems.didYouMean(field, fields)
                            + (fields.isEmpty()
                                    ? "see the field reference in docs/rules.md"
                                    : operand + " has the fields " + fields);
                }
            }
        }
        Matcher undeclared = UNDECLARED.matcher(message);
        if (undeclared.find()) {
            return "the variables are txn, profile, matched and lists; helpers: "
                    + RuleEnvironment.HELPERS.keySet().stream()
                            .map(h -> h.substring(0, h.indexOf('(')))
                            .distinct()
                            .toList()
                    + "; a string value needs quotes: 'CARD_PAYMENT'";
        }
        if (message.contains("no matching overload")) {
            return "the types do not fit: amounts are whole numbers in minor units"
                    + " (txn.amount.amount_minor, 50000 for 500.00), enums and ids are strings in"
                    + " quotes ('CARD_PAYMENT'), times are epoch milliseconds; see the helpers in"
                    + " docs/rules.md";
        }
        if (message.contains("expected type 'bool'")) {
            return "a condition must be true or false, e.g. txn.amount.amount_minor > 50000";
        }
        return "CEL syntax: && and || for and/or, == for equality, 'text' in single quotes, in for"
                + " membership (x in lists.name)";
    }

    private static String operandBefore(String source, int celLine, int column) {
        String[] lines = source.split("\n", -1);
        String line = lines[Math.min(celLine, lines.length) - 1];
        String before = line.substring(0, Math.min(column, line.length()));
        Matcher m = OPERAND.matcher(before);
        String operand = m.find() ? m.group(1) : "";
        return operand.endsWith(".") ? operand.substring(0, operand.length() - 1) : operand;
    }

    /** The fields of a path such as {@code txn} or {@code txn.merchant}, from the Avro schemas. */
    private static List<String> fieldsOf(String path) {
        String[] parts = path.split("\\.");
        Schema schema;
        if (parts[0].equals("txn")) {
            schema = Transaction.getClassSchema();
        } else {
            return List.of();
        }
        for (int i = 1; i < parts.length && schema != null; i++) {
            Schema.Field f = schema.getField(parts[i]);
            schema = f == null ? null : record(f.schema());
        }
        if (schema == null) {
            // a list element such as matched.small[0] or last(...): a transaction
            return List.of();
        }
        return schema.getFields().stream().map(Schema.Field::name).toList();
    }

    private static Schema record(Schema s) {
        if (s.getType() == Schema.Type.UNION) {
            for (Schema b : s.getTypes()) {
                if (b.getType() == Schema.Type.RECORD) {
                    return b;
                }
            }
            return null;
        }
        return s.getType() == Schema.Type.RECORD ? s : null;
    }
}

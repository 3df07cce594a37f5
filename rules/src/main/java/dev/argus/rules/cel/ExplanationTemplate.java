package dev.argus.rules.cel;

import dev.argus.model.EnrichedTransaction;
import dev.cel.common.CelValidationResult;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * An explanation with {@code {{ expression }}} placeholders, each a CEL expression over the match:
 * {@code matched} (events by stage), {@code txn} (the last matched event), {@code profile} (the
 * account's features before that event), {@code lists} and the helpers, for example {@code {{
 * size(matched.small) }} payments under {{ money(sum_amount(matched.small), 'EUR') }}}.
 */
public final class ExplanationTemplate {
    private final List<String> texts = new ArrayList<>();
    private final List<String> expressions = new ArrayList<>();
    private final List<CelRuntime.Program> programs = new ArrayList<>();

    /** Each placeholder's plan (null where plans do not cover it), tried before its program. */
    private final List<ConditionPlan> plans = new ArrayList<>();

    private final Map<String, List<String>> lists;

    /**
     * Compiles every placeholder; each error goes to {@code onError} as (placeholder index,
     * message) and leaves the template unusable.
     */
    public ExplanationTemplate(
            String template,
            String description,
            List<String> stages,
            Map<String, List<String>> lists,
            BiConsumer<String, CelValidationResult> onError) {
        this.lists = lists;
        int at = 0;
        while (true) {
            int open = template.indexOf("{{", at);
            if (open < 0) {
                texts.add(template.substring(at));
                break;
            }
            int close = template.indexOf("}}", open);
            if (close < 0) {
                onError.accept(template.substring(open), null);
                texts.add(template.substring(at));
                break;
            }
            texts.add(template.substring(at, open));
            expressions.add(template.substring(open + 2, close).trim());
            at = close + 2;
        }
        RuleEnvironment env = new RuleEnvironment(lists.keySet());
        for (String expression : expressions) {
            CelValidationResult result = env.compileExpression(expression, description, stages);
            if (result.hasError()) {
                onError.accept(expression, result);
                programs.add(null);
                plans.add(null);
            } else {
                programs.add(RuleEnvironment.program(result));
                plans.add(ConditionPlan.of(result).orElse(null));
            }
        }
    }

    /** The placeholders' expressions, in the order they appear. */
    public List<String> expressions() {
        return List.copyOf(expressions);
    }

    /** The explanation of one match; a placeholder that fails to evaluate shows as '?'. */
    public String render(Map<String, List<EnrichedTransaction>> match) {
        Map<String, Object> matched = new HashMap<>();
        EnrichedTransaction last = null;
        for (Map.Entry<String, List<EnrichedTransaction>> stage : match.entrySet()) {
            List<Object> events = new ArrayList<>();
            for (EnrichedTransaction e : stage.getValue()) {
                events.add(AvroValues.of(e.getTransaction()));
                if (last == null
                        || e.getTransaction()
                                .getEventTime()
                                .isAfter(last.getTransaction().getEventTime())) {
                    last = e;
                }
            }
            matched.put(stage.getKey(), events);
        }
        ConditionPlan.Frame frame =
                new ConditionPlan.Frame(
                        last == null ? null : AvroValues.of(last.getTransaction()),
                        last == null ? null : AvroValues.of(last.getProfile()),
                        RuntimeLists.view(lists, RuntimeLists.current()),
                        new DefaultingMap(matched));
        StringBuilder out = new StringBuilder(texts.get(0));
        for (int i = 0; i < programs.size(); i++) {
            out.append(evaluate(plans.get(i), programs.get(i), frame)).append(texts.get(i + 1));
        }
        return out.toString();
    }

    /**
     * A placeholder's text: its plan's value, or CEL's where the plan leaves it to CEL (CEL's
     * variables are made only then).
     */
    private static String evaluate(
            ConditionPlan plan, CelRuntime.Program program, ConditionPlan.Frame frame) {
        if (program == null) {
            return "?";
        }
        if (plan != null) {
            try {
                return format(plan.value(frame));
            } catch (RuntimeException undecided) {
                // an error, a value the plan leaves to CEL (ConditionPlan.Fallback), or anything
                // unforeseen: CEL decides, and an alert's text never fails the job
            }
        }
        try {
            return format(program.eval(frame.activation()));
        } catch (Exception e) {
            return "?";
        }
    }

    /** Numbers for people: doubles with at most two decimals, lists joined with commas. */
    static String format(Object value) {
        if (value instanceof Double d) {
            if (d.isInfinite() || d.isNaN()) {
                return d.toString();
            }
            return twoDecimals(d);
        }
        if (value instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            list.forEach(v -> parts.add(format(v)));
            return String.join(", ", parts);
        }
        return String.valueOf(value);
    }

    /**
     * {@code String.format(Locale.ROOT, "%.2f", d)} without trailing zeros or a trailing point, for
     * a finite {@code d}: {@code Formatter} rounds the digits of {@code Double.toString} half up,
     * and so does this, on those digits, without parsing a format (which was most of the time spent
     * on explanations in profiles of {@code ./argus bench --profile}). Numbers {@code
     * Double.toString} writes with an exponent (below 0.001 or from 10,000,000 on) go to {@code
     * String.format}. {@code ExplanationFormatTest} compares the two on a million numbers.
     */
    static String twoDecimals(double d) {
        String digits = Double.toString(Math.abs(d));
        if (digits.indexOf('E') >= 0) {
            // Formatter's "%.2f" always has a point and two decimals: trim them
            String s = String.format(java.util.Locale.ROOT, "%.2f", d);
            int end = s.length();
            while (s.charAt(end - 1) == '0') {
                end--;
            }
            return s.substring(0, s.charAt(end - 1) == '.' ? end - 1 : end);
        }
        int point = digits.indexOf('.');
        int fraction = digits.length() - point - 1;
        // the integer digits and two decimals, without the point; rounded up if the third is >= 5
        char[] kept = new char[point + 2];
        digits.getChars(0, point, kept, 0);
        for (int i = 0; i < 2; i++) {
            kept[point + i] = i < fraction ? digits.charAt(point + 1 + i) : '0';
        }
        boolean carry = fraction > 2 && digits.charAt(point + 3) >= '5';
        for (int i = kept.length - 1; carry && i >= 0; i--) {
            carry = kept[i] == '9';
            kept[i] = carry ? '0' : (char) (kept[i] + 1);
        }
        int decimals = 2;
        while (decimals > 0 && kept[point + decimals - 1] == '0') {
            decimals--;
        }
        StringBuilder out = new StringBuilder(kept.length + 3);
        // Formatter writes a minus for every negative number, -0.0 and those that round to 0 too
        if (Double.compare(d, 0.0) < 0) {
            out.append('-');
        }
        if (carry) {
            out.append('1');
        }
        out.append(kept, 0, point);
        if (decimals > 0) {
            out.append('.').append(kept, point, decimals);
        }
        return out.toString();
    }

    /** Stages that matched no event (optional ones) read as empty lists. */
    private static final class DefaultingMap extends java.util.AbstractMap<String, Object> {
        private final Map<String, Object> values;

        DefaultingMap(Map<String, Object> values) {
            this.values = values;
        }

        @Override
        public boolean containsKey(Object key) {
            return true;
        }

        @Override
        public Object get(Object key) {
            return values.getOrDefault(key, List.of());
        }

        @Override
        public java.util.Set<Entry<String, Object>> entrySet() {
            return values.entrySet();
        }
    }
}

package dev.argus.job.engine;

import dev.argus.rules.PatternCheck;
import dev.argus.rules.Rule;
import org.apache.flink.cep.nfa.compiler.NFACompiler;

/**
 * The engine's word on a rule's pattern: whether flink-cep's compiler, which compiles every rule
 * the engine runs ({@link RuleRunner}), accepts it. Rule validation asks it, so that a pattern
 * flink-cep refuses is reported with its file and line before anything runs.
 */
public final class CepPatternCheck implements PatternCheck {
    public static final CepPatternCheck INSTANCE = new CepPatternCheck();

    private CepPatternCheck() {}

    private static final long serialVersionUID = 1L;

    private Object readResolve() {
        return INSTANCE;
    }

    @Override
    public void check(Rule rule) {
        NFACompiler.compileFactory(rule.pattern(), rule.alertsOnTimeout());
    }
}

package dev.argus.cli.rules;

import dev.argus.job.profile.AccountProfile;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileState;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RuleSpec;
import dev.argus.rules.cel.CelCondition;
import dev.argus.sandbox.Generated;
import dev.argus.sandbox.TransactionGenerator;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.cep.pattern.conditions.IterativeCondition;

/**
 * {@code argus rules bench}: what each rule's conditions cost per event, measured by evaluating
 * them on generated traffic, outside Flink (no state access; stages that read {@code matched} see
 * empty lists). Prints nanoseconds per evaluation per stage and the pack's total per event, once
 * with each condition alone on every event (its event's fields converted for it) and once with all
 * of them on each event in turn, sharing what one rule engine shares within an event: the CPU the
 * conditions add before any CEP or state work.
 */
final class ConditionBenchmark {
    private static final int EVENTS = 20_000;
    private static final int ROUNDS = 5;

    private ConditionBenchmark() {}

    static void run(RulePack pack, java.io.PrintWriter out) {
        List<EnrichedTransaction> events = traffic(EVENTS);
        PreviousEvent previous = new PreviousEvent();
        List<Rule> rules = pack.rules();
        List<CelCondition> conditions = new ArrayList<>();
        for (Rule rule : rules) {
            for (RuleSpec.Stage stage : rule.spec().stages()) {
                conditions.add(
                        new CelCondition(
                                rule.id(),
                                stage.name(),
                                stage.where(),
                                rule.spec().file(),
                                rule.spec().positiveStages(),
                                pack.lists()));
            }
        }
        // warm-up: every condition alone and all together, three times, so that the first
        // stages measured are as compiled as the last
        for (int w = 0; w < 3; w++) {
            for (CelCondition condition : conditions) {
                evaluate(condition, events, previous);
            }
            evaluateTogether(conditions, events, previous);
        }
        out.printf("%d events, %d rounds; ns per evaluation (median round)%n", EVENTS, ROUNDS);
        double total = 0;
        int c = 0;
        for (Rule rule : rules) {
            for (RuleSpec.Stage stage : rule.spec().stages()) {
                CelCondition condition = conditions.get(c++);
                long[] rounds = new long[ROUNDS];
                int hits = 0;
                for (int r = 0; r < ROUNDS; r++) {
                    long start = System.nanoTime();
                    hits += evaluate(condition, events, previous);
                    rounds[r] = System.nanoTime() - start;
                }
                java.util.Arrays.sort(rounds);
                double ns = (double) rounds[ROUNDS / 2] / EVENTS;
                total += ns;
                out.printf(
                        "  %-28s %-16s %8.0f ns   (true for %.1f%% of events)%n",
                        rule.id(), stage.name(), ns, 100.0 * hits / (ROUNDS * EVENTS));
            }
        }
        out.printf("all stages of the pack: %.0f ns per event%n", total);
        // short rounds, so more of them: the median of 6 * ROUNDS
        long[] rounds = new long[6 * ROUNDS];
        for (int r = 0; r < rounds.length; r++) {
            long start = System.nanoTime();
            evaluateTogether(conditions, events, previous);
            rounds[r] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(rounds);
        out.printf(
                "all stages of the pack together, as one rule engine evaluates them (an event's"
                        + " fields read once, each distinct condition and operand of '&&' once):"
                        + " %.0f ns per event (fastest round %.0f)%n",
                (double) rounds[rounds.length / 2] / EVENTS, (double) rounds[0] / EVENTS);
    }

    /** Every condition on each event in turn, the way the engine shares work within an event. */
    private static void evaluateTogether(
            List<CelCondition> conditions,
            List<EnrichedTransaction> events,
            PreviousEvent previous) {
        for (EnrichedTransaction t : events) {
            for (CelCondition condition : conditions) {
                condition.filter(t, previous);
            }
            previous.event = t;
        }
    }

    /**
     * {@code n} events of the local generator's traffic over 1,000 accounts, 20 ms apart, each with
     * its account's features computed along the stream as in the job.
     */
    static List<EnrichedTransaction> traffic(int n) {
        TransactionGenerator generator = new TransactionGenerator(42, 1_000, 0.01, 0.0);
        AccountProfile profile = new AccountProfile(50);
        java.util.Map<String, ProfileState> states = new java.util.HashMap<>();
        List<EnrichedTransaction> events = new ArrayList<>();
        long now = System.currentTimeMillis();
        while (events.size() < n) {
            Generated g = generator.next(now + events.size() * 20L);
            Transaction t = g.transaction();
            if (t != null) {
                ProfileState s =
                        states.computeIfAbsent(t.getAccountId(), a -> AccountProfile.empty());
                events.add(new EnrichedTransaction(t, profile.features(s, t)));
                profile.update(s, t);
            }
        }
        return events;
    }

    private static int evaluate(
            CelCondition condition, List<EnrichedTransaction> events, PreviousEvent previous) {
        int hits = 0;
        for (EnrichedTransaction t : events) {
            if (condition.filter(t, previous)) {
                hits++;
            }
            previous.event = t;
        }
        return hits;
    }

    /** A partial match in which every earlier stage holds the stream's previous event. */
    private static final class PreviousEvent
            implements IterativeCondition.Context<EnrichedTransaction> {
        EnrichedTransaction event;

        @Override
        public Iterable<EnrichedTransaction> getEventsForPattern(String name) {
            return event == null ? List.of() : List.of(event);
        }

        @Override
        public long timestamp() {
            return 0;
        }

        @Override
        public long currentProcessingTime() {
            return 0;
        }
    }
}

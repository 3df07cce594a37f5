package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.EngineDifferential.Event;
import dev.argus.job.engine.EngineDifferential.Outcome;
import dev.argus.job.engine.EngineDifferential.Restore;
import dev.argus.job.engine.EngineDifferential.Step;
import dev.argus.job.engine.EngineDifferential.Watermark;
import dev.argus.job.engine.RuleEngineOperator.Ordering;
import dev.argus.job.profile.AccountProfile;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.ProfileState;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionType;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.TransactionGenerator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The rule engine against stock flink-cep, the oracle: for random event streams over several
 * accounts, with watermarks, out-of-order events, and snapshots and restores (the engine's on
 * RocksDB) at random points, both must produce the same matches (events per stage) and the same
 * timeouts, emitted in the same order. Once over every rule of the shipped pack, on generated
 * traffic with its real profile features; once over randomly generated rules covering every
 * construct of the rule language: every contiguity, quantifier (optional stages and greedy loops
 * among them), skip strategy and alert kind, and conditions that read earlier stages.
 *
 * <p>In event-time ordering events arrive out of order; in arrival ordering each account's events
 * arrive in time order (accounts interleaved), the only case where arrival ordering promises stock
 * CEP's results.
 *
 * <p>Each property runs 40 tries ({@link SeededTries}), each drawn from its own seed, and checks
 * that enough of them alert. A longer run: {@code -Dargus.differential.tries=400}. A failed try
 * names its seed; {@code -Dargus.differential.seed=S} replays that try alone. For example:
 *
 * <pre>
 * mvn -pl fraud-job/job -am -Dtest='EngineDifferentialTest#thePackAgreesWithStockCep' \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dargus.differential.tries=400 test
 * </pre>
 */
class EngineDifferentialTest {
    private static final RulePack PACK =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);
    private static final long T0 = 1_793_000_000_000L;

    /** At least half of the tries alert. */
    @Test
    void thePackAgreesWithStockCep() {
        SeededTries.check(
                "thePackAgreesWithStockCep",
                0.5,
                draw -> {
                    long seed = draw.anyLong();
                    Ordering ordering = draw.oneOf(Ordering.values());
                    List<Integer> restores = restorePoints(draw);
                    List<Step> steps = packTraffic(seed, ordering, restores);
                    Outcome outcome = EngineDifferential.run(PACK.active(), ordering, steps);
                    assertThat(outcome.engine())
                            .as("traffic seed %d, %s, restores at %s", seed, ordering, restores)
                            .isEqualTo(outcome.stock());
                    return !outcome.stock().isEmpty();
                });
    }

    /** Rules the language refuses are discarded; at least 30 % of the tries alert. */
    @Test
    void randomRulesAgreeWithStockCep() {
        SeededTries.check(
                "randomRulesAgreeWithStockCep",
                0.3,
                draw -> {
                    String ruleYaml = rule(draw);
                    long seed = draw.anyLong();
                    Ordering ordering = draw.oneOf(Ordering.values());
                    List<Integer> restores = restorePoints(draw);
                    Rule rule = TestRules.compile(ruleYaml);
                    SeededTries.assume(rule != null);
                    List<Step> steps = simpleTraffic(seed, ordering, restores);
                    Outcome outcome = EngineDifferential.run(List.of(rule), ordering, steps);
                    assertThat(outcome.engine())
                            .as(
                                    "traffic seed %d, %s, restores at %s, rule:%n%s",
                                    seed, ordering, restores, ruleYaml)
                            .isEqualTo(outcome.stock());
                    return !outcome.stock().isEmpty();
                });
    }

    /** Up to three restores, each before one of the events 0 to 120 (after the last: none). */
    static List<Integer> restorePoints(SeededTries.Draw draw) {
        return draw.list(0, 3, () -> draw.between(0, 120));
    }

    /** The local generator's traffic on four accounts, enriched by the real profile. */
    static List<Step> packTraffic(long seed, Ordering ordering, List<Integer> restores) {
        TransactionGenerator generator = new TransactionGenerator(seed, 4, 0.15, 0.0);
        Random random = new Random(seed);
        List<Transaction> events = new ArrayList<>();
        long now = T0;
        while (events.size() < 120) {
            now += random.nextInt(90_000);
            events.addAll(generator.due(now).stream().map(g -> g.transaction()).toList());
            events.add(generator.next(now).transaction());
        }
        return steps(enrich(events), ordering, restores, random);
    }

    /**
     * Payments, transfers and logins of a few amounts on three accounts, seconds to minutes apart.
     */
    static List<Step> simpleTraffic(long seed, Ordering ordering, List<Integer> restores) {
        Random random = new Random(seed);
        TransactionType[] types = {
            TransactionType.CARD_PAYMENT, TransactionType.TRANSFER, TransactionType.LOGIN
        };
        long[] amounts = {500, 5_000, 50_000};
        List<Transaction> events = new ArrayList<>();
        long now = T0;
        for (int i = 0; i < 80; i++) {
            now += random.nextInt(4) == 0 ? 0 : random.nextInt(120_000);
            // up to 20 s out of order
            long at = now - random.nextInt(20_000);
            events.add(
                    dev.argus.model.TransactionBuilder.payment("t" + i)
                            .account("acc-" + random.nextInt(3))
                            .at(java.time.Instant.ofEpochMilli(at))
                            .type(types[random.nextInt(types.length)])
                            .amountMinor(amounts[random.nextInt(amounts.length)])
                            .build());
        }
        List<EnrichedTransaction> enriched = new ArrayList<>();
        for (Transaction t : events) {
            enriched.add(new EnrichedTransaction(t, ProfileFeatures.newBuilder().build()));
        }
        return steps(enriched, ordering, restores, random);
    }

    /** Features as the profile operator computes them: per account, before each event. */
    private static List<EnrichedTransaction> enrich(List<Transaction> events) {
        AccountProfile profile = new AccountProfile(50);
        Map<String, ProfileState> states = new HashMap<>();
        List<EnrichedTransaction> out = new ArrayList<>();
        for (Transaction t : events) {
            ProfileState s = states.computeIfAbsent(t.getAccountId(), a -> AccountProfile.empty());
            out.add(new EnrichedTransaction(t, profile.features(s, t)));
            profile.update(s, t);
        }
        return out;
    }

    /**
     * The events with watermarks (the largest time seen minus up to 30 s, now and then) and
     * restores at the given positions. For arrival ordering each account's events are put in time
     * order first.
     *
     * <p>An event at or before the last watermark that arrives after a restore, before the next
     * watermark, is left out. Without the restore both would refuse it as late; but Flink does not
     * snapshot watermarks, so a restored {@code CepOperator} takes it as on time and feeds it to an
     * NFA that may have advanced past it (a partial match due to time out can still complete),
     * while the engine sends it to {@code LATE} when its account's rules are past it, as designed
     * and tested in {@code RuleEngineOperatorTest}.
     */
    private static List<Step> steps(
            List<EnrichedTransaction> events,
            Ordering ordering,
            List<Integer> restores,
            Random random) {
        List<EnrichedTransaction> ordered = new ArrayList<>(events);
        if (ordering == Ordering.ARRIVAL) {
            ordered.sort(Comparator.comparing(e -> e.getTransaction().getEventTime()));
        }
        List<Step> steps = new ArrayList<>();
        long maxSeen = Long.MIN_VALUE;
        long watermark = Long.MIN_VALUE;
        boolean restoredSinceWatermark = false;
        for (int i = 0; i < ordered.size(); i++) {
            if (restores.contains(i)) {
                steps.add(new Restore());
                restoredSinceWatermark = true;
            }
            EnrichedTransaction e = ordered.get(i);
            long ts = e.getTransaction().getEventTime().toEpochMilli();
            if (!(restoredSinceWatermark && ts <= watermark)) {
                steps.add(new Event(e, ts));
            }
            maxSeen = Math.max(maxSeen, ts);
            if (random.nextInt(4) == 0) {
                long w = maxSeen - random.nextInt(30_000);
                if (w > watermark) {
                    watermark = w;
                    restoredSinceWatermark = false;
                    steps.add(new Watermark(w));
                }
            }
        }
        return steps;
    }

    /** A random rule of the language: 1 to 4 stages, each construct with its options. */
    static String rule(SeededTries.Draw draw) {
        List<String> stages = draw.list(1, 4, () -> stage(draw));
        String skip =
                draw.oneOf(
                        "no_skip",
                        "skip_to_next",
                        "skip_past_last_event",
                        "skip_to_first(s0)",
                        "skip_to_last(s0)");
        int within = draw.between(1, 30);
        String alertOn = draw.oneOf("match", "timeout");
        StringBuilder y = new StringBuilder();
        y.append("id: random\nversion: 1\ntitle: random\nowner: tests\n")
                .append("severity: low\nscore: 1\nmode: enforce\n")
                .append("explanation: \"{{ txn.transaction_id }}\"\n")
                .append("within: ")
                .append(within)
                .append("m\nskip: ")
                .append(skip)
                .append("\n");
        if (alertOn.equals("timeout")) {
            y.append("alert_on: timeout\n");
        }
        y.append("pattern:\n");
        for (int i = 0; i < stages.size(); i++) {
            String body = stages.get(i);
            if (i == 0) {
                body = body.substring(body.indexOf('\n') + 1);
            }
            y.append("  - stage: s").append(i).append('\n').append(body);
        }
        return y.toString();
    }

    /**
     * A stage: how it follows the one before (cut from the first), condition (some read the events
     * the first stage matched so far), quantifier.
     */
    private static String stage(SeededTries.Draw draw) {
        String condition =
                draw.oneOf(
                        "txn.type == 'CARD_PAYMENT'",
                        "txn.type == 'TRANSFER'",
                        "txn.type == 'LOGIN'",
                        "has(txn.amount) && txn.amount.amount_minor >= 5000",
                        "has(txn.amount) && txn.amount.amount_minor < 5000",
                        "true",
                        // conditions that read the partial match: they see it per run
                        "size(matched.s0) < 2 || txn.type == matched.s0[0].type",
                        "has(txn.amount) && sum_amount(matched.s0) + txn.amount.amount_minor <= 60000");
        String quantifier =
                draw.oneOf(
                        "",
                        "    times: 2\n",
                        "    times: 2..3\n",
                        "    times: 2+\n",
                        "    times: 1+\n    greedy: true\n",
                        "    times: 2..3\n    loop: strict\n",
                        "    times: 2+\n    loop: nondeterministic\n",
                        "    optional: true\n");
        String follows =
                draw.oneOf("next", "followed_by", "followed_by_any", "not_next", "not_followed_by");
        return "    follows: " + follows + "\n    where: \"" + condition + "\"\n" + quantifier;
    }
}

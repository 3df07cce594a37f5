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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The rule engine against stock flink-cep, the oracle: for random event streams over several
 * accounts, with watermarks, out-of-order events, and snapshots and restores (the engine's on
 * RocksDB) at random points, both must produce the same matches (events per stage) and the same
 * timeouts. Once over every rule of the shipped pack, on generated traffic with its real profile
 * features; once over randomly generated rules covering every construct of the rule language.
 *
 * <p>In event-time ordering events arrive out of order; in arrival ordering each account's events
 * arrive in time order (accounts interleaved), the only case where arrival ordering promises stock
 * CEP's results. The number of tries is jqwik's default ({@code jqwik.tries.default} in
 * junit-platform.properties); {@code -Djqwik.tries.default=5000} runs longer.
 */
class EngineDifferentialTest {
    private static final RulePack PACK =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE);
    private static final long T0 = 1_793_000_000_000L;

    @Property
    void thePackAgreesWithStockCep(
            @ForAll long seed,
            @ForAll Ordering ordering,
            @ForAll("restorePoints") List<Integer> restores)
            throws Exception {
        List<Step> steps = packTraffic(seed, ordering, restores);
        Outcome outcome = EngineDifferential.run(PACK.active(), ordering, steps);
        assertThat(outcome.engine()).isEqualTo(outcome.stock());
        Statistics.label("alerts").collect(outcome.stock().isEmpty() ? "none" : "some");
        // a test whose scenarios never alert would prove nothing
        Statistics.label("alerts").coverage(c -> c.check("some").percentage(p -> p >= 50));
    }

    @Property
    void randomRulesAgreeWithStockCep(
            @ForAll("rules") String ruleYaml,
            @ForAll long seed,
            @ForAll Ordering ordering,
            @ForAll("restorePoints") List<Integer> restores)
            throws Exception {
        Rule rule = TestRules.compile(ruleYaml);
        Assume.that(rule != null);
        List<Step> steps = simpleTraffic(seed, ordering, restores);
        Outcome outcome = EngineDifferential.run(List.of(rule), ordering, steps);
        assertThat(outcome.engine()).as(ruleYaml).isEqualTo(outcome.stock());
        Statistics.label("alerts").collect(outcome.stock().isEmpty() ? "none" : "some");
        Statistics.label("alerts").coverage(c -> c.check("some").percentage(p -> p >= 30));
    }

    @Provide
    Arbitrary<List<Integer>> restorePoints() {
        return Arbitraries.integers().between(0, 120).list().ofMaxSize(3);
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
        for (int i = 0; i < ordered.size(); i++) {
            if (restores.contains(i)) {
                steps.add(new Restore());
            }
            EnrichedTransaction e = ordered.get(i);
            long ts = e.getTransaction().getEventTime().toEpochMilli();
            steps.add(new Event(e, ts));
            maxSeen = Math.max(maxSeen, ts);
            if (random.nextInt(4) == 0) {
                long w = maxSeen - random.nextInt(30_000);
                if (w > watermark) {
                    watermark = w;
                    steps.add(new Watermark(w));
                }
            }
        }
        return steps;
    }

    /** A random rule of the language: 1 to 4 stages, each construct with its options. */
    @Provide
    Arbitrary<String> rules() {
        Arbitrary<String> condition =
                Arbitraries.of(
                        "txn.type == 'CARD_PAYMENT'",
                        "txn.type == 'TRANSFER'",
                        "txn.type == 'LOGIN'",
                        "has(txn.amount) && txn.amount.amount_minor >= 5000",
                        "has(txn.amount) && txn.amount.amount_minor < 5000",
                        "true");
        Arbitrary<String> quantifier =
                Arbitraries.of(
                        "",
                        "    times: 2\n",
                        "    times: 2..3\n",
                        "    times: 2+\n",
                        "    times: 1+\n    greedy: true\n",
                        "    times: 2..3\n    loop: strict\n",
                        "    times: 2+\n    loop: nondeterministic\n",
                        "    optional: true\n");
        Arbitrary<String> follows =
                Arbitraries.of(
                        "next", "followed_by", "followed_by_any", "not_next", "not_followed_by");
        Arbitrary<String> stage =
                Combinators.combine(condition, quantifier, follows)
                        .as((c, q, f) -> new String[] {c, q, f})
                        .map(
                                a ->
                                        "    follows: "
                                                + a[2]
                                                + "\n    where: \""
                                                + a[0]
                                                + "\"\n"
                                                + a[1]);
        Arbitrary<String> skip =
                Arbitraries.of(
                        "no_skip",
                        "skip_to_next",
                        "skip_past_last_event",
                        "skip_to_first(s0)",
                        "skip_to_last(s0)");
        return Combinators.combine(
                        stage.list().ofMinSize(1).ofMaxSize(4),
                        skip,
                        Arbitraries.integers().between(1, 30),
                        Arbitraries.of("match", "timeout"))
                .as(
                        (stages, s, within, alertOn) -> {
                            StringBuilder y = new StringBuilder();
                            y.append("id: random\nversion: 1\ntitle: random\nowner: tests\n")
                                    .append("severity: low\nscore: 1\nmode: enforce\n")
                                    .append("explanation: \"{{ txn.transaction_id }}\"\n")
                                    .append("within: ")
                                    .append(within)
                                    .append("m\nskip: ")
                                    .append(s)
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
                        });
    }
}

package dev.argus.rules.cel;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Location;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Conditions as flink-cep evaluates them: the CEL environment, its helpers and its errors. */
class CelConditionTest {
    private static final Map<String, List<String>> LISTS =
            Map.of("high_risk_mcc", List.of("7995", "6051"));

    private static final Location PARIS = new Location(48.8566, 2.3522, "FR");
    private static final Location LONDON = new Location(51.5074, -0.1278, "GB");

    private static boolean eval(String condition, Transaction txn, StageEvents ctx) {
        return eval(condition, StageEvents.enriched(txn), ctx);
    }

    private static boolean eval(String condition, EnrichedTransaction event, StageEvents ctx) {
        return new CelCondition(
                        "r",
                        "s",
                        condition,
                        "test.yaml",
                        List.copyOf(ctx.asMatch().keySet()),
                        LISTS)
                .filter(event, ctx);
    }

    /** Rule {@code rule}'s condition at {@code stage}, seeing the earlier {@code stages}. */
    private static CelCondition condition(
            String rule, String stage, String source, String... stages) {
        return new CelCondition(rule, stage, source, rule + ".yaml", List.of(stages), LISTS);
    }

    private static boolean eval(String condition, Transaction txn) {
        return eval(condition, txn, new StageEvents());
    }

    @Test
    void seesEveryFieldOfTheTransactionWithEnumsAsStringsAndTimesInMillis() {
        Transaction t = payment("t1").amount("12.50", "EUR").secondsAfterT0(60).build();
        assertThat(eval("txn.transaction_id == 't1' && txn.type == 'CARD_PAYMENT'", t)).isTrue();
        assertThat(eval("txn.amount.amount_minor == 1250 && txn.amount.currency == 'EUR'", t))
                .isTrue();
        assertThat(eval("txn.event_time == " + T0.plusSeconds(60).toEpochMilli(), t)).isTrue();
        assertThat(eval("txn.merchant.category_code in lists.high_risk_mcc", t)).isFalse();
    }

    @Test
    void absentOptionalFieldsAreTestedWithHas() {
        Transaction login = payment("l").type(TransactionType.LOGIN).noAmount().build();
        assertThat(eval("has(txn.amount)", login)).isFalse();
        assertThat(eval("!has(txn.counterparty_id) && has(txn.device_id)", login)).isTrue();
    }

    @Test
    void aConditionThatFailsOnAnEventCountsAsFalse() {
        Transaction login = payment("l").type(TransactionType.LOGIN).noAmount().build();
        // reading an absent field is an evaluation error, not a crash of the job
        assertThat(eval("txn.amount.amount_minor > 0", login)).isFalse();
        assertThat(eval("!(txn.amount.amount_minor > 0)", login)).isFalse();
    }

    @Test
    void aConditionOnMatchedEventsIsEvaluatedForEachPartialMatchOfTheSameEvent() {
        CelCondition condition =
                new CelCondition(
                        "r", "s", "size(matched.small) >= 2", "test.yaml", List.of("small"), LISTS);
        EnrichedTransaction big = StageEvents.enriched(payment("big").build());
        StageEvents one = new StageEvents().with("small", payment("s1").build());
        StageEvents two =
                new StageEvents().with("small", payment("s1").build(), payment("s2").build());
        // flink-cep asks once per partial match: the answer follows the partial match, not the
        // event
        assertThat(condition.filter(big, one)).isFalse();
        assertThat(condition.filter(big, two)).isTrue();
        assertThat(condition.filter(big, one)).isFalse();
    }

    @Test
    void aDistinctConditionIsEvaluatedOncePerEventWhateverRulesAndStagesHaveIt() {
        String source =
                "txn.type == 'CARD_PAYMENT' && txn.merchant.category_code in lists.high_risk_mcc";
        CelCondition first = condition("r1", "a", source);
        CelCondition second = condition("r2", "b", source, "a");
        CelCondition otherLists =
                new CelCondition(
                        "r3",
                        "a",
                        source,
                        "r3.yaml",
                        List.of(),
                        Map.of("high_risk_mcc", List.of("5411")));
        EnrichedTransaction grocery =
                StageEvents.enriched(payment("g").merchant("m-1", "5411").build());
        EnrichedTransaction casino =
                StageEvents.enriched(payment("c").merchant("m-2", "7995").build());
        StageEvents none = new StageEvents();

        // each condition is a conjunction: its two operands are evaluated (once per event) before
        // the whole condition, which is evaluated only when neither is false
        long before = CelCondition.evaluatedOnThisThread();
        long parts = CelCondition.partsEvaluatedOnThisThread();
        assertThat(first.filter(casino, none)).isTrue();
        assertThat(second.filter(casino, none)).isTrue();
        assertThat(first.filter(casino, none)).isTrue();
        assertThat(CelCondition.evaluatedOnThisThread() - before).isEqualTo(1);
        assertThat(CelCondition.partsEvaluatedOnThisThread() - parts).isEqualTo(2);

        // other list values make another condition, and another operand: the casino is not in
        // its list, which that operand decides alone
        assertThat(otherLists.filter(casino, none)).isFalse();
        assertThat(CelCondition.evaluatedOnThisThread() - before).isEqualTo(1);
        assertThat(CelCondition.partsEvaluatedOnThisThread() - parts).isEqualTo(3);

        // another event, and the same again: each operand evaluated once more, and the whole
        // conditions where no operand is false
        assertThat(second.filter(grocery, none)).isFalse();
        assertThat(first.filter(grocery, none)).isFalse();
        assertThat(otherLists.filter(grocery, none)).isTrue();
        assertThat(first.filter(casino, none)).isTrue();
        assertThat(CelCondition.evaluatedOnThisThread() - before).isEqualTo(3);
        assertThat(CelCondition.partsEvaluatedOnThisThread() - parts).isEqualTo(8);
    }

    @Test
    void anOperandOfTheTopLevelAndsIsEvaluatedOncePerEventForEveryConditionWithIt() {
        // one reads the partial match, so it is evaluated whole for every partial match; its
        // operand on the event alone is shared with the other rule's condition
        CelCondition first =
                condition("r1", "a", "txn.type == 'CARD_PAYMENT' && size(matched.a) == 0", "a");
        CelCondition second =
                condition(
                        "r2", "b", "(txn.type == 'CARD_PAYMENT') && txn.amount.amount_minor > 100");
        EnrichedTransaction login =
                StageEvents.enriched(payment("l").type(TransactionType.LOGIN).noAmount().build());
        EnrichedTransaction payment =
                StageEvents.enriched(payment("p").amount("12.50", "EUR").build());
        StageEvents none = new StageEvents();

        long whole = CelCondition.evaluatedOnThisThread();
        long parts = CelCondition.partsEvaluatedOnThisThread();
        // a login is no card payment: both are false without being evaluated whole, and the
        // shared operand (the same expression, parentheses aside) is evaluated once; the second's
        // other operand is not needed, and would be an error (a login has no amount)
        assertThat(first.filter(login, none)).isFalse();
        assertThat(second.filter(login, none)).isFalse();
        assertThat(first.filter(login, none)).isFalse();
        assertThat(CelCondition.evaluatedOnThisThread() - whole).isZero();
        assertThat(CelCondition.partsEvaluatedOnThisThread() - parts).isEqualTo(1);

        // a payment passes the shared operand: each condition is evaluated whole, once
        assertThat(first.filter(payment, none)).isTrue();
        assertThat(second.filter(payment, none)).isTrue();
        assertThat(second.filter(payment, none)).isTrue();
        assertThat(CelCondition.evaluatedOnThisThread() - whole).isEqualTo(2);
        assertThat(CelCondition.partsEvaluatedOnThisThread() - parts).isEqualTo(3);
    }

    @Test
    void anOperandInErrorLeavesTheVerdictToTheWholeCondition() {
        // the login has no amount: the first operand is an error, which CEL's && turns into false
        // only when another operand is false; the whole condition decides, and counts it
        String source = "txn.amount.currency == 'EUR' && txn.type == 'LOGIN'";
        CelCondition c = condition("r1", "a", source);
        EnrichedTransaction login =
                StageEvents.enriched(payment("l").type(TransactionType.LOGIN).noAmount().build());
        long whole = CelCondition.evaluatedOnThisThread();
        assertThat(c.filter(login, new StageEvents())).isFalse();
        assertThat(CelCondition.evaluatedOnThisThread() - whole).isEqualTo(1);

        // a false operand decides alone, even beside an error
        CelCondition decided =
                condition("r2", "a", "txn.amount.currency == 'EUR' && txn.type == 'TRANSFER'");
        assertThat(decided.filter(login, new StageEvents())).isFalse();
        assertThat(CelCondition.evaluatedOnThisThread() - whole).isEqualTo(1);
    }

    @Test
    void aRememberedAnswerIsNotGivenOnceTheListsChangedAtRunTime() {
        String source = "txn.merchant.category_code in lists.high_risk_mcc";
        CelCondition c = condition("r1", "a", source);
        EnrichedTransaction grocery =
                StageEvents.enriched(payment("g").merchant("m-1", "5411").build());
        assertThat(c.filter(grocery, new StageEvents())).isFalse();
        Map<String, Boolean> added = new java.util.HashMap<>();
        long[] version = {0};
        RuntimeLists.use(
                new RuntimeLists.Entries() {
                    @Override
                    public Boolean entry(String list, String value) {
                        return list.equals("high_risk_mcc") ? added.get(value) : null;
                    }

                    @Override
                    public Map<String, Boolean> entries(String list) {
                        return list.equals("high_risk_mcc") ? added : Map.of();
                    }

                    @Override
                    public long version() {
                        return version[0];
                    }
                });
        try {
            assertThat(c.filter(grocery, new StageEvents())).isFalse();
            // the same entries, changed: a new version
            added.put("5411", true);
            version[0]++;
            assertThat(c.filter(grocery, new StageEvents())).isTrue();
        } finally {
            RuntimeLists.use(null);
        }
        assertThat(c.filter(grocery, new StageEvents())).isFalse();
    }

    @Test
    void readsTheEventsMatchedByEarlierStages() {
        StageEvents ctx =
                new StageEvents()
                        .with(
                                "small",
                                payment("s1").amount("1.00", "EUR").build(),
                                payment("s2").amount("2.50", "EUR").build());
        Transaction big = payment("big").amount("500.00", "EUR").secondsAfterT0(90).build();
        assertThat(eval("size(matched.small) == 2 && sum_amount(matched.small) == 350", big, ctx))
                .isTrue();
        assertThat(eval("max_amount(matched.small) == 250", big, ctx)).isTrue();
        assertThat(eval("last(matched.small).transaction_id == 's2'", big, ctx)).isTrue();
        assertThat(eval("minutes_between(matched.small[0], txn) == 1.5", big, ctx)).isTrue();
    }

    @Test
    void measuresDistanceAndSpeedBetweenEvents() {
        Transaction paris =
                payment("p").location(PARIS.getLatitude(), PARIS.getLongitude(), "FR").build();
        Transaction london =
                payment("l")
                        .location(LONDON.getLatitude(), LONDON.getLongitude(), "GB")
                        .secondsAfterT0(3600)
                        .build();
        StageEvents ctx = new StageEvents().with("first", paris);
        // Paris to London is 344 km on the great circle
        assertThat(eval("distance_km(matched.first[0], txn) > 340.0", london, ctx)).isTrue();
        assertThat(eval("distance_km(matched.first[0], txn) < 348.0", london, ctx)).isTrue();
        assertThat(
                        eval(
                                "distance_km(matched.first[0].location, txn.location)"
                                        + " == distance_km(matched.first[0], txn)",
                                london,
                                ctx))
                .isTrue();
        assertThat(eval("speed_kmh(matched.first[0], txn) > 340", london, ctx)).isTrue();
        assertThat(eval("speed_kmh(matched.first[0], txn) < 348", london, ctx)).isTrue();
        assertThat(eval("hours_between(matched.first[0], txn) == 1.0", london, ctx)).isTrue();
    }

    @Test
    void seesTheAccountsFeaturesAsProfile() {
        EnrichedTransaction event =
                new EnrichedTransaction(
                        payment("t").build(),
                        ProfileFeatures.newBuilder()
                                .setNewDevice(true)
                                .setAmountZscore(4.5)
                                .setCount24h(7)
                                .setLastLocation(PARIS)
                                .build());
        assertThat(
                        eval(
                                "profile.new_device && profile.amount_zscore > 4"
                                        + " && profile.count_24h == 7"
                                        + " && profile.last_location.country == 'FR'",
                                event,
                                new StageEvents()))
                .isTrue();
        assertThat(
                        eval(
                                "profile.new_ip || profile.days_since_last_event >= 0",
                                event,
                                new StageEvents()))
                .isFalse();
    }

    @Test
    void comparesIntegersWithDecimals() {
        Transaction t = payment("t").amount("12.50", "EUR").build();
        assertThat(eval("txn.amount.amount_minor > 1249.5", t)).isTrue();
    }

    @Test
    void explanationsFillPlaceholdersFromTheMatch() {
        StageEvents match =
                new StageEvents()
                        .with(
                                "small",
                                payment("s1").amount("1.00", "EUR").build(),
                                payment("s2").amount("2.50", "EUR").secondsAfterT0(20).build())
                        .with(
                                "large",
                                payment("big").amount("750.00", "EUR").secondsAfterT0(200).build());
        ExplanationTemplate template =
                new ExplanationTemplate(
                        "{{ size(matched.small) }} small ({{ money(sum_amount(matched.small), 'EUR')"
                                + " }}) then {{ money(txn.amount) }} after {{"
                                + " minutes_between(matched.small[0], txn) }} min;"
                                + " {{ matched.small[5].transaction_id }}",
                        "test.yaml",
                        List.of("small", "large"),
                        LISTS,
                        (expression, error) -> {
                            throw new AssertionError(expression);
                        });
        assertThat(template.render(match.asMatch()))
                .isEqualTo("2 small (3.50 EUR) then 750.00 EUR after 3.33 min; ?");
    }

    @Test
    void formatsNumbersForPeople() {
        assertThat(ExplanationTemplate.format(3.0)).isEqualTo("3");
        assertThat(ExplanationTemplate.format(2.5)).isEqualTo("2.5");
        assertThat(ExplanationTemplate.format(1.0 / 3)).isEqualTo("0.33");
        assertThat(ExplanationTemplate.format(List.of(1L, 2L))).isEqualTo("1, 2");
        assertThat(dev.argus.model.Geo.distanceKm(0, 0, 0, 1)).isCloseTo(111.2, within(0.1));
    }
}

package dev.argus.job.engine;

import static dev.argus.job.engine.RuleEngineOperatorTest.LOGIN_TRANSFER;
import static dev.argus.job.engine.RuleEngineOperatorTest.rule;
import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.RuleEngineOperator.Ordering;
import dev.argus.model.Alert;
import dev.argus.model.ChangeList;
import dev.argus.model.ControlChange;
import dev.argus.model.DeployPack;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.MatchedEvent;
import dev.argus.model.PackFile;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionType;
import dev.argus.rules.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Packs deployed at run time in the rule engine: each event judged by the pack in force at its
 * event time, partial matches of unchanged rules carried across the cutover, those of restructured
 * and removed rules dropped, the packs in force kept in the snapshot.
 */
class RolloutEngineTest {
    /** The engine test's burst, its large payment from 800.00. */
    private static final String BURST =
            RuleEngineOperatorTest.BURST.replace("amount_minor >= 50000", "amount_minor >= 80000");

    /** Version 2: the large payment's threshold tuned down; the pattern's structure is the same. */
    private static final String BURST_V2 =
            BURST.replace("version: 1", "version: 2").replace(">= 80000", ">= 70000");

    /** Version 2 restructured: within two hours, so its partial matches start clean. */
    private static final String LOGIN_TRANSFER_V2 =
            LOGIN_TRANSFER.replace("version: 1", "version: 2").replace("within: 1h", "within: 2h");

    /** New in version 2: one very large transfer. */
    private static final String LARGE_TRANSFER =
            rule(
                    "large-transfer",
                    "1m",
                    "skip_past_last_event",
                    "  - stage: large\n"
                            + "    where: \"txn.type == 'TRANSFER' && txn.amount.amount_minor >="
                            + " 500000\"\n");

    private static final Instant CUTOVER = T0.plusSeconds(60);

    private EngineHarness harness;
    private long offset;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void judgesEachEventByThePackInForceAtItsTimeAndCarriesUnchangedRulesAcross() throws Exception {
        harness = EngineHarness.withControl(engine(Ordering.EVENT_TIME, Duration.ZERO), null);
        harness.control(
                deploy("v2", CUTOVER, "test-2", BURST_V2, LOGIN_TRANSFER_V2, LARGE_TRANSFER));
        // acc-1: a burst whose small payments straddle the cutover, then a large one of 75,000,
        // which only version 2 calls large; a login before the cutover, a transfer after it
        small("acc-1", "s1", 0);
        small("acc-1", "s2", 30);
        process(event("acc-1", "login", TransactionType.LOGIN, 0, 40));
        small("acc-1", "s3", 70);
        process(event("acc-1", "big", TransactionType.CARD_PAYMENT, 75_000, 90));
        process(event("acc-1", "transfer", TransactionType.TRANSFER, 100_000, 100));
        // acc-2: a very large transfer on each side of the cutover
        process(event("acc-2", "t-before", TransactionType.TRANSFER, 900_000, 50));
        process(event("acc-2", "t-after", TransactionType.TRANSFER, 900_000, 110));
        watermarks(T0.plusSeconds(200));

        List<Alert> alerts = harness.extractOutputValues();
        assertThat(alerts)
                .extracting(
                        a ->
                                a.getRuleId()
                                        + " v"
                                        + a.getRuleVersion()
                                        + " "
                                        + a.getPackVersion()
                                        + " "
                                        + matched(a))
                .containsExactlyInAnyOrder(
                        // the burst's partial match of version 1 went on under version 2
                        "burst v2 test-2 s1,s2,s3,big",
                        // the new rule judges only events from the cutover on
                        "large-transfer v1 test-2 t-after");
        // the restructured rule started clean: the login before the cutover is forgotten
        assertThat(alerts).noneMatch(a -> a.getRuleId().equals("login-transfer"));
    }

    @Test
    void beforeTheCutoverTheStartPackJudgesAndNoEventIsJudgedBeforeItsChangesArrived()
            throws Exception {
        harness = EngineHarness.withControl(engine(Ordering.EVENT_TIME, Duration.ZERO), null);
        process(event("acc-2", "t-early", TransactionType.TRANSFER, 900_000, 10));
        small("acc-1", "s1", 0);
        small("acc-1", "s2", 5);
        small("acc-1", "s3", 10);
        process(event("acc-1", "big", TransactionType.CARD_PAYMENT, 85_000, 20));
        // the transactions' watermark alone does not let the engine judge: the control input's
        // time has not reached the events, and a deploy for their time could still come
        harness.processWatermark(T0.plusSeconds(200).toEpochMilli());
        assertThat(harness.extractOutputValues()).isEmpty();
        harness.control(deploy("v2", CUTOVER, "test-2", BURST_V2, LARGE_TRANSFER));
        harness.controlWatermark(T0.plusSeconds(200).toEpochMilli());

        assertThat(harness.extractOutputValues())
                .extracting(a -> a.getRuleId() + " " + a.getPackVersion() + " " + matched(a))
                .containsExactly("burst test-1 s1,s2,s3,big");
    }

    @Test
    void arrivalOrderingHoldsAnEventBeyondTheHorizonUntilItsChangesHaveArrived() throws Exception {
        Duration hold = Duration.ofSeconds(15);
        harness = EngineHarness.withControl(engine(Ordering.ARRIVAL, hold), null);
        watermarks(T0);
        // within the horizon: judged at once, by the start pack
        process(event("acc-2", "t-now", TransactionType.TRANSFER, 900_000, 10));
        // beyond it: a deploy could still take effect before it, so it waits
        process(event("acc-2", "t-later", TransactionType.TRANSFER, 900_000, 70));
        assertThat(harness.extractOutputValues()).isEmpty();

        harness.control(deploy("v2", CUTOVER, "test-2", BURST_V2, LARGE_TRANSFER));
        watermarks(T0.plusSeconds(56));

        assertThat(harness.extractOutputValues())
                .extracting(a -> a.getRuleId() + " " + a.getPackVersion() + " " + matched(a))
                .containsExactly("large-transfer test-2 t-later");
    }

    @Test
    void thePacksInForceAreInTheSnapshotAndARedeployWithAnotherPackReplacesThem() throws Exception {
        harness = EngineHarness.withControl(engine(Ordering.EVENT_TIME, Duration.ZERO), null);
        harness.control(deploy("v2", CUTOVER, "test-2", BURST_V2, LARGE_TRANSFER));
        watermarks(T0);
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);
        harness.close();

        harness = EngineHarness.withControl(engine(Ordering.EVENT_TIME, Duration.ZERO), snapshot);
        process(event("acc-2", "t-after", TransactionType.TRANSFER, 900_000, 110));
        watermarks(T0.plusSeconds(200));
        assertThat(harness.extractOutputValues())
                .extracting(a -> a.getRuleId() + " " + a.getPackVersion())
                .containsExactly("large-transfer test-2");
        harness.close();

        // restarted with a start pack of another version: the deploy of run time is gone
        List<Rule> redeployed = TestRules.packOfVersion("test-9", BURST);
        harness =
                EngineHarness.withControl(
                        new RuleEngineOperator(
                                redeployed, Ordering.EVENT_TIME, Integer.MAX_VALUE, Duration.ZERO),
                        snapshot);
        process(event("acc-2", "t-after", TransactionType.TRANSFER, 900_000, 110));
        watermarks(T0.plusSeconds(200));
        assertThat(harness.extractOutputValues()).isEmpty();
    }

    /** A payment with a card of the deny list. */
    private static final String DENIED_CARD =
            rule(
                    "denied-card",
                    "1m",
                    "skip_past_last_event",
                    "  - stage: denied\n"
                            + "    where: \"has(txn.card_token) && txn.card_token in"
                            + " lists.deny_cards\"\n");

    private static final String PACK_WITH_LIST =
            "version: test-1\nquiet_period: 0s\nlists:\n  deny_cards:\n    values: [c-0]\n";

    @Test
    void listChangesApplyFromTheirEffectiveTimeAndStayAcrossARestore() throws Exception {
        harness = EngineHarness.withControl(listEngine(), null);
        harness.control(list("l1", CUTOVER, List.of("c-1"), List.of("c-0")));
        card("acc-1", "c-1", 30);
        card("acc-2", "c-0", 30);
        card("acc-3", "c-1", 90);
        card("acc-4", "c-0", 90);
        watermarks(T0.plusSeconds(100));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAccountId)
                .containsExactlyInAnyOrder("acc-2", "acc-3");

        // the watermark passed the change: it is in the list entries' state
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);
        harness.close();
        harness = EngineHarness.withControl(listEngine(), snapshot);
        card("acc-5", "c-1", 120);
        card("acc-6", "c-0", 120);
        watermarks(T0.plusSeconds(200));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAccountId)
                .containsExactly("acc-5");
    }

    @Test
    void aMillionListEntriesAreLookedUpAndKeptInTheSnapshot() throws Exception {
        harness = EngineHarness.withControl(listEngine(), null);
        int perCommand = 20_000;
        for (int command = 0; command < 50; command++) {
            List<String> cards = new ArrayList<>(perCommand);
            for (int i = 0; i < perCommand; i++) {
                cards.add("card-" + (command * perCommand + i));
            }
            harness.control(list("l" + command, CUTOVER, cards, List.of()));
        }
        watermarks(T0.plusSeconds(61));
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);
        // the figure docs/operations.md quotes for a million entries in one subtask's snapshot
        System.out.printf(
                "a million list entries: %,d bytes in the subtask's snapshot%n",
                snapshot.getStateSize());
        harness.close();

        harness = EngineHarness.withControl(listEngine(), snapshot);
        card("acc-first", "card-0", 70);
        card("acc-last", "card-999999", 70);
        card("acc-none", "card-1000000", 70);
        watermarks(T0.plusSeconds(100));
        assertThat(harness.extractOutputValues())
                .extracting(Alert::getAccountId)
                .containsExactlyInAnyOrder("acc-first", "acc-last");
    }

    private static RuleEngineOperator listEngine() throws Exception {
        return new RuleEngineOperator(
                TestRules.packWith(PACK_WITH_LIST, DENIED_CARD),
                Ordering.EVENT_TIME,
                Integer.MAX_VALUE,
                Duration.ZERO);
    }

    private ControlChange list(
            String id, Instant effective, List<String> put, List<String> remove) {
        return change(id, effective, new ChangeList("deny_cards", put, remove));
    }

    /** A change as the control function applies it, the job having started with pack test-1. */
    private ControlChange change(String id, Instant effective, Object what) {
        return ControlChange.newBuilder()
                .setCommandId(id)
                .setOffset(offset++)
                .setEffectiveAt(effective)
                .setChange(what)
                .setBaseVersion("test-1")
                .build();
    }

    private void card(String account, String card, long seconds) throws Exception {
        Transaction t =
                event(account, account + "-" + seconds, TransactionType.CARD_PAYMENT, 100, seconds);
        t.setCardToken(card);
        process(t);
    }

    private static RuleEngineOperator engine(Ordering ordering, Duration hold) throws Exception {
        return new RuleEngineOperator(
                TestRules.pack(BURST, LOGIN_TRANSFER), ordering, Integer.MAX_VALUE, hold);
    }

    /** A deploy as the control function applies it, the job having started with pack test-1. */
    private ControlChange deploy(String id, Instant effective, String version, String... rules) {
        List<PackFile> files = new ArrayList<>();
        files.add(new PackFile("pack.yaml", "version: " + version + "\nquiet_period: 0s\n"));
        for (String yaml : rules) {
            String ruleId = yaml.substring(4, yaml.indexOf('\n')).trim();
            files.add(new PackFile("rules/" + ruleId + ".yaml", yaml));
        }
        return change(id, effective, new DeployPack("a test", files));
    }

    private void watermarks(Instant at) throws Exception {
        harness.controlWatermark(at.toEpochMilli());
        harness.processWatermark(at.toEpochMilli());
    }

    private void small(String account, String id, long seconds) throws Exception {
        process(event(account, id, TransactionType.CARD_PAYMENT, 100, seconds));
    }

    private static Transaction event(
            String account, String id, TransactionType type, long amountMinor, long seconds) {
        return payment(id)
                .account(account)
                .type(type)
                .amountMinor(amountMinor)
                .secondsAfterT0(seconds)
                .build();
    }

    private void process(Transaction t) throws Exception {
        harness.processElement(
                new EnrichedTransaction(t, ProfileFeatures.newBuilder().build()),
                t.getEventTime().toEpochMilli());
    }

    private static String matched(Alert alert) {
        return String.join(
                ",",
                alert.getMatchedEvents().stream().map(MatchedEvent::getTransactionId).toList());
    }
}

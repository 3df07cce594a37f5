package dev.argus.job.engine;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.RuleEngineOperator.Ordering;
import dev.argus.job.savepoint.States;
import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.MatchedEvent;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionType;
import dev.argus.rules.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rule engine in a RocksDB harness: its output, its one value and its one timer per account,
 * and what a restore with a changed pack keeps.
 */
class RuleEngineOperatorTest {
    /** Three small payments then a large one within ten minutes. */
    static final String BURST =
            rule(
                    "burst",
                    "10m",
                    "skip_past_last_event",
                    stage("small", "amount_minor <= 500", "3+", "")
                            + stage("large", "amount_minor >= 50000", "", "followed_by"));

    /** A login then a transfer within an hour. */
    static final String LOGIN_TRANSFER =
            rule(
                    "login-transfer",
                    "1h",
                    "skip_past_last_event",
                    stageOfType("login", "LOGIN", "")
                            + stageOfType("transfer", "TRANSFER", "followed_by"));

    private EngineHarness harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void alertsAndThenHoldsNothingForTheAccount() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.ARRIVAL, null);
        small("s1", 0);
        small("s2", 30);
        small("s3", 60);
        // partial matches in progress: one value and one timer, at the earliest window end
        assertAccountsAndTimers(1);
        big(90);

        assertOneAlertMatching("s1", "s2", "s3", "big");
        // skip_past_last_event dropped every partial match: the account holds nothing
        assertAccountsAndTimers(0);
    }

    @Test
    void aRuleTheEventCannotChangeIsNotLoadedAndItsSectionStaysAsItWas() throws Exception {
        harness = open(TestRules.pack(BURST, LOGIN_TRANSFER), Ordering.ARRIVAL, null);
        RuleEngineOperator engine = (RuleEngineOperator) harness.getOperator();
        small("s1", 0);
        byte[] before = accountValue().value();
        long steps = engine.ruleSteps();
        long skipped = engine.rulesSkipped();

        // not small: the burst waits in its loop of small payments, whose only edge for this
        // event is its own ignore; nor a login: the other rule cannot start
        process(event("transfer", TransactionType.TRANSFER, 20));

        assertThat(engine.rulesSkipped() - skipped).as("rules left alone").isEqualTo(2);
        assertThat(engine.ruleSteps()).as("rules stepped").isEqualTo(steps);
        assertThat(accountValue().value()).isEqualTo(before);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // a small payment does change it
        small("s2", 30);
        assertThat(engine.ruleSteps() - steps).isEqualTo(1);
        assertThat(accountValue().value()).isNotEqualTo(before);
    }

    @Test
    void arrivalOrderingJudgesAnEventOlderThanItsAccountAtTheAccountsTime() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.ARRIVAL, null);
        RuleEngineOperator engine = (RuleEngineOperator) harness.getOperator();
        small("s1", 0);
        small("s2", 30);
        small("s3", 60);
        assertThat(engine.outOfOrder()).isZero();

        // the large payment of 5 s arrives after the small ones: judged at 60 s, after them, it
        // completes the burst (in event time it came before them, and stock CEP would not alert)
        big(5);

        assertThat(engine.outOfOrder()).isEqualTo(1);
        // the alert lists its events in event-time order, as for every match
        assertOneAlertMatching("s1", "big", "s2", "s3");
    }

    @Test
    void anAccountWhosePartialMatchesExpiredHoldsNoState() throws Exception {
        harness = open(TestRules.pack(BURST, LOGIN_TRANSFER), Ordering.ARRIVAL, null);
        small("s1", 0);
        small("s2", 30);
        process(event("login", TransactionType.LOGIN, 40));
        assertAccountsAndTimers(1);

        // the burst's window ends first: one rule's matches expire, the other's stay
        harness.processWatermark(T0.plus(Duration.ofMinutes(11)).toEpochMilli());
        assertAccountsAndTimers(1);

        harness.processWatermark(T0.plus(Duration.ofMinutes(61)).toEpochMilli());
        assertThat(harness.extractOutputValues()).isEmpty();
        assertAccountsAndTimers(0);
    }

    @Test
    void eventTimeOrderingWaitsForTheWatermarkAndSortsByTime() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.EVENT_TIME, null);
        big(90);
        small("s3", 60);
        small("s1", 0);
        small("s2", 30);
        assertThat(harness.extractOutputValues()).isEmpty();
        // the events wait in memory: nothing is in state, no timer
        assertAccountsAndTimers(0);

        harness.processWatermark(T0.plusSeconds(90).toEpochMilli());
        assertOneAlertMatching("s1", "s2", "s3", "big");
        assertAccountsAndTimers(0);
    }

    @Test
    void eventTimeOrderingKeepsWaitingEventsInTheSnapshotAndGoesOnAfterARestore() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.EVENT_TIME, null);
        small("s1", 0);
        small("s2", 30);
        harness.processWatermark(T0.plusSeconds(40).toEpochMilli());
        // s1 and s2 are processed: a partial match, with a timer at its window's end
        assertAccountsAndTimers(1);
        small("s3", 60);
        big(90);

        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);
        // s3 and big are in the snapshot's waiting events, not in the account's value
        assertThat(waitingEvents()).isZero();
        assertAccountsAndTimers(1);

        restart(TestRules.pack(BURST), Ordering.EVENT_TIME, snapshot);
        harness.processWatermark(T0.plusSeconds(90).toEpochMilli());
        assertOneAlertMatching("s1", "s2", "s3", "big");
        assertAccountsAndTimers(0);
    }

    @Test
    void afterARestoreAnEventOlderThanItsAccountsTimeIsLateNotProcessed() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.EVENT_TIME, null);
        small("s1", 0);
        small("s2", 30);
        harness.processWatermark(T0.plusSeconds(40).toEpochMilli());
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);

        // a restored operator's watermark starts over, so s0 is not late on arrival; the
        // account's rules are at 40 s already, and flink-cep's time must not go back
        restart(TestRules.pack(BURST), Ordering.EVENT_TIME, snapshot);
        small("s0", 20);
        small("s3", 45);
        harness.processWatermark(T0.plusSeconds(50).toEpochMilli());
        assertThat(harness.getSideOutput(RuleEngineOperator.LATE))
                .singleElement()
                .satisfies(
                        r ->
                                assertThat(r.getValue().getTransaction().getTransactionId())
                                        .isEqualTo("s0"));
        big(60);
        harness.processWatermark(T0.plusSeconds(60).toEpochMilli());
        assertOneAlertMatching("s1", "s2", "s3", "big");
    }

    @Test
    void arrivalOrderingProcessesTheEventsAnEventTimeSnapshotLeftWaiting() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.EVENT_TIME, null);
        small("s1", 0);
        small("s2", 30);
        small("s3", 60);
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);

        restart(TestRules.pack(BURST), Ordering.ARRIVAL, snapshot);
        harness.processWatermark(T0.plusSeconds(70).toEpochMilli());
        big(90);
        assertOneAlertMatching("s1", "s2", "s3", "big");
    }

    @Test
    void eventTimeOrderingHandsEachWaitingEventToTheSubtaskThatOwnsItsAccountOnRescale()
            throws Exception {
        int maxParallelism = 128;
        harness = subtask(maxParallelism, 1, 0, null);
        int accounts = 20;
        for (int a = 0; a < accounts; a++) {
            for (int i = 1; i <= 3; i++) {
                process(
                        payment("s" + i + "-" + a)
                                .account("acc-" + a)
                                .amountMinor(100)
                                .secondsAfterT0(i * 10)
                                .build());
            }
            process(
                    payment("big-" + a)
                            .account("acc-" + a)
                            .amountMinor(75_000)
                            .secondsAfterT0(60)
                            .build());
        }
        // the first small payments are processed (partial matches in the accounts' values), the
        // rest wait in memory: the snapshot holds both
        harness.processWatermark(T0.plusSeconds(25).toEpochMilli());
        assertAccountsAndTimers(accounts);
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);
        harness.close();
        harness = null;

        List<String> alerted = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            var part =
                    subtask(
                            maxParallelism,
                            2,
                            subtask,
                            AbstractStreamOperatorTestHarness.repartitionOperatorState(
                                    snapshot, maxParallelism, 1, 2, subtask));
            part.processWatermark(T0.plusSeconds(60).toEpochMilli());
            List<String> own =
                    part.extractOutputValues().stream().map(Alert::getAccountId).toList();
            // each subtask alerts for its own accounts only, and for some
            for (String account : own) {
                int keyGroup = KeyGroupRangeAssignment.assignToKeyGroup(account, maxParallelism);
                assertThat(
                                KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup(
                                        maxParallelism, 2, keyGroup))
                        .isEqualTo(subtask);
            }
            assertThat(own).isNotEmpty();
            alerted.addAll(own);
            part.close();
        }
        // every account alerts once, on one subtask
        assertThat(alerted).hasSize(accounts).doesNotHaveDuplicates();
    }

    @Test
    void eventTimeOrderingMovesWaitingEventsIntoStateWhenTooManyWait() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.EVENT_TIME, null);
        int accounts = WaitingEvents.MAX / 4;
        for (int i = 0; i <= WaitingEvents.MAX; i++) {
            process(
                    payment("p" + i)
                            .account("acc-" + (i % accounts))
                            .amountMinor(100)
                            .secondsAfterT0(i / accounts)
                            .build());
        }
        // one event too many: all of them went into their accounts' values, a timer each
        assertThat(waitingEvents()).isEqualTo(4);
        assertAccountsAndTimers(accounts);
        harness.processWatermark(T0.plusSeconds(60).toEpochMilli());
        // processed: each account holds partial matches of its small payments, nothing waits
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(waitingEvents()).isZero();
        assertAccountsAndTimers(accounts);
    }

    @Test
    void eventTimeOrderingSendsEventsBehindTheWatermarkToTheLateOutput() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.EVENT_TIME, null);
        harness.processWatermark(T0.plusSeconds(100).toEpochMilli());
        small("s1", 50);
        assertThat(harness.getSideOutput(RuleEngineOperator.LATE)).hasSize(1);
        assertThat(accountsWithState()).isZero();
    }

    @Test
    void aRestoreWithAChangedPackKeepsUnchangedRulesAndDropsTheOthers() throws Exception {
        String removed =
                rule(
                        "logins",
                        "1h",
                        "no_skip",
                        stageOfType("a", "LOGIN", "") + stageOfType("b", "LOGIN", "followed_by"));
        harness = open(TestRules.pack(BURST, LOGIN_TRANSFER, removed), Ordering.ARRIVAL, null);
        small("s1", 0);
        small("s2", 30);
        small("s3", 60);
        process(event("login", TransactionType.LOGIN, 70));
        assertThat(sections()).containsExactlyInAnyOrder("burst", "login-transfer", "logins");
        OperatorSubtaskState snapshot = EngineDifferential.snapshot(harness);

        // the burst's threshold is tuned (same structure); login-transfer needs two logins now
        // (new structure); a third rule is new
        String tunedBurst = BURST.replace("amount_minor >= 50000", "amount_minor >= 40000");
        String changedLoginTransfer =
                rule(
                        "login-transfer",
                        "1h",
                        "skip_past_last_event",
                        stageOfType("login", "LOGIN", "")
                                + stageOfType("second_login", "LOGIN", "followed_by")
                                + stageOfType("transfer", "TRANSFER", "followed_by"));
        String added =
                rule(
                        "transfer-only",
                        "1h",
                        "no_skip",
                        stageOfType("a", "TRANSFER", "")
                                + stageOfType("b", "TRANSFER", "followed_by"));
        List<Rule> changed = TestRules.pack(tunedBurst, changedLoginTransfer, added);
        assertThat(changed.get(0).fingerprint()).isEqualTo(TestRules.compile(BURST).fingerprint());
        restart(changed, Ordering.ARRIVAL, snapshot);
        // until the account is touched, its value is as it was
        assertThat(sections()).containsExactlyInAnyOrder("burst", "login-transfer", "logins");

        process(payment("big").account("acc-1").amountMinor(45_000).secondsAfterT0(90).build());
        process(event("transfer", TransactionType.TRANSFER, 100));
        process(event("transfer2", TransactionType.TRANSFER, 110));

        assertThat(harness.extractOutputValues())
                .extracting(a -> EngineDifferential.line(a))
                .containsExactlyInAnyOrder(
                        // kept its partial match across the restore, and alerts at the new
                        // threshold
                        "burst | small:s1, small:s2, small:s3, large:big",
                        // the new rule starts with the events after the restore
                        "transfer-only | a:transfer, b:transfer2");
        // login-transfer started clean: its old partial match (login) is gone, so no alert;
        // the removed rule's partial match is gone with it
        // and the burst, having alerted, holds nothing either
        assertThat(sections()).containsExactly("transfer-only");
    }

    /**
     * A card payment, then a transfer of more than ten times its amount within an hour: the shape
     * of impossible travel, whose second event completes a match with one earlier event and not
     * with another.
     */
    static String tenfold(String skip) {
        return rule(
                "tenfold",
                "1h",
                skip,
                stageOfType("first", "CARD_PAYMENT", "")
                        + "  - stage: second\n    follows: followed_by\n    where: \"txn.type =="
                        + " 'TRANSFER' && txn.amount.amount_minor >"
                        + " matched.first[0].amount.amount_minor * 10\"\n");
    }

    /**
     * Card payments p1 (500.00, 0 s) and p2 (1.00, 60 s), then a transfer of 50.00 (120 s): more
     * than ten times p2, not p1, so the match of p2 completes and p1's partial match goes on.
     */
    private void cardsThenTenfoldTransfer() throws Exception {
        process(payment("p1").account("acc-1").amountMinor(50_000).secondsAfterT0(0).build());
        process(payment("p2").account("acc-1").amountMinor(100).secondsAfterT0(60).build());
        process(
                payment("transfer")
                        .account("acc-1")
                        .type(TransactionType.TRANSFER)
                        .amountMinor(5_000)
                        .secondsAfterT0(120)
                        .build());
    }

    @Test
    void aMatchWaitsForAnEarlierPartialMatchAsInFlinkCepAndItsHoldIsCounted() throws Exception {
        harness = open(TestRules.pack(tenfold("skip_past_last_event")), Ordering.ARRIVAL, null);
        RuleEngineOperator engine = (RuleEngineOperator) harness.getOperator();
        cardsThenTenfoldTransfer();

        // skip_past_last_event: the match that started later waits for p1's to end
        assertThat(harness.extractOutputValues()).isEmpty();
        assertThat(engine.matchesHeld()).isZero();

        // p1's partial match leaves its hour: the held match goes out, an hour late
        harness.processWatermark(T0.plus(Duration.ofMinutes(61)).toEpochMilli());
        assertOneAlertMatching("p2", "transfer");
        assertThat(engine.matchesHeld()).isEqualTo(1);
        assertThat(engine.matchHolds("tenfold").getStatistics().getValues())
                .containsExactly(Duration.ofMinutes(61).minusSeconds(120).toMillis());
    }

    @Test
    void withoutASkipStrategyTheSameMatchGoesOutAtOnce() throws Exception {
        harness = open(TestRules.pack(tenfold("no_skip")), Ordering.ARRIVAL, null);
        RuleEngineOperator engine = (RuleEngineOperator) harness.getOperator();
        cardsThenTenfoldTransfer();

        assertOneAlertMatching("p2", "transfer");
        assertThat(engine.matchesHeld()).isZero();
        assertThat(engine.matchHolds("tenfold").getCount()).isZero();
    }

    @Test
    void theCapDropsARulesPartialMatchesForTheAccountAndCountsThem() throws Exception {
        String pile =
                rule(
                        "pile",
                        "1h",
                        "no_skip",
                        stageOfType("a", "CARD_PAYMENT", "")
                                + stageOfType("b", "TRANSFER", "followed_by_any"));
        harness = EngineDifferential.openEngine(TestRules.pack(pile), Ordering.ARRIVAL, 3, null);
        small("s1", 0);
        small("s2", 10);
        small("s3", 20);
        assertThat(sections()).containsExactly("pile");
        // a fourth partial match is one too many: the rule starts over for the account
        small("s4", 30);
        assertThat(sections()).isEmpty();
        assertAccountsAndTimers(0);
        small("s5", 40);
        process(event("transfer", TransactionType.TRANSFER, 50));
        assertThat(harness.extractOutputValues())
                .extracting(a -> EngineDifferential.line(a))
                .containsExactly("pile | a:s5, b:transfer");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void readsTheValueLayoutsOfEarlierReleasesAndContinuesTheirPartialMatches(int format)
            throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.ARRIVAL, null);
        List<EnrichedTransaction> smalls =
                List.of(smallEvent("s1", 0), smallEvent("s2", 30), smallEvent("s3", 60));
        for (EnrichedTransaction e : smalls) {
            harness.processElement(e, e.getTransaction().getEventTime().toEpochMilli());
        }
        // the account's value as an earlier release wrote it: flink-cep's own NFA state and shared
        // buffer in the section (format 2), and in format 1 without the values' lengths
        var value = accountValue();
        Rule burst = TestRules.pack(BURST).get(0);
        FlinkNfaRunner runner =
                new FlinkNfaRunner(
                        burst,
                        ((RuleEngineOperator) harness.getOperator()).getRuntimeContext(),
                        new EventSerializer());
        runner.reset();
        for (EnrichedTransaction e : smalls) {
            long ts = e.getTransaction().getEventTime().toEpochMilli();
            runner.advanceTime(ts);
            runner.process(e, ts);
        }
        byte[] earlier =
                secondFormat(
                        value.value(),
                        AccountValue.sectionKey(burst),
                        runner.save(new DataOutputSerializer(256)));
        value.update(format == 1 ? toFirstFormat(earlier, runner) : earlier);
        assertThat(new DataInputDeserializer(value.value()).readInt()).isEqualTo(format);

        big(90);

        assertThat(harness.extractOutputValues())
                .extracting(a -> EngineDifferential.line(a))
                .containsExactly("burst | small:s1, small:s2, small:s3, large:big");
        assertThat(value.value()).as("the match ended the account's partial matches").isNull();
        runner.close();
    }

    /**
     * {@link StoredAccounts}, what {@code argus state inspect} reads a value with: a section of
     * today's layout read with its rule and without it (a rule the pack no longer has) gives the
     * same partial matches and deadline, and the deadline is the account's timer.
     */
    @Test
    void storedAccountsReadAValueWithItsRulesAndWithout() throws Exception {
        harness = open(TestRules.pack(BURST), Ordering.ARRIVAL, null);
        small("s1", 0);
        small("s2", 30);
        byte[] value = accountValue().value();
        var context = ((RuleEngineOperator) harness.getOperator()).getRuntimeContext();
        StoredAccounts.Account withRule;
        StoredAccounts.Account without;
        try (StoredAccounts reader = new StoredAccounts(TestRules.pack(BURST), context)) {
            withRule = reader.read(value);
        }
        try (StoredAccounts reader = new StoredAccounts(List.of(), context)) {
            without = reader.read(value);
        }
        assertThat(withRule.format()).isEqualTo(StoredAccounts.FORMAT);
        assertThat(withRule.sections())
                .singleElement()
                .satisfies(
                        s -> {
                            assertThat(s.ruleId()).isEqualTo("burst");
                            assertThat(s.ofRule()).isTrue();
                            assertThat(s.partialMatches()).isPositive();
                            assertThat(s.deadline()).isEqualTo(withRule.timer());
                        });
        assertThat(without.sections())
                .singleElement()
                .satisfies(
                        s -> {
                            assertThat(s.ofRule()).isFalse();
                            assertThat(s.partialMatches())
                                    .isEqualTo(withRule.sections().get(0).partialMatches());
                            assertThat(s.deadline())
                                    .isEqualTo(withRule.sections().get(0).deadline());
                            assertThat(s.bytes()).isEqualTo(withRule.sections().get(0).bytes());
                        });
    }

    /** A value of today's layout with no waiting events, as format 2 with one section. */
    private static byte[] secondFormat(byte[] value, String sectionKey, byte[] section)
            throws Exception {
        DataInputDeserializer in = new DataInputDeserializer(value);
        DataOutputSerializer out = new DataOutputSerializer(value.length);
        assertThat(in.readInt()).isEqualTo(AccountValue.FORMAT);
        out.writeInt(2);
        out.writeLong(in.readLong()); // clock
        out.writeLong(in.readLong()); // timer
        assertThat(in.readInt()).as("waiting events").isZero();
        out.writeInt(0);
        out.writeInt(1);
        out.writeUTF(sectionKey);
        out.writeInt(section.length);
        out.write(section);
        return out.getCopyOfBuffer();
    }

    /**
     * The value in format 1: the same, except that shared-buffer values, and the events inside
     * them, had no length before them.
     */
    private static byte[] toFirstFormat(byte[] value, FlinkNfaRunner runner) throws Exception {
        DataInputDeserializer in = new DataInputDeserializer(value);
        DataOutputSerializer out = new DataOutputSerializer(value.length);
        assertThat(in.readInt()).isEqualTo(2);
        out.writeInt(1);
        out.writeLong(in.readLong());
        out.writeLong(in.readLong());
        int waiting = in.readInt();
        out.writeInt(waiting);
        for (int n = waiting; n > 0; n--) {
            out.writeLong(in.readLong());
            out.writeLong(in.readLong());
            byte[] event = new byte[in.readInt()];
            in.readFully(event);
            out.writeInt(event.length);
            out.write(event);
        }
        int sections = in.readInt();
        out.writeInt(sections);
        for (int n = sections; n > 0; n--) {
            out.writeUTF(in.readUTF());
            byte[] section = new byte[in.readInt()];
            in.readFully(section);
            DataInputDeserializer s = new DataInputDeserializer(section);
            DataOutputSerializer old = new DataOutputSerializer(section.length);
            var nfaState = new org.apache.flink.cep.nfa.NFAStateSerializer();
            nfaState.serialize(nfaState.deserialize(s), old);
            for (PerKeyMapStore.Registered map : runner.store().maps()) {
                old.writeUTF(s.readUTF());
                int entries = s.readInt();
                old.writeInt(entries);
                for (int e = entries; e > 0; e--) {
                    map.keySerializer().serialize(map.keySerializer().deserialize(s), old);
                    byte[] v = new byte[s.readInt()];
                    s.readFully(v);
                    if (map.name().equals("sharedBuffer-events")) {
                        // a lock count, then the event: without its length in format 1
                        old.write(v, 0, 4);
                        old.write(v, 8, v.length - 8);
                    } else {
                        old.write(v);
                    }
                }
            }
            out.writeInt(old.length());
            out.write(old.getCopyOfBuffer());
        }
        return out.getCopyOfBuffer();
    }

    private org.apache.flink.api.common.state.ValueState<byte[]> accountValue() throws Exception {
        harness.getOperator().setCurrentKey("acc-1");
        return harness.getOperator()
                .getKeyedStateBackend()
                .getPartitionedState(
                        org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                        States.ruleEngineAccounts());
    }

    /** How many events wait in acc-1's value for the watermark. */
    private int waitingEvents() throws Exception {
        byte[] value = accountValue().value();
        return value == null ? 0 : AccountValue.waitingEvents(value);
    }

    /** How many accounts hold a value, and that each holds exactly one timer. */
    private void assertAccountsAndTimers(int accounts) throws Exception {
        assertThat(accountsWithState()).isEqualTo(accounts);
        assertThat(harness.numEventTimeTimers()).isEqualTo(accounts);
    }

    private void assertOneAlertMatching(String... transactionIds) {
        assertThat(harness.extractOutputValues())
                .singleElement()
                .satisfies(
                        a ->
                                assertThat(a.getMatchedEvents())
                                        .extracting(MatchedEvent::getTransactionId)
                                        .containsExactly(transactionIds));
    }

    /** The rule ids of the sections in the account's value. */
    private List<String> sections() throws Exception {
        harness.getOperator().setCurrentKey("acc-1");
        byte[] value =
                harness.getOperator()
                        .getKeyedStateBackend()
                        .getPartitionedState(
                                org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                                org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE,
                                States.ruleEngineAccounts())
                        .value();
        return AccountValue.sectionKeys(value).stream()
                .map(k -> k.substring(0, k.indexOf('@')))
                .toList();
    }

    private long accountsWithState() {
        return dev.argus.job.RocksDbHarness.keysWithState(harness, States.RULE_ENGINE);
    }

    private void small(String id, long seconds) throws Exception {
        EnrichedTransaction e = smallEvent(id, seconds);
        harness.processElement(e, e.getTransaction().getEventTime().toEpochMilli());
    }

    private static EnrichedTransaction smallEvent(String id, long seconds) {
        return new EnrichedTransaction(
                payment(id).account("acc-1").amountMinor(100).secondsAfterT0(seconds).build(),
                ProfileFeatures.newBuilder().build());
    }

    /** The burst's large payment, "big", on acc-1. */
    private void big(long seconds) throws Exception {
        process(
                payment("big")
                        .account("acc-1")
                        .amountMinor(75_000)
                        .secondsAfterT0(seconds)
                        .build());
    }

    private static Transaction event(String id, TransactionType type, long seconds) {
        return payment(id)
                .account("acc-1")
                .type(type)
                .amountMinor(100_000)
                .secondsAfterT0(seconds)
                .build();
    }

    private void process(Transaction t) throws Exception {
        harness.event(
                new StreamRecord<>(
                        new EnrichedTransaction(t, ProfileFeatures.newBuilder().build()),
                        t.getEventTime().toEpochMilli()));
    }

    /** Closes the harness and opens a new one restored from {@code snapshot}: a restarted job. */
    private void restart(List<Rule> rules, Ordering ordering, OperatorSubtaskState snapshot)
            throws Exception {
        harness.close();
        harness = open(rules, ordering, snapshot);
    }

    /** One subtask of the engine with the burst rule, on RocksDB, restored from {@code restore}. */
    private static EngineHarness subtask(
            int maxParallelism, int parallelism, int index, OperatorSubtaskState restore)
            throws Exception {
        return EngineHarness.open(
                new RuleEngineOperator(
                        TestRules.pack(BURST), Ordering.EVENT_TIME, Integer.MAX_VALUE),
                maxParallelism,
                parallelism,
                index,
                restore,
                false);
    }

    private static EngineHarness open(
            List<Rule> rules, Ordering ordering, OperatorSubtaskState restore) throws Exception {
        return EngineDifferential.openEngine(rules, ordering, restore);
    }

    static String rule(String id, String within, String skip, String stages) {
        return "id: "
                + id
                + "\nversion: 1\ntitle: "
                + id
                + "\nowner: tests\nseverity: low\nscore: 1\nmode: enforce\n"
                + "explanation: \"{{ txn.transaction_id }}\"\nwithin: "
                + within
                + "\nskip: "
                + skip
                + "\npattern:\n"
                + stages;
    }

    static String stage(String name, String amountCondition, String times, String follows) {
        return "  - stage: "
                + name
                + "\n"
                + (follows.isEmpty() ? "" : "    follows: " + follows + "\n")
                + "    where: \"txn.type == 'CARD_PAYMENT' && txn.amount."
                + amountCondition
                + "\"\n"
                + (times.isEmpty() ? "" : "    times: " + times + "\n    greedy: true\n");
    }

    static String stageOfType(String name, String type, String follows) {
        return "  - stage: "
                + name
                + "\n"
                + (follows.isEmpty() ? "" : "    follows: " + follows + "\n")
                + "    where: \"txn.type == '"
                + type
                + "'\"\n";
    }
}

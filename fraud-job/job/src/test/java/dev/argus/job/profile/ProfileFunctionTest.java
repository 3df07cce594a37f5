package dev.argus.job.profile;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.argus.job.ControlChanges;
import dev.argus.job.RocksDbHarness;
import dev.argus.job.savepoint.States;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.ProfileState;
import dev.argus.model.RuleMode;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionBuilder;
import dev.argus.model.TransactionStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The profile operator on RocksDB: the features it emits (as they were before each event), the
 * state it keeps, its timers, and what survives a snapshot and restore.
 */
class ProfileFunctionTest {
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final int MAX_SEEN = 8;

    private KeyedTwoInputStreamOperatorTestHarness<
                    String, Transaction, ControlChange, Either<EnrichedTransaction, ControlChange>>
            harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void anAccountNeverSeenStartsFromTheSchemasDefaults() {
        // empty() skips Avro's builder for speed: it must give what the builder gives
        ProfileState byBuilder =
                ProfileState.newBuilder()
                        .setAmounts1h(AccountProfile.buckets(5 * 60_000L, 3_600_000L))
                        .setAmounts24h(AccountProfile.buckets(3_600_000L, 86_400_000L))
                        .setAmounts7d(AccountProfile.buckets(6 * 3_600_000L, 7 * 86_400_000L))
                        .setDeclines1h(AccountProfile.buckets(5 * 60_000L, 3_600_000L))
                        .build();
        assertThat(AccountProfile.empty()).isEqualTo(byBuilder);
        assertThat(AccountProfile.buckets(60_000L, 3_600_000L))
                .isEqualTo(
                        dev.argus.model.Buckets.newBuilder()
                                .setBucketMillis(60_000L)
                                .setWindowMillis(3_600_000L)
                                .build());
    }

    @Test
    void emitsTheFeaturesAsTheyWereBeforeEachEvent() throws Exception {
        harness = open(null);
        ProfileFeatures first = process(at(0).amount("20.00", "EUR").build());
        assertThat(first.getEventCount()).isZero();
        assertThat(first.getNewDevice()).isTrue();
        assertThat(first.getDeviceFirstSeen()).isZero();
        assertThat(first.getCount1h()).isZero();
        assertThat(first.getDaysSinceLastEvent()).isEqualTo(-1.0);
        assertThat(first.getFirstSeen()).isZero();

        ProfileFeatures second = process(at(600).amount("30.00", "EUR").build());
        assertThat(second.getEventCount()).isEqualTo(1);
        assertThat(second.getNewDevice()).isFalse();
        assertThat(second.getDeviceFirstSeen()).isEqualTo(T0.toEpochMilli());
        assertThat(second.getNewMerchant()).isFalse();
        assertThat(second.getCount1h()).isEqualTo(1);
        assertThat(second.getSum1h()).isEqualTo(2000);
        assertThat(second.getFirstSeen()).isEqualTo(T0.toEpochMilli());
        assertThat(second.getLastEventTime()).isEqualTo(T0.toEpochMilli());
        assertThat(second.getDaysSinceLastEvent()).isCloseTo(600.0 / 86_400, within(1e-9));
        assertThat(second.getAccountAgeDays()).isCloseTo(600.0 / 86_400, within(1e-9));
        assertThat(second.getAmountMean()).isEqualTo(2000.0);
    }

    @Test
    void countsAndSumsOverBucketedSlidingWindows() throws Exception {
        harness = open(null);
        process(at(0).amount("10.00", "EUR").build());
        process(at(1800).amount("20.00", "EUR").build());
        process(at(2 * 3600).amount("40.00", "EUR").build());
        process(at(0).status(TransactionStatus.DECLINED).secondsAfterT0(2 * 3600 + 60).build());
        ProfileFeatures f = process(at(3 * 3600 + 60).amount("1.00", "EUR").build());
        // 1 h: only the 2 h event's 5-minute bucket overlaps (2:00:00 .. 3:01:00]; declined
        // payments are not spending
        assertThat(f.getCount1h()).isEqualTo(1);
        assertThat(f.getSum1h()).isEqualTo(4000);
        assertThat(f.getDeclines1h()).isEqualTo(1);
        assertThat(f.getCount24h()).isEqualTo(3);
        assertThat(f.getSum24h()).isEqualTo(7000);

        ProfileFeatures later = process(at(3 * 86_400).amount("1.00", "EUR").build());
        assertThat(later.getCount24h()).isZero();
        assertThat(later.getCount7d()).isEqualTo(4);
        assertThat(later.getSum7d()).isEqualTo(7100);
        ProfileFeatures muchLater = process(at(9 * 86_400).amount("1.00", "EUR").build());
        assertThat(muchLater.getCount7d()).isEqualTo(1);
    }

    @Test
    void scoresAnAmountAgainstTheAccountsUsualSpending() throws Exception {
        harness = open(null);
        String[] usual = {"20.00", "25.00", "18.00", "22.00", "30.00", "19.00", "24.00", "21.00"};
        for (int i = 0; i < usual.length; i++) {
            process(at(i * 3600L).amount(usual[i], "EUR").build());
        }
        ProfileFeatures f =
                process(at(10 * 3600).amount("900.00", "EUR").deviceId("dev-new").build());
        assertThat(f.getAmountCount()).isEqualTo(8);
        assertThat(f.getAmountMean()).isCloseTo(2237.5, within(1e-6));
        assertThat(f.getAmountStddev()).isCloseTo(363.79, within(0.01));
        assertThat(f.getAmountZscore()).isGreaterThan(4);
        assertThat(f.getNewDevice()).isTrue();
    }

    @Test
    void measuresTravelFromTheLastCardPresentPlaceAndCountsCountries() throws Exception {
        harness = open(null);
        process(at(0).location(48.8566, 2.3522, "FR").cardPresent().build());
        ProfileFeatures london = process(at(3600).location(51.5074, -0.1278, "GB").build());
        assertThat(london.getTravelSpeedKmh()).isCloseTo(344, within(3.0));
        assertThat(london.getNewCountry()).isTrue();
        assertThat(london.getLastLocation().getCountry()).isEqualTo("FR");
        assertThat(london.getDistinctCountries24h()).isEqualTo(1);
        ProfileFeatures third = process(at(7200).location(48.8566, 2.3522, "FR").build());
        assertThat(third.getNewCountry()).isFalse();
        assertThat(third.getCountryFirstSeen()).isEqualTo(T0.toEpochMilli());
        assertThat(third.getDistinctCountries24h()).isEqualTo(2);
    }

    @Test
    void forgetsAnAccountThatStaysQuietLongerThanTheRetention() throws Exception {
        harness = open(null);
        process(at(0).build());
        assertThat(accountsWithState()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // activity moves the expiry, not the timer: still exactly one timer, at the first expiry
        process(at(5 * 86_400).build());
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // at the first expiry the account was active since: it is kept, the timer set again
        harness.processWatermark1(new Watermark(T0.plus(Duration.ofDays(31)).toEpochMilli()));
        assertThat(accountsWithState()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark1(new Watermark(T0.plus(Duration.ofDays(5 + 29)).toEpochMilli()));
        assertThat(accountsWithState()).isEqualTo(1);

        harness.processWatermark1(new Watermark(T0.plus(Duration.ofDays(5 + 31)).toEpochMilli()));
        assertThat(accountsWithState()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();

        // it comes back as a new account
        ProfileFeatures back = process(at(40 * 86_400).build());
        assertThat(back.getEventCount()).isZero();
        assertThat(back.getDaysSinceLastEvent()).isEqualTo(-1.0);
    }

    @Test
    void keepsTheStateOfOneAccountBoundedUnderALongBurst() throws Exception {
        harness = open(null);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            // every event brings a new device, IP, merchant and payee
            process(
                    payment("t" + i)
                            .secondsAfterT0(i * 120L)
                            .amount("12.00", "EUR")
                            .deviceId("dev-" + i)
                            .merchant("m-" + i, String.valueOf(5000 + i % 1000))
                            .ipAddress("10.0." + (i / 250) + "." + (i % 250))
                            .counterparty("p-" + i)
                            .build());
            // the 7-day window is full after 5,040 events two minutes apart
            if (i == 5_999 || i == 9_999) {
                sizes.add(serializedSize(state("acc-1")));
            }
        }
        ProfileState s = state("acc-1");
        assertThat(s.getDevices()).hasSize(MAX_SEEN);
        assertThat(s.getIps()).hasSize(MAX_SEEN);
        assertThat(s.getMerchants()).hasSize(MAX_SEEN);
        assertThat(s.getMccs()).hasSize(MAX_SEEN);
        assertThat(s.getPayees()).hasSize(MAX_SEEN);
        // the most recent ones are kept
        assertThat(s.getDevices()).containsKey("dev-9999");
        assertThat(sizes.get(1)).isLessThanOrEqualTo(sizes.get(0) + 64).isLessThan(4_096);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
    }

    @Test
    void continuesWithIdenticalFeaturesAfterASnapshotAndRestoreOnRocksDb() throws Exception {
        List<Transaction> events = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            events.add(
                    payment("t" + i)
                            .account("acc-" + (i % 3))
                            .secondsAfterT0(i * 1_000L)
                            .amount((10 + i % 7) + ".00", "EUR")
                            .deviceId("dev-" + (i % 5))
                            .location(48 + i % 4, 2 + i % 3, i % 2 == 0 ? "FR" : "DE")
                            .build());
        }
        harness = open(null);
        List<EnrichedTransaction> uninterrupted = new ArrayList<>();
        for (Transaction t : events) {
            uninterrupted.add(processRecord(t));
        }
        harness.close();

        harness = open(null);
        List<EnrichedTransaction> restored = new ArrayList<>();
        for (Transaction t : events.subList(0, 30)) {
            restored.add(processRecord(t));
        }
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot);
        assertThat(harness.numEventTimeTimers()).isEqualTo(3);
        for (Transaction t : events.subList(30, 60)) {
            restored.add(processRecord(t));
        }
        assertThat(restored).isEqualTo(uninterrupted);
    }

    /** Features are made without Avro's builder: they must start from the schema's defaults. */
    @Test
    void blankFeaturesHaveTheSchemasDefaults() {
        assertThat(AccountProfile.blankFeatures()).isEqualTo(ProfileFeatures.newBuilder().build());
    }

    @Test
    void passesTheControlChangesOnAmongTheEventsWithTheLowerWatermark() throws Exception {
        harness = open(null, true);
        ControlChange change =
                ControlChanges.ruleMode(
                        "cmd-1", T0.plusSeconds(30), "card-testing", RuleMode.SHADOW);
        processRecord(at(0).build());
        harness.processElement2(new StreamRecord<>(change, T0.plusSeconds(30).toEpochMilli()));
        processRecord(at(60).build());

        List<Either<EnrichedTransaction, ControlChange>> out = harness.extractOutputValues();
        assertThat(out).extracting(Either::isLeft).containsExactly(true, false, true);
        assertThat(out.get(1).right()).isEqualTo(change);
        // the rule engine reads the state of no account for a change
        assertThat(ProfileFunction.ACCOUNT.getKey(out.get(1))).isEmpty();
        assertThat(ProfileFunction.ACCOUNT.getKey(out.get(2))).isEqualTo("acc-1");

        // the engine waits for the changes of a time: the lower of the two watermarks goes on
        harness.processWatermark1(new Watermark(T0.plusSeconds(60).toEpochMilli()));
        assertThat(harness.getOutput()).noneMatch(Watermark.class::isInstance);
        harness.processWatermark2(new Watermark(T0.plusSeconds(40).toEpochMilli()));
        assertThat(harness.getOutput())
                .filteredOn(Watermark.class::isInstance)
                .containsExactly(new Watermark(T0.plusSeconds(40).toEpochMilli()));
    }

    private static TransactionBuilder at(long secondsAfterT0) {
        return payment("t" + secondsAfterT0).secondsAfterT0(secondsAfterT0);
    }

    private ProfileFeatures process(Transaction t) throws Exception {
        return processRecord(t).getProfile();
    }

    private EnrichedTransaction processRecord(Transaction t) throws Exception {
        int before = events().size();
        harness.processElement1(new StreamRecord<>(t, t.getEventTime().toEpochMilli()));
        List<EnrichedTransaction> out = events();
        assertThat(out).hasSize(before + 1);
        EnrichedTransaction e = out.get(out.size() - 1);
        assertThat(e.getTransaction()).isEqualTo(t);
        return e;
    }

    /** The events the profile emitted so far, without the control changes among them. */
    private List<EnrichedTransaction> events() {
        return harness.extractOutputValues().stream()
                .filter(Either::isLeft)
                .map(Either::left)
                .toList();
    }

    /** Accounts with a profile in RocksDB (the harness counts entries of heap backends only). */
    private long accountsWithState() {
        return RocksDbHarness.keysWithState(harness, States.PROFILE);
    }

    private ProfileState state(String account) throws Exception {
        KeyedStateBackend<String> backend = harness.getOperator().getKeyedStateBackend();
        backend.setCurrentKey(account);
        ValueState<ProfileState> state =
                backend.getPartitionedState(
                        VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, States.profile());
        return state.value();
    }

    static int serializedSize(ProfileState s) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        new AvroSerializer<>(ProfileState.class).serialize(s, out);
        return out.length();
    }

    /**
     * The profile as the job runs it, on RocksDB: events keyed by account on the first input, the
     * control changes on the second, which has ended unless {@code control}.
     */
    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, Transaction, ControlChange, Either<EnrichedTransaction, ControlChange>>
            open(OperatorSubtaskState restoreFrom, boolean control) throws Exception {
        var h =
                new KeyedTwoInputStreamOperatorTestHarness<
                        String,
                        Transaction,
                        ControlChange,
                        Either<EnrichedTransaction, ControlChange>>(
                        new CoBroadcastWithKeyedOperator<>(
                                new ProfileFunction(new AccountProfile(MAX_SEEN), RETENTION),
                                List.of()),
                        Transaction::getAccountId,
                        null,
                        Types.STRING);
        h.setup(ProfileFunction.OUTPUT.createSerializer(new SerializerConfigImpl()));
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
        if (restoreFrom != null) {
            h.initializeState(restoreFrom);
        }
        h.open();
        if (!control) {
            h.processWatermark2(Watermark.MAX_WATERMARK);
        }
        return h;
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, Transaction, ControlChange, Either<EnrichedTransaction, ControlChange>>
            open(OperatorSubtaskState restoreFrom) throws Exception {
        return open(restoreFrom, false);
    }
}

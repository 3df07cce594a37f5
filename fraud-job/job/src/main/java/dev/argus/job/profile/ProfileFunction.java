package dev.argus.job.profile;

import dev.argus.job.savepoint.States;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.ProfileState;
import dev.argus.model.Transaction;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;

/**
 * Keeps each account's {@link ProfileState} in keyed state (one RocksDB value per account, Avro
 * serialized, so it can evolve across savepoints) and emits every event with the account's features
 * as they were before it, then updates the profile.
 *
 * <p>One event-time timer per account clears the state of an account that has gone quiet: state
 * does not grow with the number of accounts ever seen. It is set at the account's first event, to
 * the event's time plus the retention rounded up to a day, and is not moved by later events: moving
 * it cost a timer deletion and registration in RocksDB for every event that crossed a day of its
 * expiry (4% of the job's CPU in a profile of docs/performance.md's history). When it fires for an
 * account that was active since, it is set again, to the expiry of the account's last event; so it
 * fires about once per retention period of an active account, and an account is forgotten at the
 * same day as before. (Savepoints of earlier versions hold one timer per account at its expiry,
 * which this reads the same way.)
 *
 * <p>The control changes (broadcast) come in on the second input and go out unchanged, in the order
 * they arrive among the events: so the rule engine, which needs them too, has one input and is
 * chained to the profile. The events then pass to it by reference instead of being encoded and
 * decoded again (14% of the job's CPU in a profile of docs/performance.md's history, before it was
 * chained). The output's watermark is the lower of the two inputs': the engine's, as when the
 * changes came to it directly. Its keyed state and timers are those of the one-input {@code
 * KeyedProcessOperator} this function was before, so savepoints of earlier versions restore into
 * it.
 */
public final class ProfileFunction
        extends KeyedBroadcastProcessFunction<
                String, Transaction, ControlChange, Either<EnrichedTransaction, ControlChange>> {
    private static final long serialVersionUID = 1L;

    /** The output: each event with its account's features, or a control change passed on. */
    public static final TypeInformation<Either<EnrichedTransaction, ControlChange>> OUTPUT =
            new EitherTypeInfo<>(
                    new AvroTypeInfo<>(EnrichedTransaction.class),
                    new AvroTypeInfo<>(ControlChange.class));

    /**
     * The output's key: an event's account. A control change is for every account and has none; its
     * key is empty, and the engine reads no keyed state for it.
     */
    public static final KeySelector<Either<EnrichedTransaction, ControlChange>, String> ACCOUNT =
            e -> e.isLeft() ? e.left().getTransaction().getAccountId() : "";

    private final AccountProfile profile;
    private final Duration retention;
    private transient ValueState<ProfileState> state;
    private transient Counter expired;

    public ProfileFunction(AccountProfile profile, Duration retention) {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("profile.retention must be positive");
        }
        this.profile = profile;
        this.retention = retention;
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(States.profile());
        expired =
                getRuntimeContext()
                        .getMetricGroup()
                        .addGroup("argus")
                        .addGroup("profile")
                        .counter("expired_accounts");
    }

    @Override
    public void processElement(
            Transaction t,
            ReadOnlyContext ctx,
            Collector<Either<EnrichedTransaction, ControlChange>> out)
            throws Exception {
        ProfileState s = state.value();
        boolean first = s == null;
        if (first) {
            s = AccountProfile.empty();
        }
        ProfileFeatures features = profile.features(s, t);
        out.collect(Either.Left(new EnrichedTransaction(t, features)));
        profile.update(s, t);
        state.update(s);
        if (first) {
            // an account with state has one timer, at or before its expiry: see onTimer
            ctx.timerService()
                    .registerEventTimeTimer(AccountProfile.expiry(s.getLastEventTime(), retention));
        }
    }

    /** A control change, passed on to the rule engine. */
    @Override
    public void processBroadcastElement(
            ControlChange change,
            Context ctx,
            Collector<Either<EnrichedTransaction, ControlChange>> out) {
        out.collect(Either.Right(change));
    }

    @Override
    public void onTimer(
            long timestamp,
            OnTimerContext ctx,
            Collector<Either<EnrichedTransaction, ControlChange>> out)
            throws Exception {
        ProfileState s = state.value();
        if (s == null) {
            return;
        }
        long expiry = AccountProfile.expiry(s.getLastEventTime(), retention);
        if (expiry <= timestamp) {
            state.clear();
            expired.inc();
        } else {
            ctx.timerService().registerEventTimeTimer(expiry); // active since: wait again
        }
    }
}

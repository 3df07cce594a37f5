package dev.argus.job.profile;

import dev.argus.job.savepoint.States;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.ProfileState;
import dev.argus.model.Transaction;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
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
 * expiry (4% of the job's CPU in the profile of docs/performance.md). When it fires for an account
 * that was active since, it is set again, to the expiry of the account's last event; so it fires
 * about once per retention period of an active account, and an account is forgotten at the same day
 * as before. (Savepoints of earlier versions hold one timer per account at its expiry, which this
 * reads the same way.)
 */
public final class ProfileFunction
        extends KeyedProcessFunction<String, Transaction, EnrichedTransaction> {
    private static final long serialVersionUID = 1L;

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
    public void processElement(Transaction t, Context ctx, Collector<EnrichedTransaction> out)
            throws Exception {
        ProfileState s = state.value();
        boolean first = s == null;
        if (first) {
            s = AccountProfile.empty();
        }
        ProfileFeatures features = profile.features(s, t);
        out.collect(new EnrichedTransaction(t, features));
        profile.update(s, t);
        state.update(s);
        if (first) {
            // an account with state has one timer, at or before its expiry: see onTimer
            ctx.timerService()
                    .registerEventTimeTimer(AccountProfile.expiry(s.getLastEventTime(), retention));
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<EnrichedTransaction> out)
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

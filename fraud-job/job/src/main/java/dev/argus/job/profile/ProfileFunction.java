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
 * <p>One event-time timer per account, at the last event time plus the retention rounded up to a
 * day, clears the state of an account that has gone quiet: state does not grow with the number of
 * accounts ever seen.
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
        long previousExpiry = -1;
        if (s == null) {
            s = AccountProfile.empty();
        } else {
            previousExpiry = AccountProfile.expiry(s.getLastEventTime(), retention);
        }
        ProfileFeatures features = profile.features(s, t);
        out.collect(new EnrichedTransaction(t, features));
        profile.update(s, t);
        state.update(s);

        long expiry = AccountProfile.expiry(s.getLastEventTime(), retention);
        if (expiry != previousExpiry) {
            if (previousExpiry >= 0) {
                ctx.timerService().deleteEventTimeTimer(previousExpiry);
            }
            ctx.timerService().registerEventTimeTimer(expiry);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<EnrichedTransaction> out)
            throws Exception {
        ProfileState s = state.value();
        if (s != null && AccountProfile.expiry(s.getLastEventTime(), retention) <= timestamp) {
            state.clear();
            expired.inc();
        }
    }
}

package dev.argus.job.engine;

import dev.argus.job.savepoint.States;
import dev.argus.job.savepoint.Uids;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * What a savepoint holds of the rule engine's accounts, read with Flink's State Processor API: how
 * many accounts have a value, how many hold partial matches of some rule, how many wait for a
 * timer, and how many keep events waiting in their value.
 */
public record EngineSavepointContents(
        int accounts, int withPartialMatches, int withTimers, int withWaitingEvents) {

    public static EngineSavepointContents read(String savepointPath) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(1);
        SavepointReader savepoint =
                SavepointReader.read(env, savepointPath, new EmbeddedRocksDBStateBackend());
        List<int[]> rows = new ArrayList<>();
        savepoint
                .readKeyedState(OperatorIdentifier.forUid(Uids.RULE_ENGINE), new Reader())
                .executeAndCollect()
                .forEachRemaining(rows::add);
        int partial = 0;
        int timers = 0;
        int waiting = 0;
        for (int[] r : rows) {
            partial += r[0] > 0 ? 1 : 0;
            timers += r[1] > 0 ? 1 : 0;
            waiting += r[2] > 0 ? 1 : 0;
        }
        return new EngineSavepointContents(rows.size(), partial, timers, waiting);
    }

    /** Per account: sections, registered event-time timers, waiting events in the value. */
    private static final class Reader extends KeyedStateReaderFunction<String, int[]> {
        private transient ValueState<byte[]> value;

        @Override
        public void open(OpenContext openContext) {
            value = getRuntimeContext().getState(States.ruleEngineAccounts());
        }

        @Override
        public void readKey(String account, Context ctx, Collector<int[]> out) throws Exception {
            byte[] bytes = value.value();
            out.collect(
                    new int[] {
                        bytes == null ? 0 : AccountValue.sectionKeys(bytes).size(),
                        ctx.registeredEventTimeTimers().size(),
                        bytes == null ? 0 : AccountValue.waitingEvents(bytes)
                    });
        }
    }
}

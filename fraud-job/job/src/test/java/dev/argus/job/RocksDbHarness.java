package dev.argus.job;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/** Opens an operator keyed by account in a test harness on RocksDB, as the job runs it. */
public final class RocksDbHarness {
    private RocksDbHarness() {}

    /**
     * @param restoreFrom a snapshot of an earlier harness to restore, or null to start empty
     */
    public static <IN, OUT> KeyedOneInputStreamOperatorTestHarness<String, IN, OUT> open(
            OneInputStreamOperator<IN, OUT> operator,
            KeySelector<IN, String> account,
            OperatorSubtaskState restoreFrom)
            throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, account, Types.STRING);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    /** How many keys hold a value in the keyed state {@code name} (RocksDB counts no entries). */
    public static long keysWithState(
            org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness<?> harness,
            String name) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        KeyedStateBackend<String> backend =
                (KeyedStateBackend)
                        ((org.apache.flink.streaming.api.operators.AbstractStreamOperator<?>)
                                        harness.getOperator())
                                .getKeyedStateBackend();
        try (var keys = backend.getKeys(name, VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }
}

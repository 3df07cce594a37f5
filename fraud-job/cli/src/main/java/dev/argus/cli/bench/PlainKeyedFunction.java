package dev.argus.cli.bench;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The benchmarks' practical ceiling for a per-account operator: one keyed state read and one write
 * per event, nothing else. Emits one count per event.
 */
public final class PlainKeyedFunction<T> extends KeyedProcessFunction<String, T, Long> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext openContext) {
        count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(T event, Context ctx, Collector<Long> out) throws Exception {
        Long c = count.value();
        count.update(c == null ? 1L : c + 1);
        out.collect(1L);
    }
}

package dev.argus.job.engine;

import dev.argus.job.StockCep;
import dev.argus.job.alerting.AbsenceToAlertFunction;
import dev.argus.model.Alert;
import dev.argus.model.EnrichedTransaction;
import dev.argus.rules.Rule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.cep.operator.CepOperator;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Runs one scenario through the rule engine (on RocksDB) and through stock flink-cep (one {@code
 * CepOperator} per rule, the oracle) and returns what each produced, as comparable lines: {@code
 * rule | stage:transaction, ...}. Both see the same events, watermarks, snapshots and restores.
 */
final class EngineDifferential {
    /** One step of a scenario. */
    sealed interface Step {}

    record Event(EnrichedTransaction event, long timestamp) implements Step {}

    record Watermark(long timestamp) implements Step {}

    /** Snapshot every operator and go on with new operators restored from the snapshots. */
    record Restore() implements Step {}

    /**
     * The matches and timeouts of both sides, grouped by rule and account and in the order each
     * side emitted them within a group: equal lists mean the same alerts in the same order. (Across
     * accounts and rules the two emit in different orders: stock CEP runs one operator per rule.)
     */
    record Outcome(List<String> engine, List<String> stock) {}

    private EngineDifferential() {}

    static Outcome run(List<Rule> rules, RuleEngineOperator.Ordering ordering, List<Step> steps)
            throws Exception {
        List<String> engineOut = new ArrayList<>();
        List<String> stockOut = new ArrayList<>();
        var engine = openEngine(rules, ordering, null);
        List<KeyedOneInputStreamOperatorTestHarness<String, EnrichedTransaction, Alert>> stock =
                new ArrayList<>();
        for (Rule r : rules) {
            stock.add(openStock(r, null));
        }
        try {
            for (Step step : steps) {
                if (step instanceof Event e) {
                    StreamRecord<EnrichedTransaction> record =
                            new StreamRecord<>(e.event(), e.timestamp());
                    engine.event(record);
                    for (var h : stock) {
                        h.processElement(new StreamRecord<>(e.event(), e.timestamp()));
                    }
                } else if (step instanceof Watermark w) {
                    engine.processWatermark(w.timestamp());
                    for (var h : stock) {
                        h.processWatermark(w.timestamp());
                    }
                } else {
                    drain(engine, engineOut);
                    OperatorSubtaskState snapshot = snapshot(engine);
                    engine.close();
                    engine = openEngine(rules, ordering, snapshot);
                    for (int i = 0; i < stock.size(); i++) {
                        drain(stock.get(i), stockOut);
                        OperatorSubtaskState s = snapshot(stock.get(i));
                        stock.get(i).close();
                        stock.set(i, openStock(rules.get(i), s));
                    }
                }
            }
            engine.processWatermark(Long.MAX_VALUE);
            drain(engine, engineOut);
            for (var h : stock) {
                h.processWatermark(Long.MAX_VALUE);
                drain(h, stockOut);
            }
        } finally {
            engine.close();
            for (var h : stock) {
                h.close();
            }
        }
        // stable: the order within a group stays as emitted
        engineOut.sort(Comparator.comparing(EngineDifferential::group));
        stockOut.sort(Comparator.comparing(EngineDifferential::group));
        return new Outcome(engineOut, stockOut);
    }

    /** The alerts a harness emitted since the last drain, as comparable lines. */
    private static void drain(AbstractStreamOperatorTestHarness<Alert> h, List<String> into) {
        for (Alert a : h.extractOutputValues()) {
            into.add(line(a) + " @ " + a.getAccountId());
        }
        var timedOut = h.getSideOutput(AbsenceToAlertFunction.TIMED_OUT);
        if (timedOut != null) {
            timedOut.forEach(
                    r -> into.add(line(r.getValue()) + " @ " + r.getValue().getAccountId()));
            timedOut.clear();
        }
        h.getOutput().clear();
    }

    /** The rule and account of an outcome's line. */
    private static String group(String line) {
        int rule = line.indexOf(" | ");
        return line.substring(0, rule) + " " + line.substring(line.lastIndexOf(" @ "));
    }

    /** An alert's rule and events per stage; in outcomes, its account after " @ ". */
    static String line(Alert a) {
        return a.getRuleId()
                + " | "
                + a.getMatchedEvents().stream()
                        .map(e -> e.getStage() + ":" + e.getTransactionId())
                        .collect(Collectors.joining(", "));
    }

    /** The engine without a cap on partial matches: the oracle has none. */
    static EngineHarness openEngine(
            List<Rule> rules, RuleEngineOperator.Ordering ordering, OperatorSubtaskState restore)
            throws Exception {
        return openEngine(rules, ordering, Integer.MAX_VALUE, restore);
    }

    static EngineHarness openEngine(
            List<Rule> rules,
            RuleEngineOperator.Ordering ordering,
            int maxPartialMatches,
            OperatorSubtaskState restore)
            throws Exception {
        return EngineHarness.open(
                new RuleEngineOperator(rules, ordering, maxPartialMatches), restore);
    }

    /** A checkpoint as a task takes it: the operator prepares for the barrier, then snapshots. */
    static OperatorSubtaskState snapshot(AbstractStreamOperatorTestHarness<?> harness)
            throws Exception {
        harness.prepareSnapshotPreBarrier(0);
        return harness.snapshot(0, 0);
    }

    /**
     * Stock flink-cep as the pipeline's CEP stage runs it; the oracle keeps its state on the heap.
     */
    static KeyedOneInputStreamOperatorTestHarness<String, EnrichedTransaction, Alert> openStock(
            Rule rule, OperatorSubtaskState restore) throws Exception {
        CepOperator<EnrichedTransaction, String, Alert> operator = StockCep.operator(rule);
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator, e -> e.getTransaction().getAccountId(), Types.STRING);
        harness.setStateBackend(new HashMapStateBackend());
        if (restore != null) {
            harness.initializeState(restore);
        }
        harness.open();
        return harness;
    }
}

package dev.argus.cli.backtest;

import dev.argus.job.FraudDetectionJob;
import dev.argus.job.FraudDetectionPipeline;
import dev.argus.job.PipelineConfig;
import dev.argus.job.ingest.DeadLetters;
import dev.argus.job.ingest.Decoded;
import dev.argus.job.savepoint.Uids;
import dev.argus.model.Alert;
import dev.argus.model.ControlChange;
import dev.argus.model.DeadLetter;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.Histogram;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.accumulators.LongMinimum;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * The backtest's Flink job, in this JVM: the history's source, then the production pipeline's
 * stages ({@link FraudDetectionPipeline}: dead-letter routing, profile, rule engine, alert gate) on
 * RocksDB, in event time, bounded. With a second pack, its rule stage runs beside the first on the
 * same enriched stream: the history is read, validated and profiled once for both.
 *
 * <p>Nothing is written to Kafka and no checkpoints are taken: a backtest has no transactions to
 * commit, and one that fails is run again.
 */
final class BacktestJob {
    private BacktestJob() {}

    /**
     * What one pack did: its alerts in output order (enforced and shadow; the detection time is the
     * event time at which a live job would have sent the alert, as a run over history has no
     * meaningful wall clock: the last event's time, or later for a match held back behind an
     * earlier partial match of its rule), and the matches the alert gate held back.
     */
    record PackRun(List<Alert> alerts, List<Held> held) {}

    /** A match the alert gate held back: {@code quieted} or {@code snoozed}. */
    record Held(String how, String rule, Instant lastEventTime) {}

    /**
     * What a run found.
     *
     * @param deadLetters per reason, how many records the job would have dead-lettered
     * @param deadLetterExamples per reason, the first few details
     * @param valid how many records were valid transactions
     * @param accounts how many accounts had valid transactions
     * @param perDay valid transactions per UTC day of their event time
     * @param labelledSeen the labelled transactions found in the history
     */
    record Result(
            PackRun pack,
            PackRun against,
            Map<String, Long> deadLetters,
            Map<String, List<String>> deadLetterExamples,
            long valid,
            long accounts,
            Instant firstEvent,
            Instant lastEvent,
            Map<java.time.LocalDate, Long> perDay,
            Set<String> labelledSeen,
            double seconds,
            double cpuSeconds) {}

    static Result run(
            History history,
            PipelineConfig pipeline,
            PipelineConfig againstPipeline,
            Set<String> labelled,
            Progress.Counter progress,
            int parallelism,
            MemorySize managedMemory)
            throws Exception {
        Configuration flink =
                FraudDetectionJob.flinkConfiguration(dev.argus.job.JobConfig.inProcess("1 s"));
        flink.removeConfig(CheckpointingOptions.CHECKPOINTING_INTERVAL);
        flink.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, managedMemory);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setParallelism(parallelism);

        DataStream<Decoded> records =
                env.fromSource(
                                history.source(progress),
                                history.watermarks(pipeline),
                                "history",
                                Decoded.typeInfo())
                        .uid(Uids.TRANSACTIONS_SOURCE)
                        .setParallelism(history.parallelism());
        SingleOutputStreamOperator<Transaction> valid =
                FraudDetectionPipeline.validTransactions(records);
        KeyedStream<Either<EnrichedTransaction, ControlChange>, String> byAccount =
                FraudDetectionPipeline.enriched(valid, pipeline);
        FraudDetectionPipeline.Detection main =
                FraudDetectionPipeline.detect(byAccount, pipeline, "");
        FraudDetectionPipeline.Detection other =
                againstPipeline == null
                        ? null
                        : FraudDetectionPipeline.detect(byAccount, againstPipeline, "-against");

        Collecting<Alert> alerts = new Collecting<>(sentAt(main));
        Collecting<String> held = new Collecting<>(heldBack(main));
        Collecting<Alert> otherAlerts = other == null ? null : new Collecting<>(sentAt(other));
        Collecting<String> otherHeld = other == null ? null : new Collecting<>(heldBack(other));
        Collecting<String> dead =
                new Collecting<>(
                        valid.getSideOutput(DeadLetters.TAG)
                                .union(main.lateDeadLetters())
                                .map(BacktestJob::reasonAndDetail, Types.STRING)
                                .name("dead letters: reason and detail"));
        Collecting<String> seen =
                new Collecting<>(
                        byAccount
                                .flatMap(new HistoryFacts(labelled), Types.STRING)
                                .name("history: accounts, time span, labelled transactions"));

        long cpuBefore = cpuNanos();
        long began = System.nanoTime();
        JobClient client = env.executeAsync("argus-backtest");
        for (Collecting<?> c : List.of(alerts, held, dead, seen)) {
            c.drain();
        }
        if (other != null) {
            otherAlerts.drain();
            otherHeld.drain();
        }
        JobExecutionResult done = client.getJobExecutionResult().get();
        double seconds = (System.nanoTime() - began) / 1e9;
        double cpu = (cpuNanos() - cpuBefore) / 1e9;

        Map<String, Long> deadLetters = new TreeMap<>();
        Map<String, List<String>> examples = new TreeMap<>();
        for (String d : dead.get()) {
            int tab = d.indexOf('\t');
            String reason = d.substring(0, tab);
            deadLetters.merge(reason, 1L, Long::sum);
            List<String> e = examples.computeIfAbsent(reason, k -> new ArrayList<>());
            if (e.size() < 5) {
                e.add(d.substring(tab + 1));
            }
        }
        Long first = done.getAccumulatorResult(HistoryFacts.FIRST);
        Long last = done.getAccumulatorResult(HistoryFacts.LAST);
        Long accounts = done.getAccumulatorResult(HistoryFacts.ACCOUNTS);
        Map<Integer, Integer> days = done.getAccumulatorResult(HistoryFacts.PER_DAY);
        Map<java.time.LocalDate, Long> perDay = new TreeMap<>();
        if (days != null) {
            days.forEach((d, n) -> perDay.put(java.time.LocalDate.ofEpochDay(d), (long) n));
        }
        return new Result(
                packRun(alerts.get(), held.get()),
                other == null ? null : packRun(otherAlerts.get(), otherHeld.get()),
                deadLetters,
                examples,
                perDay.values().stream().mapToLong(Long::longValue).sum(),
                accounts == null ? 0 : accounts,
                first == null || first == Long.MAX_VALUE ? null : Instant.ofEpochMilli(first),
                last == null || last == Long.MIN_VALUE ? null : Instant.ofEpochMilli(last),
                perDay,
                new HashSet<>(seen.get()),
                seconds,
                cpu);
    }

    /**
     * The alerts, enforced and shadow, each with the event time at which the engine sent it (its
     * record's timestamp) as its detection time.
     */
    private static DataStream<Alert> sentAt(FraudDetectionPipeline.Detection d) {
        return d.alerts()
                .union(d.shadowAlerts())
                .process(new SentAt(), new AvroTypeInfo<>(Alert.class))
                .name("alerts: detection time in event time");
    }

    /** Sets an alert's detection time to its record's timestamp: when the engine sent it. */
    static final class SentAt extends ProcessFunction<Alert, Alert> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(Alert alert, Context ctx, Collector<Alert> out) {
            Long at = ctx.timestamp();
            alert.setDetectionTime(
                    at == null ? alert.getLastEventTime() : Instant.ofEpochMilli(at));
            out.collect(alert);
        }
    }

    private static DataStream<String> heldBack(FraudDetectionPipeline.Detection d) {
        return d.quieted()
                .map(a -> "quieted\t" + a.getRuleId() + "\t" + a.getLastEventTime(), Types.STRING)
                .name("quieted: rule")
                .union(
                        d.snoozed()
                                .map(
                                        a ->
                                                "snoozed\t"
                                                        + a.getRuleId()
                                                        + "\t"
                                                        + a.getLastEventTime(),
                                        Types.STRING)
                                .name("snoozed: rule"));
    }

    private static PackRun packRun(List<Alert> alerts, List<String> held) {
        List<Held> out = new ArrayList<>();
        for (String h : held) {
            String[] f = h.split("\t", 3);
            out.add(new Held(f[0], f[1], Instant.parse(f[2])));
        }
        List<Alert> sorted = new ArrayList<>(alerts);
        sorted.sort(BacktestOutput.ORDER);
        return new PackRun(sorted, out);
    }

    private static String reasonAndDetail(DeadLetter d) {
        return d.getReason() + "\t" + d.getDetail();
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * A stream collected to this JVM. Each is drained on its own thread while the job runs: a
     * collect sink whose buffer is full waits for its reader, so reading one after the other could
     * stall the job.
     */
    private static final class Collecting<T> {
        private final CloseableIterator<T> it;
        private CompletableFuture<List<T>> items;

        Collecting(DataStream<T> stream) throws Exception {
            this.it = stream.collectAsync();
        }

        void drain() {
            items =
                    CompletableFuture.supplyAsync(
                            () -> {
                                List<T> out = new ArrayList<>();
                                it.forEachRemaining(out::add);
                                return out;
                            });
        }

        List<T> get() throws Exception {
            return items.get();
        }
    }

    /**
     * Facts about the history, from the profile's output (chained to it, so no extra shuffle):
     * valid events per day, accounts (an account's first event has {@code event_count} 0: it counts
     * the events before), the first and last event time, and which labelled transactions it holds.
     */
    static final class HistoryFacts
            extends RichFlatMapFunction<Either<EnrichedTransaction, ControlChange>, String> {
        private static final long serialVersionUID = 1L;
        static final String ACCOUNTS = "accounts";
        static final String FIRST = "first-event";
        static final String LAST = "last-event";
        static final String PER_DAY = "events-per-day";

        private final HashSet<String> labelled;
        private transient LongCounter accounts;
        private transient LongMinimum first;
        private transient LongMaximum last;
        private transient Histogram perDay;

        HistoryFacts(Set<String> labelled) {
            this.labelled = new HashSet<>(labelled);
        }

        @Override
        public void open(OpenContext openContext) {
            accounts = new LongCounter();
            first = new LongMinimum();
            last = new LongMaximum();
            getRuntimeContext().addAccumulator(ACCOUNTS, accounts);
            getRuntimeContext().addAccumulator(FIRST, first);
            getRuntimeContext().addAccumulator(LAST, last);
            perDay = new Histogram();
            getRuntimeContext().addAccumulator(PER_DAY, perDay);
        }

        @Override
        public void flatMap(Either<EnrichedTransaction, ControlChange> in, Collector<String> out) {
            EnrichedTransaction e = in.left(); // a backtest has no control topic: events only
            if (e.getProfile().getEventCount() == 0) {
                accounts.add(1L);
            }
            long t = e.getTransaction().getEventTime().toEpochMilli();
            first.add(t);
            last.add(t);
            perDay.add((int) Math.floorDiv(t, 86_400_000L));
            if (!labelled.isEmpty() && labelled.contains(e.getTransaction().getTransactionId())) {
                out.collect(e.getTransaction().getTransactionId());
            }
        }
    }
}

package dev.argus.cli.profile;

import dev.argus.cli.bench.PlainKeyedFunction;
import dev.argus.cli.bench.Stats;
import dev.argus.job.FraudDetectionJob;
import dev.argus.job.FraudDetectionPipeline;
import dev.argus.job.JobConfig;
import dev.argus.job.ingest.TransactionTypeInfo;
import dev.argus.job.profile.AccountProfile;
import dev.argus.job.profile.ProfileFunction;
import dev.argus.job.savepoint.States;
import dev.argus.model.Channel;
import dev.argus.model.Location;
import dev.argus.model.Merchant;
import dev.argus.model.Money;
import dev.argus.model.ProfileState;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionStatus;
import dev.argus.model.TransactionType;
import dev.argus.sandbox.TransactionGenerator;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code argus profile-bench}: what the account profile costs.
 *
 * <ol>
 *   <li>State bytes per account: the Avro-serialized {@link ProfileState} (the RocksDB value) of
 *       one account after 10, 100 and 1,000 events of the local generator's mixed traffic.
 *   <li>Events per second through the profile operator alone, on RocksDB with checkpoints, in a
 *       MiniCluster at parallelism 1, against a keyed function that does one state read and one
 *       write per event (the practical ceiling), alternating runs, measured after a warm-up.
 * </ol>
 */
@Command(
        name = "profile-bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "What the account profile costs: state bytes per account, events per second.",
        description = {
            "State bytes per account after 10, 100 and 1,000"
                    + " events, and events per second through the profile operator against a plain"
                    + " keyed function (RocksDB, checkpoints, parallelism 1, alternating runs).",
            ""
        })
public final class ProfileBenchmark implements Callable<Integer> {
    private static final AtomicLong SEEN = new AtomicLong();
    private static final AtomicLong WARM_AT = new AtomicLong();
    private static final AtomicLong LAST_AT = new AtomicLong();

    @Spec CommandSpec spec;

    @Option(
            names = "--events",
            paramLabel = "N",
            defaultValue = "300000",
            description =
                    "events per throughput run; the first fifth warm up (default:"
                            + " ${DEFAULT-VALUE})")
    long events;

    @Option(
            names = "--accounts",
            paramLabel = "N",
            defaultValue = "10000",
            description = "accounts the events are spread over (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(
            names = "--runs",
            paramLabel = "N",
            defaultValue = "2",
            description = "runs of each operator (default: ${DEFAULT-VALUE})")
    int runs;

    @Override
    public Integer call() throws Exception {
        if (events < 10) {
            throw new ParameterException(
                    spec.commandLine(), "--events must be at least 10, not " + events);
        }
        if (accounts < 1) {
            throw new ParameterException(
                    spec.commandLine(), "--accounts must be positive, not " + accounts);
        }
        if (runs < 1) {
            throw new ParameterException(
                    spec.commandLine(), "--runs must be positive, not " + runs);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("state bytes per account (mixed traffic of one account):");
        for (int n : new int[] {10, 100, 1_000}) {
            out.printf("  after %,5d events: %,d bytes%n", n, stateBytes(n));
        }

        long warmUp = events / 5;
        out.printf(
                "%nthroughput, %,d events over %,d accounts, RocksDB, checkpoints every 10 s,"
                        + " parallelism 1; events/s after the first %,d:%n",
                events, accounts, warmUp);
        double[] profile = new double[runs];
        double[] plain = new double[runs];
        for (int r = 0; r < runs; r++) {
            profile[r] = run(events, accounts, warmUp, true);
            plain[r] = run(events, accounts, warmUp, false);
            out.printf(
                    "  run %d: profile %,.0f events/s, plain keyed read+write %,.0f events/s%n",
                    r + 1, profile[r], plain[r]);
        }
        double p = Stats.median(profile);
        double k = Stats.median(plain);
        out.printf(
                "median: profile %,.0f events/s = %.2f of the plain keyed function's %,.0f%n",
                p, p / k, k);
        return 0;
    }

    /** The serialized profile of one account after {@code n} events of generated traffic. */
    static int stateBytes(int n) throws Exception {
        TransactionGenerator generator = new TransactionGenerator(7, 1, 0.01, 0.0);
        AccountProfile profile = new AccountProfile(50);
        ProfileState state = AccountProfile.empty();
        long now = Instant.parse("2026-11-02T09:00:00Z").toEpochMilli();
        int seen = 0;
        while (seen < n) {
            // one account's events, minutes to hours apart
            now += 60_000L * (1 + seen % 240);
            Transaction t = generator.next(now).transaction();
            if (t != null) {
                profile.update(state, t);
                seen++;
            }
        }
        DataOutputSerializer out = new DataOutputSerializer(4096);
        States.profile().getSerializer().serialize(state, out);
        return out.length();
    }

    private static double run(long events, int accounts, long warmUp, boolean withProfile)
            throws Exception {
        SEEN.set(0);
        WARM_AT.set(0);
        LAST_AT.set(0);
        JobConfig config = JobConfig.inProcess("10 s");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        FraudDetectionJob.localFlinkConfiguration(config));
        env.setParallelism(1);
        DataGeneratorSource<Transaction> source =
                new DataGeneratorSource<>(
                        i -> mixed(i, accounts),
                        events,
                        RateLimiterStrategy.noOp(),
                        new TransactionTypeInfo());
        var keyed =
                env.fromSource(
                                source,
                                org.apache.flink.api.common.eventtime.WatermarkStrategy
                                        .noWatermarks(),
                                "events")
                        .keyBy(Transaction::getAccountId);
        var out =
                withProfile
                        ? FraudDetectionPipeline.profile(
                                        keyed,
                                        FraudDetectionPipeline.noControl(keyed, ""),
                                        new ProfileFunction(
                                                new AccountProfile(50), Duration.ofDays(400)))
                                .map(e -> 1L, Types.LONG)
                        : keyed.process(new PlainKeyedFunction<Transaction>(), Types.LONG);
        out.sinkTo(new MeasuringSink(warmUp)).name("measure");
        env.execute(withProfile ? "profile-bench" : "plain-keyed-bench");
        return (SEEN.get() - warmUp) / ((LAST_AT.get() - WARM_AT.get()) / 1e9);
    }

    /** Deterministic mixed traffic: payments, transfers, logins and declines over many accounts. */
    static Transaction mixed(long i, int accounts) {
        int kind = (int) (i % 10);
        TransactionType type =
                kind < 6
                        ? TransactionType.CARD_PAYMENT
                        : kind < 8
                                ? TransactionType.TRANSFER
                                : kind == 8 ? TransactionType.LOGIN : TransactionType.WITHDRAWAL;
        long h = (i * 0x9E3779B97F4A7C15L) >>> 1;
        Transaction.Builder t =
                Transaction.newBuilder()
                        .setTransactionId("t" + i)
                        .setAccountId("acc-" + (i % accounts))
                        .setEventTime(Instant.ofEpochMilli(1_793_000_000_000L + i * 50))
                        .setType(type)
                        .setChannel(Channel.ECOMMERCE)
                        .setStatus(
                                h % 17 == 0
                                        ? TransactionStatus.DECLINED
                                        : TransactionStatus.APPROVED)
                        .setCardPresent(false)
                        .setDeviceId("dev-" + (h % 3))
                        .setIpAddress("10.0.0." + (h % 7))
                        .setLocation(
                                new Location(48.0 + h % 5, 2.0 + h % 3, h % 11 == 0 ? "DE" : "FR"));
        if (type != TransactionType.LOGIN) {
            t.setAmount(new Money(100 + h % 20_000, "EUR"));
        }
        if (type == TransactionType.CARD_PAYMENT) {
            t.setMerchant(new Merchant("m-" + h % 40, null, String.valueOf(5000 + h % 30), "FR"))
                    .setCardToken("card-1");
        }
        if (type == TransactionType.TRANSFER) {
            t.setCounterpartyId("p-" + h % 12);
        }
        return t.build();
    }

    /** Counts records and notes the time of the warm-up's end and of the last record. */
    static final class MeasuringSink implements Sink<Long> {
        private final long warmUp;

        MeasuringSink(long warmUp) {
            this.warmUp = warmUp;
        }

        @Override
        public SinkWriter<Long> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(Long element, Context context) {
                    long n = SEEN.incrementAndGet();
                    long now = System.nanoTime();
                    if (n == warmUp) {
                        WARM_AT.set(now);
                    }
                    LAST_AT.set(now);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}

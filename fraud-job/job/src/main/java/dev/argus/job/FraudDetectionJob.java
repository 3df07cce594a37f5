package dev.argus.job;

import dev.argus.job.control.ControlFunction;
import dev.argus.job.control.NeverIdle;
import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.ingest.Decoded;
import dev.argus.job.savepoint.Uids;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlStatus;
import dev.argus.model.ReceivedCommand;
import dev.argus.model.Transaction;
import dev.argus.rules.RulePackException;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBNativeMetricOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FileUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Argus job on a Flink 2.2 cluster: reads its configuration (see {@link JobConfig}), wires
 * Kafka to the {@link FraudDetectionPipeline}, and runs.
 *
 * <pre>
 * flink run -c dev.argus.job.FraudDetectionJob argus-fraud-job-VERSION-job.jar \
 *     --config argus.properties --kafka.bootstrap.servers broker:9092
 * </pre>
 */
public final class FraudDetectionJob {
    private static final Logger LOG = LoggerFactory.getLogger(FraudDetectionJob.class);

    private FraudDetectionJob() {}

    public static void main(String[] args) throws Exception {
        JobConfig config;
        Configuration flink;
        try {
            config = JobConfig.fromArgs(args);
            flink = flinkConfiguration(config);
            // on a cluster the changelog's directory comes from the cluster's configuration
            logStateChanges(flink, config, null);
        } catch (IllegalArgumentException e) {
            throw refuse(e);
        }
        try {
            starting(config);
        } catch (IllegalStateException e) {
            throw refuse(e);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        try {
            attach(env, config, false);
        } catch (RulePackException e) {
            throw refuse(e);
        }
        env.execute("argus-fraud-detection");
    }

    /**
     * Why the job does not start (a bad key, Kafka refusing its credentials, an invalid pack):
     * logged once and thrown out of {@code main}, so that {@code flink run} prints it ("The main
     * method caused an error: ...", exit status 1) and the REST API returns it. Not {@code
     * System.exit}: a job submitted through the REST API runs {@code main} in the JobManager's JVM,
     * which would exit with it.
     */
    private static RuntimeException refuse(RuntimeException e) {
        LOG.error("Argus refuses to start: {}", e.getMessage());
        return e;
    }

    /**
     * What the job does before it builds its graph: logs its configuration (passwords and JAAS
     * settings masked) and checks that Kafka accepts its credentials and TLS settings ({@link
     * KafkaIo#checkAccess}).
     *
     * @throws IllegalStateException when Kafka refuses them, saying which keys to fix
     */
    static void starting(JobConfig config) {
        LOG.info("Starting Argus with {}", config);
        KafkaIo.checkAccess(config);
    }

    /**
     * The Flink settings Argus relies on: RocksDB state with incremental checkpoints, exactly-once
     * checkpoints at the configured interval, no Kryo fallback for any type, and object reuse.
     */
    public static Configuration flinkConfiguration(JobConfig config) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        conf.set(
                CheckpointingOptions.CHECKPOINTING_INTERVAL,
                config.duration("checkpoint.interval"));
        conf.set(
                CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE,
                CheckpointingMode.EXACTLY_ONCE);
        conf.set(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, Duration.ofMillis(500));
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        // Without object reuse Flink deep-copies every record for every chained operator: each
        // event once per rule (a fifth of the job's CPU in `argus bench`). Reuse is safe here
        // because no function changes a record it was given or emitted: the rule engine keeps
        // the events it is given while they wait for the watermark, and the control changes in
        // its broadcast state, and the profile, which made them, does not touch them again.
        // Keyed state is on RocksDB, which stores serialized copies; on the heap state backend
        // reuse would not be safe.
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        // A record waits in a network buffer until it is full or this long: Flink's default,
        // 100 ms, spent at each of the job's exchanges, was most of an alert's detection latency
        // once the engine judged events on arrival. Under load buffers fill long before.
        conf.set(ExecutionOptions.BUFFER_TIMEOUT, Duration.ofMillis(5));
        // An incremental checkpoint flushes RocksDB's memtables in its synchronous part, on the
        // task thread, while events wait: with the default 64 MB memtables that flush was most of
        // the detection latency's p99. With 8 MB memtables RocksDB flushes them in the background
        // as they fill, the checkpoint has less left to flush, and the p99 halves at the same CPU;
        // 2 MB cut it little further and cost CPU and three times the incremental checkpoint size
        // (docs/performance-notes.md, "Detection latency": the figures and the command).
        conf.set(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE, MemorySize.ofMebiBytes(8));
        // RocksDB compresses the blocks of its files as it flushes and compacts them, and
        // decompresses them on reads that miss its block cache. With Flink's default, Snappy,
        // RocksDB's background threads used up to 0.3 of the job's 1.5 cores in `argus bench`;
        // with LZ4 the job did 1.26x the transactions per CPU-second, and the files, hence
        // checkpoints, are as large (docs/performance-notes.md, "Compression": figures and
        // command).
        conf.set(
                RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL,
                java.util.List.of(org.rocksdb.CompressionType.LZ4_COMPRESSION));
        // A bloom filter in each of RocksDB's files (10 bits per key, Flink's default) lets a read
        // skip the files that do not hold its key. Without one a read looks into each file of
        // level 0, newest first, until it finds its key, and a read of a key that is not there (an
        // account whose rule engine state ended, or one not seen before) into every file of level 0
        // and one of each level below.
        // The job reads two values per transaction and one per timer that fires: in `argus bench`
        // it did 1.18x the transactions per CPU-second with the filters (docs/performance-notes.md,
        // "Bloom filters": figures and command). They cost about 1.25 bytes per key in the block
        // cache and in the files; files written without them stay readable.
        conf.set(RocksDBConfigurableOptions.USE_BLOOM_FILTER, true);
        // The state's size on the dashboard (deploy/grafana/argus-dashboard.json): RocksDB's own
        // estimates, read when the metrics are reported, per column family (one per state), the
        // column family a label rather than part of the metric's name
        conf.set(RocksDBNativeMetricOptions.ESTIMATE_LIVE_DATA_SIZE, true);
        conf.set(RocksDBNativeMetricOptions.MONITOR_TOTAL_SST_FILES_SIZE, true);
        conf.set(RocksDBNativeMetricOptions.ESTIMATE_NUM_KEYS, true);
        conf.set(RocksDBNativeMetricOptions.COLUMN_FAMILY_AS_VARIABLE, true);
        return conf;
    }

    /** Flink's Prometheus reporter's factory (flink-metrics-prometheus). */
    public static final String PROMETHEUS_REPORTER_FACTORY =
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

    /**
     * Serves the metrics of a job in this JVM (a MiniCluster: {@code argus local}, tests) on a
     * Prometheus endpoint, {@code http://HOST:port/metrics}, as {@code deploy/flink/config.yaml}
     * does on a cluster. Flink's reporter listens on every interface, and needs
     * flink-metrics-prometheus on the class path.
     */
    public static void prometheusEndpoint(Configuration conf, int port) {
        conf.set(
                ConfigOptions.key("metrics.reporter.prom.factory.class")
                        .stringType()
                        .noDefaultValue(),
                PROMETHEUS_REPORTER_FACTORY);
        conf.set(
                ConfigOptions.key("metrics.reporter.prom.port").stringType().noDefaultValue(),
                String.valueOf(port));
    }

    /**
     * Flink's state changelog (FLIP-158) when {@code checkpoint.changelog} is true: every state
     * change is also appended to a log that is uploaded continuously, and a checkpoint persists the
     * log instead of RocksDB's files. Without it, an incremental checkpoint flushes the memtables
     * of every keyed operator in its synchronous part, on the task thread, while events wait: about
     * half a second at 2,500 transactions/s, most of the detection latency's p99. RocksDB's own
     * snapshot (the materialization) still runs, but every {@code
     * checkpoint.changelog.materialization-interval} instead of every checkpoint; a restore replays
     * at most that much log. Savepoints stay RocksDB's canonical format.
     *
     * <p>Flink restores a changelog job only in {@code CLAIM} mode: it owns the savepoint or
     * checkpoint it started from and deletes it once a newer checkpoint replaces it. A job that
     * restored in the default mode would fail every checkpoint, so this sets CLAIM.
     *
     * @param directory where the log goes; null to leave it to the cluster's configuration ({@code
     *     state.changelog.dstl.dfs.base-path})
     */
    public static void logStateChanges(Configuration conf, JobConfig config, String directory) {
        if (!config.flag("checkpoint.changelog")) {
            return;
        }
        conf.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
        conf.set(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE, "filesystem");
        conf.set(
                StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL,
                config.duration("checkpoint.changelog.materialization-interval"));
        conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        if (directory != null) {
            conf.set(FsStateChangelogOptions.BASE_PATH, directory);
        }
    }

    /**
     * {@link #flinkConfiguration} for a job in this JVM (local runs, rule tests, benchmarks):
     * checkpoints (and with {@code checkpoint.changelog} the state changelog) go to a new temporary
     * directory, deleted when this JVM exits normally. Without a checkpoint directory Flink keeps
     * checkpoints in the JobManager's memory, which refuses state over 5 MB: a few thousand account
     * profiles.
     */
    public static Configuration localFlinkConfiguration(JobConfig config) {
        Configuration conf = flinkConfiguration(config);
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("argus-checkpoints-");
            // deleteOnExit removes empty directories only
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> FileUtils.deleteDirectoryQuietly(dir.toFile()),
                                    "delete " + dir));
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
            logStateChanges(conf, config, dir.resolve("changelog").toUri().toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create a checkpoint directory", e);
        }
        return conf;
    }

    /**
     * The control topic's part: its commands, decided one at a time by the {@link ControlFunction}
     * against the job's event time (the valid transactions' watermark), answered on the status
     * topic, and the changes applied for the alert gates.
     */
    private static FraudDetectionPipeline.Changes control(
            JobConfig config, PipelineConfig pipeline, DataStream<Transaction> valid) {
        Duration disorder = pipeline.maxOutOfOrderness();
        Duration margin = config.duration("control.margin");
        DataStream<ReceivedCommand> commands =
                valid.getExecutionEnvironment()
                        .fromSource(
                                KafkaIo.controlSource(config),
                                ControlFunction.watermarks(),
                                "control commands")
                        .uid(Uids.CONTROL_SOURCE)
                        .setParallelism(1);
        DataStream<Transaction> clock =
                valid.filter(t -> false)
                        .uid(Uids.CONTROL_CLOCK)
                        .name("event time for the control commands");
        SingleOutputStreamOperator<ControlStatus> statuses =
                commands.keyBy(c -> ControlFunction.KEY, Types.STRING)
                        .connect(clock.keyBy(t -> ControlFunction.KEY, Types.STRING))
                        .process(
                                new ControlFunction(
                                        pipeline.rules(),
                                        config.packFiles(),
                                        CepPatternCheck.INSTANCE,
                                        pipeline.engine() == PipelineConfig.Engine.ARGUS,
                                        disorder,
                                        margin),
                                new AvroTypeInfo<>(ControlStatus.class))
                        .uid(Uids.CONTROL)
                        .setParallelism(1)
                        .setMaxParallelism(1)
                        .name("decide control commands");
        return new FraudDetectionPipeline.Changes(
                neverIdle(statuses.getSideOutput(ControlFunction.CHANGES)),
                ControlFunction.horizon(disorder, margin),
                statuses);
    }

    /**
     * The control changes as the profile (for the engine), the gate and the brake receive them:
     * their watermark always counts, also after the transactions were idle ({@link NeverIdle}).
     */
    static DataStream<ControlChange> neverIdle(DataStream<ControlChange> changes) {
        return changes.transform(
                        "control changes, never idle",
                        new AvroTypeInfo<>(ControlChange.class),
                        new NeverIdle<>())
                .uid(Uids.CONTROL_NEVER_IDLE)
                .setParallelism(1);
    }

    /** Builds the pipeline with the Kafka source and sinks; {@code bounded} is for tests. */
    public static FraudDetectionPipeline.Outputs attach(
            StreamExecutionEnvironment env, JobConfig config, boolean bounded) {
        return attach(env, config, KafkaIo.transactionsSource(config, bounded));
    }

    /** Builds the pipeline with the given transactions source and the Kafka sinks. */
    public static FraudDetectionPipeline.Outputs attach(
            StreamExecutionEnvironment env, JobConfig config, Source<Decoded, ?, ?> transactions) {
        return attach(env, config, config.pipeline(), transactions);
    }

    /** Builds the pipeline with the given settings and source, and the Kafka sinks. */
    public static FraudDetectionPipeline.Outputs attach(
            StreamExecutionEnvironment env,
            JobConfig config,
            PipelineConfig pipeline,
            Source<Decoded, ?, ?> transactions) {
        LOG.info("Rule pack {}: running {}", config.get("rules.path"), pipeline.rules());
        FraudDetectionPipeline.Control control =
                Boolean.parseBoolean(config.get("control.enabled"))
                        ? valid -> control(config, pipeline, valid)
                        : null;
        FraudDetectionPipeline.Outputs outputs =
                FraudDetectionPipeline.build(env, transactions, pipeline, control);
        if (outputs.statuses() != null) {
            outputs.statuses()
                    .sinkTo(KafkaIo.controlStatusSink(config))
                    .uid(Uids.CONTROL_STATUS_SINK)
                    .setParallelism(1)
                    .name("answers to the status topic");
        }
        outputs.alerts()
                .sinkTo(KafkaIo.alertsSink(config))
                .uid(Uids.ALERTS_SINK)
                .name("alerts to Kafka");
        outputs.shadowAlerts()
                .sinkTo(KafkaIo.shadowAlertsSink(config))
                .uid(Uids.SHADOW_ALERTS_SINK)
                .name("shadow alerts to Kafka");
        outputs.deadLetters()
                .sinkTo(KafkaIo.deadLettersSink(config))
                .uid(Uids.DEAD_LETTERS_SINK)
                .name("dead letters to Kafka");
        return outputs;
    }
}

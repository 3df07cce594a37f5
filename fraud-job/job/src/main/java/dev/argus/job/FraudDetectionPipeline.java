package dev.argus.job;

import dev.argus.job.alerting.AbsenceToAlertFunction;
import dev.argus.job.alerting.AlertBrakeFunction;
import dev.argus.job.alerting.AlertGateFunction;
import dev.argus.job.alerting.MatchToAlertFunction;
import dev.argus.job.control.AlwaysIdle;
import dev.argus.job.control.BehindEvents;
import dev.argus.job.engine.RuleEngineOperator;
import dev.argus.job.ingest.DeadLetterRoutingFunction;
import dev.argus.job.ingest.DeadLetters;
import dev.argus.job.ingest.Decoded;
import dev.argus.job.ingest.LateAtRulesFunction;
import dev.argus.job.ingest.TransactionTypeInfo;
import dev.argus.job.profile.AccountProfile;
import dev.argus.job.profile.ProfileFunction;
import dev.argus.job.savepoint.Uids;
import dev.argus.model.Alert;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeadLetter;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.cep.CEP;
import org.apache.flink.cep.PatternStream;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.apache.flink.util.OutputTag;

/**
 * The Argus topology, as a pure function of its source and configuration: decoded records in,
 * alerts and dead letters out. It attaches no sinks, so tests run exactly this with bounded sources
 * and collect the outputs, and {@link FraudDetectionJob} attaches Kafka.
 *
 * <pre>
 * source ─▶ dead-letter routing ─▶ keyBy(account) ─▶ profile ─▶ rule engine ─▶ keyBy(account) ─▶ alert gate ─▶ alerts
 *  (ingest)     (ingest)                              (profile)   (engine)                        (alerting)  └─ shadow ─▶ shadow alerts
 *              └─ undecodable, invalid, late ──────────────────────────┴─ late ──────────────────────────────▶ dead letters
 * </pre>
 *
 * <p>The control changes (with a control topic; none without) are broadcast to the profile, which
 * passes them on among the events to the rule engine chained to it, and to the alert gate.
 */
public final class FraudDetectionPipeline {
    private FraudDetectionPipeline() {}

    /**
     * The streams the topology produces.
     *
     * @param alerts alerts of rules in {@code enforce} mode, for payment systems
     * @param shadowAlerts alerts of rules in {@code shadow} mode, measured and never acted on
     * @param statuses with a control topic, for the status topic: the answers to its commands and
     *     what the job decided on its own (a rule's brake); null without one
     */
    public record Outputs(
            DataStream<Alert> alerts,
            DataStream<Alert> shadowAlerts,
            DataStream<DeadLetter> deadLetters,
            DataStream<ControlStatus> statuses) {}

    public static Outputs build(
            StreamExecutionEnvironment env,
            Source<Decoded, ?, ?> transactions,
            PipelineConfig config) {
        return build(env, transactions, config, null);
    }

    /**
     * The control topic's part of the topology: from the valid transactions (which bring the job's
     * event time), the changes for the alert gates, and how far beyond its watermark a gate must
     * hold an alert back until the changes of that time have reached it.
     */
    public interface Control {
        Changes attach(DataStream<Transaction> valid);
    }

    /**
     * @param changes the changes a control function applied
     * @param horizon how far beyond its watermark the gate holds alerts back
     * @param answers the control function's answers to the commands
     */
    public record Changes(
            DataStream<ControlChange> changes,
            Duration horizon,
            DataStream<ControlStatus> answers) {}

    /**
     * The topology with a control topic ({@code control}; null: none, the pack's modes and snoozes
     * hold throughout).
     */
    public static Outputs build(
            StreamExecutionEnvironment env,
            Source<Decoded, ?, ?> transactions,
            PipelineConfig config,
            Control control) {
        SingleOutputStreamOperator<Transaction> valid =
                validTransactions(env, transactions, config);
        Changes changes = control == null ? null : control.attach(valid);
        // without a control topic, one "no control" stream serves the profile and the gate
        Changes applied =
                changes != null ? changes : new Changes(noControl(valid, ""), Duration.ZERO, null);
        Detection detection =
                detect(enriched(valid, config, applied.changes()), config, "", applied);
        DataStream<DeadLetter> dead =
                valid.getSideOutput(DeadLetters.TAG).union(detection.lateDeadLetters());
        if (changes == null) {
            return new Outputs(detection.alerts(), detection.shadowAlerts(), dead, null);
        }
        // the brake on runaway rules: it needs the control topic to be released and announced
        SingleOutputStreamOperator<Alert> braked =
                BehindEvents.connect(
                                detection.alerts().keyBy(Alert::getRuleId),
                                changes.changes(),
                                new AlertBrakeFunction(config.rules()),
                                List.of(AlertBrakeFunction.CONTROL),
                                new AvroTypeInfo<>(Alert.class))
                        .uid(Uids.ALERT_BRAKE)
                        .name("brake on runaway rules");
        return new Outputs(
                braked,
                detection.shadowAlerts().union(braked.getSideOutput(AlertBrakeFunction.BRAKED)),
                dead,
                changes.answers().union(braked.getSideOutput(AlertBrakeFunction.ANNOUNCEMENTS)));
    }

    /**
     * What the rule stage produces for one set of rules.
     *
     * @param alerts alerts of rules in {@code enforce} mode
     * @param shadowAlerts alerts of rules in {@code shadow} mode
     * @param quieted matches the alert gate held back: within a rule's quiet period on the account
     * @param snoozed matches the alert gate held back: the rule is snoozed for the account
     * @param lateDeadLetters events that reached the rules behind the watermark
     */
    public record Detection(
            DataStream<Alert> alerts,
            DataStream<Alert> shadowAlerts,
            DataStream<Alert> quieted,
            DataStream<Alert> snoozed,
            DataStream<DeadLetter> lateDeadLetters) {}

    /**
     * The rule stage: the rules of {@code config} over the enriched stream, then the alert gate. A
     * backtest attaches it twice to one enriched stream to compare two packs over one reading of
     * the history; {@code uidSuffix} tells the second apart ({@code ""} in the job, whose UIDs are
     * the savepoint contract).
     */
    public static Detection detect(
            KeyedStream<Either<EnrichedTransaction, ControlChange>, String> byAccount,
            PipelineConfig config,
            String uidSuffix) {
        return detect(byAccount, config, uidSuffix, null);
    }

    /**
     * {@link #detect(KeyedStream, PipelineConfig, String)} with the control changes the alert gate
     * applies ({@code control}; null: none, and no alert is held back). The rule engine reads them
     * from {@code byAccount}, where {@link #enriched(DataStream, PipelineConfig, DataStream)} put
     * them: give both the same.
     */
    public static Detection detect(
            KeyedStream<Either<EnrichedTransaction, ControlChange>, String> byAccount,
            PipelineConfig config,
            String uidSuffix,
            Changes control) {
        AvroTypeInfo<EnrichedTransaction> enrichedType =
                new AvroTypeInfo<>(EnrichedTransaction.class);
        String nameSuffix = uidSuffix.isEmpty() ? "" : " (" + uidSuffix + ")";
        DataStream<DeadLetter> deadLetters = null;
        DataStream<Alert> matches;
        DataStream<ControlChange> changes =
                control == null ? noControl(byAccount, uidSuffix) : control.changes();
        Duration hold = control == null ? Duration.ZERO : control.horizon();
        if (config.engine() == PipelineConfig.Engine.ARGUS) {
            // one input, chained to the profile: the events come by reference
            SingleOutputStreamOperator<Alert> engine =
                    byAccount
                            .transform(
                                    "rule engine: " + config.rules().size() + " rules" + nameSuffix,
                                    new AvroTypeInfo<>(Alert.class),
                                    new RuleEngineOperator(
                                            config.rules(),
                                            config.ordering(),
                                            config.maxPartialMatches(),
                                            hold))
                            .uid(Uids.RULE_ENGINE + uidSuffix);
            deadLetters =
                    engine.getSideOutput(RuleEngineOperator.LATE)
                            .map(
                                    new LateAtRulesFunction("the rule engine"),
                                    new AvroTypeInfo<>(DeadLetter.class))
                            .uid(Uids.LATE_AT_RULE_ENGINE + uidSuffix)
                            .name("late at the rule engine" + nameSuffix);
            matches = engine;
        } else {
            matches = null; // PipelineConfig guarantees at least one rule
            // stock flink-cep reads the events alone; the gate applies the control changes
            KeyedStream<EnrichedTransaction, String> events =
                    DataStreamUtils.reinterpretAsKeyedStream(
                            byAccount
                                    .transform(
                                            "events for flink-cep" + nameSuffix,
                                            enrichedType,
                                            new EventsOnly())
                                    .uid(Uids.CEP_EVENTS + uidSuffix),
                            e -> e.getTransaction().getAccountId(),
                            Types.STRING);
            for (Rule rule : config.rules()) {
                OutputTag<EnrichedTransaction> lateForRule =
                        new OutputTag<>("late-" + rule.id(), enrichedType);
                PatternStream<EnrichedTransaction> patternStream =
                        CEP.pattern(events, rule.pattern())
                                .inEventTime()
                                .sideOutputLateData(lateForRule);
                MatchToAlertFunction toAlert =
                        rule.alertsOnTimeout()
                                ? new AbsenceToAlertFunction(rule)
                                : new MatchToAlertFunction(rule);
                SingleOutputStreamOperator<Alert> ruleAlerts =
                        patternStream
                                .process(toAlert, new AvroTypeInfo<>(Alert.class))
                                .uid(Uids.rule(rule) + uidSuffix)
                                .name("rule " + rule.id() + " v" + rule.version() + nameSuffix);
                // routing drops late events before the rules, so this is a safety net, not a path
                DataStream<DeadLetter> late =
                        ruleAlerts
                                .getSideOutput(lateForRule)
                                .map(
                                        new LateAtRulesFunction(
                                                "the operator of rule " + rule.id()),
                                        new AvroTypeInfo<>(DeadLetter.class))
                                .uid(Uids.lateAtRule(rule.id()) + uidSuffix)
                                .name("late at rule " + rule.id() + nameSuffix);
                deadLetters = deadLetters == null ? late : deadLetters.union(late);
                DataStream<Alert> produced =
                        rule.alertsOnTimeout()
                                ? ruleAlerts.getSideOutput(AbsenceToAlertFunction.TIMED_OUT)
                                : ruleAlerts;
                matches = matches == null ? produced : matches.union(produced);
            }
        }
        SingleOutputStreamOperator<Alert> alerts =
                BehindEvents.connect(
                                matches.keyBy(Alert::getAccountId),
                                changes,
                                new AlertGateFunction(config.rules(), hold),
                                List.of(AlertGateFunction.CONTROL),
                                new AvroTypeInfo<>(Alert.class))
                        .uid(Uids.ALERT_GATE + uidSuffix)
                        .name("snoozes, quiet periods and routing by rule mode" + nameSuffix);
        return new Detection(
                alerts,
                alerts.getSideOutput(AlertGateFunction.SHADOW),
                alerts.getSideOutput(AlertGateFunction.QUIETED),
                alerts.getSideOutput(AlertGateFunction.SNOOZED),
                deadLetters);
    }

    /**
     * The profile's events without the control changes, for stock flink-cep. Like the rule engine
     * it sets no key for a change: the change's empty key may belong to another subtask, and Flink
     * refuses a key outside the subtask's key groups.
     */
    static final class EventsOnly extends AbstractStreamOperator<EnrichedTransaction>
            implements OneInputStreamOperator<
                    Either<EnrichedTransaction, ControlChange>, EnrichedTransaction> {
        private static final long serialVersionUID = 1L;

        @Override
        public void setKeyContextElement1(StreamRecord record) throws Exception {
            if (((Either<?, ?>) record.getValue()).isLeft()) {
                super.setKeyContextElement1(record);
            }
        }

        @Override
        public void processElement(StreamRecord<Either<EnrichedTransaction, ControlChange>> in) {
            if (in.getValue().isLeft()) {
                output.collect(new StreamRecord<>(in.getValue().left(), in.getTimestamp()));
            }
        }
    }

    /**
     * No control changes, for a pipeline without a control topic: a stream of none, idle from the
     * start (no state; see {@link AlwaysIdle}), attached to {@code events} so that it lives as long
     * as they do. The operators that read it beside the events (the profile, and through it the
     * engine; the gate) keep the events' time alone.
     *
     * <p>It was once a source that ended at once, and that was wrong: an ended input's last
     * watermark is the maximum, and an operator ignores the watermark of an idle input, so whenever
     * the transactions paused for longer than {@code events.idle-timeout} the profile, the engine
     * and the gate jumped to the end of time: every profile expired, every partial match timed out
     * and every absence rule fired. After a restore the ended task sends the maximum again.
     * ClusterITCase found it; QuietTransactionsITCase shows it.
     */
    public static <T> DataStream<ControlChange> noControl(DataStream<T> events, String uidSuffix) {
        return events.transform(
                        "no control changes" + (uidSuffix.isEmpty() ? "" : " (" + uidSuffix + ")"),
                        new AvroTypeInfo<>(ControlChange.class),
                        new AlwaysIdle<T, ControlChange>())
                .uid(Uids.NO_CONTROL + uidSuffix);
    }

    /**
     * Valid transactions keyed by account through the account profile: each with the account's
     * features, still keyed by account, and no control changes. The benchmark's rule-stage ceiling
     * and the backtest use it.
     */
    public static KeyedStream<Either<EnrichedTransaction, ControlChange>, String> enriched(
            DataStream<Transaction> valid, PipelineConfig config) {
        return enriched(valid, config, noControl(valid, "-profile"));
    }

    /**
     * Valid transactions keyed by account through the account profile: each with the account's
     * features, still keyed by account, and among them the control changes {@code changes}, which
     * the profile passes on to the rule engine. The profile and the rules share the keying, so no
     * shuffle sits between them, and the rule engine is chained to the profile.
     */
    public static KeyedStream<Either<EnrichedTransaction, ControlChange>, String> enriched(
            DataStream<Transaction> valid,
            PipelineConfig config,
            DataStream<ControlChange> changes) {
        SingleOutputStreamOperator<Either<EnrichedTransaction, ControlChange>> enriched =
                profile(
                                valid.keyBy(Transaction::getAccountId),
                                changes,
                                new ProfileFunction(
                                        new AccountProfile(config.profileMaxSeen()),
                                        config.profileRetention()))
                        .uid(Uids.ACCOUNT_PROFILE)
                        .name("account profile");
        return DataStreamUtils.reinterpretAsKeyedStream(
                enriched, ProfileFunction.ACCOUNT, Types.STRING);
    }

    /**
     * {@code profile} over {@code byAccount}, with {@code changes} broadcast to it and passed on
     * among the events ({@link BehindEvents}: their watermark holds it back, never forward). It
     * keeps no broadcast state.
     */
    public static SingleOutputStreamOperator<Either<EnrichedTransaction, ControlChange>> profile(
            KeyedStream<Transaction, String> byAccount,
            DataStream<ControlChange> changes,
            ProfileFunction profile) {
        return BehindEvents.connect(byAccount, changes, profile, List.of(), ProfileFunction.OUTPUT);
    }

    /**
     * The front of the topology: the source with event time and watermarks, and dead-letter
     * routing. Valid transactions come out; undecodable, invalid and late records leave through the
     * {@link DeadLetters#TAG} side output. The benchmark's ceiling job shares it, so that both pay
     * the same for reading and decoding.
     */
    public static SingleOutputStreamOperator<Transaction> validTransactions(
            StreamExecutionEnvironment env,
            Source<Decoded, ?, ?> transactions,
            PipelineConfig config) {
        return validTransactions(
                env.fromSource(transactions, watermarks(config), "transactions", Decoded.typeInfo())
                        .uid(Uids.TRANSACTIONS_SOURCE));
    }

    /**
     * Dead-letter routing of the source's records, at the source's parallelism: a source that keeps
     * each account's events in order (a Kafka partition keyed by account, one file reader) keeps
     * them in order through it.
     */
    public static SingleOutputStreamOperator<Transaction> validTransactions(
            DataStream<Decoded> records) {
        SingleOutputStreamOperator<Transaction> routed =
                records.process(new DeadLetterRoutingFunction(), new TransactionTypeInfo())
                        .uid(Uids.DEAD_LETTER_ROUTING)
                        .name("route invalid and late events to dead letters");
        if (routed.getParallelism() != records.getParallelism()) {
            routed.setParallelism(records.getParallelism());
        }
        return routed;
    }

    /**
     * The job's watermarks: bounded out-of-orderness on the transactions' event times, emitted
     * periodically, with idle partitions released after the idle timeout.
     */
    public static WatermarkStrategy<Decoded> watermarks(PipelineConfig config) {
        return WatermarkStrategy.<Decoded>forBoundedOutOfOrderness(config.maxOutOfOrderness())
                .withTimestampAssigner(Decoded::eventTime)
                .withIdleness(config.idleTimeout());
    }
}

package dev.argus.job;

import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.engine.EngineHarness;
import dev.argus.job.engine.RuleEngineOperator;
import dev.argus.job.profile.ProfileFunction;
import dev.argus.model.ControlChange;
import dev.argus.model.EnrichedTransaction;
import dev.argus.model.ProfileFeatures;
import dev.argus.model.RuleMode;
import dev.argus.model.TransactionBuilder;
import dev.argus.rules.RulePackLoader;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

/**
 * The control changes travel among the events, keyed by account, with an empty key of their own: at
 * parallelism 2 that key belongs to one subtask, and Flink refuses a key outside a subtask's key
 * groups. The operators that read this stream take a change on every subtask without setting its
 * key.
 */
class ControlAmongEventsTest {
    private static final int MAX_PARALLELISM = 128;

    /** The subtask of two whose key groups do not hold the empty key. */
    private static final int NOT_OWNING =
            1 - KeyGroupRangeAssignment.assignKeyToParallelOperator("", MAX_PARALLELISM, 2);

    private static final ControlChange CHANGE =
            ControlChanges.ruleMode(
                    "cmd-1", TransactionBuilder.T0, "card-testing", RuleMode.SHADOW);

    @Test
    void theRuleEngineTakesAChangeOnASubtaskWithoutTheEmptyKey() throws Exception {
        RuleEngineOperator engine =
                new RuleEngineOperator(
                        RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE)
                                .active(),
                        RuleEngineOperator.Ordering.ARRIVAL,
                        1_000);
        try (EngineHarness h =
                EngineHarness.open(engine, MAX_PARALLELISM, 2, NOT_OWNING, null, false)) {
            assertThatCode(() -> h.control(CHANGE)).doesNotThrowAnyException();
            EnrichedTransaction event = event(accountOf(NOT_OWNING));
            h.processElement(event, event.getTransaction().getEventTime().toEpochMilli());
        }
    }

    @Test
    void theEventsForFlinkCepDropTheChangesOnEverySubtask() throws Exception {
        try (var h =
                new KeyedOneInputStreamOperatorTestHarness<
                        String, Either<EnrichedTransaction, ControlChange>, EnrichedTransaction>(
                        new FraudDetectionPipeline.EventsOnly(),
                        ProfileFunction.ACCOUNT,
                        Types.STRING,
                        MAX_PARALLELISM,
                        2,
                        NOT_OWNING)) {
            h.setup(new AvroSerializer<>(EnrichedTransaction.class));
            h.open();
            EnrichedTransaction event = event(accountOf(NOT_OWNING));
            h.processElement(new StreamRecord<>(Either.Right(CHANGE), 1L));
            h.processElement(new StreamRecord<>(Either.Left(event), 2L));
            assertThat(h.extractOutputValues()).containsExactly(event);
        }
    }

    private static String accountOf(int subtask) {
        for (int i = 0; ; i++) {
            String account = "acc-" + i;
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(account, MAX_PARALLELISM, 2)
                    == subtask) {
                return account;
            }
        }
    }

    private static EnrichedTransaction event(String account) {
        return new EnrichedTransaction(
                payment("t-1").account(account).build(), ProfileFeatures.newBuilder().build());
    }
}

package dev.argus.job.control;

import static dev.argus.model.TransactionBuilder.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.ControlChange;
import dev.argus.model.ControlCommand;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlProblem;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeployPack;
import dev.argus.model.PackFile;
import dev.argus.model.ReceivedCommand;
import dev.argus.model.RollBack;
import dev.argus.model.RuleMode;
import dev.argus.model.SetRuleMode;
import dev.argus.model.SnoozeRule;
import dev.argus.model.Transaction;
import dev.argus.model.UnsnoozeRule;
import dev.argus.rules.PackFiles;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The control function on RocksDB: what it applies, what it refuses and why, what it keeps. */
class ControlFunctionTest {
    static final List<Rule> RULES =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE).active();
    static final Duration DISORDER = Duration.ofSeconds(5);
    static final Duration MARGIN = Duration.ofSeconds(10);

    private KeyedTwoInputStreamOperatorTestHarness<
                    String, ReceivedCommand, Transaction, ControlStatus>
            harness;
    private long offset;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void appliesAModeChangeAMarginAfterItsAppendTimeAndSendsItToTheGates() throws Exception {
        harness = open(null);
        ControlStatus status = send(command("c1", mode("card-testing", RuleMode.SHADOW), null));

        assertThat(status.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(status.getProblems()).isEmpty();
        assertThat(status.getEffectiveAt()).isEqualTo(T0.plus(MARGIN));
        assertThat(status.getCommand()).isEqualTo("set rule card-testing to SHADOW (was ENFORCE)");
        assertThat(status.getPackVersion()).isEqualTo(RULES.get(0).packVersion());
        assertThat(status.getIssuedBy()).isEqualTo("analyst@risk");
        assertThat(changes())
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getCommandId()).isEqualTo("c1");
                            assertThat(c.getEffectiveAt()).isEqualTo(T0.plus(MARGIN));
                            assertThat(c.getChange())
                                    .isEqualTo(mode("card-testing", RuleMode.SHADOW));
                        });
    }

    @Test
    void takesEffectTheDisorderAndTheMarginBeyondTheJobsWatermark() throws Exception {
        harness = open(null);
        // the transactions' event time runs a month behind the wall clock (a replay)
        Instant watermark = T0.minus(Duration.ofDays(30));
        harness.processWatermark2(new Watermark(watermark.toEpochMilli()));
        ControlStatus byDefault = send(command("c1", mode("card-testing", RuleMode.SHADOW), null));
        ControlStatus tooEarly =
                send(
                        command(
                                "c2",
                                mode("card-testing", RuleMode.ENFORCE),
                                watermark.plusSeconds(14)));
        ControlStatus later =
                send(
                        command(
                                "c3",
                                mode("card-testing", RuleMode.ENFORCE),
                                watermark.plusSeconds(60)));

        assertThat(byDefault.getEffectiveAt()).isEqualTo(watermark.plus(DISORDER).plus(MARGIN));
        assertThat(tooEarly.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(tooEarly.getProblems().get(0).getMessage())
                .startsWith(
                        "effective_at "
                                + watermark.plusSeconds(14)
                                + " is earlier than "
                                + watermark.plusSeconds(15));
        assertThat(later.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(later.getEffectiveAt()).isEqualTo(watermark.plusSeconds(60));
        assertThat(later.getCommand()).isEqualTo("set rule card-testing to ENFORCE (was SHADOW)");
        assertThat(changes()).extracting(ControlChange::getCommandId).containsExactly("c1", "c3");
    }

    @Test
    void refusesWithEveryReasonAndAHintAndAppliesNothing() throws Exception {
        harness = open(null);
        // a rule the job does not run, and a time before the margin
        ControlStatus unknown =
                send(command("c1", mode("card-testin", RuleMode.OFF), T0.plusSeconds(5)));
        // an empty reason, and an end before the start
        ControlStatus snooze =
                send(
                        command(
                                "c2",
                                SnoozeRule.newBuilder()
                                        .setRuleId("card-testing")
                                        .setAccountId("acc-1")
                                        .setUntil(T0)
                                        .setReason(" ")
                                        .build(),
                                null));

        assertThat(unknown.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(unknown.getEffectiveAt()).isNull();
        assertThat(unknown.getProblems())
                .extracting(ControlProblem::getMessage)
                .containsExactlyInAnyOrder(
                        "effective_at "
                                + T0.plusSeconds(5)
                                + " is earlier than "
                                + T0.plus(MARGIN)
                                + ", the control margin (10000 ms) after the command reached the"
                                + " control topic: events of that time may already have been"
                                + " judged",
                        "the job runs no rule card-testin (pack "
                                + RULES.get(0).packVersion()
                                + ")");
        assertThat(unknown.getProblems())
                .filteredOn(p -> "card-testin".equals(p.getRuleId()))
                .singleElement()
                .satisfies(
                        p ->
                                assertThat(p.getHint())
                                        .contains("card-testing", "argus rules deploy"));
        assertThat(snooze.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(snooze.getProblems())
                .extracting(ControlProblem::getMessage)
                .containsExactly(
                        "the reason is empty",
                        "the snooze would end ("
                                + T0
                                + ") before it takes effect ("
                                + T0.plus(MARGIN)
                                + ")");
        assertThat(changes()).isEmpty();
    }

    @Test
    void answersARecordItCannotReadAndGoesOn() throws Exception {
        harness = open(null);
        harness.processElement1(
                new StreamRecord<>(
                        ReceivedCommand.newBuilder()
                                .setOffset(7)
                                .setAppendedAt(T0)
                                .setError("WRONG_MAGIC_BYTE: not in the Confluent wire format")
                                .build()));
        ControlStatus next = send(command("c1", mode("card-testing", RuleMode.SHADOW), null));

        ControlStatus unread = harness.extractOutputValues().get(0);
        assertThat(unread.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(unread.getControlOffset()).isEqualTo(7);
        assertThat(unread.getProblems().get(0).getMessage())
                .isEqualTo(
                        "the record at offset 7 of the control topic is not a command:"
                                + " WRONG_MAGIC_BYTE: not in the Confluent wire format");
        assertThat(next.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
    }

    @Test
    void keepsItsSnoozesAcrossARestoreAndEndsOnlyOneThatIsInForce() throws Exception {
        harness = open(null);
        ControlStatus snooze = send(command("s1", snooze("card-testing", "acc-1"), null));
        ControlStatus notSnoozed = send(command("u0", unsnooze("card-testing", "acc-2"), null));
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot);
        ControlStatus unsnooze = send(command("u1", unsnooze("card-testing", "acc-1"), null));
        ControlStatus again = send(command("u2", unsnooze("card-testing", "acc-1"), null));
        // snoozes.yaml snoozes impossible-travel for acc-demo-traveller: that one can end too
        ControlStatus packs =
                send(command("u3", unsnooze("impossible-travel", "acc-demo-traveller"), null));
        ControlStatus packsAgain =
                send(command("u4", unsnooze("impossible-travel", "acc-demo-traveller"), null));

        assertThat(snooze.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(notSnoozed.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(notSnoozed.getProblems().get(0).getMessage())
                .isEqualTo("rule card-testing is not snoozed for account acc-2");
        assertThat(unsnooze.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(again.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(packs.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(packsAgain.getOutcome())
                .as("the pack's snooze has ended")
                .isEqualTo(ControlOutcome.REFUSED);
        assertThat(changes()).extracting(ControlChange::getCommandId).containsExactly("u1", "u3");
    }

    @Test
    void deploysAPackSaysWhatChangesAndJudgesLaterCommandsByIt() throws Exception {
        harness = open(null);
        Map<String, String> files = startFiles();
        files.put("pack.yaml", files.get("pack.yaml").replace(START, "2099.1"));
        files.put("cards/card-testing.yaml", tuned(files.get("cards/card-testing.yaml")));
        files.remove("money-laundering/structuring.yaml");

        ControlStatus deployed = send(command("d1", deploy(files), null));
        ControlStatus modeOfRemoved =
                send(command("m1", mode("structuring", RuleMode.SHADOW), null));

        assertThat(deployed.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(deployed.getPackVersion()).isEqualTo("2099.1");
        assertThat(deployed.getEffectiveAt()).isEqualTo(T0.plus(MARGIN));
        assertThat(deployed.getCommand())
                .startsWith("deploy pack 2099.1 from the test's directory (")
                .contains(
                        (RULES.size() - 1) + " rules running",
                        "changed card-testing v2 to v3",
                        "removed structuring");
        assertThat(changes())
                .singleElement()
                .satisfies(
                        c -> {
                            assertThat(c.getChange()).isInstanceOf(DeployPack.class);
                            assertThat(c.getBaseVersion()).isEqualTo(START);
                            assertThat(c.getEffectiveAt()).isEqualTo(T0.plus(MARGIN));
                        });
        assertThat(modeOfRemoved.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(modeOfRemoved.getProblems().get(0).getMessage())
                .isEqualTo("the job runs no rule structuring (pack 2099.1)");
    }

    @Test
    void refusesABrokenPackWithFileLineAndRuleAndKeepsThePackInForce() throws Exception {
        harness = open(null);
        Map<String, String> files = startFiles();
        files.put("pack.yaml", files.get("pack.yaml").replace(START, "2099.3"));
        String cardTesting = files.get("cards/card-testing.yaml");
        files.put(
                "cards/card-testing.yaml",
                cardTesting.replace(
                        "txn.amount.amount_minor >= 50000", "txn.amount.amount_minr >= 50000"));
        files.put("velocity/count-velocity.yaml", "id: count-velocity\nversion: [\n");

        ControlStatus refused = send(command("d3", deploy(files), null));
        ControlStatus mode = send(command("m1", mode("card-testing", RuleMode.SHADOW), null));

        assertThat(refused.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(refused.getPackVersion()).isEqualTo(START);
        int line = lineOf(cardTesting, "amount_minor >= 50000");
        assertThat(refused.getProblems())
                .anySatisfy(
                        p -> {
                            assertThat(p.getFile()).isEqualTo("cards/card-testing.yaml");
                            assertThat(p.getRuleId()).isEqualTo("card-testing");
                            assertThat(p.getLine()).isBetween(line - 3, line);
                            assertThat(p.getMessage()).contains("amount_minr");
                            assertThat(p.getHint()).isNotBlank();
                        })
                .anySatisfy(
                        p -> {
                            assertThat(p.getFile()).isEqualTo("velocity/count-velocity.yaml");
                            assertThat(p.getLine()).isPositive();
                        });
        assertThat(mode.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(mode.getPackVersion()).isEqualTo(START);
        assertThat(changes()).extracting(ControlChange::getCommandId).containsExactly("m1");
    }

    @Test
    void rollsBackToAPackItRanAndRefusesAVersionThatNamesOtherFiles() throws Exception {
        harness = open(null);
        Map<String, String> v1 = startFiles();
        v1.put("pack.yaml", v1.get("pack.yaml").replace(START, "2099.1"));
        Map<String, String> otherV1 = new TreeMap<>(v1);
        otherV1.put("cards/card-testing.yaml", tuned(v1.get("cards/card-testing.yaml")));

        ControlStatus first = send(command("d1", deploy(v1), null));
        ControlStatus again = send(command("d2", deploy(v1), null));
        ControlStatus other = send(command("d3", deploy(otherV1), null));
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();
        harness = open(snapshot);
        ControlStatus back = send(command("r1", new RollBack(START), null));
        ControlStatus unknown = send(command("r2", new RollBack("1999.1"), null));
        ControlStatus forward = send(command("r3", new RollBack("2099.1"), null));

        assertThat(first.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(again.getProblems())
                .extracting(ControlProblem::getMessage)
                .containsExactly("pack 2099.1 is in force already");
        assertThat(other.getProblems().get(0).getMessage())
                .startsWith("pack 2099.1 ran before with other files");
        assertThat(back.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(back.getPackVersion()).isEqualTo(START);
        assertThat(back.getCommand()).startsWith("roll back to pack " + START);
        assertThat(unknown.getProblems().get(0).getMessage())
                .isEqualTo("this job never ran pack 1999.1");
        assertThat(forward.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(changes())
                .extracting(
                        c ->
                                c.getCommandId()
                                        + " "
                                        + PackTimeline.files((DeployPack) c.getChange())
                                                .get("pack.yaml")
                                                .contains("2099.1"))
                .containsExactly("r1 false", "r3 true");
    }

    @Test
    void refusesADeployThatWouldTakeEffectBeforeThePendingOne() throws Exception {
        harness = open(null);
        Map<String, String> v1 = startFiles();
        v1.put("pack.yaml", v1.get("pack.yaml").replace(START, "2099.1"));
        Map<String, String> v2 = startFiles();
        v2.put("pack.yaml", v2.get("pack.yaml").replace(START, "2099.2"));

        send(command("d1", deploy(v1), T0.plus(Duration.ofHours(2))));
        ControlStatus earlier = send(command("d2", deploy(v2), T0.plus(Duration.ofHours(1))));

        assertThat(earlier.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(earlier.getProblems().get(0).getMessage())
                .isEqualTo(
                        "pack 2099.1 takes effect at "
                                + T0.plus(Duration.ofHours(2))
                                + ", after this one would");
    }

    @Test
    void afterARestoreNoCommandTakesEffectBeforeTheWatermarkItHadSeen() throws Exception {
        harness = open(null);
        // a replay: the job's event time runs a month behind the wall clock
        Instant watermark = T0.minus(Duration.ofDays(30));
        harness.processWatermark2(new Watermark(watermark.toEpochMilli()));
        send(command("c1", mode("card-testing", RuleMode.SHADOW), null));
        harness.processWatermark2(new Watermark(watermark.plusSeconds(60).toEpochMilli()));
        OperatorSubtaskState snapshot = harness.snapshot(1L, 1L);
        harness.close();

        // restored, before any watermark: the job has judged events up to a minute later
        harness = open(snapshot);
        ControlStatus tooEarly =
                send(
                        command(
                                "c2",
                                mode("card-testing", RuleMode.ENFORCE),
                                watermark.plusSeconds(30)));
        ControlStatus byDefault = send(command("c3", mode("card-testing", RuleMode.ENFORCE), null));

        assertThat(tooEarly.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        // not the wall clock's append time plus the margin, which a replay is far behind
        assertThat(byDefault.getEffectiveAt())
                .isBetween(
                        watermark.plusSeconds(60).plus(DISORDER).plus(MARGIN),
                        watermark.plusSeconds(61).plus(DISORDER).plus(MARGIN));
    }

    @Test
    void refusesFilesThatAreNoPackAndReadsTheVersionAsTheLoaderDoes() throws Exception {
        harness = open(null);
        Map<String, String> dot = startFiles();
        dot.put(".", "x");
        Map<String, String> folder = startFiles();
        folder.put("cards", "x"); // a file that is also the folder of others
        Map<String, String> nul = startFiles();
        nul.put("cards/a\u0000.yaml", "x");
        Map<String, String> commented = startFiles();
        commented.put(
                "pack.yaml",
                commented.get("pack.yaml").replace(START, "2099.7  # the December release"));

        List<ControlStatus> refused =
                List.of(
                        send(command("d1", deploy(dot), null)),
                        send(command("d2", deploy(folder), null)),
                        send(command("d3", deploy(nul), null)));
        ControlStatus applied = send(command("d4", deploy(commented), null));

        assertThat(refused)
                .allSatisfy(
                        s -> {
                            assertThat(s.getOutcome()).isEqualTo(ControlOutcome.REFUSED);
                            assertThat(s.getProblems().get(0).getMessage())
                                    .isEqualTo("not a path inside the pack's directory");
                        });
        assertThat(applied.getOutcome()).isEqualTo(ControlOutcome.APPLIED);
        assertThat(applied.getPackVersion()).isEqualTo("2099.7");
        assertThat(applied.getCommand()).startsWith("deploy pack 2099.7 from ");
    }

    static final String START = RULES.get(0).packVersion();

    /** The built-in pack's files, to change. */
    static Map<String, String> startFiles() throws Exception {
        return new TreeMap<>(PackFiles.read(RulePackLoader.resolve(RulePackLoader.BUILT_IN)));
    }

    /** card-testing with a lower threshold for the large payment: version 3, same pattern. */
    static String tuned(String cardTesting) {
        return cardTesting
                .replace("version: 2", "version: 3")
                .replace("amount_minor >= 50000", "amount_minor >= 40000");
    }

    static DeployPack deploy(Map<String, String> files) {
        List<PackFile> list = new ArrayList<>();
        files.forEach((path, content) -> list.add(new PackFile(path, content)));
        return new DeployPack("the test's directory", list);
    }

    private static int lineOf(String text, String part) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(part)) {
                return i + 1;
            }
        }
        throw new AssertionError(part + " not in the file");
    }

    private ControlStatus send(ControlCommand command) throws Exception {
        int before = harness.extractOutputValues().size();
        harness.processElement1(
                new StreamRecord<>(
                        ReceivedCommand.newBuilder()
                                .setCommand(command)
                                .setOffset(offset++)
                                .setAppendedAt(T0)
                                .build()));
        List<ControlStatus> out = harness.extractOutputValues();
        assertThat(out).hasSize(before + 1);
        return out.get(before);
    }

    private List<ControlChange> changes() {
        var changes = harness.getSideOutput(ControlFunction.CHANGES);
        return changes == null ? List.of() : changes.stream().map(StreamRecord::getValue).toList();
    }

    private static ControlCommand command(String id, Object what, Instant effectiveAt) {
        return ControlCommand.newBuilder()
                .setCommandId(id)
                .setIssuedBy("analyst@risk")
                .setIssuedAt(T0)
                .setEffectiveAt(effectiveAt)
                .setCommand(what)
                .build();
    }

    private static SetRuleMode mode(String rule, RuleMode mode) {
        return SetRuleMode.newBuilder().setRuleId(rule).setMode(mode).build();
    }

    private static SnoozeRule snooze(String rule, String account) {
        return SnoozeRule.newBuilder()
                .setRuleId(rule)
                .setAccountId(account)
                .setUntil(T0.plus(Duration.ofDays(3)))
                .setReason("RISK-7: travelling")
                .build();
    }

    private static UnsnoozeRule unsnooze(String rule, String account) {
        return UnsnoozeRule.newBuilder().setRuleId(rule).setAccountId(account).build();
    }

    private static KeyedTwoInputStreamOperatorTestHarness<
                    String, ReceivedCommand, Transaction, ControlStatus>
            open(OperatorSubtaskState restoreFrom) throws Exception {
        var harness =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(
                                new ControlFunction(
                                        RULES,
                                        startFiles(),
                                        CepPatternCheck.INSTANCE,
                                        true,
                                        DISORDER,
                                        MARGIN)),
                        (ReceivedCommand c) -> ControlFunction.KEY,
                        (Transaction t) -> ControlFunction.KEY,
                        Types.STRING);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        // as in the job: the control topic is idle for good, so the transactions set the time
        harness.processWatermarkStatus1(WatermarkStatus.IDLE);
        return harness;
    }
}

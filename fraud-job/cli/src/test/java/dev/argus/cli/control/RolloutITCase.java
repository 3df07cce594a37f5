package dev.argus.cli.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.cli.ArgusRun;
import dev.argus.model.Alert;
import dev.argus.model.ControlOutcome;
import dev.argus.model.ControlStatus;
import dev.argus.model.DeployPack;
import dev.argus.model.PackFile;
import dev.argus.rules.PackFiles;
import dev.argus.rules.RulePackLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollout end to end, through a real broker and registry, without a restart: {@code argus rules
 * deploy} of pack it-1 (its test cases run first), then of it-2 mid-stream, which changes one
 * rule's threshold, restructures another and adds a third; an episode of the unchanged rule that
 * spans the cutover still alerts, and every event is judged by the pack in force at its event time,
 * which its alerts carry; a broken it-3 is refused on the status topic with its file and line while
 * it-2 goes on; {@code argus rules rollback it-1} returns to it-1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolloutITCase {
    RunningJob job;
    @TempDir Path dir;

    @BeforeAll
    void startTheJob() throws Exception {
        job = RunningJob.start(Map.of("rules.ordering", "arrival"));
    }

    @AfterAll
    void stop() throws Exception {
        if (job != null) {
            job.close();
        }
    }

    @Test
    void deploysMidStreamJudgesEachEventByThePackInForceAndRollsBack() throws Exception {
        Path v1 = pack("it-1", BIG_ONLINE.formatted(1, 500000), QUICK_REPEAT.formatted(1, "1m"));
        Path v2 =
                pack(
                        "it-2",
                        BIG_ONLINE.formatted(2, 300000),
                        QUICK_REPEAT.formatted(2, "5m"),
                        TINY_ONLINE,
                        DENIED_CARD);

        ArgusRun first = job.argus("rules", "deploy", v1.toString());
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.out())
                .contains("test cases passed", "applied: deploy pack it-1 from " + v1);
        Instant clock = later(RunningJob.effectiveAt(first.out()));

        // under it-1: a payment of 4,000.00 is not large yet, and no rule looks at tiny ones
        payment("acc-big-1", "4000.00", clock);
        payment("acc-tiny-1", "0.05", clock);
        // the start of a card-testing burst and of a quick repeat, before the cutover
        payment("acc-ct", "1.00", clock);
        payment("acc-ct", "1.00", clock.plusSeconds(1));
        payment("acc-qr", "150.00", clock.plusSeconds(2));

        Instant cutover = clock.plusSeconds(10);
        ArgusRun second =
                job.argus(
                        "rules",
                        "deploy",
                        v2.toString(),
                        "--skip-tests",
                        "--effective-at",
                        cutover.toString());
        assertThat(second.status()).as(second.err()).isZero();
        assertThat(second.out())
                .contains(
                        "applied: deploy pack it-2 from " + v2,
                        "added denied-card v1, tiny-online-payment v1;",
                        "changed big-online-payment v1 to v2;",
                        "quick-repeat v1 to v2, pattern changed: starts clean",
                        "from " + cutover);

        // under it-2, from the cutover on
        Instant after = cutover.plusSeconds(1);
        payment("acc-ct", "800.00", after);
        payment("acc-big-2", "4000.00", after);
        payment("acc-tiny-2", "0.05", after);
        payment("acc-qr", "150.00", after.plusSeconds(1));
        awaitAlert("tiny-online-payment", "acc-tiny-2");
        awaitAlert("big-online-payment", "acc-big-2");
        awaitAlert("card-testing", "acc-ct");

        // a broken pack, from a tool that does not check it first: refused with file and line
        DeployPack broken =
                deployOf(
                        pack(
                                "it-3",
                                BIG_ONLINE
                                        .formatted(3, 500000)
                                        .replace(
                                                "txn.amount.amount_minor",
                                                "txn.amount.amount_minr")));
        Optional<ControlStatus> refused =
                new ControlClient(job.config)
                        .send(ControlClient.command(broken, null).build(), Duration.ofSeconds(30));
        assertThat(refused).isPresent();
        assertThat(refused.get().getOutcome()).isEqualTo(ControlOutcome.REFUSED);
        assertThat(refused.get().getPackVersion()).isEqualTo("it-2");
        assertThat(refused.get().getProblems())
                .anySatisfy(
                        p -> {
                            assertThat(p.getFile()).isEqualTo("big-online-payment.yaml");
                            assertThat(p.getLine()).isPositive();
                            assertThat(p.getRuleId()).isEqualTo("big-online-payment");
                        });
        // it-2 goes on
        payment("acc-tiny-3", "0.05", after.plusSeconds(5));
        awaitAlert("tiny-online-payment", "acc-tiny-3");

        // a list entry and a snooze, without a restart, from their effective time on
        Instant listed = after.plusSeconds(10);
        ArgusRun put =
                job.argus(
                        "list",
                        "put",
                        "deny_cards",
                        "card-acc-deny",
                        "--effective-at",
                        listed.toString());
        assertThat(put.status()).as(put.err()).isZero();
        assertThat(put.out()).contains("applied: put 1 entry into list deny_cards (card-acc-deny)");
        ArgusRun snooze =
                job.argus(
                        "snooze",
                        "tiny-online-payment",
                        "acc-tiny-snoozed",
                        "--until",
                        Instant.now().plus(Duration.ofDays(1)).toString(),
                        "--reason",
                        "RISK-7",
                        "--effective-at",
                        listed.toString());
        assertThat(snooze.status()).as(snooze.err()).isZero();
        payment("acc-deny", "20.00", listed.minusSeconds(4));
        payment("acc-deny", "20.00", listed.plusSeconds(1));
        payment("acc-tiny-snoozed", "0.05", listed.plusSeconds(1));
        payment("acc-tiny-6", "0.05", listed.plusSeconds(1));
        awaitAlert("denied-card", "acc-deny");
        awaitAlert("tiny-online-payment", "acc-tiny-6");

        Instant back = listed.plusSeconds(10);
        ArgusRun rollback =
                job.argus("rules", "rollback", "it-1", "--effective-at", back.toString());
        assertThat(rollback.status()).as(rollback.err()).isZero();
        assertThat(rollback.out()).contains("applied: roll back to pack it-1", "(pack it-1,");
        payment("acc-tiny-4", "0.05", back.plusSeconds(1));
        payment("acc-big-4", "4000.00", back.plusSeconds(1));
        payment("acc-big-5", "6000.00", back.plusSeconds(2));
        awaitAlert("big-online-payment", "acc-big-5");

        List<String> judged = new ArrayList<>();
        job.readAlerts();
        for (Alert a : job.alerts) {
            judged.add(
                    a.getRuleId()
                            + " v"
                            + a.getRuleVersion()
                            + " "
                            + a.getAccountId()
                            + " "
                            + a.getPackVersion());
        }
        assertThat(judged)
                .containsExactlyInAnyOrder(
                        // the burst's small payments were judged by it-1, its large one by it-2
                        "card-testing v2 acc-ct it-2",
                        "big-online-payment v2 acc-big-2 it-2",
                        "tiny-online-payment v1 acc-tiny-2 it-2",
                        "tiny-online-payment v1 acc-tiny-3 it-2",
                        // the payment before the entry was put is not on the list
                        "denied-card v1 acc-deny it-2",
                        "tiny-online-payment v1 acc-tiny-6 it-2",
                        "big-online-payment v1 acc-big-5 it-1");

        ArgusRun history = job.argus("rules", "history");
        assertThat(history.out().lines().filter(l -> l.matches("^\\d{4}-.*")).toList())
                .satisfiesExactly(
                        l -> assertThat(l).contains("applied: deploy pack it-1"),
                        l -> assertThat(l).contains("applied: deploy pack it-2"),
                        l -> assertThat(l).contains("refused: deploy pack it-3"),
                        l -> assertThat(l).contains("applied: put 1 entry into list deny_cards"),
                        l -> assertThat(l).contains("applied: snooze rule tiny-online-payment"),
                        l -> assertThat(l).contains("applied: roll back to pack it-1"));
        assertThat(history.out()).contains("big-online-payment.yaml:", "amount_minr");
    }

    /** An approved online card payment, one per account unless the account has several. */
    private void payment(String account, String euros, Instant at) throws Exception {
        job.send(RunningJob.cardPayment(account + "-" + at.toEpochMilli(), account, at, euros));
    }

    private void awaitAlert(String rule, String account) throws Exception {
        job.awaitAlert(
                job.alerts,
                a -> a.getRuleId().equals(rule) && a.getAccountId().equals(account),
                "an alert of " + rule + " on " + account);
    }

    /** A second after {@code effective}, and never before now. */
    private static Instant later(Instant effective) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return (effective.isAfter(now) ? effective : now).plusSeconds(1);
    }

    /**
     * A pack in its own directory: the built-in card-testing rule with its test cases (the same in
     * every version), and the given rules, each with a test case that alerts and one that does not.
     */
    private Path pack(String version, String... rules) throws Exception {
        Path pack = Files.createDirectories(dir.resolve(version));
        Files.writeString(
                pack.resolve("pack.yaml"),
                "version: "
                        + version
                        + "\nquiet_period: 0s\nlists:\n  deny_cards:\n    values: []\n");
        Path builtIn = RulePackLoader.resolve(RulePackLoader.BUILT_IN);
        for (String file : List.of("card-testing.yaml", "card-testing.test.yaml")) {
            Files.writeString(
                    pack.resolve(file), Files.readString(builtIn.resolve("cards/" + file)));
        }
        for (String rule : rules) {
            String id = rule.substring(4, rule.indexOf('\n')).trim();
            Files.writeString(pack.resolve(id + ".yaml"), rule);
            Files.writeString(pack.resolve(id + ".test.yaml"), TESTS.get(id));
        }
        return pack;
    }

    private static DeployPack deployOf(Path pack) throws Exception {
        List<PackFile> files = new ArrayList<>();
        PackFiles.read(pack).forEach((path, text) -> files.add(new PackFile(path, text)));
        return new DeployPack(pack.toString(), files);
    }

    private static final String HEAD =
            """
            version: %d
            title: %s
            owner: risk-it
            severity: medium
            score: 50
            mode: enforce
            explanation: "{{ txn.transaction_id }}"
            """;

    /** One large online card payment: version, threshold in minor units. */
    private static final String BIG_ONLINE =
            "id: big-online-payment\n"
                    + HEAD.formatted(0, "Large online payment").replace("version: 0", "version: %d")
                    + """
                    within: 1m
                    skip: skip_past_last_event
                    pattern:
                      - stage: large
                        where: >-
                          txn.type == 'CARD_PAYMENT' && !txn.card_present
                          && txn.amount.amount_minor >= %d
                    """;

    /** Two card payments of 100.00 or more: version, window. */
    private static final String QUICK_REPEAT =
            "id: quick-repeat\n"
                    + HEAD.formatted(0, "Quick repeat").replace("version: 0", "version: %d")
                    + """
                    within: %s
                    skip: skip_past_last_event
                    pattern:
                      - stage: first
                        where: "txn.type == 'CARD_PAYMENT' && txn.amount.amount_minor >= 10000"
                      - stage: second
                        follows: followed_by
                        where: "txn.type == 'CARD_PAYMENT' && txn.amount.amount_minor >= 10000"
                    """;

    /** A tiny online card payment. */
    private static final String TINY_ONLINE =
            "id: tiny-online-payment\n"
                    + HEAD.formatted(1, "Tiny online payment")
                    + """
                    within: 1m
                    skip: skip_past_last_event
                    pattern:
                      - stage: tiny
                        where: >-
                          txn.type == 'CARD_PAYMENT' && !txn.card_present
                          && txn.amount.amount_minor <= 10
                    """;

    /** A payment with a card on the deny list. */
    private static final String DENIED_CARD =
            "id: denied-card\n"
                    + HEAD.formatted(1, "Denied card")
                    + """
                    within: 1m
                    skip: skip_past_last_event
                    pattern:
                      - stage: denied
                        where: "has(txn.card_token) && txn.card_token in lists.deny_cards"
                    """;

    private static final Map<String, String> TESTS =
            Map.of(
                    "denied-card",
                    """
                    cases:
                      - name: no card is denied in the pack itself
                        events:
                          - {id: p, at: 0s, amount: 20.00}
                        expect: []
                    """,
                    "big-online-payment",
                    """
                    cases:
                      - name: a very large online payment alerts
                        events:
                          - {id: big, at: 0s, amount: 9000.00}
                        expect:
                          - matched: [big]
                      - name: a small one does not
                        events:
                          - {id: small, at: 0s, amount: 20.00}
                        expect: []
                    """,
                    "quick-repeat",
                    """
                    cases:
                      - name: two payments in quick succession alert
                        events:
                          - {id: p1, at: 0s, amount: 150.00}
                          - {id: p2, at: 30s, amount: 150.00}
                        expect:
                          - matched: [p1, p2]
                      - name: one payment does not
                        events:
                          - {id: p1, at: 0s, amount: 150.00}
                        expect: []
                    """,
                    "tiny-online-payment",
                    """
                    cases:
                      - name: a tiny online payment alerts
                        events:
                          - {id: tiny, at: 0s, amount: 0.05}
                        expect:
                          - matched: [tiny]
                      - name: a normal one does not
                        events:
                          - {id: normal, at: 0s, amount: 20.00}
                        expect: []
                    """);
}

package dev.argus.cli.backtest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.model.Alert;
import dev.argus.model.AlertMode;
import dev.argus.model.MatchedEvent;
import dev.argus.model.RecommendedAction;
import dev.argus.model.Severity;
import dev.argus.model.TransactionType;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.traffic.CaseLabel;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the backtest judges alerts and cases around the warm-up, without running a job. */
class ScoresTest {
    static final List<Rule> PACK =
            RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE).active();
    static final LocalDate START = LocalDate.parse("2026-10-05");
    static final Instant SCORE_FROM = Backtest.scoreFrom(START, Duration.ofDays(2));
    static final Instant LAST = Instant.parse("2026-10-10T00:00:00Z");
    static final String RULE = "new-country-login-transfer";

    @Test
    void anAlertAfterTheWarmUpOnACaseThatBeganInItIsOnFraudButTheCaseIsNotScored() {
        // a foreign login on day 2 (warm-up) and the fraudster's transfer on day 3
        CaseLabel early =
                fraudCase("early", "acc-1", "login-1", "2026-10-06T10:00:00Z", "transfer-1");
        CaseLabel later =
                fraudCase("later", "acc-2", "login-2", "2026-10-08T10:00:00Z", "transfer-2");
        Alert onEarly = alert("a1", "acc-1", "login-1", "2026-10-07T13:00:00Z", "transfer-1");
        Alert onLater = alert("a2", "acc-2", "login-2", "2026-10-08T11:00:00Z", "transfer-2");
        Alert benign = alert("a3", "acc-3", "login-3", "2026-10-09T11:00:00Z", "transfer-3");

        Scores scores = scores(List.of(onEarly, onLater, benign), List.of(early, later));

        assertThat(scores.truth(onEarly)).isEqualTo(Scores.Truth.FRAUD);
        assertThat(scores.truth(onLater)).isEqualTo(Scores.Truth.FRAUD);
        assertThat(scores.truth(benign)).isEqualTo(Scores.Truth.BENIGN);
        Scores.Overall overall = scores.overall;
        assertThat(overall.alerts()).isEqualTo(3);
        assertThat(overall.alertsOnFraud()).isEqualTo(2);
        assertThat(overall.fraudCases()).as("the early case is not scored").isEqualTo(1);
        assertThat(overall.caught()).isEqualTo(1);
        assertThat(overall.benignAlerts()).as("acc-1 is a fraud account").isEqualTo(1);
        assertThat(overall.benignAccounts()).isEqualTo(100 - 2);
        Scores.RuleScore rule =
                scores.rules.stream().filter(r -> r.rule().equals(RULE)).findFirst().orElseThrow();
        assertThat(rule.truePositives()).isEqualTo(2);
        assertThat(rule.falsePositives()).isEqualTo(1);
        assertThat(rule.falseNegatives()).isZero();
    }

    @Test
    void anAlertInTheWarmUpIsNotScored() {
        CaseLabel early =
                fraudCase("early", "acc-1", "login-1", "2026-10-05T10:00:00Z", "transfer-1");
        Alert inWarmUp = alert("a1", "acc-1", "login-1", "2026-10-06T13:00:00Z", "transfer-1");

        Scores scores = scores(List.of(inWarmUp), List.of(early));

        assertThat(scores.overall.alerts()).isZero();
        assertThat(scores.overall.warmUpAlerts()).isEqualTo(1);
        assertThat(scores.overall.fraudCases()).isZero();
    }

    @Test
    void anAlertSentMoreThanAMinuteAfterItsLastEventIsLateAndTheLongestWaitIsKept() {
        Alert onTime = alert("a1", "acc-1", "login-1", "2026-10-08T11:00:00Z", "transfer-1");
        Alert disorder = alert("a2", "acc-2", "login-2", "2026-10-08T12:00:00Z", "transfer-2");
        disorder.setDetectionTime(disorder.getLastEventTime().plusSeconds(4));
        Alert held = alert("a3", "acc-3", "login-3", "2026-10-08T13:00:00Z", "transfer-3");
        held.setDetectionTime(held.getLastEventTime().plus(Duration.ofMinutes(570)));
        Alert heldLess = alert("a4", "acc-4", "login-4", "2026-10-08T14:00:00Z", "transfer-4");
        heldLess.setDetectionTime(heldLess.getLastEventTime().plus(Duration.ofMinutes(3)));

        Scores.RuleScore rule =
                scores(List.of(onTime, disorder, held, heldLess), null).rules.stream()
                        .filter(r -> r.rule().equals(RULE))
                        .findFirst()
                        .orElseThrow();

        assertThat(rule.alerts()).isEqualTo(4);
        assertThat(rule.late()).as("a few seconds of disorder are not late").isEqualTo(2);
        assertThat(rule.longestWaitMinutes()).isEqualTo(570.0);
        assertThat(BacktestOutput.waitText(rule)).isEqualTo("9.5 h");
        Scores.RuleScore quiet =
                scores(List.of(onTime), null).rules.stream()
                        .filter(r -> r.rule().equals(RULE))
                        .findFirst()
                        .orElseThrow();
        assertThat(quiet.late()).isZero();
        assertThat(BacktestOutput.waitText(quiet)).isEqualTo("-");
    }

    @Test
    void anAbsenceRulesAlertComesWhenItsWindowEndsAndIsNotLate() {
        Alert silent = alert("a1", "acc-1", "login-1", "2026-10-08T11:00:00Z", "transfer-1");
        silent.setRuleId("new-device-owner-silent");
        silent.setDetectionTime(silent.getLastEventTime().plus(Duration.ofHours(23)));

        Scores.RuleScore rule =
                scores(List.of(silent), null).rules.stream()
                        .filter(r -> r.rule().equals("new-device-owner-silent"))
                        .findFirst()
                        .orElseThrow();

        assertThat(rule.alerts()).isEqualTo(1);
        assertThat(rule.late()).isZero();
    }

    private static Scores scores(List<Alert> alerts, List<CaseLabel> labels) {
        return new Scores(
                PACK,
                new BacktestJob.PackRun(alerts, List.of()),
                labels,
                100,
                SCORE_FROM,
                START,
                LAST);
    }

    private static CaseLabel fraudCase(
            String id, String account, String login, String at, String transfer) {
        Instant t = Instant.parse(at);
        return new CaseLabel(
                id,
                true,
                "foreign-login-takeover",
                "classic",
                account,
                List.of(login, transfer),
                t,
                t.plus(Duration.ofHours(27)),
                "a foreign login, then a transfer");
    }

    private static Alert alert(
            String id, String account, String login, String transferAt, String transfer) {
        Instant at = Instant.parse(transferAt);
        return Alert.newBuilder()
                .setAlertId(id)
                .setRuleId(RULE)
                .setRuleVersion(1)
                .setPackVersion("test")
                .setMode(AlertMode.ENFORCE)
                .setAccountId(account)
                .setSeverity(Severity.HIGH)
                .setScore(80)
                .setRecommendedAction(RecommendedAction.STEP_UP)
                .setExplanation(id)
                .setMatchedEvents(
                        List.of(
                                event("foreign_login", login, at.minusSeconds(3600), true),
                                event("transfer", transfer, at, false)))
                .setFeatures(Map.of())
                .setLastEventTime(at)
                .setDetectionTime(at)
                .build();
    }

    private static MatchedEvent event(String stage, String id, Instant at, boolean login) {
        return MatchedEvent.newBuilder()
                .setStage(stage)
                .setTransactionId(id)
                .setEventTime(at)
                .setType(login ? TransactionType.LOGIN : TransactionType.TRANSFER)
                .build();
    }
}

package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.rules.RulePackException;
import dev.argus.rules.RuleSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {
    private static final String[] REQUIRED = {
        "--kafka.bootstrap.servers", "broker:9092", "--schema.registry.url", "http://registry:8081"
    };

    @Test
    void argumentsOverrideTheFileAndDefaultsFillTheRest(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("argus.properties");
        Files.writeString(
                file,
                "kafka.bootstrap.servers=file:9092\nschema.registry.url=http://file\n"
                        + "topic.alerts=fraud-alerts\nevents.max-out-of-orderness=2 s\n");
        JobConfig config =
                JobConfig.fromArgs(
                        new String[] {
                            "--config", file.toString(), "--kafka.bootstrap.servers=arg:9092"
                        });

        assertThat(config.bootstrapServers()).isEqualTo("arg:9092");
        assertThat(config.get("topic.alerts")).isEqualTo("fraud-alerts");
        assertThat(config.get("topic.transactions")).isEqualTo("transactions");
        assertThat(config.pipeline().maxOutOfOrderness()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void passesKafkaClientPropertiesThroughWithoutThePrefix() throws Exception {
        JobConfig config =
                JobConfig.fromArgs(
                        concat(
                                REQUIRED,
                                "--kafka.security.protocol",
                                "SASL_SSL",
                                "--kafka.sasl.mechanism",
                                "PLAIN"));
        assertThat(config.kafkaProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("bootstrap.servers", "broker:9092");
    }

    @Test
    void configuresTheRegistryClientLikeConfluentClients() throws Exception {
        JobConfig config =
                JobConfig.fromArgs(concat(REQUIRED, "--basic.auth.user.info", "argus:s3cret"));
        assertThat(config.registry().url()).isEqualTo("http://registry:8081");
        assertThat(config.registry().basicAuthUser()).isEqualTo("argus");
        assertThat(config.registry().basicAuthPassword()).isEqualTo("s3cret");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void runsTheActiveRulesOfTheBuiltInPackByDefault() throws Exception {
        PipelineConfig pipeline = JobConfig.fromArgs(REQUIRED).pipeline();
        assertThat(pipeline.rules())
                .extracting(r -> r.id())
                .contains("card-testing", "structuring");
        assertThat(pipeline.rules()).allMatch(r -> r.mode() != RuleSpec.Mode.OFF);
    }

    @Test
    void refusesToStartWithAnInvalidPackAndSaysWhy(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("broken.yaml"),
                "id: broken\nversion: 1\ntitle: t\nowner: o\nseverity: high\nscore: 10\n"
                        + "mode: enforce\nexplanation: x\nwithin: 1m\n"
                        + "pattern:\n  - stage: a\n    where: txn.amont > 1\n");
        JobConfig config = JobConfig.fromArgs(concat(REQUIRED, "--rules.path", dir.toString()));
        assertThatThrownBy(config::pipeline)
                .isInstanceOf(RulePackException.class)
                .hasMessageContaining("broken.yaml:12: rule 'broken'")
                .hasMessageContaining("undefined field 'amont'")
                .hasMessageContaining("did you mean 'amount'?");
    }

    @Test
    void refusesUnknownKeysAndMissingRequiredOnesAllAtOnce() {
        assertThatThrownBy(() -> JobConfig.fromArgs(new String[] {"--topic.alert", "x"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown key 'topic.alert'")
                .hasMessageContaining("'kafka.bootstrap.servers' is required")
                .hasMessageContaining("'schema.registry.url' is required");
    }

    @Test
    void refusesAnOptionWithoutAValueAndAnArgumentThatIsNotAnOption() {
        assertThatThrownBy(() -> JobConfig.fromArgs(concat(REQUIRED, "--topic.alerts")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--topic.alerts needs a value");
        assertThatThrownBy(() -> JobConfig.fromArgs(concat(REQUIRED, "topic.alerts", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'topic.alerts'");
    }

    @Test
    void aLaterRepetitionOfAKeyWins() throws Exception {
        JobConfig config =
                JobConfig.fromArgs(
                        concat(REQUIRED, "--topic.alerts", "first", "--topic.alerts=second"));
        assertThat(config.get("topic.alerts")).isEqualTo("second");
    }

    @Test
    void refusesADurationThatIsNotOne() throws Exception {
        JobConfig config = JobConfig.fromArgs(concat(REQUIRED, "--checkpoint.interval", "often"));
        assertThatThrownBy(() -> config.duration("checkpoint.interval"))
                .hasMessageContaining("checkpoint.interval = 'often' is not a duration");
    }

    @Test
    void refusesAFlagThatIsNeitherTrueNorFalse() throws Exception {
        JobConfig config = JobConfig.fromArgs(concat(REQUIRED, "--checkpoint.changelog", "yes"));
        assertThatThrownBy(() -> config.flag("checkpoint.changelog"))
                .hasMessageContaining("checkpoint.changelog = 'yes' is neither true nor false");
        assertThat(JobConfig.fromArgs(REQUIRED).flag("checkpoint.changelog")).isFalse();
    }

    @Test
    void theStateChangelogIsOffByDefaultAndClaimsWhatItRestoresWhenOn() throws Exception {
        Configuration off = FraudDetectionJob.localFlinkConfiguration(JobConfig.fromArgs(REQUIRED));
        assertThat(off.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isFalse();

        Configuration on =
                FraudDetectionJob.localFlinkConfiguration(
                        JobConfig.fromArgs(
                                concat(
                                        REQUIRED,
                                        "--checkpoint.changelog",
                                        "true",
                                        "--checkpoint.changelog.materialization-interval",
                                        "1 min")));
        assertThat(on.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isTrue();
        assertThat(on.get(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE)).isEqualTo("filesystem");
        assertThat(on.get(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL))
                .isEqualTo(Duration.ofMinutes(1));
        assertThat(on.get(StateRecoveryOptions.RESTORE_MODE)).isEqualTo(RecoveryClaimMode.CLAIM);
        // the log goes beside the checkpoints
        assertThat(on.get(FsStateChangelogOptions.BASE_PATH))
                .startsWith(on.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))
                .endsWith("changelog");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

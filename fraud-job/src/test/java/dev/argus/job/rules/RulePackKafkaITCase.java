package dev.argus.job.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.FraudDetectionJob;
import dev.argus.job.JobConfig;
import dev.argus.job.io.TopicReader;
import dev.argus.job.local.EmbeddedKafka;
import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.model.registry.InProcessSchemaRegistry;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.model.serde.ConfluentAvroSerializer;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.RuleSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The whole shipped pack through a real KRaft broker and the registry serde, as the job runs in
 * production (the pack loaded from the job's jar, rules in their own modes). The stream is
 * labelled: it is every test case of the pack, each on its own accounts, so the alerts expected are
 * known. A read_committed consumer sees exactly the expected alerts of each rule, each once,
 * enforce rules' on the alerts topic and shadow rules' on the shadow-alerts topic only.
 */
class RulePackKafkaITCase {

    @Test
    void thePackFindsExactlyTheLabelledCasesThroughKafka() throws Exception {
        RulePackLoader.Result loaded = RulePackLoader.load(List.of(Path.of("../rules/pack")), true);
        assertThat(loaded.problems()).isEmpty();
        RulePack pack = loaded.pack();
        Set<String> shadowRules =
                pack.rules().stream()
                        .filter(r -> r.mode() == RuleSpec.Mode.SHADOW)
                        .map(Rule::id)
                        .collect(Collectors.toSet());
        assertThat(shadowRules).isNotEmpty();

        try (EmbeddedKafka kafka = EmbeddedKafka.start();
                InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0)) {
            JobConfig config =
                    JobConfig.of(
                            Map.of(
                                    "kafka.bootstrap.servers",
                                    kafka.bootstrapServers(),
                                    "schema.registry.url",
                                    registry.url(),
                                    "kafka.group.id",
                                    "pack-itcase",
                                    "checkpoint.interval",
                                    "1 s"));
            kafka.createTopics(
                    2,
                    config.get("topic.transactions"),
                    config.get("topic.alerts"),
                    config.get("topic.shadow-alerts"),
                    config.get("topic.dead-letters"));

            // the cases span up to 200 days: place them in the past, in time order
            Instant start = Instant.now().minus(Duration.ofDays(400)).truncatedTo(ChronoUnit.DAYS);
            List<Transaction> stream = RuleTestRunner.stream(loaded.tests(), start);
            produce(config, stream);

            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(
                            FraudDetectionJob.flinkConfiguration(config));
            env.setParallelism(2);
            FraudDetectionJob.attach(env, config, true);
            env.execute("argus-pack-itcase");

            RegistryConfig registryConfig = RegistryConfig.of(registry.url());
            List<Alert> alerts =
                    TopicReader.readCommitted(
                            kafka.bootstrapServers(),
                            config.get("topic.alerts"),
                            registryConfig,
                            Alert.class);
            List<Alert> shadow =
                    TopicReader.readCommitted(
                            kafka.bootstrapServers(),
                            config.get("topic.shadow-alerts"),
                            registryConfig,
                            Alert.class);
            List<DeadLetter> deadLetters =
                    TopicReader.readCommitted(
                            kafka.bootstrapServers(),
                            config.get("topic.dead-letters"),
                            registryConfig,
                            DeadLetter.class);

            assertThat(deadLetters).isEmpty();
            assertThat(alerts)
                    .extracting(Alert::getRuleId)
                    .doesNotContainAnyElementsOf(shadowRules);
            assertThat(shadow).extracting(Alert::getRuleId).allMatch(shadowRules::contains);
            assertThat(shadow).isNotEmpty();
            List<Alert> all = new java.util.ArrayList<>(alerts);
            all.addAll(shadow);
            assertThat(all).extracting(Alert::getAlertId).doesNotHaveDuplicates();

            List<RuleTestRunner.CaseResult> results =
                    RuleTestRunner.compare(loaded.tests(), all, deadLetters);
            assertThat(results)
                    .as(RuleTestRunner.report(results, false))
                    .allMatch(RuleTestRunner.CaseResult::passed);
        }
    }

    private static void produce(JobConfig config, List<Transaction> stream) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        String topic = config.get("topic.transactions");
        ConfluentAvroSerializer<Transaction> serializer =
                new ConfluentAvroSerializer<>(config.registry(), Transaction.class, true);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Transaction t : stream) {
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                t.getAccountId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(topic, t)));
            }
            producer.flush();
        }
    }
}

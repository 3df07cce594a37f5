package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.engine.RuleEngineOperator;
import dev.argus.job.ingest.Decoded;
import dev.argus.job.savepoint.Uids;
import dev.argus.rules.RulePackLoader;
import dev.argus.sandbox.Sources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The shape of the job graph: stable UIDs everywhere, and no shuffle after the profile. */
class TopologyTest {

    private static StreamGraph graph(PipelineConfig.Engine engine) {
        JobConfig config = JobConfig.inProcess("10 s");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        FraudDetectionJob.flinkConfiguration(config));
        DataGeneratorSource<Decoded> source = Sources.of(List.of(), Decoded.typeInfo());
        FraudDetectionPipeline.Outputs out =
                FraudDetectionPipeline.build(
                        env,
                        source,
                        new PipelineConfig(
                                        Duration.ofSeconds(5),
                                        Duration.ofSeconds(30),
                                        RulePackLoader.loadForJob(
                                                        RulePackLoader.BUILT_IN,
                                                        CepPatternCheck.INSTANCE)
                                                .active())
                                .withEngine(engine, RuleEngineOperator.Ordering.EVENT_TIME));
        out.alerts().print();
        out.shadowAlerts().print();
        out.deadLetters().print();
        return env.getStreamGraph();
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.Engine.class)
    void everyOperatorBeforeTheSinksHasAStableUid(PipelineConfig.Engine engine) {
        List<StreamNode> nodes =
                graph(engine).getStreamNodes().stream()
                        .filter(n -> !n.getOperatorName().startsWith("Sink"))
                        .toList();
        assertThat(nodes)
                .allSatisfy(
                        n ->
                                assertThat(n.getTransformationUID())
                                        .as(n.getOperatorName())
                                        .isNotNull());
        List<String> uids = nodes.stream().map(StreamNode::getTransformationUID).toList();
        assertThat(uids).contains(Uids.ACCOUNT_PROFILE, Uids.DEAD_LETTER_ROUTING, Uids.ALERT_GATE);
        if (engine == PipelineConfig.Engine.ARGUS) {
            assertThat(uids).contains(Uids.RULE_ENGINE).noneMatch(u -> u.startsWith("rule-card"));
        } else {
            assertThat(uids).anyMatch(uid -> uid.startsWith("rule-card-testing-"));
        }
    }

    @ParameterizedTest
    @EnumSource(PipelineConfig.Engine.class)
    void theRulesReadTheProfileWithoutAShuffle(PipelineConfig.Engine engine) {
        StreamGraph graph = graph(engine);
        StreamNode profile =
                graph.getStreamNodes().stream()
                        .filter(n -> Uids.ACCOUNT_PROFILE.equals(n.getTransformationUID()))
                        .findFirst()
                        .orElseThrow();
        List<StreamEdge> toRules = profile.getOutEdges();
        if (engine == PipelineConfig.Engine.CEP) {
            // flink-cep's operators read the events without the control changes
            assertThat(toRules).hasSize(1);
            assertThat(toRules.get(0).getPartitioner()).isInstanceOf(ForwardPartitioner.class);
            StreamNode events = graph.getStreamNode(toRules.get(0).getTargetId());
            assertThat(events.getTransformationUID()).isEqualTo(Uids.CEP_EVENTS);
            toRules = events.getOutEdges();
        }
        // one rule engine, or one stock CEP operator per rule of the pack
        int rules =
                RulePackLoader.loadForJob(RulePackLoader.BUILT_IN, CepPatternCheck.INSTANCE)
                        .active()
                        .size();
        assertThat(toRules).hasSize(engine == PipelineConfig.Engine.ARGUS ? 1 : rules);
        assertThat(toRules)
                .allSatisfy(
                        e -> assertThat(e.getPartitioner()).isInstanceOf(ForwardPartitioner.class));
    }

    /**
     * With a control topic, the changes reach the profile (for the engine), the alert gate and the
     * brake only through {@code NeverIdle}: their watermark always counts.
     */
    @Test
    void theControlChangesReachTheirReadersOnlyThroughNeverIdle() {
        Map<String, String> settings = new HashMap<>();
        settings.put("kafka.bootstrap.servers", "in-process:9092");
        settings.put("schema.registry.url", "http://in-process");
        settings.put("control.enabled", "true");
        JobConfig config = JobConfig.of(settings);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        FraudDetectionJob.flinkConfiguration(config));
        FraudDetectionJob.attach(env, config, Sources.of(List.of(), Decoded.typeInfo()));
        StreamGraph graph = env.getStreamGraph();

        StreamNode control = node(graph, Uids.CONTROL);
        StreamNode neverIdle = node(graph, Uids.CONTROL_NEVER_IDLE);
        assertThat(targets(graph, control))
                .contains(Uids.CONTROL_NEVER_IDLE)
                .doesNotContain(Uids.ACCOUNT_PROFILE, Uids.ALERT_GATE, Uids.ALERT_BRAKE);
        assertThat(targets(graph, neverIdle))
                .containsExactlyInAnyOrder(Uids.ACCOUNT_PROFILE, Uids.ALERT_GATE, Uids.ALERT_BRAKE);
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream()
                .filter(n -> uid.equals(n.getTransformationUID()))
                .findFirst()
                .orElseThrow();
    }

    private static List<String> targets(StreamGraph graph, StreamNode node) {
        return node.getOutEdges().stream()
                .map(e -> graph.getStreamNode(e.getTargetId()).getTransformationUID())
                .toList();
    }

    /**
     * The rule engine has one input, the profile's output, and runs in the profile's task: events
     * pass to it by reference, not encoded and decoded again.
     */
    @Test
    void theRuleEngineIsChainedToTheProfile() {
        JobGraph job = graph(PipelineConfig.Engine.ARGUS).getJobGraph();
        List<String> vertices = new ArrayList<>();
        job.getVertices().forEach(v -> vertices.add(v.getName()));
        assertThat(vertices)
                .anySatisfy(
                        name ->
                                assertThat(name)
                                        .contains("account profile")
                                        .contains("rule engine"));
    }
}

package dev.argus.job.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.argus.job.JobConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/kubernetes: each overlay rendered as kustomize would ({@link Kustomize}) and checked
 * against the Flink Kubernetes Operator's schema of FlinkDeployments ({@link
 * FlinkDeploymentSchema}), and against what the operator and the job need beyond the schema.
 *
 * <p>The schema comes from the newest operator API jar the package registry serves here, 1.10.0,
 * whose list of Flink versions ends at v1_20: it predates Flink 2. The manifests name v2_2, the
 * project's Flink. So the check of {@code spec.flinkVersion} against that list is the one problem
 * allowed, and only while the schema lacks the project's version; everything else the schema says
 * must hold. An operator that runs Flink 2.2 has a newer schema: install that operator's CRDs, and
 * move {@code flink-kubernetes-operator.version} to it once the registry serves it.
 */
class KubernetesManifestsTest {

    static final Path KUBERNETES = Path.of("../../deploy/kubernetes");

    private static FlinkDeploymentSchema schema;

    @BeforeAll
    static void loadSchema() throws IOException {
        schema = FlinkDeploymentSchema.load("v1beta1");
    }

    /** The operator's name of the project's Flink version: 2.2.1 is v2_2. */
    static String projectFlinkVersion() {
        String[] v = EnvironmentInformation.getVersion().split("\\.");
        return "v" + v[0] + "_" + v[1];
    }

    static List<Map<String, Object>> render(String overlay) throws IOException {
        return Kustomize.build(KUBERNETES.resolve("overlays").resolve(overlay));
    }

    static Map<String, Object> flinkDeployment(List<Map<String, Object>> resources) {
        List<Map<String, Object>> found = ofKind(resources, "FlinkDeployment");
        assertThat(found).as("FlinkDeployments").hasSize(1);
        return found.get(0);
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> resources, String kind) {
        return resources.stream().filter(r -> kind.equals(r.get("kind"))).toList();
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, String... path) {
        for (String p : path) {
            if (node instanceof List<?> list) {
                node = list.get(Integer.parseInt(p));
            } else {
                node = node == null ? null : ((Map<String, Object>) node).get(p);
            }
        }
        return (T) node;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void eachOverlayIsAValidFlinkDeployment(String overlay) throws IOException {
        Map<String, Object> deployment = flinkDeployment(render(overlay));
        List<FlinkDeploymentSchema.Problem> problems = new ArrayList<>(schema.validate(deployment));

        String version = projectFlinkVersion();
        assertThat((String) at(deployment, "spec", "flinkVersion"))
                .as("spec.flinkVersion of the %s overlay, the project's Flink", overlay)
                .isEqualTo(version);
        if (!schema.allowedValues("spec", "flinkVersion").contains(version)) {
            FlinkDeploymentSchema.Problem unknownVersion =
                    problems.stream()
                            .filter(p -> p.path().equals("$.spec.flinkVersion"))
                            .findFirst()
                            .orElseThrow();
            problems.remove(unknownVersion);
            System.out.printf(
                    "%s: the operator schema here (%s) lists Flink versions %s, not %s: not"
                            + " checked against it%n",
                    overlay,
                    FlinkDeploymentSchema.CRD,
                    schema.allowedValues("spec", "flinkVersion"),
                    version);
        }
        assertThat(problems)
                .as("what the API server would refuse in the %s overlay", overlay)
                .isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void eachOverlayUpgradesThroughASavepoint(String overlay) throws IOException {
        Map<String, Object> spec = at(flinkDeployment(render(overlay)), "spec");
        assertThat((String) at(spec, "job", "upgradeMode")).isEqualTo("savepoint");
        assertThat((String) at(spec, "job", "state")).isEqualTo("running");
        // the operator refuses a savepoint upgrade without a savepoint directory, and keeps
        // checkpoints only with a checkpoint directory
        Map<String, String> conf = at(spec, "flinkConfiguration");
        assertThat(conf.get("execution.checkpointing.savepoint-dir")).isNotBlank();
        assertThat(conf.get("execution.checkpointing.dir")).isNotBlank();
        int slots = Integer.parseInt(conf.get("taskmanager.numberOfTaskSlots"));
        int parallelism = at(spec, "job", "parallelism");
        assertThat(parallelism).isPositive();
        assertThat(slots).isPositive();
    }

    @Test
    void developmentIsSmallAndKeepsItsStateOnAVolumeOfTheCluster() throws IOException {
        List<Map<String, Object>> resources = render("dev");
        Map<String, Object> spec = at(flinkDeployment(resources), "spec");
        assertThat((int) at(spec, "job", "parallelism")).isBetween(1, 2);
        Map<String, String> conf = at(spec, "flinkConfiguration");
        assertThat(conf).doesNotContainKey("high-availability.type");
        assertThat(conf.get("execution.checkpointing.dir")).startsWith("file:///flink-data/");
        assertThat(conf.get("execution.checkpointing.savepoint-dir"))
                .startsWith("file:///flink-data/");
        // the volume at /flink-data is the claim the overlay creates
        List<Map<String, Object>> volumes = at(spec, "podTemplate", "spec", "volumes");
        Map<String, Object> state =
                volumes.stream()
                        .filter(v -> "argus-state".equals(v.get("name")))
                        .findFirst()
                        .orElseThrow();
        assertThat((String) at(state, "persistentVolumeClaim", "claimName"))
                .isIn(names(ofKind(resources, "PersistentVolumeClaim")));
        List<Map<String, Object>> mounts =
                at(spec, "podTemplate", "spec", "containers", "0", "volumeMounts");
        assertThat(mounts)
                .anySatisfy(
                        m ->
                                assertThat(m)
                                        .containsEntry("mountPath", "/flink-data")
                                        .containsEntry("name", "argus-state"));
    }

    @Test
    void productionIsHighlyAvailableOnS3AndScraped() throws IOException {
        Map<String, Object> spec = at(flinkDeployment(render("prod")), "spec");
        Map<String, String> conf = at(spec, "flinkConfiguration");
        assertThat(conf)
                .containsEntry("high-availability.type", "kubernetes")
                .hasEntrySatisfying(
                        "high-availability.storageDir", d -> assertThat(d).startsWith("s3://"))
                .hasEntrySatisfying(
                        "execution.checkpointing.dir", d -> assertThat(d).startsWith("s3://"))
                .hasEntrySatisfying(
                        "execution.checkpointing.savepoint-dir",
                        d -> assertThat(d).startsWith("s3://"));
        int slots = Integer.parseInt(conf.get("taskmanager.numberOfTaskSlots"));
        int parallelism = at(spec, "job", "parallelism");
        assertThat(parallelism / slots).as("TaskManagers").isGreaterThanOrEqualTo(3);
        // Prometheus scrapes the reporter's port, which the container declares
        String port = conf.get("metrics.reporter.prom.port");
        assertThat((Map<String, String>) at(spec, "podTemplate", "metadata", "annotations"))
                .containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", port);
        List<Map<String, Object>> ports =
                at(spec, "podTemplate", "spec", "containers", "0", "ports");
        assertThat(ports)
                .anySatisfy(
                        p -> assertThat(p.get("containerPort")).isEqualTo(Integer.parseInt(port)));
        // TaskManagers spread over nodes: the labels Flink gives its TaskManager pods
        Map<String, Object> term =
                at(
                        spec,
                        "podTemplate",
                        "spec",
                        "affinity",
                        "podAntiAffinity",
                        "preferredDuringSchedulingIgnoredDuringExecution",
                        "0",
                        "podAffinityTerm");
        assertThat((String) at(term, "topologyKey")).isEqualTo("kubernetes.io/hostname");
        assertThat((Map<String, String>) at(term, "labelSelector", "matchLabels"))
                .containsEntry("app", "argus")
                .containsEntry("component", "taskmanager");
    }

    /**
     * The pods mount the ConfigMap the overlay generates (under its hashed name), the job's {@code
     * --config} names the file in it, and the job's own parser accepts that file.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theJobReadsTheConfigurationTheOverlayGenerates(String overlay, @TempDir Path mounted)
            throws IOException {
        List<Map<String, Object>> resources = render(overlay);
        Map<String, Object> deployment = flinkDeployment(resources);
        Map<String, Object> spec = at(deployment, "spec");
        List<Map<String, Object>> volumes = at(spec, "podTemplate", "spec", "volumes");
        Map<String, Object> volume =
                volumes.stream().filter(v -> v.containsKey("configMap")).findFirst().orElseThrow();
        String configMapName = at(volume, "configMap", "name");
        assertThat(configMapName).matches("argus-config-[a-z0-9]{10}");
        Map<String, Object> configMap =
                ofKind(resources, "ConfigMap").stream()
                        .filter(c -> configMapName.equals(at(c, "metadata", "name")))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                "no ConfigMap "
                                                        + configMapName
                                                        + " in "
                                                        + overlay));
        assertThat((String) at(configMap, "metadata", "namespace"))
                .isEqualTo(at(deployment, "metadata", "namespace"));

        List<Map<String, Object>> mounts =
                at(spec, "podTemplate", "spec", "containers", "0", "volumeMounts");
        assertThat((String) at(spec, "podTemplate", "spec", "containers", "0", "name"))
                .isEqualTo("flink-main-container");
        String mountPath =
                mounts.stream()
                        .filter(m -> volume.get("name").equals(m.get("name")))
                        .map(m -> (String) m.get("mountPath"))
                        .findFirst()
                        .orElseThrow();
        Map<String, String> data = at(configMap, "data");
        data.forEach(
                (file, text) -> {
                    try {
                        Files.writeString(mounted.resolve(file), text);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
        List<String> args = new ArrayList<>(at(spec, "job", "args"));
        int config = args.indexOf("--config");
        assertThat(config).as("--config in job.args").isNotNegative();
        String file = args.get(config + 1);
        assertThat(file).startsWith(mountPath + "/");
        args.set(config + 1, mounted.resolve(file.substring(mountPath.length() + 1)).toString());
        JobConfig parsed = JobConfig.fromArgs(args.toArray(String[]::new));
        assertThat(parsed.bootstrapServers()).isNotBlank();
    }

    /** The JobManager's account exists and is bound to its role in the overlay's namespace. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theServiceAccountIsBoundInTheOverlaysNamespace(String overlay) throws IOException {
        List<Map<String, Object>> resources = render(overlay);
        Map<String, Object> deployment = flinkDeployment(resources);
        String namespace = at(deployment, "metadata", "namespace");
        String account = at(deployment, "spec", "serviceAccount");
        assertThat(namespace).isNotBlank();
        assertThat(names(ofKind(resources, "ServiceAccount"))).contains(account);
        for (Map<String, Object> r : resources) {
            assertThat((String) at(r, "metadata", "namespace"))
                    .as("namespace of %s", r.get("kind"))
                    .isEqualTo(namespace);
        }
        Map<String, Object> binding = ofKind(resources, "RoleBinding").get(0);
        assertThat((List<Map<String, Object>>) at(binding, "subjects"))
                .containsExactly(
                        Map.of("kind", "ServiceAccount", "name", account, "namespace", namespace));
        assertThat((String) at(binding, "roleRef", "name")).isIn(names(ofKind(resources, "Role")));
        List<Map<String, Object>> rules = at(ofKind(resources, "Role").get(0), "rules");
        assertThat(rules)
                .anySatisfy(
                        rule ->
                                assertThat((List<String>) rule.get("resources"))
                                        .contains("pods", "configmaps"));
    }

    @Test
    void aWrongFieldIsReportedWithItsPath() {
        Map<String, Object> broken =
                Kustomize.map(
                        Kustomize.load(
                                """
                                apiVersion: flink.apache.org/v1beta1
                                kind: FlinkDeployment
                                metadata:
                                  name: argus
                                spec:
                                  image: argus:test
                                  flinkVersion: v1_20
                                  serviceAccount: argus
                                  flinkConfiguration:
                                    taskmanager.numberOfTaskSlots: 2
                                  jobManager:
                                    resource: {memory: 2048m, cpu: 1}
                                  taskManager:
                                    resources: {memory: 4096m, cpu: 2}
                                  job:
                                    jarURI: local:///opt/flink/usrlib/argus-fraud-job-job.jar
                                    parallelism: four
                                    upgradeMode: savepoints
                                """),
                        "broken");
        List<FlinkDeploymentSchema.Problem> problems = schema.validate(broken);
        assertThat(problems)
                .extracting(FlinkDeploymentSchema.Problem::path)
                .containsExactly(
                        "$.spec.flinkConfiguration['taskmanager.numberOfTaskSlots']",
                        "$.spec.job.parallelism",
                        "$.spec.job.upgradeMode",
                        "$.spec.taskManager.resources");
        assertThat(problems.get(3).message()).isEqualTo("unknown field");
        assertThat(problems.get(2).message()).contains("savepoint");
    }

    @Test
    void theRendererRefusesWhatItDoesNotImplement(@TempDir Path dir) throws IOException {
        Files.writeString(
                dir.resolve("kustomization.yaml"),
                """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [../base]
                replicas:
                  - name: argus
                    count: 2
                """);
        assertThatThrownBy(() -> Kustomize.build(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("field 'replicas' is not implemented");
    }

    @Test
    void theRendererRefusesAStrategicMergeOfAnExistingList(@TempDir Path dir) throws IOException {
        Files.writeString(
                dir.resolve("kustomization.yaml"),
                """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [deployment.yaml]
                patches: [{path: patch.yaml}]
                """);
        Files.writeString(
                dir.resolve("deployment.yaml"),
                """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: argus}
                spec: {job: {args: [--config, a]}}
                """);
        Files.writeString(
                dir.resolve("patch.yaml"),
                """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: argus}
                spec: {job: {args: [--config, b]}}
                """);
        assertThatThrownBy(() -> Kustomize.build(dir))
                .hasMessageContaining("existing list /spec/job/args")
                .hasMessageContaining("JSON 6902 patch");
    }

    @Test
    void theRendererRefusesFilesOutsideTheKustomization(@TempDir Path dir) throws IOException {
        Path overlay = Files.createDirectory(dir.resolve("overlay"));
        Files.writeString(dir.resolve("argus.properties"), "a=b\n");
        Files.writeString(
                overlay.resolve("kustomization.yaml"),
                """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                configMapGenerator:
                  - name: argus-config
                    files: [../argus.properties]
                """);
        assertThatThrownBy(() -> Kustomize.build(overlay))
                .hasMessageContaining("outside the kustomization's folder");
    }

    private static List<String> names(List<Map<String, Object>> resources) {
        return resources.stream().map(r -> (String) at(r, "metadata", "name")).toList();
    }
}

package dev.argus.job.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The FlinkDeployment's schema as the Flink Kubernetes Operator's custom resource definition
 * declares it, from the operator's API jar (a test dependency), as a JSON schema that checks what
 * the Kubernetes API server checks when {@code kubectl apply} sends a resource: types, enums,
 * required fields, and unknown fields (kubectl's default field validation, strict, refuses them;
 * {@code x-kubernetes-preserve-unknown-fields} allows them). The CRD's OpenAPI v3 dialect is mapped
 * onto JSON schema draft 4: {@code nullable} allows null, {@code x-kubernetes-int-or-string} allows
 * an integer or a string, and the other {@code x-kubernetes-*} markers (list types, embedded
 * resources) do not change what is valid here. The API server checks apiVersion, kind and metadata
 * itself: here the apiVersion and kind of a FlinkDeployment, and metadata with a name, and labels
 * and annotations of strings.
 */
final class FlinkDeploymentSchema {

    static final String CRD = "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";

    /** One reason the API server would refuse a resource: where, and why. */
    record Problem(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String apiVersion;
    private final Map<String, Object> openApiSchema;
    private final JsonSchema schema;

    private FlinkDeploymentSchema(String apiVersion, Map<String, Object> openApiSchema) {
        this.apiVersion = apiVersion;
        this.openApiSchema = openApiSchema;
        Map<String, Object> converted = convert(openApiSchema);
        // the API server checks these three itself; the CRD's schema leaves them out
        Map<String, Object> top = Kustomize.map(converted.get("properties"), "properties");
        top.put("apiVersion", Map.of("type", "string"));
        top.put("kind", Map.of("type", "string"));
        top.put("metadata", metadataSchema());
        this.schema =
                JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4)
                        .getSchema(
                                JSON.valueToTree(converted),
                                SchemaValidatorsConfig.builder()
                                        .pathType(PathType.JSON_PATH)
                                        .locale(Locale.ENGLISH)
                                        .build());
    }

    /** The schema of {@code flink.apache.org/<version>} FlinkDeployments in the CRD jar. */
    static FlinkDeploymentSchema load(String version) throws IOException {
        try (InputStream in =
                FlinkDeploymentSchema.class.getClassLoader().getResourceAsStream(CRD)) {
            if (in == null) {
                throw new IllegalStateException(
                        CRD
                                + " is not on the class path: it comes from the test dependency"
                                + " org.apache.flink:flink-kubernetes-operator-api (root pom.xml)");
            }
            Map<String, Object> crd =
                    Kustomize.map(
                            Kustomize.load(new String(in.readAllBytes(), StandardCharsets.UTF_8)),
                            CRD);
            for (Object v : (List<?>) Kustomize.map(crd.get("spec"), "spec").get("versions")) {
                Map<String, Object> served = Kustomize.map(v, "versions");
                if (version.equals(served.get("name"))) {
                    Map<String, Object> schema = Kustomize.map(served.get("schema"), "schema");
                    return new FlinkDeploymentSchema(
                            "flink.apache.org/" + version,
                            Kustomize.map(schema.get("openAPIV3Schema"), "openAPIV3Schema"));
                }
            }
            throw new IllegalStateException(CRD + " declares no version " + version);
        }
    }

    /** The values the CRD allows at a path of properties, e.g. spec, flinkVersion. */
    List<?> allowedValues(String... path) {
        Map<String, Object> node = openApiSchema;
        for (String p : path) {
            node = Kustomize.map(Kustomize.map(node.get("properties"), "properties").get(p), p);
        }
        return (List<?>) node.get("enum");
    }

    /** Every reason the API server would refuse this FlinkDeployment, sorted by path. */
    List<Problem> validate(Map<String, Object> resource) {
        List<Problem> problems = new ArrayList<>();
        if (!apiVersion.equals(resource.get("apiVersion"))
                || !"FlinkDeployment".equals(resource.get("kind"))) {
            problems.add(
                    new Problem(
                            "$",
                            "not a FlinkDeployment of "
                                    + apiVersion
                                    + " (apiVersion "
                                    + resource.get("apiVersion")
                                    + ", kind "
                                    + resource.get("kind")
                                    + ")"));
        }
        JsonNode node = JSON.valueToTree(resource);
        for (ValidationMessage m : schema.validate(node)) {
            String path = m.getInstanceLocation().toString();
            if ("additionalProperties".equals(m.getType())) {
                problems.add(new Problem(path + "." + m.getProperty(), "unknown field"));
            } else {
                problems.add(new Problem(path, m.getMessage()));
            }
        }
        problems.sort(Comparator.comparing(Problem::path));
        return problems;
    }

    /** An OpenAPI v3 schema of a CRD as a JSON schema (draft 4). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> convert(Map<String, Object> openApi) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : openApi.entrySet()) {
            String key = e.getKey();
            Object value = e.getValue();
            if (key.startsWith("x-kubernetes-") || key.equals("nullable")) {
                continue;
            }
            switch (key) {
                case "properties" -> {
                    Map<String, Object> properties = new LinkedHashMap<>();
                    ((Map<String, Object>) value)
                            .forEach(
                                    (name, schema) ->
                                            properties.put(
                                                    name, convert(Kustomize.map(schema, name))));
                    out.put(key, properties);
                }
                case "items", "not" -> out.put(key, convert(Kustomize.map(value, key)));
                case "additionalProperties" ->
                        out.put(
                                key,
                                value instanceof Map<?, ?> m
                                        ? convert((Map<String, Object>) m)
                                        : value);
                case "anyOf", "allOf", "oneOf" -> {
                    List<Object> schemas = new ArrayList<>();
                    for (Object s : (List<?>) value) {
                        schemas.add(convert(Kustomize.map(s, key)));
                    }
                    out.put(key, schemas);
                }
                default -> out.put(key, value);
            }
        }
        if (Boolean.TRUE.equals(openApi.get("x-kubernetes-int-or-string"))
                && !out.containsKey("anyOf")) {
            out.put("anyOf", List.of(Map.of("type", "integer"), Map.of("type", "string")));
        }
        if (Boolean.TRUE.equals(openApi.get("nullable")) && out.get("type") instanceof String t) {
            out.put("type", List.of(t, "null"));
        }
        boolean preserveUnknown =
                Boolean.TRUE.equals(openApi.get("x-kubernetes-preserve-unknown-fields"));
        if (out.containsKey("properties")
                && !out.containsKey("additionalProperties")
                && !preserveUnknown) {
            out.put("additionalProperties", false);
        }
        return out;
    }

    private static Map<String, Object> metadataSchema() {
        Map<String, Object> strings =
                Map.of("type", "object", "additionalProperties", Map.of("type", "string"));
        Map<String, Object> dnsName =
                Map.of(
                        "type",
                        "string",
                        "maxLength",
                        253,
                        "pattern",
                        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("name", dnsName);
        properties.put("namespace", dnsName);
        properties.put("labels", strings);
        properties.put("annotations", strings);
        return Map.of("type", "object", "required", List.of("name"), "properties", properties);
    }
}

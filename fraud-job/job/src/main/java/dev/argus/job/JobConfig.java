package dev.argus.job;

import dev.argus.job.engine.CepPatternCheck;
import dev.argus.job.engine.RuleEngineOperator;
import dev.argus.model.registry.RegistryConfig;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.util.ParameterTool;
import org.apache.flink.util.TimeUtils;

/**
 * The job's configuration: a properties file ({@code --config FILE}) and/or {@code --key value}
 * arguments, the arguments winning. Every key is listed in {@link #DEFAULTS} with its default; keys
 * starting with {@code kafka.} are passed to the Kafka clients without the prefix (for SASL and SSL
 * settings), and {@code schema.registry.*} and {@code basic.auth.user.info} configure the registry
 * client as in Confluent's clients. An unknown key is an error, so typos do not pass silently.
 */
public final class JobConfig {
    /** Every key the job understands, with its default ({@code null}: required). */
    public static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("kafka.bootstrap.servers", null);
        d.put("kafka.group.id", "argus-fraud-job");
        d.put("topic.transactions", "transactions");
        d.put("topic.alerts", "alerts");
        d.put("topic.shadow-alerts", "alerts-shadow");
        d.put("topic.dead-letters", "transactions-dead-letters");
        d.put("topic.control", "argus-control");
        d.put("topic.control-status", "argus-control-status");
        d.put("control.enabled", "false");
        d.put("control.margin", "10 s");
        d.put("source.starting-offsets", "committed-or-earliest");
        d.put("schema.registry.url", null);
        d.put("basic.auth.user.info", "");
        d.put("schema.registry.ssl.truststore.location", "");
        d.put("schema.registry.ssl.truststore.password", "");
        d.put("schema.registry.ssl.keystore.location", "");
        d.put("schema.registry.ssl.keystore.password", "");
        d.put("schema.registry.request.timeout.ms", "10000");
        d.put(RegistryConfig.MISSING_ID_CACHE_TTL, "60");
        d.put("auto.register.schemas", "true");
        d.put("events.max-out-of-orderness", "5 s");
        d.put("events.idle-timeout", "30 s");
        d.put("events.max-future-skew", "1 h");
        d.put("checkpoint.interval", "10 s");
        d.put("checkpoint.changelog", "false");
        d.put("checkpoint.changelog.materialization-interval", "3 min");
        d.put("sink.transactional-id-prefix", "argus");
        d.put("sink.transaction-timeout", "15 min");
        d.put("rules.path", RulePackLoader.BUILT_IN);
        d.put("rules.engine", "argus");
        d.put("rules.ordering", "arrival");
        d.put("rules.max-partial-matches", "1000");
        d.put("profile.retention", "400 d");
        d.put("profile.max-seen", "50");
        DEFAULTS = java.util.Collections.unmodifiableMap(d);
    }

    private final Map<String, String> values;

    private JobConfig(Map<String, String> values) {
        this.values = values;
    }

    /** What {@link ParameterTool} holds for a key given without a value. */
    private static final String NO_VALUE = ParameterTool.fromArgs(new String[] {"--k"}).get("k");

    /**
     * Parses {@code [--config FILE] [--key value | --key=value]...} with Flink's {@link
     * ParameterTool}; a later repetition of a key wins. As with ParameterTool, a value cannot begin
     * with {@code -} unless it is a number: it would be read as the next key.
     *
     * @throws IllegalArgumentException for an argument that is not an option, an option without a
     *     value, or a configuration that {@link #of} refuses
     */
    public static JobConfig fromArgs(String[] args) throws IOException {
        // ParameterTool reads --key value only: split --key=value first
        List<String> split = new ArrayList<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (arg.startsWith("-") && eq > 0) {
                split.add(arg.substring(0, eq));
                split.add(arg.substring(eq + 1));
            } else {
                split.add(arg);
            }
        }
        Map<String, String> options =
                new TreeMap<>(ParameterTool.fromArgs(split.toArray(String[]::new)).toMap());
        for (Map.Entry<String, String> option : options.entrySet()) {
            if (NO_VALUE.equals(option.getValue())) {
                throw new IllegalArgumentException("--" + option.getKey() + " needs a value");
            }
        }
        Map<String, String> given = new LinkedHashMap<>();
        String file = options.remove("config");
        if (file != null) {
            given.putAll(readProperties(Path.of(file)));
        }
        given.putAll(options);
        return of(given);
    }

    /** A configuration from explicit values; defaults fill the rest. */
    public static JobConfig of(Map<String, String> given) {
        List<String> problems = new ArrayList<>();
        Map<String, String> values = new TreeMap<>();
        DEFAULTS.forEach(
                (k, v) -> {
                    if (v != null) {
                        values.put(k, v);
                    }
                });
        for (Map.Entry<String, String> e : given.entrySet()) {
            String key = e.getKey();
            if (!DEFAULTS.containsKey(key) && !key.startsWith("kafka.")) {
                problems.add("unknown key '" + key + "'");
            }
            values.put(key, e.getValue());
        }
        DEFAULTS.forEach(
                (k, v) -> {
                    if (v == null && (values.get(k) == null || values.get(k).isBlank())) {
                        problems.add("'" + k + "' is required");
                    }
                });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "invalid job configuration: "
                            + String.join("; ", problems)
                            + ". Known keys (defaults): "
                            + DEFAULTS
                            + "; any kafka.<client property> is passed to the Kafka clients.");
        }
        return new JobConfig(values);
    }

    /**
     * The configuration of a job that runs in this JVM on in-memory input and output (rule tests,
     * pipeline tests, benchmarks): it contacts no broker or registry, so those keys hold
     * placeholders.
     */
    public static JobConfig inProcess(String checkpointInterval) {
        return of(
                Map.of(
                        "kafka.bootstrap.servers", "in-process:9092",
                        "schema.registry.url", "http://in-process",
                        "checkpoint.interval", checkpointInterval));
    }

    /** The keys and values of a properties file, trimmed. */
    public static Map<String, String> readProperties(Path file) throws IOException {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        }
        Map<String, String> out = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(k -> out.put(k, props.getProperty(k).trim()));
        return out;
    }

    public String get(String key) {
        return values.get(key);
    }

    public Duration duration(String key) {
        try {
            return TimeUtils.parseDuration(get(key));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    key + " = '" + get(key) + "' is not a duration such as '5 s' or '10 min'", e);
        }
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    key + " = '" + get(key) + "' is not a whole number", e);
        }
    }

    /** {@code true} or {@code false}; anything else is refused rather than read as false. */
    public boolean flag(String key) {
        String value = get(key).trim();
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException(key + " = '" + value + "' is neither true nor false");
    }

    /** A value among an enum's constants, written in lower case with dashes (event-time). */
    public <E extends Enum<E>> E choice(String key, Class<E> type) {
        String value = get(key).trim();
        for (E e : type.getEnumConstants()) {
            if (e.name().replace('_', '-').equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new IllegalArgumentException(
                key
                        + " = '"
                        + value
                        + "' is not one of "
                        + java.util.Arrays.stream(type.getEnumConstants())
                                .map(
                                        e ->
                                                e.name()
                                                        .replace('_', '-')
                                                        .toLowerCase(java.util.Locale.ROOT))
                                .toList());
    }

    public String bootstrapServers() {
        return get("kafka.bootstrap.servers");
    }

    /** Kafka client properties: every {@code kafka.*} key without its prefix. */
    public Properties kafkaProperties() {
        Properties props = new Properties();
        values.forEach(
                (k, v) -> {
                    if (k.startsWith("kafka.")) {
                        props.setProperty(k.substring("kafka.".length()), v);
                    }
                });
        return props;
    }

    public RegistryConfig registry() {
        return RegistryConfig.fromProperties(values);
    }

    public boolean autoRegisterSchemas() {
        return Boolean.parseBoolean(get("auto.register.schemas"));
    }

    /**
     * The topology's settings with the rule pack at {@code rules.path}; throws with every problem
     * of the pack when it is invalid, so the job refuses to start and says why.
     */
    public PipelineConfig pipeline() {
        return pipeline(RulePackLoader.loadForJob(get("rules.path"), CepPatternCheck.INSTANCE));
    }

    /**
     * The files of the pack at {@code rules.path}, which a rollback to the pack the job started
     * with deploys again; null when they cannot be read (such a rollback is then refused).
     */
    public java.util.Map<String, String> packFiles() {
        try {
            return dev.argus.rules.PackFiles.read(RulePackLoader.resolve(get("rules.path")));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** The topology's settings with a given pack; its active rules run. */
    public PipelineConfig pipeline(RulePack pack) {
        return new PipelineConfig(
                duration("events.max-out-of-orderness"),
                duration("events.idle-timeout"),
                pack.active(),
                duration("profile.retention"),
                integer("profile.max-seen"),
                choice("rules.engine", PipelineConfig.Engine.class),
                choice("rules.ordering", RuleEngineOperator.Ordering.class),
                integer("rules.max-partial-matches"));
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>(values);
        shown.replaceAll(
                (k, v) ->
                        k.contains("password") || k.contains("user.info") || k.contains("jaas")
                                ? "*****"
                                : v);
        return shown.toString();
    }
}

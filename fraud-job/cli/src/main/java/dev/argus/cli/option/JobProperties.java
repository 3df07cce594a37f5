package dev.argus.cli.option;

import dev.argus.job.JobConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The job's properties as a command that talks to its Kafka and registry is given them. */
public final class JobProperties {
    private JobProperties() {}

    /**
     * The job's properties from {@code file} (null: none), with the brokers and the registry given
     * on the command line (null: not given) over them.
     */
    public static Map<String, String> of(Path file, String bootstrapServers, String registryUrl)
            throws IOException {
        Map<String, String> given = new HashMap<>();
        if (file != null) {
            given.putAll(JobConfig.readProperties(file));
        }
        if (bootstrapServers != null) {
            given.put("kafka.bootstrap.servers", bootstrapServers);
        }
        if (registryUrl != null) {
            given.put("schema.registry.url", registryUrl);
        }
        return given;
    }
}

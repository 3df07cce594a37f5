package dev.argus.model.registry;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The registry contract against a real, independent registry: Apicurio Registry serving the
 * Confluent API. The runnable jar is built by {@code deploy/test-registry} ({@code ./argus test}
 * does it); this test starts it as a separate process.
 */
class ApicurioSchemaRegistryContractITCase extends SchemaRegistryContract {
    private static ApicurioRegistryProcess registry;

    @BeforeAll
    static void start() throws Exception {
        registry = ApicurioRegistryProcess.start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Override
    protected String registryUrl() {
        return registry.url();
    }
}

package dev.argus.model.registry;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The registry contract against {@link InProcessSchemaRegistry}. */
class InProcessSchemaRegistryContractTest extends SchemaRegistryContract {
    private static InProcessSchemaRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        registry = InProcessSchemaRegistry.start(0);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Override
    protected String registryUrl() {
        return registry.url();
    }
}

package dev.argus.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * The alert contract: the Alert schema in the code must stay BACKWARD compatible with every
 * released version kept in src/main/released, as the registry checks it for the alerts subject. A
 * consumer that upgraded to the current schema can then read every alert already on the topic.
 */
class AlertContractTest {
    private static final Path RELEASED = Path.of("src/main/released");

    private static Schema released(String file) throws IOException {
        return new Schema.Parser().parse(Files.readString(RELEASED.resolve(file)));
    }

    private static SchemaCompatibilityType backward(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType();
    }

    @Test
    void theCurrentAlertSchemaReadsEveryReleasedVersion() throws IOException {
        try (var files = Files.list(RELEASED)) {
            var versions =
                    files.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("Alert-v"))
                            .toList();
            assertThat(versions).contains("Alert-v1.avsc");
            for (String v : versions) {
                assertThat(backward(Alert.getClassSchema(), released(v)))
                        .as("current Alert schema reading " + v)
                        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
            }
        }
    }

    @Test
    void theCheckCatchesAChangeThatIsNotBackwardCompatible() throws IOException {
        Schema v1 = released("Alert-v1.avsc");
        // a new field without a default: old alerts cannot be read with it
        String text = Files.readString(RELEASED.resolve("Alert-v1.avsc"));
        String withRequiredField =
                text.replaceFirst(
                        "\"fields\"\\s*:\\s*\\[",
                        "\"fields\": [ {\"name\": \"region\", \"type\": \"string\"},");
        assertThat(withRequiredField).isNotEqualTo(text);
        Schema changed = new Schema.Parser().parse(withRequiredField);
        assertThat(changed.getField("region")).isNotNull();
        assertThat(backward(changed, v1)).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    @Test
    void theReleasedV1IsTheSchemaTheCodeWritesToday() throws IOException {
        assertThat(released("Alert-v1.avsc")).isEqualTo(Alert.getClassSchema());
    }
}

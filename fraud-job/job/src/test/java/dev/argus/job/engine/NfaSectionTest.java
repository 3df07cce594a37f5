package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The compact section's layout: its header, and the refusal of another automaton's numbering; and
 * the buffer's keys.
 */
class NfaSectionTest {
    @Test
    void aSectionNumberedForAnotherAutomatonIsRefusedNotMisread() throws Exception {
        NfaSection s = new NfaSection();
        s.partial.add(NfaSection.Run.start(2, new int[] {1, 0}));
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.write(out, new EventSerializer(), 12_345L, 42);
        byte[] bytes = out.getCopyOfBuffer();

        assertThat(NfaSection.deadline(bytes)).isEqualTo(12_345L);
        assertThat(NfaSection.holdsCompleted(bytes)).isFalse();
        int[] states = new int[4];
        assertThat(NfaSection.states(bytes, new DataInputDeserializer(), states, 42)).isEqualTo(1);
        assertThat(states[0]).isEqualTo(2);
        assertThat(NfaSection.read(new DataInputDeserializer(bytes), 42, "r").partial)
                .containsExactlyElementsOf(s.partial);

        // written by a flink-cep that numbered the states otherwise
        assertThat(NfaSection.states(bytes, new DataInputDeserializer(), states, 7)).isEqualTo(-1);
        assertThatThrownBy(() -> NfaSection.read(new DataInputDeserializer(bytes), 7, "r"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("rule r: its stored partial matches number")
                .hasMessageContaining("restore with the version that wrote the savepoint");
    }

    /** The keys as the records' generated methods would have them: see NfaSection. */
    private record GeneratedEventKey(long timestamp, int id) {}

    private record GeneratedNodeKey(long timestamp, int id, int page) {}

    @Test
    void theBuffersKeysAreEqualAndHashAsTheirRecordsGeneratedMethodsDo() {
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 10_000; i++) {
            long timestamp = random.nextBoolean() ? random.nextLong() : random.nextInt(1_000);
            int id = random.nextInt(4);
            int page = random.nextInt(4);
            NfaSection.EventKey event = new NfaSection.EventKey(timestamp, id);
            NfaSection.NodeKey node = new NfaSection.NodeKey(timestamp, id, page);
            assertThat(event.hashCode()).isEqualTo(new GeneratedEventKey(timestamp, id).hashCode());
            assertThat(node.hashCode())
                    .isEqualTo(new GeneratedNodeKey(timestamp, id, page).hashCode());
            assertThat(event).isEqualTo(new NfaSection.EventKey(timestamp, id));
            assertThat(node).isEqualTo(new NfaSection.NodeKey(timestamp, id, page));
            assertThat(event).isNotEqualTo(new NfaSection.EventKey(timestamp, id + 1));
            assertThat(event).isNotEqualTo(new NfaSection.EventKey(timestamp + 1, id));
            assertThat(node).isNotEqualTo(new NfaSection.NodeKey(timestamp, id, page + 1));
            assertThat(node).isNotEqualTo(new NfaSection.NodeKey(timestamp, id + 1, page));
            assertThat(node).isNotEqualTo(new NfaSection.NodeKey(timestamp - 1, id, page));
            assertThat((Object) node.event()).isEqualTo(event).isNotEqualTo(node);
        }
    }
}

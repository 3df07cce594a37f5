package dev.argus.job.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The compact section's layout: its header, and the refusal of another automaton's numbering. */
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
}

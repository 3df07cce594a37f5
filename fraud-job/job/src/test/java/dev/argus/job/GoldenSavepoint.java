package dev.argus.job;

import dev.argus.model.Alert;
import dev.argus.model.Transaction;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.state.api.OperatorIdentifier;

/**
 * A golden savepoint: one written by a released Argus, checked in under {@code
 * src/test/resources/savepoints/<name>/} with what it takes to continue its stream. {@link
 * GoldenSavepointITCase} restores every one into the current job; {@link GoldenSavepointWriter}
 * writes a new one.
 *
 * <pre>
 * manifest.properties        the version and commit that wrote it, the command, the stream's start and split
 * pack/                      the rule pack the job ran (a copy of rules/pack at that commit)
 * transactions.avro          the whole stream, in the order it was produced (Avro container file)
 * alerts-uninterrupted.avro  the alerts a job that never stopped committed for the whole stream
 * alerts-before.avro         the alerts committed before the savepoint
 * savepoint/                 the savepoint (canonical format, relocatable)
 * </pre>
 */
record GoldenSavepoint(Path dir) {
    /** Where the golden savepoints live, from the job module's directory. */
    static final Path ROOT = Path.of("src/test/resources/savepoints");

    static final String MANIFEST = "manifest.properties";
    static final String TRANSACTIONS = "transactions.avro";
    static final String ALERTS_UNINTERRUPTED = "alerts-uninterrupted.avro";
    static final String ALERTS_BEFORE = "alerts-before.avro";

    /** Every golden savepoint, oldest first (their names start with the version). */
    static List<GoldenSavepoint> all() throws IOException {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(d -> Files.exists(d.resolve(MANIFEST)))
                    .sorted()
                    .map(GoldenSavepoint::new)
                    .toList();
        }
    }

    Path savepoint() {
        return dir.resolve("savepoint");
    }

    Path pack() {
        return dir.resolve("pack");
    }

    Properties manifest() {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(MANIFEST))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    Instant start() {
        return Instant.parse(manifest().getProperty("stream.start"));
    }

    /**
     * The rule engine's ordering the savepoint was written, and its alerts computed, under: the
     * manifest's {@code rules.ordering}, {@code event-time} (the default then) when it has none.
     * The restore runs under it too, so that its alerts compare exactly.
     */
    String ordering() {
        return manifest().getProperty("rules.ordering", "event-time");
    }

    /** How many of {@link #transactions()} the job had read when the savepoint was taken. */
    int split() {
        return Integer.parseInt(manifest().getProperty("stream.split"));
    }

    List<Transaction> transactions() throws IOException {
        return read(dir.resolve(TRANSACTIONS), Transaction.class);
    }

    List<Alert> alerts(String file) throws IOException {
        return read(dir.resolve(file), Alert.class);
    }

    @Override
    public String toString() {
        return dir.getFileName().toString();
    }

    static <T extends SpecificRecord> void write(Path file, Class<T> type, List<T> records)
            throws IOException {
        try (DataFileWriter<T> writer = new DataFileWriter<>(new SpecificDatumWriter<>(type))) {
            writer.create(SpecificData.get().getSchema(type), file.toFile());
            for (T r : records) {
                writer.append(r);
            }
        }
    }

    static <T extends SpecificRecord> List<T> read(Path file, Class<T> type) throws IOException {
        List<T> out = new ArrayList<>();
        try (DataFileReader<T> reader =
                new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
            reader.forEach(out::add);
        }
        return out;
    }

    /**
     * What a savepoint holds for one operator, read from its {@code _metadata}: whether it has
     * keyed state, and the number of entries in each of its operator list states.
     */
    record OperatorContents(boolean keyedState, Map<String, Integer> listEntries) {}

    /** The contents of the savepoint at {@code savepoint}, for the operator of UID {@code uid}. */
    static OperatorContents contents(Path savepoint, String uid) throws IOException {
        CheckpointMetadata metadata;
        try (DataInputStream in =
                new DataInputStream(Files.newInputStream(savepoint.resolve("_metadata")))) {
            metadata =
                    Checkpoints.loadCheckpointMetadata(
                            in,
                            GoldenSavepoint.class.getClassLoader(),
                            savepoint.toAbsolutePath().toString());
        }
        OperatorID id = operatorId(uid);
        boolean keyed = false;
        Map<String, Integer> entries = new HashMap<>();
        for (OperatorState operator : metadata.getOperatorStates()) {
            if (!operator.getOperatorID().equals(id)) {
                continue;
            }
            for (OperatorSubtaskState subtask : operator.getStates()) {
                keyed |= subtask.getManagedKeyedState().hasState();
                for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
                    handle.getStateNameToPartitionOffsets()
                            .forEach(
                                    (name, info) ->
                                            entries.merge(
                                                    name, info.getOffsets().length, Integer::sum));
                }
            }
        }
        return new OperatorContents(keyed, entries);
    }

    /** The operator id Flink derives from a UID. */
    static OperatorID operatorId(String uid) {
        return OperatorIdentifier.forUid(uid).getOperatorId();
    }
}

package dev.argus.cli.state;

import dev.argus.job.control.PackTimeline;
import dev.argus.job.engine.StoredAccounts;
import dev.argus.job.savepoint.States;
import dev.argus.job.savepoint.Uids;
import dev.argus.model.ControlChange;
import dev.argus.model.DeployPack;
import dev.argus.model.ProfileState;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * Reads what a savepoint (or retained checkpoint) of the Argus job holds, with Flink's State
 * Processor API: the account profiles ({@value Uids#ACCOUNT_PROFILE}), the rule engine's account
 * values ({@value Uids#RULE_ENGINE}, decoded by the engine's own {@link StoredAccounts}) and the
 * packs deployed at run time (the engine's broadcast state {@value States#CONTROL_CHANGES}).
 */
final class SavepointInspection {
    private SavepointInspection() {}

    /** A path this command cannot read, with what to do. */
    static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    /**
     * What the savepoint's {@code _metadata} says of the Argus operators: whether each is there,
     * and the entries of the engine's operator states by name.
     */
    record Metadata(
            Path dir,
            int operators,
            boolean profile,
            boolean engine,
            Map<String, Integer> engineOperatorStates) {}

    /**
     * The savepoint at {@code path} (its directory, or its {@code _metadata} file), checked: a
     * Flink savepoint or checkpoint that holds the Argus profile and rule engine.
     */
    static Metadata metadata(Path path) throws Unreadable {
        Path dir = Files.isRegularFile(path) ? path.toAbsolutePath().getParent() : path;
        if (!Files.exists(dir)) {
            throw new Unreadable(
                    path
                            + " does not exist. Give the directory of a savepoint (the path `flink"
                            + " savepoint` or `flink stop --savepointPath` printed) or of a"
                            + " retained checkpoint (…/chk-N).");
        }
        Path file = dir.resolve("_metadata");
        if (!Files.isRegularFile(file)) {
            throw new Unreadable(
                    path
                            + " is not a savepoint or a retained checkpoint: it has no _metadata"
                            + " file. Give the directory Flink wrote the savepoint to (the path"
                            + " `flink savepoint` or `flink stop --savepointPath` printed,"
                            + " savepoint-…) or a retained checkpoint's (…/chk-N), not its"
                            + " parent.");
        }
        CheckpointMetadata metadata;
        try (InputStream in = Files.newInputStream(file)) {
            metadata =
                    Checkpoints.loadCheckpointMetadata(
                            new DataInputStream(in),
                            SavepointInspection.class.getClassLoader(),
                            dir.toAbsolutePath().toString());
        } catch (IOException | RuntimeException e) {
            throw new Unreadable(
                    file
                            + " is not the metadata of a savepoint this Flink reads ("
                            + e.getMessage()
                            + "). Give the directory of a savepoint or retained checkpoint of"
                            + " the Argus job.");
        }
        OperatorID profileId = id(Uids.ACCOUNT_PROFILE);
        OperatorID engineId = id(Uids.RULE_ENGINE);
        boolean profile = false;
        boolean engine = false;
        Map<String, Integer> engineStates = new TreeMap<>();
        for (OperatorState operator : metadata.getOperatorStates()) {
            profile |= operator.getOperatorID().equals(profileId);
            if (operator.getOperatorID().equals(engineId)) {
                engine = true;
                for (OperatorSubtaskState subtask : operator.getStates()) {
                    for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
                        handle.getStateNameToPartitionOffsets()
                                .forEach(
                                        (name, info) ->
                                                engineStates.merge(
                                                        name,
                                                        info.getOffsets().length,
                                                        Integer::sum));
                    }
                }
            }
        }
        int operators = metadata.getOperatorStates().size();
        if (!profile && !engine) {
            throw new Unreadable(
                    dir
                            + " is a Flink savepoint, but not of the Argus job: none of its "
                            + operators
                            + " operators is Argus's account profile (uid "
                            + Uids.ACCOUNT_PROFILE
                            + ") or rule engine (uid "
                            + Uids.RULE_ENGINE
                            + "). Give a savepoint the Argus job wrote.");
        }
        if (!engine) {
            throw new Unreadable(
                    dir
                            + " holds Argus's account profile but no rule engine (uid "
                            + Uids.RULE_ENGINE
                            + "): it was written with rules.engine: cep, which runs stock"
                            + " flink-cep with one operator per rule (uid rule-<id>-<fingerprint>)"
                            + " and keeps flink-cep's own NFA state and shared buffer there."
                            + " This command reads only the default engine's state, one value per"
                            + " account holding every rule (rules.engine: argus). Inspect a"
                            + " savepoint of a job running the default engine.");
        }
        return new Metadata(dir, operators, profile, engine, engineStates);
    }

    private static OperatorID id(String uid) {
        return OperatorIdentifier.forUid(uid).getOperatorId();
    }

    /**
     * Reads the savepoint and sums it up. {@code pack}: the start pack the job ran ({@code
     * rules.path}), which the savepoint does not record; its rules, and those of the packs deployed
     * at run time, decode the engine's sections.
     */
    static Inspection read(
            Metadata metadata, RulePack pack, Path packPath, int parallelism, PrintWriter progress)
            throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false); // no Kryo for any type
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(parallelism);
        String path = metadata.dir().toAbsolutePath().toUri().toString();
        long began = System.nanoTime();

        // 1. the packs deployed at run time, from the engine's broadcast state
        List<ControlChange> changes = new ArrayList<>();
        if (metadata.engineOperatorStates().containsKey(States.CONTROL_CHANGES)) {
            progress.println("reading the packs deployed at run time ...");
            progress.flush();
            SavepointReader savepoint =
                    SavepointReader.read(env, path, new EmbeddedRocksDBStateBackend());
            @SuppressWarnings("unchecked")
            TypeSerializer<ControlChange> changeSerializer =
                    (TypeSerializer<ControlChange>)
                            (TypeSerializer<?>) new AvroSerializer<>(ControlChange.class);
            try (CloseableIterator<Tuple2<String, ControlChange>> it =
                    savepoint
                            .readBroadcastState(
                                    OperatorIdentifier.forUid(Uids.RULE_ENGINE),
                                    States.CONTROL_CHANGES,
                                    Types.STRING,
                                    new AvroTypeInfo<>(ControlChange.class),
                                    StringSerializer.INSTANCE,
                                    changeSerializer)
                            .executeAndCollect()) {
                it.forEachRemaining(t -> changes.add(t.f1));
            }
        }
        PackTimeline timeline = new PackTimeline(pack.active());
        timeline.update(changes);
        long otherBase =
                changes.stream()
                        .filter(c -> c.getChange() instanceof DeployPack && !timeline.isDeploy(c))
                        .count();
        List<Rule> rules = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        for (PackTimeline.Pack p : timeline.packs()) {
            for (Rule r : p.rules()) {
                if (keys.add(StoredAccounts.sectionKey(r))) {
                    rules.add(r);
                }
            }
        }

        // 2. every account's profile and engine value, in one job
        progress.println("reading the accounts' state ...");
        progress.flush();
        SavepointReader savepoint =
                SavepointReader.read(env, path, new EmbeddedRocksDBStateBackend());
        DataStream<byte[]> profiles =
                savepoint.readKeyedState(
                        OperatorIdentifier.forUid(Uids.ACCOUNT_PROFILE),
                        new ProfileReader(),
                        Types.STRING,
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        DataStream<byte[]> engine =
                savepoint.readKeyedState(
                        OperatorIdentifier.forUid(Uids.RULE_ENGINE),
                        new EngineReader(rules),
                        Types.STRING,
                        PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
        Figures figures = new Figures(keys);
        long rows = 0;
        long lastLine = System.nanoTime();
        try (CloseableIterator<byte[]> it =
                (metadata.profile() ? profiles.union(engine) : engine).executeAndCollect()) {
            while (it.hasNext()) {
                figures.add(it.next());
                rows++;
                if (System.nanoTime() - lastLine > 1_000_000_000L) {
                    lastLine = System.nanoTime();
                    progress.printf(
                            Locale.ROOT,
                            "  %,d account states read so far (%.0f s)%n",
                            rows,
                            (lastLine - began) / 1e9);
                    progress.flush();
                }
            }
        }
        progress.printf(
                Locale.ROOT,
                "read %,d account states in %.1f s%n",
                rows,
                (System.nanoTime() - began) / 1e9);
        progress.flush();
        return figures.inspection(metadata, timeline, otherBase, pack, packPath);
    }

    /** Per account: its profile's serialized size. */
    private static final class ProfileReader extends KeyedStateReaderFunction<String, byte[]> {
        private transient ValueState<ProfileState> state;
        private transient TypeSerializer<ProfileState> serializer;
        private transient DataOutputSerializer out;

        @Override
        public void open(OpenContext context) {
            ValueStateDescriptor<ProfileState> descriptor = States.profile();
            state = getRuntimeContext().getState(descriptor);
            serializer = descriptor.getSerializer().duplicate();
            out = new DataOutputSerializer(256);
        }

        @Override
        public void readKey(String account, Context ctx, Collector<byte[]> rows) throws Exception {
            ProfileState profile = state.value();
            if (profile == null) {
                return;
            }
            out.clear();
            serializer.serialize(profile, out);
            int bytes = out.length();
            out.clear();
            out.writeByte('P');
            out.writeUTF(account);
            out.writeInt(bytes);
            rows.collect(out.getCopyOfBuffer());
        }
    }

    /** Per account: its engine value's size and what each rule's section holds. */
    private static final class EngineReader extends KeyedStateReaderFunction<String, byte[]> {
        private final List<Rule> rules;
        private transient ValueState<byte[]> state;
        private transient StoredAccounts accounts;
        private transient DataOutputSerializer out;

        EngineReader(List<Rule> rules) {
            this.rules = rules;
        }

        @Override
        public void open(OpenContext context) throws Exception {
            state = getRuntimeContext().getState(States.ruleEngineAccounts());
            accounts = new StoredAccounts(rules, getRuntimeContext());
            out = new DataOutputSerializer(256);
        }

        @Override
        public void close() throws Exception {
            if (accounts != null) {
                accounts.close();
            }
        }

        @Override
        public void readKey(String account, Context ctx, Collector<byte[]> rows) throws Exception {
            byte[] value = state.value();
            if (value == null) {
                return;
            }
            StoredAccounts.Account a = accounts.read(value);
            out.clear();
            out.writeByte('E');
            out.writeUTF(account);
            out.writeInt(value.length);
            out.writeInt(a.format());
            out.writeLong(a.timer());
            out.writeInt(a.waitingEvents());
            out.writeInt(a.sections().size());
            for (StoredAccounts.Section s : a.sections()) {
                out.writeUTF(s.key());
                out.writeUTF(s.ruleId());
                out.writeInt(s.bytes());
                out.writeInt(s.partialMatches());
                out.writeLong(s.deadline());
                out.writeBoolean(s.ofRule());
            }
            rows.collect(out.getCopyOfBuffer());
        }
    }

    /** The figures, summed up as the rows come. */
    private static final class Figures {
        private final Set<String> packKeys;
        private final Map<String, long[]> bytesByAccount = new HashMap<>(); // engine, profile
        private final List<Long> engineBytes = new ArrayList<>();
        private final List<Long> profileBytes = new ArrayList<>();
        private final Map<String, RuleFigures> rules = new LinkedHashMap<>();
        private final Map<Integer, Long> formats = new TreeMap<>();
        private long timers;
        private long earliestTimer = Long.MAX_VALUE;
        private long waitingInValues;
        private long deadline = Long.MAX_VALUE;
        private String deadlineRule;
        private String deadlineAccount;
        private long withoutDeadline;

        Figures(Set<String> packKeys) {
            this.packKeys = packKeys;
        }

        private static final class RuleFigures {
            final String ruleId;
            long accounts;
            long withPartial;
            long partial;
            long bytes;
            long earliest = Long.MAX_VALUE;

            RuleFigures(String ruleId) {
                this.ruleId = ruleId;
            }
        }

        void add(byte[] row) throws IOException {
            DataInputDeserializer in = new DataInputDeserializer(row);
            byte kind = in.readByte();
            String account = in.readUTF();
            int bytes = in.readInt();
            long[] sizes = bytesByAccount.computeIfAbsent(account, a -> new long[] {-1, -1});
            if (kind == 'P') {
                sizes[1] = bytes;
                profileBytes.add((long) bytes);
                return;
            }
            sizes[0] = bytes;
            engineBytes.add((long) bytes);
            formats.merge(in.readInt(), 1L, Long::sum);
            long timer = in.readLong();
            if (timer != Long.MIN_VALUE) {
                timers++;
                earliestTimer = Math.min(earliestTimer, timer);
            }
            waitingInValues += in.readInt();
            for (int n = in.readInt(); n > 0; n--) {
                String key = in.readUTF();
                String ruleId = in.readUTF();
                int sectionBytes = in.readInt();
                int partial = in.readInt();
                long sectionDeadline = in.readLong();
                boolean ofRule = in.readBoolean();
                RuleFigures r = rules.computeIfAbsent(key, k -> new RuleFigures(ruleId));
                r.accounts++;
                r.partial += partial;
                r.withPartial += partial > 0 ? 1 : 0;
                r.bytes += sectionBytes;
                if (sectionDeadline != Long.MAX_VALUE) {
                    r.earliest = Math.min(r.earliest, sectionDeadline);
                    if (sectionDeadline < deadline) {
                        deadline = sectionDeadline;
                        deadlineRule = ruleId;
                        deadlineAccount = account;
                    }
                } else if (!ofRule && partial > 0) {
                    withoutDeadline++;
                }
            }
        }

        Inspection inspection(
                Metadata metadata,
                PackTimeline timeline,
                long otherBase,
                RulePack pack,
                Path packPath) {
            long both = 0;
            long[] totals = new long[bytesByAccount.size()];
            int i = 0;
            for (long[] sizes : bytesByAccount.values()) {
                both += sizes[0] >= 0 && sizes[1] >= 0 ? 1 : 0;
                totals[i++] = Math.max(0, sizes[0]) + Math.max(0, sizes[1]);
            }
            List<Inspection.RuleState> ruleStates = new ArrayList<>();
            long partial = 0;
            long sectionsOfPack = 0;
            long sectionsOfOthers = 0;
            for (Map.Entry<String, RuleFigures> e : rules.entrySet()) {
                RuleFigures r = e.getValue();
                boolean inPack = packKeys.contains(e.getKey());
                if (inPack) {
                    sectionsOfPack += r.accounts;
                } else {
                    sectionsOfOthers += r.accounts;
                }
                partial += r.partial;
                ruleStates.add(
                        new Inspection.RuleState(
                                r.ruleId,
                                e.getKey(),
                                inPack,
                                r.partial,
                                r.withPartial,
                                r.accounts,
                                r.bytes,
                                instant(r.earliest)));
            }
            ruleStates.sort(
                    (a, b) ->
                            a.partialMatches() != b.partialMatches()
                                    ? Long.compare(b.partialMatches(), a.partialMatches())
                                    : a.section().compareTo(b.section()));
            PackTimeline.Pack latest = timeline.latest();
            List<Inspection.Deploy> deploys = new ArrayList<>();
            for (PackTimeline.Pack p : timeline.packs()) {
                if (!p.id().equals(PackTimeline.START)) {
                    deploys.add(
                            new Inspection.Deploy(
                                    p.id(), p.version(), instant(p.effectiveAt()), p == latest));
                }
            }
            Inspection.PackInForce inForce =
                    new Inspection.PackInForce(
                            latest.version(),
                            latest.id().equals(PackTimeline.START)
                                    ? "start pack"
                                    : "deployed at run time",
                            packPath.toString(),
                            pack.version(),
                            deploys,
                            otherBase,
                            sectionsOfPack,
                            sectionsOfOthers);
            return new Inspection(
                    metadata.dir().toString(),
                    new Inspection.Accounts(
                            profileBytes.size(), engineBytes.size(), both, bytesByAccount.size()),
                    Distribution.of(totals),
                    Distribution.of(toArray(engineBytes)),
                    Distribution.of(toArray(profileBytes)),
                    partial,
                    ruleStates,
                    deadlineRule == null
                            ? null
                            : new Inspection.Deadline(
                                    instant(deadline), deadlineRule, deadlineAccount),
                    withoutDeadline,
                    new Inspection.Engine(
                            formats,
                            StoredAccounts.FORMAT,
                            timers,
                            instant(earliestTimer),
                            waitingInValues,
                            metadata.engineOperatorStates()
                                    .getOrDefault(States.RULE_ENGINE_WAITING, 0)),
                    inForce);
        }

        private static long[] toArray(List<Long> values) {
            long[] a = new long[values.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = values.get(i);
            }
            return a;
        }

        private static String instant(long millis) {
            return millis == Long.MAX_VALUE || millis == Long.MIN_VALUE
                    ? null
                    : Instant.ofEpochMilli(millis).toString();
        }
    }
}

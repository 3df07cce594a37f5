package dev.argus.cli.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a job process's CPU time went, from a JFR recording: the share of samples per component
 * (the innermost frame outside the JDK decides: a {@code HashMap.get} called by flink-cep counts
 * for flink-cep) and the methods most often on top of the stack.
 *
 * <p>JFR samples threads running Java code ({@code jdk.ExecutionSample}) and threads inside native
 * methods ({@code jdk.NativeMethodSample}); of the latter only RocksDB's JNI calls are counted,
 * because the other native samples are threads waiting on sockets and locks, not using the CPU.
 */
final class JfrSummary {
    private static final String[][] COMPONENTS = {
        {"org.rocksdb.", "RocksDB (native, through JNI)"},
        {"org.apache.flink.state.rocksdb.", "Flink's RocksDB state backend"},
        {"org.apache.flink.contrib.streaming.state.", "Flink's RocksDB state backend"},
        {"org.apache.flink.cep.", "flink-cep (NFA, shared buffer, operator)"},
        {"dev.cel.", "CEL condition evaluation"},
        {"com.google.", "CEL condition evaluation (protobuf, guava)"},
        {"org.apache.avro.", "Avro encoding and decoding"},
        {"org.apache.flink.formats.avro.", "Avro encoding and decoding"},
        {"org.apache.kafka.", "Kafka clients and connector"},
        {"org.apache.flink.connector.kafka.", "Kafka clients and connector"},
        {"dev.argus.rules.cel.", "CEL condition evaluation (Argus's plans and views)"},
        {"dev.argus.", "Argus code (rule engine, profile, routing, alerts)"},
        {"org.apache.flink.api.common.typeutils.", "Flink serializers and copies"},
        {"org.apache.flink.core.memory.", "Flink serializers and copies"},
        {"org.apache.flink.runtime.state.", "Flink keyed state and timers"},
        {"org.apache.flink.streaming.api.operators.", "Flink operators and timers"},
        {"org.apache.flink.", "Flink runtime (network, tasks, checkpoints)"},
    };

    /** Where the rule stage spends: the share of samples with each of these on the stack. */
    private static final String[] INSIDE = {
        "org.apache.flink.cep.operator.CepOperator.onEventTime",
        "org.apache.flink.cep.operator.CepOperator.processElement",
        "org.apache.flink.cep.nfa.sharedbuffer.SharedBufferAccessor.advanceTime",
        "dev.argus.job.engine.RuleEngineOperator.processElement",
        "dev.argus.job.engine.RuleEngineOperator.processWatermark",
        "dev.argus.job.engine.RuleEngineOperator.onEventTime",
        "dev.argus.job.engine.RuleEngineOperator.movePendingIntoState",
        "org.apache.flink.cep.nfa.NFA.process",
        "dev.argus.job.engine.RuleRunner.cannotStart",
        "dev.argus.job.engine.RuleRunner.load",
        "dev.argus.job.engine.RuleRunner.save",
        "dev.argus.rules.cel.CelCondition.filter",
        // the profile's own work: its processElement holds the rule engine, chained to it
        "dev.argus.job.profile.AccountProfile.features",
        "dev.argus.job.profile.AccountProfile.update",
    };

    private JfrSummary() {}

    static String summarize(Path recording, int topMethods) throws IOException {
        Map<String, Long> components = new HashMap<>();
        Map<String, Long> methods = new HashMap<>();
        long[] inside = new long[INSIDE.length];
        long total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            String type = e.getEventType().getName();
            boolean java = type.equals("jdk.ExecutionSample");
            if (!java && !type.equals("jdk.NativeMethodSample")) {
                continue;
            }
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = stack.getFrames();
            String top = name(frames.get(0));
            if (!java && !top.startsWith("org.rocksdb.")) {
                continue;
            }
            total++;
            methods.merge(top, 1L, Long::sum);
            components.merge(component(frames), 1L, Long::sum);
            java.util.Set<String> onStack = new java.util.HashSet<>();
            frames.forEach(f -> onStack.add(name(f)));
            for (int i = 0; i < INSIDE.length; i++) {
                if (onStack.contains(INSIDE[i])) {
                    inside[i]++;
                }
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format("%,d CPU samples%n", total));
        out.append("  by component (innermost frame outside the JDK):\n");
        append(out, components, total, components.size());
        out.append("  inside (samples with the method on the stack):\n");
        for (int i = 0; i < INSIDE.length; i++) {
            if (inside[i] > 0) {
                out.append(
                        String.format(
                                "    %5.1f%%  %s%n",
                                100.0 * inside[i] / Math.max(1, total),
                                INSIDE[i].substring(
                                        INSIDE[i].lastIndexOf('.', INSIDE[i].lastIndexOf('.') - 1)
                                                + 1)));
            }
        }
        out.append("  top methods (self):\n");
        append(out, methods, total, topMethods);
        return out.toString();
    }

    private static void append(StringBuilder out, Map<String, Long> counts, long total, int limit) {
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(limit)
                .forEach(
                        e ->
                                out.append(
                                        String.format(
                                                "    %5.1f%%  %s%n",
                                                100.0 * e.getValue() / Math.max(1, total),
                                                e.getKey())));
    }

    private static String component(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String n = name(f);
            if (n.startsWith("java.") || n.startsWith("jdk.") || n.startsWith("sun.")) {
                continue;
            }
            for (String[] c : COMPONENTS) {
                if (n.startsWith(c[0])) {
                    return c[1];
                }
            }
            return "other: " + n.substring(0, Math.max(0, n.lastIndexOf('.')));
        }
        return "JDK only";
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}

package dev.argus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the bench tells the job process's threads apart when it splits the job's CPU time. */
class JobProcessTest {
    @Test
    void tellsTheJitCompilerTheCollectorAndRocksDbFromTheJobsTasks() {
        // Linux gives a thread's name cut to 15 characters
        assertThat(JobProcess.threadKind("C2 CompilerThre")).isEqualTo("JIT compiler");
        assertThat(JobProcess.threadKind("C1 CompilerThre")).isEqualTo("JIT compiler");
        assertThat(JobProcess.threadKind("GC Thread#1")).isEqualTo("garbage collector");
        assertThat(JobProcess.threadKind("G1 Conc#0")).isEqualTo("garbage collector");
        assertThat(JobProcess.threadKind("rocksdb:low")).isEqualTo("RocksDB background");
        assertThat(JobProcess.threadKind("account profile")).isEqualTo("the rest");
        assertThat(JobProcess.threadKind("Source: transac")).isEqualTo("the rest");
        assertThat(JobProcess.THREAD_KINDS)
                .containsExactly(
                        "JIT compiler", "garbage collector", "RocksDB background", "the rest");
    }

    @Test
    void runsTheJobWithItsHeapThenTheGivenOptions() {
        assertThat(JobProcess.jvmOptions("2g", List.of("-XX:-TieredCompilation", "-Xss2m")))
                .containsExactly("-Xmx2g", "-XX:-TieredCompilation", "-Xss2m");
    }

    @Test
    void printsEachKindAsCoresOverTheWindow() {
        Map<String, Double> seconds = new LinkedHashMap<>();
        seconds.put("JIT compiler", 8.0);
        seconds.put("the rest", 30.0);
        assertThat(Bench.byKind(seconds, 20.0)).isEqualTo("JIT compiler 0.40, the rest 1.50 cores");
    }
}

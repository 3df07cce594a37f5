package dev.argus.cli;

import static com.tngtech.archunit.base.DescribedPredicate.or;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The architecture's rules, checked on the main classes of every module (this module's test class
 * path holds them all). See docs/architecture.md for the layout they keep.
 */
@AnalyzeClasses(packages = "dev.argus", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    /**
     * model ← rules ← job ← cli, never backwards; the sandbox (broker, traffic) sits beside the job
     * and serves the command line, never the job's main code.
     */
    @ArchTest
    static final ArchRule modulesDependOneWay =
            layeredArchitecture()
                    .consideringOnlyDependenciesInLayers()
                    .layer("model")
                    .definedBy("dev.argus.model..")
                    .layer("rules")
                    .definedBy("dev.argus.rules..")
                    .layer("job")
                    .definedBy("dev.argus.job..")
                    .layer("sandbox")
                    .definedBy("dev.argus.sandbox..")
                    .layer("cli")
                    .definedBy("dev.argus.cli..")
                    .whereLayer("cli")
                    .mayNotBeAccessedByAnyLayer()
                    .whereLayer("sandbox")
                    .mayOnlyBeAccessedByLayers("cli")
                    .whereLayer("job")
                    .mayOnlyBeAccessedByLayers("cli")
                    .whereLayer("rules")
                    .mayOnlyBeAccessedByLayers("job", "cli")
                    .whereLayer("model")
                    .mayOnlyBeAccessedByLayers("rules", "job", "sandbox", "cli");

    /**
     * The rule language touches Flink only through flink-cep's public pattern API, the after-match
     * skip strategies, and what a rich condition's {@code open} needs (its context, runtime context
     * and metrics): flink-cep's internals, such as {@code NFACompiler}, stay in the job's engine.
     */
    @ArchTest
    static final ArchRule rulesUseOnlyTheCepPatternApi =
            classes()
                    .that()
                    .resideInAPackage("dev.argus.rules..")
                    .should()
                    .onlyDependOnClassesThat(
                            or(
                                    resideOutsideOfPackage("org.apache.flink.."),
                                    resideInAnyPackage(
                                            "org.apache.flink.cep.pattern..",
                                            "org.apache.flink.cep.nfa.aftermatch..",
                                            "org.apache.flink.metrics..",
                                            "org.apache.flink.api.common.functions")));

    /** flink-cep's matching machinery (NFA, shared buffer, compiler) is the engine's alone. */
    @ArchTest
    static final ArchRule cepInternalsStayInTheEngine =
            noClasses()
                    .that()
                    .resideOutsideOfPackage("dev.argus.job.engine..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(
                            "org.apache.flink.cep.nfa",
                            "org.apache.flink.cep.nfa.compiler..",
                            "org.apache.flink.cep.nfa.sharedbuffer..",
                            "org.apache.flink.cep.configuration..",
                            "org.apache.flink.cep.operator..",
                            "org.apache.flink.cep.time..");

    /**
     * No job stage imports a tool: the embedded broker, bounded in-memory sources, the command
     * line's parser. They are not in the cluster jar, and the job must not need them.
     */
    @ArchTest
    static final ArchRule theJobUsesNoTool =
            noClasses()
                    .that()
                    .resideInAPackage("dev.argus.job..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(
                            "org.apache.flink.connector.datagen..",
                            "picocli..",
                            "kafka..",
                            "org.apache.kafka.common.test..",
                            "org.apache.flink.runtime.minicluster..");

    /** No package depends on itself through others. */
    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.argus.(**)").should().beFreeOfCycles();

    /**
     * The job's stages (ingest, profile, engine, alerting) know nothing of the pipeline that
     * assembles them and wires Kafka to it ({@code dev.argus.job}); the savepoint contract is
     * theirs to use.
     */
    @ArchTest
    static final ArchRule stagesDoNotDependOnTheAssembly =
            noClasses()
                    .that()
                    .resideInAnyPackage(
                            "dev.argus.job.ingest..",
                            "dev.argus.job.profile..",
                            "dev.argus.job.engine..",
                            "dev.argus.job.alerting..",
                            "dev.argus.job.control..",
                            "dev.argus.job.savepoint..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAPackage("dev.argus.job");

    /**
     * Data flows ingest → profile → engine → alerting: no stage reaches back upstream. The control
     * topic's package decides commands and says which pack and list entries are in force; the
     * engine and the alerting stage read that, and it knows neither of them (the engine's check of
     * a pack's patterns is handed to it).
     */
    @ArchTest
    static final ArchRule stagesDependOnlyDownstream =
            layeredArchitecture()
                    .consideringOnlyDependenciesInLayers()
                    .layer("ingest")
                    .definedBy("dev.argus.job.ingest..")
                    .layer("profile")
                    .definedBy("dev.argus.job.profile..")
                    .layer("engine")
                    .definedBy("dev.argus.job.engine..")
                    .layer("alerting")
                    .definedBy("dev.argus.job.alerting..")
                    .layer("savepoint")
                    .definedBy("dev.argus.job.savepoint..")
                    .layer("control")
                    .definedBy("dev.argus.job.control..")
                    .whereLayer("engine")
                    .mayOnlyAccessLayers("alerting", "control", "savepoint")
                    .whereLayer("control")
                    .mayOnlyAccessLayers("savepoint")
                    .whereLayer("savepoint")
                    .mayNotAccessAnyLayer()
                    .whereLayer("profile")
                    .mayOnlyAccessLayers("savepoint")
                    .whereLayer("alerting")
                    .mayOnlyAccessLayers("control", "savepoint")
                    .whereLayer("ingest")
                    .mayOnlyAccessLayers("savepoint");
}

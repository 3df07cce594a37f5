package dev.argus.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Alert;
import dev.argus.model.DeadLetter;
import dev.argus.model.Transaction;
import dev.argus.rules.Rule;
import dev.argus.rules.RulePack;
import dev.argus.rules.RulePackLoader;
import dev.argus.rules.RuleSpec;
import dev.argus.rules.testing.LabelledStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The whole shipped pack through a real KRaft broker and the registry serde, as the job runs in
 * production (the pack loaded from the job's jar, rules in their own modes). The stream is
 * labelled: it is every test case of the pack, each on its own accounts, so the alerts expected are
 * known. A read_committed consumer sees exactly the expected alerts of each rule, each once,
 * enforce rules' on the alerts topic and shadow rules' on the shadow-alerts topic only.
 */
class RulePackKafkaITCase {

    @Test
    void thePackFindsExactlyTheLabelledCasesThroughKafka() throws Exception {
        RulePackLoader.Result loaded = KafkaTestBed.loadPack(Path.of("../../rules/pack"));
        RulePack pack = loaded.pack();
        Set<String> shadowRules =
                pack.rules().stream()
                        .filter(r -> r.mode() == RuleSpec.Mode.SHADOW)
                        .map(Rule::id)
                        .collect(Collectors.toSet());
        assertThat(shadowRules).isNotEmpty();

        try (KafkaTestBed bed = KafkaTestBed.start()) {
            JobConfig config = bed.config("pack-itcase", "1 s");
            List<Transaction> stream =
                    LabelledStream.stream(loaded.tests(), KafkaTestBed.labelledStreamStart());
            bed.produce(config, stream);

            KafkaTestBed.runToEnd(config, "argus-pack-itcase");

            List<Alert> alerts = bed.committed(config, "topic.alerts", Alert.class);
            List<Alert> shadow = bed.committed(config, "topic.shadow-alerts", Alert.class);
            assertThat(alerts)
                    .extracting(Alert::getRuleId)
                    .doesNotContainAnyElementsOf(shadowRules);
            assertThat(shadow).extracting(Alert::getRuleId).allMatch(shadowRules::contains);
            assertThat(shadow).isNotEmpty();
            List<Alert> all = new ArrayList<>(alerts);
            all.addAll(shadow);
            KafkaTestBed.assertAlertsOfCases(
                    loaded.tests(),
                    all,
                    bed.committed(config, "topic.dead-letters", DeadLetter.class));
        }
    }
}

package dev.argus.job.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The alert id of docs/alerts.md, pinned to values: payment systems deduplicate on it, so the same
 * match must give the same id in every release, and a change of how it is computed is a breaking
 * change.
 */
class AlertIdsTest {
    @Test
    void theSameMatchGivesTheIdOfEveryEarlierRelease() {
        assertThat(AlertIds.of("card-testing", 1, "acc-1", List.of("s1", "s2", "s3", "big")))
                .isEqualTo("1539fc35-fc9c-3b34-874b-9a69520eb2f4");
        assertThat(AlertIds.of("impossible-travel", 3, "acct-000042", List.of("tx-1", "tx-2")))
                .isEqualTo("7544e5aa-9edf-3d06-aaca-a516e1b44392");
    }

    @Test
    void isANameBasedUuidThatEveryPartAndTheOrderOfTheTransactionsChange() {
        String id = AlertIds.of("card-testing", 1, "acc-1", List.of("s1", "s2"));
        assertThat(UUID.fromString(id).version()).isEqualTo(3);
        assertThat(
                        List.of(
                                AlertIds.of("card-testing", 2, "acc-1", List.of("s1", "s2")),
                                AlertIds.of("card-testing", 1, "acc-2", List.of("s1", "s2")),
                                AlertIds.of("card-tester", 1, "acc-1", List.of("s1", "s2")),
                                AlertIds.of("card-testing", 1, "acc-1", List.of("s2", "s1")),
                                AlertIds.of("card-testing", 1, "acc-1", List.of("s1", "s2", "s3"))))
                .doesNotContain(id)
                .doesNotHaveDuplicates();
    }

    @Test
    void isNameUuidFromBytesOfTheSameName() {
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 2_000; i++) {
            byte[] name = new byte[random.nextInt(200)];
            random.nextBytes(name);
            assertThat(AlertIds.nameUuid(name)).isEqualTo(UUID.nameUUIDFromBytes(name));
        }
        String joined = "argus-alert\u0000card-testing\u00001\u0000acc-1\u0000s1\u0000s2";
        assertThat(AlertIds.of("card-testing", 1, "acc-1", List.of("s1", "s2")))
                .isEqualTo(
                        UUID.nameUUIDFromBytes(
                                        joined.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                                .toString());
    }
}

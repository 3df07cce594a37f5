package dev.argus.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.argus.model.Transaction;
import dev.argus.model.TransactionValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransactionGeneratorTest {
    private static final long START = 1_790_000_000_000L;

    @Test
    void everyUnbrokenEventIsAValidTransaction() {
        TransactionGenerator generator = new TransactionGenerator(1, 200, 0.02, 0.0);
        TransactionValidator validator = new TransactionValidator(3_600_000);
        for (Generated g : run(generator, 120)) {
            assertThat(g.transaction()).isNotNull();
            assertThat(
                            validator.check(
                                    g.transaction(), g.transaction().getEventTime().toEpochMilli()))
                    .as(g.transaction().toString())
                    .isEmpty();
        }
    }

    @Test
    void injectedCardTestingCasesAreThreeOrMoreSmallPaymentsThenALargeOneWithinTenMinutes() {
        TransactionGenerator generator = new TransactionGenerator(2, 200, 0.05, 0.0);
        Map<String, Transaction> byId = new HashMap<>();
        run(generator, 300)
                .forEach(g -> byId.put(g.transaction().getTransactionId(), g.transaction()));

        assertThat(generator.fraudCases()).hasSizeGreaterThan(10);
        for (TransactionGenerator.FraudCase c : generator.fraudCases()) {
            Transaction large = byId.get(c.largeTransactionId());
            assertThat(large.getAmount().getAmountMinor()).isGreaterThanOrEqualTo(500_00L);
            assertThat(c.smallIds()).hasSizeGreaterThanOrEqualTo(3);
            for (String id : c.smallIds()) {
                Transaction small = byId.get(id);
                assertThat(small.getAccountId()).isEqualTo(c.accountId());
                assertThat(small.getAmount().getAmountMinor()).isLessThanOrEqualTo(5_00L);
                assertThat(small.getEventTime()).isBefore(large.getEventTime());
                assertThat(
                                large.getEventTime().toEpochMilli()
                                        - small.getEventTime().toEpochMilli())
                        .isLessThan(600_000L);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameTraffic() {
        List<String> first = ids(run(new TransactionGenerator(3, 50, 0.05, 0.01), 60));
        List<String> second = ids(run(new TransactionGenerator(3, 50, 0.05, 0.01), 60));
        assertThat(first).isEqualTo(second).isNotEmpty();
    }

    /** {@code seconds} of traffic at 20 events per second, then the rest of the injected cases. */
    private static List<Generated> run(TransactionGenerator generator, int seconds) {
        List<Generated> out = new ArrayList<>();
        long now = START;
        for (int i = 0; i < seconds * 20; i++, now += 50) {
            out.addAll(generator.due(now));
            out.add(generator.next(now));
        }
        generator.stopInjecting();
        out.addAll(generator.due(Long.MAX_VALUE));
        return out;
    }

    private static List<String> ids(List<Generated> generated) {
        return generated.stream()
                .map(
                        g ->
                                g.transaction() == null
                                        ? "broken"
                                        : g.transaction().getTransactionId()
                                                + g.transaction().getAccountId())
                .toList();
    }
}

package dev.argus.sandbox.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.argus.model.Transaction;
import dev.argus.model.TransactionType;
import dev.argus.sandbox.Generated;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BankTrafficTest {
    private static final Instant START = Instant.parse("2026-10-05T00:00:00Z");
    private static final int ACCOUNTS = 2_000;
    private static final int DAYS = 10;
    private static List<Transaction> events;
    private static BankTraffic traffic;

    @BeforeAll
    static void generate() {
        traffic = new BankTraffic(new BankTraffic.Options(ACCOUNTS, 3, START, DAYS, 10, 10, 0));
        events = take(traffic);
    }

    private static List<Transaction> take(BankTraffic t) {
        List<Transaction> out = new ArrayList<>();
        Generated g;
        while ((g = t.next()) != null) {
            out.add(g.transaction());
        }
        return out;
    }

    @Test
    void theSameOptionsGiveTheSameTrafficAndLabels() {
        BankTraffic again =
                new BankTraffic(new BankTraffic.Options(ACCOUNTS, 3, START, DAYS, 10, 10, 0));
        List<Transaction> second = take(again);
        assertThat(second).isEqualTo(events);
        assertThat(again.labels()).isEqualTo(traffic.labels());
        BankTraffic other =
                new BankTraffic(new BankTraffic.Options(ACCOUNTS, 4, START, DAYS, 10, 10, 0));
        assertThat(take(other).subList(0, 100)).isNotEqualTo(events.subList(0, 100));
    }

    @Test
    void anIndividualMakesAFewEventsADayABusinessMore() {
        Map<String, String> kinds = new HashMap<>();
        traffic.accounts().forEach(a -> kinds.put(a.accountId(), a.kind()));
        Map<String, long[]> perKind = new HashMap<>();
        long fromDay = START.toEpochMilli();
        for (Transaction t : events) {
            if (t.getEventTime().toEpochMilli() >= fromDay) {
                perKind.computeIfAbsent(kinds.get(t.getAccountId()), k -> new long[1])[0]++;
            }
        }
        Map<String, Long> accountsOfKind = new HashMap<>();
        kinds.values().forEach(k -> accountsOfKind.merge(k, 1L, Long::sum));
        Map<String, Double> perAccountDay = new HashMap<>();
        perKind.forEach(
                (k, n) -> perAccountDay.put(k, n[0] / (double) accountsOfKind.get(k) / DAYS));
        assertThat(perAccountDay.get("salaried")).isBetween(1.5, 4.0);
        assertThat(perAccountDay.get("retiree")).isBetween(0.5, 2.0);
        assertThat(perAccountDay.get("small-business")).isBetween(6.0, 20.0);
        assertThat(perAccountDay.get("small-business"))
                .isGreaterThan(2 * perAccountDay.get("salaried"));
        double overall = events.size() / (double) ACCOUNTS / DAYS;
        assertThat(overall).isCloseTo(BankTraffic.expectedEventsPerAccountDay(), within(0.5));
        assertThat(accountsOfKind.get("dormant") / (double) ACCOUNTS).isCloseTo(0.05, within(0.02));
    }

    @Test
    void cardPaymentsFollowTheDayAndTheWeek() {
        long[] byHour = new long[24];
        long[] byWeekday = new long[7];
        for (Transaction t : events) {
            // in person: online subscriptions are billed in batches at night
            if (t.getType() == TransactionType.CARD_PAYMENT
                    && t.getCardPresent()
                    && !t.getEventTime().isBefore(START)) {
                var at = t.getEventTime().atZone(ZoneOffset.ofHours(1));
                byHour[at.getHour()]++;
                byWeekday[at.getDayOfWeek().getValue() - 1]++;
            }
        }
        assertThat(byHour[12]).isGreaterThan(10 * byHour[3]);
        assertThat(byHour[17]).isGreaterThan(byHour[7]);
        // ten days from a Monday: two Saturdays, two Sundays
        assertThat(byWeekday[5]).isGreaterThan(byWeekday[6]);
    }

    @Test
    void recordsArriveInOrderWithinAFewSecondsOfDisorder() {
        long latest = Long.MIN_VALUE / 2;
        Set<String> ids = new HashSet<>();
        for (Transaction t : events) {
            long at = t.getEventTime().toEpochMilli();
            assertThat(at).isGreaterThan(latest - 3_001);
            latest = Math.max(latest, at);
            assertThat(ids.add(t.getTransactionId())).isTrue();
        }
        assertThat(latest).isLessThan(START.toEpochMilli() + DAYS * 86_400_000L);
    }

    @Test
    void everyTypologyIsInjectedAsFraudAndAsLookAlikesAndLabelled() {
        Map<String, Transaction> byId = new HashMap<>();
        events.forEach(t -> byId.put(t.getTransactionId(), t));
        Map<String, int[]> counts = new HashMap<>();
        Set<String> variants = new HashSet<>();
        for (CaseLabel c : traffic.labels()) {
            counts.computeIfAbsent(c.typology(), k -> new int[2])[c.fraud() ? 0 : 1]++;
            variants.add(c.typology() + "/" + c.variant());
            assertThat(c.transactionIds()).isNotEmpty();
            for (String id : c.transactionIds()) {
                Transaction t = byId.get(id);
                assertThat(t).as("%s names %s", c.caseId(), id).isNotNull();
                assertThat(t.getAccountId()).isEqualTo(c.accountId());
                assertThat(t.getEventTime()).isBetween(c.firstEventTime(), c.lastEventTime());
            }
        }
        for (Typology t : Typology.values()) {
            assertThat(counts.get(t.id())).as(t.id()).isNotNull();
            assertThat(counts.get(t.id())[0]).as("fraud cases of %s", t.id()).isPositive();
            assertThat(counts.get(t.id())[1]).as("look-alikes of %s", t.id()).isPositive();
        }
        // variants, evasions among them
        assertThat(variants.stream().filter(v -> v.contains("/evasion-")).count())
                .isGreaterThan(10);
        assertThat(Arrays.stream(Typology.values()).map(Typology::id)).doesNotHaveDuplicates();
    }

    @Test
    void aDataSetIsAvroFilesAndLabelsThatReadBack(@TempDir Path dir) throws IOException {
        BankTraffic.Options options = new BankTraffic.Options(300, 5, START, 5, 20, 20, 0);
        List<double[]> progress = new ArrayList<>();
        Dataset.Written written =
                Dataset.write(options, dir, (n, day) -> progress.add(new double[] {n, day}));
        List<Transaction> read = new ArrayList<>();
        Dataset.read(dir, read::add);
        assertThat(read).hasSize((int) written.transactions());
        assertThat(read).isEqualTo(take(new BankTraffic(options)));
        assertThat(Dataset.transactionFiles(dir)).hasSize(5);
        List<CaseLabel> labels = Labels.read(dir.resolve(Labels.FILE_NAME));
        assertThat(labels).isEqualTo(written.labels()).isNotEmpty();
        assertThat(Files.readAllLines(dir.resolve(Dataset.ACCOUNTS))).hasSize(301);
        assertThat(Files.readString(dir.resolve(Dataset.MANIFEST)))
                .contains("\"format\" : \"argus-dataset/1\"", "\"seed\" : 5", "\"accounts\" : 300");
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(progress.size() - 1)[0]).isEqualTo(written.transactions());
    }

    @Test
    void aBadLabelLineIsRefusedWithItsFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Labels.FILE_NAME);
        Files.writeString(
                file,
                Labels.toJson(traffic.labels().get(0))
                        + "\n{\"case_id\":\"x\",\"label\":\"maybe\"}\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Labels.read(file)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file + ":2")
                .hasMessageContaining("'maybe'");
    }

    @Test
    void aDataSetGoesIntoAnEmptyFolderOnly(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("something"), "x");
        assertThat(
                        org.assertj.core.api.Assertions.catchThrowable(
                                () ->
                                        Dataset.write(
                                                new BankTraffic.Options(10, 1, START, 4, 0, 0, 0),
                                                dir,
                                                (n, d) -> {})))
                .hasMessageContaining("is not empty");
    }
}

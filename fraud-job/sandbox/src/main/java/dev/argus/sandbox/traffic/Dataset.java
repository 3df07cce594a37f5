package dev.argus.sandbox.traffic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.argus.model.Transaction;
import dev.argus.sandbox.Generated;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * A data set on disk, as {@code argus generate} writes it and a backtest reads it. In its folder:
 *
 * <ul>
 *   <li>{@code transactions-YYYY-MM-DD.avro}: Avro object container files of {@code Transaction}, a
 *       new one at each UTC day of event time (the first also holds dormant accounts' last
 *       activity, months before); read in name order, their records are in arrival order;
 *   <li>{@code labels.jsonl}: one line per injected case (see {@link Labels});
 *   <li>{@code accounts.csv}: each account's id, kind, home country and city;
 *   <li>{@code dataset.json}: how it was made (seed, accounts, days, start, rates) and its counts.
 * </ul>
 */
public final class Dataset {
    public static final String MANIFEST = "dataset.json";
    public static final String ACCOUNTS = "accounts.csv";
    private static final String PREFIX = "transactions-";

    private Dataset() {}

    /** What a write did. */
    public record Written(
            long transactions,
            long accounts,
            int days,
            List<CaseLabel> labels,
            Map<String, Long> byType,
            List<Path> files,
            double seconds) {}

    /** Progress of a write: transactions written, and the day (from 0) they have reached. */
    public interface Progress {
        void update(long transactions, double day);
    }

    /**
     * Generates the traffic of {@code options} (which must have days) into {@code dir}, which must
     * be empty or absent.
     */
    public static Written write(BankTraffic.Options options, Path dir, Progress progress)
            throws IOException {
        if (options.days() == 0) {
            throw new IllegalArgumentException("a data set needs a number of days");
        }
        Files.createDirectories(dir);
        try (var existing = Files.list(dir)) {
            if (existing.findAny().isPresent()) {
                throw new IOException(
                        dir + " is not empty: give a new folder, or remove this one's files");
            }
        }
        long began = System.nanoTime();
        BankTraffic traffic = new BankTraffic(options);
        Map<String, Long> byType = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        long start = options.start().toEpochMilli();
        DataFileWriter<Transaction> out = null;
        LocalDate fileDay = null;
        long count = 0;
        try {
            Generated g;
            while ((g = traffic.next()) != null) {
                Transaction t = g.transaction();
                LocalDate day =
                        LocalDate.ofInstant(
                                Instant.ofEpochMilli(
                                        Math.max(start, t.getEventTime().toEpochMilli())),
                                ZoneOffset.UTC);
                if (out == null || day.isAfter(fileDay)) {
                    if (out != null) {
                        out.close();
                    }
                    Path file = dir.resolve(PREFIX + day + ".avro");
                    files.add(file);
                    out = new DataFileWriter<>(new SpecificDatumWriter<>(Transaction.class));
                    out.setCodec(CodecFactory.deflateCodec(1));
                    out.create(Transaction.getClassSchema(), file.toFile());
                    fileDay = day;
                }
                out.append(t);
                byType.merge(t.getType().name(), 1L, Long::sum);
                if (++count % 100_000 == 0) {
                    progress.update(count, (traffic.clock() - start) / 86_400_000.0);
                }
            }
        } finally {
            if (out != null) {
                out.close();
            }
        }
        progress.update(count, options.days());
        List<CaseLabel> labels = new ArrayList<>(traffic.labels());
        labels.sort((a, b) -> a.caseId().compareTo(b.caseId()));
        try (Writer w =
                Files.newBufferedWriter(dir.resolve(Labels.FILE_NAME), StandardCharsets.UTF_8)) {
            for (CaseLabel c : labels) {
                Labels.write(w, c);
            }
        }
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve(ACCOUNTS), StandardCharsets.UTF_8)) {
            w.write("account_id,kind,home_country,home_city\n");
            for (BankTraffic.AccountInfo a : traffic.accounts()) {
                w.write(
                        a.accountId()
                                + ","
                                + a.kind()
                                + ","
                                + a.homeCountry()
                                + ","
                                + a.homeCity()
                                + "\n");
            }
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        Written written =
                new Written(
                        count, options.accounts(), options.days(), labels, byType, files, seconds);
        writeManifest(dir, options, traffic, written);
        return written;
    }

    private static void writeManifest(
            Path dir, BankTraffic.Options options, BankTraffic traffic, Written written)
            throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode m = json.createObjectNode();
        m.put("format", "argus-dataset/1");
        m.put("seed", options.seed());
        m.put("accounts", options.accounts());
        m.put("days", options.days());
        m.put("start", options.start().toString());
        m.put("end", options.start().plusSeconds(options.days() * 86_400L).toString());
        m.put("fraud_cases_per_1000_account_days", options.fraudPerThousandAccountDays());
        m.put("look_alikes_per_1000_account_days", options.lookAlikesPerThousandAccountDays());
        m.put("transactions", written.transactions());
        m.put(
                "events_per_account_day",
                written.transactions() / (double) options.accounts() / options.days());
        ObjectNode types = m.putObject("transactions_by_type");
        written.byType().forEach(types::put);
        ObjectNode kinds = m.putObject("accounts_by_kind");
        Map<String, Long> byKind = new TreeMap<>();
        traffic.accounts().forEach(a -> byKind.merge(a.kind(), 1L, Long::sum));
        byKind.forEach(kinds::put);
        ObjectNode cases = m.putObject("cases");
        Map<String, long[]> byTypology = new TreeMap<>();
        for (CaseLabel c : written.labels()) {
            byTypology.computeIfAbsent(c.typology(), t -> new long[2])[c.fraud() ? 0 : 1]++;
        }
        byTypology.forEach(
                (t, n) -> {
                    ObjectNode o = cases.putObject(t);
                    o.put("fraud", n[0]);
                    o.put("look_alike", n[1]);
                });
        ObjectNode skipped = m.putObject("cases_without_a_fitting_account");
        traffic.skippedCases().forEach((t, n) -> skipped.put(t.id(), n));
        var files = m.putArray("files");
        written.files().forEach(f -> files.add(f.getFileName().toString()));
        json.writeValue(dir.resolve(MANIFEST).toFile(), m);
    }

    /** The transaction files of a data set folder, in arrival order. */
    public static List<Path> transactionFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            List<Path> out =
                    files.filter(p -> p.getFileName().toString().startsWith(PREFIX))
                            .filter(p -> p.getFileName().toString().endsWith(".avro"))
                            .sorted()
                            .toList();
            if (out.isEmpty()) {
                throw new IOException(
                        dir
                                + " holds no "
                                + PREFIX
                                + "*.avro files: is it a data set that"
                                + " argus generate wrote?");
            }
            return out;
        }
    }

    /** Reads every transaction of a data set folder, in arrival order. */
    public static void read(Path dir, Consumer<Transaction> into) throws IOException {
        for (Path file : transactionFiles(dir)) {
            try (DataFileReader<Transaction> in =
                    new DataFileReader<>(
                            file.toFile(), new SpecificDatumReader<>(Transaction.class))) {
                while (in.hasNext()) {
                    into.accept(in.next());
                }
            }
        }
    }
}

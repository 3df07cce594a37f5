package dev.argus.cli.backtest;

import dev.argus.job.PipelineConfig;
import dev.argus.job.ingest.DeadLetters;
import dev.argus.job.ingest.Decoded;
import dev.argus.model.Transaction;
import dev.argus.model.TransactionValidator;
import dev.argus.sandbox.traffic.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

/**
 * History in Avro object container files of {@link Transaction}, as {@code argus generate} writes
 * them or as an export of the transactions topic would be: read in the order given (a data set
 * folder in its files' order, which is arrival order) by one reader, so each account's events keep
 * their order. Every file is checked block by block before the run: a file that is not Avro, holds
 * another record type, or is truncated is an error that names it.
 *
 * <p>Each record is validated as the job's deserializer validates a record from Kafka (without the
 * Kafka timestamp's future-skew check: a file has no record timestamps); an invalid one becomes the
 * dead letter the job would have written.
 */
final class AvroFileHistory implements History {
    /** A watermark after this many records: the same records always meet the same watermark. */
    static final int WATERMARK_EVERY = 1_000;

    private final List<Path> files;
    private final long records;

    private AvroFileHistory(List<Path> files, long records) {
        this.files = files;
        this.records = records;
    }

    /**
     * The files under {@code inputs} (a folder stands for its {@code transactions-*.avro} files, or
     * for all its {@code .avro} files), each checked.
     *
     * @throws IOException saying which file is missing, unreadable, of another type or damaged
     */
    static AvroFileHistory open(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (!Files.exists(input)) {
                throw new IOException(input + ": no such file or folder");
            }
            if (Files.isDirectory(input)) {
                files.addAll(filesOf(input));
            } else {
                files.add(input);
            }
        }
        long records = 0;
        for (Path file : files) {
            records += check(file);
        }
        AvroFileHistory history = new AvroFileHistory(List.copyOf(files), records);
        if (history.records == 0) {
            throw new IOException(
                    "the input holds no records ("
                            + files.size()
                            + (files.size() == 1 ? " file" : " files")
                            + ", all empty)");
        }
        return history;
    }

    private static List<Path> filesOf(Path dir) throws IOException {
        try {
            return Dataset.transactionFiles(dir);
        } catch (IOException notADataset) {
            try (var all = Files.list(dir)) {
                List<Path> avro =
                        all.filter(p -> p.getFileName().toString().endsWith(".avro"))
                                .sorted()
                                .toList();
                if (avro.isEmpty()) {
                    throw new IOException(
                            dir
                                    + " holds no .avro files: give Avro files of Transaction or"
                                    + " the folder argus generate wrote");
                }
                return avro;
            }
        }
    }

    /** Counts a file's records block by block; throws naming the file when it is not sound. */
    private static long check(Path file) throws IOException {
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw new IOException(file + ": cannot read this file (check its permissions)");
        }
        long count = 0;
        DataFileReader<GenericRecord> in;
        try {
            in = new DataFileReader<>(file.toFile(), new GenericDatumReader<>());
        } catch (IOException | AvroRuntimeException e) {
            throw new IOException(
                    file
                            + ": not an Avro object container file ("
                            + e.getMessage()
                            + "); give files of Transaction, as argus generate writes them",
                    e);
        }
        try (in) {
            String type = in.getSchema().getFullName();
            if (!type.equals(Transaction.getClassSchema().getFullName())) {
                throw new IOException(
                        file
                                + ": holds records of "
                                + type
                                + ", not "
                                + Transaction.getClassSchema().getFullName());
            }
            // Avro's reader takes an end of file inside a block for the end of the data, so the
            // last whole block must end where the file does
            long end = in.tell();
            String problem = null;
            try {
                while (in.hasNext()) {
                    count += in.getBlockCount();
                    in.nextBlock();
                    end = in.tell();
                }
            } catch (IOException | AvroRuntimeException e) {
                problem = e.getMessage();
            }
            long size = Files.size(file);
            if (problem == null && end != size) {
                problem =
                        String.format(
                                Locale.ROOT,
                                "%,d of its %,d bytes are not a whole block",
                                size - end,
                                size);
            }
            if (problem != null) {
                throw new IOException(
                        String.format(
                                Locale.ROOT,
                                "%s: damaged or truncated after %,d records (%s); the file must"
                                        + " be rewritten or left out",
                                file,
                                count,
                                problem));
            }
        }
        return count;
    }

    @Override
    public String describe() {
        Path first = files.get(0);
        return files.size() == 1
                ? first.toString()
                : files.size() + " files from " + first + " to " + files.get(files.size() - 1);
    }

    @Override
    public long records() {
        return records;
    }

    @Override
    public Source<Decoded, ?, ?> source(Progress.Counter progress) {
        List<String> paths = files.stream().map(Path::toString).toList();
        return new DataGeneratorSource<>(
                new FileReader(paths, progress),
                records,
                RateLimiterStrategy.noOp(),
                Decoded.typeInfo());
    }

    /** One reader: the files are one sequence in arrival order. */
    @Override
    public int parallelism() {
        return 1;
    }

    /**
     * Bounded out-of-orderness as in the job, but emitted every {@value #WATERMARK_EVERY} records
     * rather than every 200 ms of wall time: which events are late, and when the rules see the
     * watermark, then depend only on the files, so the same files give the same alerts.
     */
    @Override
    public WatermarkStrategy<Decoded> watermarks(PipelineConfig config) {
        long delay = config.maxOutOfOrderness().toMillis();
        return WatermarkStrategy.<Decoded>forGenerator(ctx -> new EveryNRecords(delay))
                .withTimestampAssigner(Decoded::eventTime);
    }

    /** The watermark generator of {@link #watermarks}. */
    static final class EveryNRecords implements WatermarkGenerator<Decoded> {
        private final long delay;
        private long newest;
        private long seen;

        EveryNRecords(long delay) {
            this.delay = delay;
            this.newest = Long.MIN_VALUE + delay + 1;
        }

        @Override
        public void onEvent(Decoded event, long eventTimestamp, WatermarkOutput output) {
            newest = Math.max(newest, eventTimestamp);
            if (++seen % WATERMARK_EVERY == 0) {
                output.emitWatermark(new Watermark(newest - delay - 1));
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            // only record counts move the watermark; the end of the input sends the last one
        }
    }

    /**
     * Reads the files in order: record {@code i} of the source is record {@code i} of the
     * concatenated files. The source asks in order; after a restart it asks from a checkpointed
     * index, and the reader skips to it.
     */
    static final class FileReader implements GeneratorFunction<Long, Decoded> {
        private static final long serialVersionUID = 1L;

        private final List<String> files;
        private final Progress.Counter progress;
        private final TransactionValidator validator = new TransactionValidator(Long.MAX_VALUE / 2);
        private transient DataFileReader<Transaction> reader;
        private transient int file;
        private transient long next;
        private transient long inFile;
        private transient int unreported;

        FileReader(List<String> files, Progress.Counter progress) {
            this.files = files;
            this.progress = progress;
        }

        @Override
        public void open(SourceReaderContext context) {
            file = -1;
            next = 0;
        }

        @Override
        public Decoded map(Long index) throws Exception {
            if (index != next) {
                restartAt(index);
            }
            Transaction t = read();
            next++;
            if (++unreported == 1_000) {
                progress.add(unreported);
                unreported = 0;
            }
            Optional<TransactionValidator.Violation> v = validator.check(t, -1);
            return v.isPresent()
                    ? Decoded.deadLetter(DeadLetters.invalid(t, v.get()))
                    : Decoded.valid(t, files.get(file), 0, inFile - 1);
        }

        private Transaction read() throws IOException {
            while (reader == null || !reader.hasNext()) {
                closeReader();
                if (++file >= files.size()) {
                    throw new IOException(
                            "the files ended before record " + next + ": were they changed?");
                }
                reader =
                        new DataFileReader<>(
                                new java.io.File(files.get(file)),
                                new SpecificDatumReader<>(Transaction.class));
                inFile = 0;
            }
            try {
                Transaction t = reader.next();
                inFile++;
                return t;
            } catch (AvroRuntimeException e) {
                throw new IOException(
                        files.get(file) + ": cannot decode record " + inFile + ": " + e, e);
            }
        }

        private void restartAt(long index) throws IOException {
            closeReader();
            file = -1;
            next = 0;
            while (next < index) {
                read();
                next++;
            }
        }

        private void closeReader() throws IOException {
            if (reader != null) {
                reader.close();
                reader = null;
            }
        }

        @Override
        public void close() throws Exception {
            progress.add(unreported);
            unreported = 0;
            closeReader();
        }
    }
}

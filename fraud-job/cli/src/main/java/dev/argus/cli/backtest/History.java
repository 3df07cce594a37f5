package dev.argus.cli.backtest;

import dev.argus.job.PipelineConfig;
import dev.argus.job.ingest.Decoded;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;

/**
 * The history a backtest reads: Avro files of transactions ({@link AvroFileHistory}) or a range of
 * a Kafka topic ({@link TopicHistory}). Each is checked before anything runs, so a damaged file or
 * an empty range is an error up front, and knows how many records it holds, for the progress line.
 */
interface History {
    /** What it is, in words: the files or the topic and range. */
    String describe();

    /** How many records the source will read (for a topic, an upper bound: offsets). */
    long records();

    /**
     * The bounded source of decoded records; each record read adds one to {@code progress}'s
     * counter.
     */
    Source<Decoded, ?, ?> source(Progress.Counter progress);

    /**
     * How many source subtasks: each must keep every account's events in their order, as a Kafka
     * partition keyed by account does.
     */
    int parallelism();

    /** The watermarks for this source under the job's settings. */
    WatermarkStrategy<Decoded> watermarks(PipelineConfig config);
}

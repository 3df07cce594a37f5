package dev.argus.cli.watch;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * When each generated transaction was appended to its topic, by the sequence number in its id: four
 * bytes per transaction, so that tens of millions fit in a few hundred megabytes. Written by the
 * producer's callbacks, read by the alert consumers. It holds 4 billion transactions appended
 * within 24 days of its base; others are not noted.
 */
final class AppendTimes {
    private static final int CHUNK = 1 << 20;
    private static final int CHUNKS = 4096;

    private final long base;
    private final AtomicReferenceArray<AtomicIntegerArray> chunks =
            new AtomicReferenceArray<>(CHUNKS);

    /**
     * @param base a time before every append, in epoch milliseconds
     */
    AppendTimes(long base) {
        this.base = base;
    }

    void put(long sequence, long appendMillis) {
        long offset = appendMillis - base + 1;
        if (sequence < 0
                || sequence / CHUNK >= CHUNKS
                || offset < 1
                || offset > Integer.MAX_VALUE) {
            return;
        }
        int chunk = (int) (sequence / CHUNK);
        AtomicIntegerArray c = chunks.get(chunk);
        if (c == null) {
            chunks.compareAndSet(chunk, null, new AtomicIntegerArray(CHUNK));
            c = chunks.get(chunk);
        }
        c.set((int) (sequence % CHUNK), (int) offset);
    }

    /** The append time in epoch milliseconds, or -1 when unknown. */
    long get(long sequence) {
        if (sequence < 0 || sequence / CHUNK >= CHUNKS) {
            return -1;
        }
        AtomicIntegerArray c = chunks.get((int) (sequence / CHUNK));
        int v = c == null ? 0 : c.get((int) (sequence % CHUNK));
        return v == 0 ? -1 : base + v - 1;
    }
}

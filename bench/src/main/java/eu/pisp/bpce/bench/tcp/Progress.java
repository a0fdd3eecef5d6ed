package eu.pisp.bpce.bench.tcp;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The number of outcomes read so far and the state of the measured window, shared between the processes of the TCP
 * benchmark through a memory-mapped file: the outcome reader writes the count, the producer keeps its backlog bounded
 * with it; the orchestrator opens and closes the window, and the reader measures the outcomes it reads while the window
 * is open. In the interleaved runs the orchestrator also pauses and resumes the producer, which publishes how many it
 * has sent (a paused side has drained once its outcomes reach that). No broker traffic, no socket: it costs nothing to
 * the processes measured.
 */
final class Progress implements AutoCloseable {

    static final long BEFORE = 0;
    static final long OPEN = 1;
    static final long CLOSED = 2;
    static final int BYTES = 4 * Long.BYTES;

    private final FileChannel channel;
    private final MappedByteBuffer map;

    private Progress(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        map = channel.map(FileChannel.MapMode.READ_WRITE, 0, BYTES);
    }

    static Progress open(Path file) throws IOException {
        return new Progress(file);
    }

    long outcomes() {
        return map.getLong(0);
    }

    synchronized void outcomes(long n) {
        if (n > map.getLong(0)) {
            map.putLong(0, n);
        }
    }

    /** {@link #BEFORE}, {@link #OPEN} or {@link #CLOSED}. */
    long window() {
        return map.getLong(Long.BYTES);
    }

    void window(long state) {
        map.putLong(Long.BYTES, state);
    }

    /** Whether the producer holds its sends (interleaved runs: the other side is being measured). */
    boolean paused() {
        return map.getLong(2 * Long.BYTES) != 0;
    }

    void paused(boolean paused) {
        map.putLong(2 * Long.BYTES, paused ? 1 : 0);
    }

    /** Messages the producer has sent so far. */
    long sent() {
        return map.getLong(3 * Long.BYTES);
    }

    void sent(long n) {
        map.putLong(3 * Long.BYTES, n);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

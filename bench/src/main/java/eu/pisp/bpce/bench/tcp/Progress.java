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
 * is open. No broker traffic, no socket: it costs nothing to the processes measured.
 */
final class Progress implements AutoCloseable {

    static final long BEFORE = 0;
    static final long OPEN = 1;
    static final long CLOSED = 2;
    static final int BYTES = 2 * Long.BYTES;

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

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

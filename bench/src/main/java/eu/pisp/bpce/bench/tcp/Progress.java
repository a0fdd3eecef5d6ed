package eu.pisp.bpce.bench.tcp;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The number of outcomes read so far, shared between the processes of the TCP benchmark through a memory-mapped
 * file: the outcome reader writes it, the producer keeps its backlog bounded with it, the orchestrator marks the
 * measured window with it. No broker traffic, no socket: it costs nothing to the processes measured.
 */
final class Progress implements AutoCloseable {

    private final FileChannel channel;
    private final MappedByteBuffer map;

    private Progress(Path file) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        map = channel.map(FileChannel.MapMode.READ_WRITE, 0, Long.BYTES);
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

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

package eu.pisp.bpce.payment;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A persistent Camel {@link IdempotentRepository} for the record of payment sends: an append-only file of
 * {@code +key} / {@code -key} lines, replayed into memory at start and compacted then.
 *
 * <p>Camel's {@code FileIdempotentRepository} scans its whole file on every new key and rewrites it on every removal;
 * at payment rates with a record that must outlive restarts, both are too slow. Here each operation is one appended
 * line (written to the OS before the call returns, so it survives a killed process; {@code fsync} makes it survive a
 * power loss too, at a cost).
 */
public final class SendJournal extends ServiceSupport implements IdempotentRepository {

    private static final Logger LOG = LoggerFactory.getLogger(SendJournal.class);

    private final Path file;
    private final int maxEntries;
    private final boolean fsync;
    /** Insertion-ordered, so the oldest keys go first when the journal is full. */
    private final LinkedHashMap<String, Boolean> keys = new LinkedHashMap<>();
    private FileChannel channel;
    private BufferedWriter writer;

    /**
     * @param file       {@code pisp.send-record.file}
     * @param maxEntries {@code pisp.send-record.max-entries}: the oldest keys are forgotten beyond this
     * @param fsync      {@code pisp.send-record.fsync}: force each line to disk
     */
    public SendJournal(Path file, int maxEntries, boolean fsync) {
        this.file = file;
        this.maxEntries = maxEntries;
        this.fsync = fsync;
    }

    @Override
    protected synchronized void doStart() throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        int lines = 0;
        if (Files.exists(file)) {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            lines = all.size();
            for (String line : all) {
                if (line.length() > 1 && line.charAt(0) == '+') {
                    keys.put(line.substring(1), Boolean.TRUE);
                } else if (line.length() > 1 && line.charAt(0) == '-') {
                    keys.remove(line.substring(1));
                } // a torn last line (killed mid-write) has neither: ignored
            }
            trim();
        }
        // Compact: rewrite only the live keys, then append from there.
        Path tmp = file.resolveSibling(file.getFileName() + ".compact");
        Files.write(tmp, keys.keySet().stream().map(k -> "+" + k).toList(), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        writer = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8));
        LOG.info("Send record {}: {} payments remembered (from {} journal lines)", file, keys.size(), lines);
    }

    @Override
    protected synchronized void doStop() throws IOException {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    @Override
    public synchronized boolean add(String key) {
        if (keys.containsKey(key)) {
            return false;
        }
        append('+', key);
        keys.put(key, Boolean.TRUE);
        trim();
        return true;
    }

    @Override
    public synchronized boolean contains(String key) {
        return keys.containsKey(key);
    }

    @Override
    public synchronized boolean remove(String key) {
        if (keys.remove(key) == null) {
            return false;
        }
        append('-', key);
        return true;
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    @Override
    public synchronized void clear() {
        List<String> all = List.copyOf(keys.keySet());
        all.forEach(this::remove);
    }

    public synchronized int size() {
        return keys.size();
    }

    private void append(char op, String key) {
        if (key.indexOf('\n') >= 0 || key.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("A send record key cannot contain a line break");
        }
        try {
            writer.write(op);
            writer.write(key);
            writer.write('\n');
            writer.flush();
            if (fsync) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot write the send record " + file + ": " + e.getMessage(), e);
        }
    }

    private void trim() {
        Iterator<String> oldest = keys.keySet().iterator();
        while (keys.size() > maxEntries && oldest.hasNext()) {
            oldest.next();
            oldest.remove();
        }
    }
}

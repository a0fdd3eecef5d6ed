package eu.pisp.bpce.sendrecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent record of payment sends: for each payment key ({@code cdetab/paymentInformationId}) the message that
 * started sending it. An append-only file of lines {@code +<key>\t<message id>} and {@code -<key>}, replayed into
 * memory at start and compacted then.
 *
 * <p>Each operation is one line written to the OS before the call returns (it survives a killed process;
 * {@code fsync} makes it survive a power loss too, at a cost). The lock covers only the in-memory map: concurrent
 * payments do not queue behind each other's file write. Camel's {@code FileIdempotentRepository} scans its whole file
 * on every new key and rewrites it on every removal, too slow at payment rates.
 *
 * <p>Memory: one entry per remembered payment (the key and a 64-bit hash of the message id: about 155 bytes measured), at most
 * {@code maxEntries}: the oldest are forgotten first.
 */
public final class SendJournal extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(SendJournal.class);

    /** What {@link #begin} found. */
    public enum Begin {
        /** Recorded now: the send may start. */
        NEW,
        /** This very message started sending this payment before (crash or rollback since). */
        SAME_MESSAGE,
        /** Another message started sending this payment. */
        OTHER_MESSAGE
    }

    private final Path file;
    private final int maxEntries;
    private final boolean fsync;
    /** Key -> hash of the message id; insertion-ordered, so the oldest keys go first when the journal is full. */
    private final LinkedHashMap<String, Long> keys = new LinkedHashMap<>();
    private volatile FileChannel channel;
    /** Lines waiting for the next write, and how many lines were ever queued / written (group commit). */
    private final java.io.ByteArrayOutputStream queue = new java.io.ByteArrayOutputStream();
    private long queued;
    /** Under writeLock: lines written so far, and the bytes of a failed write still to be written. */
    private long written;
    private byte[] unwritten = new byte[0];
    private final ReentrantLock writeLock = new ReentrantLock();

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
    protected void doStart() throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        int lines = 0;
        Map<String, String> live = new LinkedHashMap<>();
        if (Files.exists(file)) {
            String all = Files.readString(file, StandardCharsets.UTF_8);
            // Only lines that end with a line break are complete: a torn last line (killed mid-write) is ignored.
            int end = all.lastIndexOf('\n');
            for (String line : end < 0 ? new String[0] : all.substring(0, end).split("\n", -1)) {
                replay(line, live);
                lines++;
            }
        }
        synchronized (keys) {
            keys.clear();
            live.forEach((k, m) -> keys.put(k, hash(m)));
            trim();
            live.keySet().retainAll(keys.keySet());
        }
        // Compact: rewrite only the live keys, then append from there.
        Path tmp = file.resolveSibling(file.getFileName() + ".compact");
        List<String> compacted = new ArrayList<>(live.size());
        live.forEach((k, m) -> compacted.add(line('+', k, m)));
        Files.write(tmp, compacted, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        writeLock.lock();
        try {
            queue.reset();
            unwritten = new byte[0];
            queued = 0;
            written = 0;
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } finally {
            writeLock.unlock();
        }
        LOG.info("Send record {}: {} payments remembered (from {} journal lines)", file, live.size(), lines);
    }

    @Override
    protected void doStop() throws IOException {
        writeLock.lock();
        try {
            if (channel != null) {
                try {
                    flush(Long.MAX_VALUE); // what is still queued (after a failed write) goes out first
                } finally {
                    channel.close();
                    channel = null;
                }
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Records that {@code messageId} starts sending payment {@code key}, unless a send of that payment was started
     * before (then nothing is recorded and the answer says by which message).
     */
    public Begin begin(String key, String messageId) {
        checkKey(key);
        long attempt = hash(messageId);
        long mine;
        // Lines are queued under the map lock: the file keeps the order of the map's changes (a "-key" never lands
        // after a later "+key" of the same payment).
        synchronized (keys) {
            Long before = keys.get(key);
            if (before != null) {
                return before == attempt ? Begin.SAME_MESSAGE : Begin.OTHER_MESSAGE;
            }
            keys.put(key, attempt);
            trim();
            mine = enqueue(line('+', key, messageId));
        }
        try {
            awaitWritten(mine);
        } catch (RuntimeException e) {
            // Not sent: forget it, and say so in the file too (the "+" line may be written later, or already be).
            synchronized (keys) {
                if (keys.remove(key, attempt)) {
                    enqueue(line('-', key, null));
                }
            }
            throw e;
        }
        return Begin.NEW;
    }

    /** Forgets payment {@code key}: it may be sent again. False if it was not recorded. */
    public boolean forget(String key) {
        return forget(key, null, false);
    }

    /** Forgets payment {@code key} only if {@code messageId} is the message that recorded it. */
    public boolean forget(String key, String messageId) {
        return forget(key, messageId, true);
    }

    private boolean forget(String key, String messageId, boolean onlyIfOwner) {
        long mine;
        synchronized (keys) {
            boolean removed = onlyIfOwner ? keys.remove(key, hash(messageId)) : keys.remove(key) != null;
            if (!removed) {
                return false;
            }
            mine = enqueue(line('-', key, null));
        }
        awaitWritten(mine);
        return true;
    }

    public boolean contains(String key) {
        synchronized (keys) {
            return keys.containsKey(key);
        }
    }

    /** Null while the journal is open, its file writable and no write failed since the last one that succeeded. */
    public String writeProblem() {
        if (channel == null) {
            return "the journal " + file + " is not open";
        }
        if (!Files.isWritable(file)) {
            return "the journal " + file + " is not writable";
        }
        writeLock.lock();
        try {
            return unwritten.length == 0 ? null : "the last write to " + file + " failed";
        } finally {
            writeLock.unlock();
        }
    }

    public int size() {
        synchronized (keys) {
            return keys.size();
        }
    }

    /** Queues a line for the next write; returns its number. */
    private long enqueue(String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (queue) {
            queue.write(bytes, 0, bytes.length);
            return ++queued;
        }
    }

    /**
     * Returns once line number {@code mine} is with the OS (and on disk with fsync). Group commit: the first caller to
     * get the write lock writes every queued line in one call; the callers whose lines it wrote return without a write
     * of their own. Under load, one write serves many payments.
     */
    private void awaitWritten(long mine) {
        writeLock.lock();
        try {
            flush(mine);
        } finally {
            writeLock.unlock();
        }
    }

    /** Under the write lock: writes what is queued, unless line {@code mine} is already written. */
    private void flush(long mine) {
        if (written >= mine) {
            return; // written by the caller before us
        }
        byte[] batch;
        long upTo;
        synchronized (queue) {
            byte[] queuedBytes = queue.toByteArray();
            queue.reset();
            upTo = queued;
            batch = new byte[unwritten.length + queuedBytes.length];
            System.arraycopy(unwritten, 0, batch, 0, unwritten.length);
            System.arraycopy(queuedBytes, 0, batch, unwritten.length, queuedBytes.length);
        }
        ByteBuffer bytes = ByteBuffer.wrap(batch);
        try {
            FileChannel c = channel;
            if (c == null) {
                throw new IOException("the send record is not open");
            }
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
            if (fsync) {
                c.force(false);
            }
        } catch (IOException e) {
            // What was not written is kept (as bytes, in order): the next write tries again; this caller fails.
            unwritten = java.util.Arrays.copyOfRange(batch, bytes.position(), batch.length);
            throw new IllegalStateException("Cannot write the send record " + file + ": " + e.getMessage(), e);
        }
        unwritten = new byte[0];
        written = upTo;
    }

    /** Replays one complete journal line. */
    static void replay(String line, Map<String, String> live) {
        if (line.length() < 2) {
            return;
        }
        String rest = line.substring(1);
        int tab = rest.indexOf('\t');
        String key = unescape(tab < 0 ? rest : rest.substring(0, tab));
        String message = tab < 0 ? "" : unescape(rest.substring(tab + 1));
        if (line.charAt(0) == '+') {
            live.remove(key); // the latest send of a key wins, and is the newest
            live.put(key, message);
        } else if (line.charAt(0) == '-') {
            live.remove(key);
        }
    }

    static String line(char op, String key, String messageId) {
        return op + escape(key) + (messageId == null ? "" : "\t" + escape(messageId));
    }

    /** Line breaks and tabs of a key or message id, written as %0A, %0D, %09 (and % as %25). */
    private static String escape(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('\t') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return s.replace("%", "%25").replace("\t", "%09").replace("\n", "%0A").replace("\r", "%0D");
    }

    private static String unescape(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        return s.replace("%09", "\t").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%");
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("A send record key cannot be empty");
        }
    }

    /** 64-bit FNV-1a of the message id: only compared for equality, a collision would read as "same message". */
    static long hash(String messageId) {
        long h = 0xcbf29ce484222325L;
        String s = messageId == null ? "" : messageId;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private void trim() {
        Iterator<String> oldest = keys.keySet().iterator();
        while (keys.size() > maxEntries && oldest.hasNext()) {
            oldest.next();
            oldest.remove();
        }
    }
}

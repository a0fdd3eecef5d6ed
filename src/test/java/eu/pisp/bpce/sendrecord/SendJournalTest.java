package eu.pisp.bpce.sendrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import eu.pisp.bpce.sendrecord.SendJournal.Begin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SendJournalTest {

    @TempDir
    Path dir;

    private SendJournal open(int max) {
        SendJournal journal = new SendJournal(dir.resolve("send-record.log"), max, false);
        journal.start();
        return journal;
    }

    @Test
    void aPaymentIsRecordedOnceAndTellsWhichMessageStartedIt() {
        SendJournal journal = open(100);
        assertEquals(Begin.NEW, journal.begin("13807/P1", "ID:a"));
        assertEquals(Begin.SAME_MESSAGE, journal.begin("13807/P1", "ID:a"));
        assertEquals(Begin.OTHER_MESSAGE, journal.begin("13807/P1", "ID:b"));
        assertEquals(Begin.NEW, journal.begin("17515/P1", "ID:b"), "another establishment, another payment");
        assertTrue(journal.forget("13807/P1"));
        assertFalse(journal.forget("13807/P1"));
        assertEquals(Begin.NEW, journal.begin("13807/P1", "ID:c"), "forgotten: may be sent again");
        journal.stop();
    }

    @Test
    void theRecordOutlivesARestartAndIsCompacted() throws Exception {
        SendJournal journal = open(100);
        journal.begin("13807/P1", "ID:a");
        journal.begin("13807/P2", "ID:b");
        journal.forget("13807/P2");
        journal.begin("13807/odd\tkey\n%", "ID:with\ttab");
        // no stop(): as after kill -9, the lines are already with the OS
        SendJournal again = open(100);
        assertEquals(2, again.size());
        assertEquals(Begin.SAME_MESSAGE, again.begin("13807/P1", "ID:a"));
        assertEquals(Begin.NEW, again.begin("13807/P2", "ID:b"));
        assertEquals(Begin.SAME_MESSAGE, again.begin("13807/odd\tkey\n%", "ID:with\ttab"));
        List<String> lines = Files.readAllLines(dir.resolve("send-record.log"), StandardCharsets.UTF_8);
        assertEquals(List.of("+13807/P1\tID:a", "+13807/odd%09key%0A%25\tID:with%09tab", "+13807/P2\tID:b"), lines,
                "compacted at start, then appended");
        again.stop();
    }

    @Test
    void aTornLastLineIsIgnored() throws Exception {
        Files.writeString(dir.resolve("send-record.log"), "+13807/P1\tID:a\n+13807/P", StandardCharsets.UTF_8);
        SendJournal journal = open(100);
        assertEquals(1, journal.size());
        assertFalse(journal.contains("13807/P"), "a line without its line break was cut by a crash");
        journal.stop();
    }

    @Test
    void theOldestPaymentsAreForgottenBeyondTheLimit() {
        SendJournal journal = open(3);
        for (int i = 1; i <= 5; i++) {
            journal.begin("13807/P" + i, "ID:" + i);
        }
        assertEquals(3, journal.size());
        assertFalse(journal.contains("13807/P1"));
        assertFalse(journal.contains("13807/P2"));
        assertTrue(journal.contains("13807/P5"));
        journal.stop();
        assertEquals(3, open(3).size(), "the limit holds after a restart too");
    }

    @Test
    void afterRacingBeginsAndForgetsTheFileSaysWhatMemorySaid() throws Exception {
        SendJournal journal = open(100_000);
        String[] keys = {"13807/A", "13807/B", "13807/C"};
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int me = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 3_000; i++) {
                        String key = keys[(me + i) % keys.length];
                        if (journal.begin(key, "ID:" + me + "-" + i) == Begin.NEW && (i + me) % 3 != 0) {
                            journal.forget(key);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        List<Boolean> inMemory = new ArrayList<>();
        for (String k : keys) {
            inMemory.add(journal.contains(k));
        }
        journal.stop();
        SendJournal replayed = open(100_000);
        List<Boolean> fromFile = new ArrayList<>();
        for (String k : keys) {
            fromFile.add(replayed.contains(k));
        }
        assertEquals(inMemory, fromFile, "a \"-key\" must never land after a later \"+key\"");
        replayed.stop();
    }

    @Test
    void aSendThatCouldNotBeRecordedIsNotRemembered() {
        SendJournal journal = open(100);
        journal.stop(); // the file is closed: the write fails
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> journal.begin("13807/P1", "ID:a"));
        assertFalse(journal.contains("13807/P1"), "not sent, so not remembered");
        SendJournal again = open(100);
        assertEquals(Begin.NEW, again.begin("13807/P1", "ID:a"), "it may be sent after a restart");
        again.stop();
    }

    @Test
    void concurrentSendersOfOnePaymentGetExactlyOneNew() throws Exception {
        SendJournal journal = open(100_000);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int p = 0; p < 200; p++) {
                String key = "13807/P" + p;
                List<Future<Begin>> answers = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    String message = "ID:" + t;
                    answers.add(pool.submit(() -> journal.begin(key, message)));
                }
                int fresh = 0;
                for (Future<Begin> f : answers) {
                    fresh += f.get() == Begin.NEW ? 1 : 0;
                }
                assertEquals(1, fresh, key);
            }
        } finally {
            pool.shutdownNow();
        }
        journal.stop();
        assertEquals(200, open(100_000).size());
    }
}

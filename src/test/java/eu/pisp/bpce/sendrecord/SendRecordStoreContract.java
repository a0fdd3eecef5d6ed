package eu.pisp.bpce.sendrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import eu.pisp.bpce.payment.RequestIds;
import eu.pisp.bpce.sendrecord.SendRecordStore.Claimed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every send-record store promises, whatever holds it: run for each store by a subclass that says how to open
 * one (and, for a shared store, a second one on the same data: another instance).
 */
abstract class SendRecordStoreContract {

    private final List<SendRecordStore> opened = new ArrayList<>();

    /** A store on this test's data; a second call opens another store on the same data (a restart, or a peer). */
    protected abstract SendRecordStore newStore();

    protected SendRecordStore open() {
        SendRecordStore store = newStore();
        store.start();
        opened.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(SendRecordStore::stop);
    }

    static PaymentSend send(String payment, String messageId) {
        return new PaymentSend("13807", payment, messageId, RequestIds.forMessage(messageId), RequestIds.randomUuid());
    }

    @Test
    void aPaymentIsClaimedOnceAndTellsWhichMessageClaimedIt() {
        SendRecordStore store = open();
        assertEquals(Claimed.NEW, store.claim(send("P1", "ID:a")).claimed());
        assertEquals(Claimed.SAME_MESSAGE, store.claim(send("P1", "ID:a")).claimed(), "a redelivery of that message");
        assertEquals(Claimed.OTHER_MESSAGE, store.claim(send("P1", "ID:b")).claimed(), "another message, same payment");
        assertEquals(Claimed.NEW, store.claim(new PaymentSend("17515", "P1", "ID:b", "r", RequestIds.randomUuid()))
                .claimed(), "another establishment: another payment");
    }

    @Test
    void aReleasedPaymentMayBeClaimedAgainButOnlyItsOwnClaimReleasesIt() {
        SendRecordStore store = open();
        PaymentSend first = send("P2", "ID:a");
        assertEquals(Claimed.NEW, store.claim(first).claimed());
        assertFalse(store.release(send("P2", "ID:b")), "another message cannot release a claim it does not hold");
        assertEquals(Claimed.OTHER_MESSAGE, store.claim(send("P2", "ID:b")).claimed());
        assertTrue(store.release(first));
        assertFalse(store.release(first), "released once");
        assertEquals(Claimed.NEW, store.claim(send("P2", "ID:c")).claimed(), "released: may be sent again");
    }

    @Test
    void claimsOutliveTheStore() {
        SendRecordStore store = open();
        store.claim(send("P3", "ID:a"));
        store.accepted(send("P3", "ID:a"), "RES-1");
        store.stop();

        SendRecordStore again = open();
        assertEquals(Claimed.SAME_MESSAGE, again.claim(send("P3", "ID:a")).claimed());
        assertEquals(Claimed.OTHER_MESSAGE, again.claim(send("P3", "ID:z")).claimed());
    }

    /** Many claimers (threads, and for a shared store two stores: two instances) racing for each of 100 payments. */
    @Test
    void ofManyClaimersRacingForOnePaymentExactlyOneWins() throws Exception {
        List<SendRecordStore> stores = shared() ? List.of(open(), open()) : List.of(open());
        int payments = 100;
        int claimers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(claimers);
        try {
            for (int p = 0; p < payments; p++) {
                String payment = "RACE-" + p;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Claimed>> answers = new ArrayList<>();
                for (int c = 0; c < claimers; c++) {
                    SendRecordStore store = stores.get(c % stores.size());
                    PaymentSend mine = send(payment, "ID:" + payment + "-" + c);
                    answers.add(pool.submit(() -> {
                        go.await();
                        return store.claim(mine).claimed();
                    }));
                }
                go.countDown();
                int won = 0;
                for (Future<Claimed> answer : answers) {
                    Claimed claimed = answer.get(30, TimeUnit.SECONDS);
                    won += claimed == Claimed.NEW ? 1 : 0;
                    assertTrue(claimed != Claimed.SAME_MESSAGE, "every claimer is another message");
                }
                assertEquals(1, won, "exactly one claimer of " + payment + " may send it");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    protected abstract boolean shared();
}

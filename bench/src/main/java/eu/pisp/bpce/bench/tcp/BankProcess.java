package eu.pisp.bpce.bench.tcp;

import eu.pisp.bpce.sim.BankSimulator;

/**
 * The bank of the TCP benchmark in a process of its own: the project's simulator on 127.0.0.1, keeping nothing per
 * payment. Prints {@code BANK <port>} when it listens; runs until killed.
 *
 * <p>Usage: {@code BankProcess <payment latency ms>}.
 */
public final class BankProcess {

    private BankProcess() {
    }

    public static void main(String[] args) throws Exception {
        BankSimulator bank = BankSimulator.start(0).keepReceived(0).rememberPayments(false)
                .paymentLatency(Long.parseLong(args.length > 0 ? args[0] : "0"));
        System.out.println("BANK " + bank.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}

package eu.pisp.bpce.sendrecord;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;

/** The send-record contract on the local journal file. */
class FileSendRecordStoreTest extends SendRecordStoreContract {

    @TempDir
    Path dir;

    @Override
    protected SendRecordStore newStore() {
        return new FileSendRecordStore(dir.resolve("send-record.log"), 10_000, false);
    }

    @Override
    protected boolean shared() {
        return false;
    }
}

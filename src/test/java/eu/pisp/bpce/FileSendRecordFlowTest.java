package eu.pisp.bpce;

import eu.pisp.bpce.support.PispModule;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The send-record contract on the default store: the local journal file. */
class FileSendRecordFlowTest extends SendRecordFlowContract {

    @RegisterExtension
    static final PispModule module = new PispModule().with("pisp.send-record.store", "file");

    @Override
    protected PispModule module() {
        return module;
    }
}

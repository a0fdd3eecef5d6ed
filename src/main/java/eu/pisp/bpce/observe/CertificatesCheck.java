package eu.pisp.bpce.observe;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: the module's certificates (QWAC for mutual TLS, QSealC for signatures) are within their validity: with an
 * expired one every bank refuses us. Details: each one's end of validity (nothing else of the keystores).
 */
public final class CertificatesCheck extends AbstractHealthCheck {

    private final Certificates certificates;

    public CertificatesCheck(Certificates certificates) {
        super("pisp", "certificates");
        this.certificates = certificates;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Instant now = Instant.now();
        List<String> invalid = new ArrayList<>();
        for (Certificates.Entry c : certificates.all()) {
            builder.detail(c.use() + ".notAfter", c.notAfter().toString());
            if (!c.validAt(now)) {
                invalid.add(c.use() + (now.isAfter(c.notAfter()) ? " expired on " + c.notAfter()
                        : " not valid before " + c.notBefore()));
            }
        }
        if (invalid.isEmpty()) {
            builder.up();
        } else {
            builder.message("Certificate(s) not valid: " + String.join(", ", invalid)).down();
        }
    }
}

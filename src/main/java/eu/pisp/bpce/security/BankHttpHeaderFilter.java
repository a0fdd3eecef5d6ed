package eu.pisp.bpce.security;

import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * camel-http's default header filter, except that a {@code Date} header set by the routes is sent: the STET signature
 * covers {@code date}, and the default filter drops it. Everything else is as Camel does it ({@code Camel*} headers,
 * Content-Length, Host... are never copied onto the request). Inbound headers never get this far: the intake removes
 * them all.
 */
public final class BankHttpHeaderFilter extends HttpHeaderFilterStrategy {

    @Override
    protected void initialize() {
        super.initialize();
        getOutFilter().remove("date");
    }
}

package eu.pisp.bpce.broker;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.security.auth.Subject;

import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnection;
import org.apache.activemq.artemis.core.security.CheckType;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.apache.activemq.artemis.spi.core.security.ActiveMQSecurityManager5;
import org.apache.activemq.artemis.spi.core.security.jaas.RolePrincipal;
import org.apache.activemq.artemis.spi.core.security.jaas.UserPrincipal;

/**
 * Who may do what on the embedded broker ({@code pisp.broker.security.*}, {@code pisp.broker.user},
 * {@code pisp.broker.password}, {@code pisp.broker.user-roles}).
 *
 * <p>Connections over the in-VM acceptor come from this very process (the module's own consumers and producers): they
 * are trusted, as whoever runs code in this JVM already holds its keys. Every TCP connection must give the configured
 * user and password; it then has the roles of {@code pisp.broker.user-roles}:
 * <ul>
 * <li>{@code sender}: send to the request queues (and use reply queues of its own: any address the module does not
 * use);</li>
 * <li>{@code reader}: consume and browse the outcome queues (the failed one holds full IBANs);</li>
 * <li>{@code operator}: consume and browse the dead-letter and expiry queues;</li>
 * <li>{@code instance}: what another instance of the module needs on this broker (everything the module does).</li>
 * </ul>
 *
 * @param enabled  {@code pisp.broker.security.enabled}; false opens the acceptor to every local process (demo only)
 * @param user     {@code pisp.broker.user}
 * @param password {@code pisp.broker.password} (a secret: environment or secrets folder)
 * @param roles    {@code pisp.broker.user-roles}
 * @param tls      TLS on the TCP acceptor ({@code pisp.broker.tls.*}), or null
 */
public record BrokerSecurity(boolean enabled, String user, char[] password, Set<String> roles, Tls tls) {

    public static final String SENDER = "sender";
    public static final String READER = "reader";
    public static final String OPERATOR = "operator";
    public static final String INSTANCE = "instance";
    /** The role of the module's own in-VM connections. */
    static final String MODULE = "pisp-module";
    private static final Set<String> KNOWN_ROLES = Set.of(SENDER, READER, OPERATOR, INSTANCE);

    /**
     * TLS on the TCP acceptor.
     *
     * @param keystorePath     {@code pisp.broker.tls.keystore.path}: PKCS12 with the broker's key and certificate
     * @param keystorePassword {@code pisp.broker.tls.keystore.password}
     */
    public record Tls(String keystorePath, char[] keystorePassword) {
        @Override
        public String toString() {
            return "Tls[keystorePath=" + keystorePath + ", keystorePassword=****]";
        }
    }

    public BrokerSecurity {
        roles = roles == null ? Set.of() : Set.copyOf(roles);
        for (String role : roles) {
            if (!KNOWN_ROLES.contains(role)) {
                throw new IllegalStateException("pisp.broker.user-roles: unknown role '" + role + "' (roles: "
                        + String.join(", ", KNOWN_ROLES) + ")");
            }
        }
    }

    /** No security at all (the demo, and tests that say so). */
    public static BrokerSecurity open() {
        return new BrokerSecurity(false, "", new char[0], Set.of(), null);
    }

    /** Security on, one account with these roles. */
    public static BrokerSecurity account(String user, char[] password, String... roles) {
        return new BrokerSecurity(true, user, password, new LinkedHashSet<>(Arrays.asList(roles)), null);
    }

    /** Parses {@code pisp.broker.user-roles}: a comma-separated list. */
    public static Set<String> parseRoles(String list) {
        Set<String> roles = new LinkedHashSet<>();
        for (String r : list == null ? new String[0] : list.split(",")) {
            if (!r.isBlank()) {
                roles.add(r.strip().toLowerCase(Locale.ROOT));
            }
        }
        return roles;
    }

    /**
     * Refuses what must not start: security on without a user or password, or an acceptor bound to anything but
     * loopback without TLS (credentials and payments, full IBANs included, would cross the network in clear).
     */
    public void check(String acceptorUrl) {
        if (enabled && (user == null || user.isBlank() || password == null || password.length == 0)) {
            throw new IllegalStateException("pisp.broker.security.enabled=true (the default) but pisp.broker.user or "
                    + "pisp.broker.password is empty: give the account that ESB clients use on the embedded broker's "
                    + "TCP acceptor (the password through PISP_BROKER_PASSWORD or the secrets folder), or set "
                    + "pisp.broker.security.enabled=false to open it to every local process (demo only)");
        }
        if (tls == null && !loopback(acceptorUrl)) {
            throw new IllegalStateException("pisp.broker.url " + withoutParameters(acceptorUrl) + " binds the embedded "
                    + "broker's TCP acceptor to a non-loopback address without TLS: set pisp.broker.tls.keystore.path "
                    + "(and its password), or bind it to 127.0.0.1");
        }
    }

    /** True when every host of the acceptor URL is a loopback address. */
    static boolean loopback(String url) {
        String host;
        try {
            host = URI.create(withoutParameters(url)).getHost();
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (host == null) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static String withoutParameters(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** The Artemis security manager for these settings. */
    ActiveMQSecurityManager5 manager() {
        return new Manager(this);
    }

    /**
     * The permissions per address: the module (and other instances) everything; senders the request queues and
     * addresses of their own; readers the outcome queues; operators the dead-letter and expiry queues.
     */
    static java.util.Map<String, Set<Role>> permissions(List<String> intakes, List<String> outcomes,
                                                        List<String> operatorQueues) {
        java.util.Map<String, Set<Role>> map = new java.util.LinkedHashMap<>();
        // Any address the module does not use (reply queues, temporary queues): senders may create and read their own.
        Role senderOwn = role(SENDER);
        senderOwn.setSend(true);
        senderOwn.setConsume(true);
        senderOwn.setBrowse(true);
        senderOwn.setCreateAddress(true);
        senderOwn.setCreateDurableQueue(true);
        senderOwn.setCreateNonDurableQueue(true);
        senderOwn.setDeleteNonDurableQueue(true);
        map.put("#", Set.of(all(MODULE), all(INSTANCE), senderOwn));
        for (String intake : intakes) {
            Role send = role(SENDER);
            send.setSend(true);
            Role resubmit = role(OPERATOR);
            resubmit.setSend(true);
            map.put(intake, Set.of(all(MODULE), all(INSTANCE), send, resubmit));
        }
        for (String q : outcomes) {
            Role read = role(READER);
            read.setConsume(true);
            read.setBrowse(true);
            map.put(q, Set.of(all(MODULE), all(INSTANCE), read));
        }
        for (String q : operatorQueues) {
            Role op = role(OPERATOR);
            op.setConsume(true);
            op.setBrowse(true);
            map.put(q, Set.of(all(MODULE), all(INSTANCE), op));
        }
        return map;
    }

    private static Role role(String name) {
        Role r = new Role();
        r.setName(name);
        return r;
    }

    private static Role all(String name) {
        Role r = role(name);
        r.setSend(true);
        r.setConsume(true);
        r.setBrowse(true);
        r.setCreateAddress(true);
        r.setDeleteAddress(true);
        r.setCreateDurableQueue(true);
        r.setDeleteDurableQueue(true);
        r.setCreateNonDurableQueue(true);
        r.setDeleteNonDurableQueue(true);
        r.setManage(true);
        return r;
    }

    @Override
    public String toString() {
        return "BrokerSecurity[enabled=" + enabled + ", user=" + user + ", roles=" + roles + ", tls=" + tls
                + ", password=****]";
    }

    /** Trusts the in-VM acceptor; checks the one account on TCP, in constant time. */
    private static final class Manager implements ActiveMQSecurityManager5 {
        private final BrokerSecurity settings;
        private final byte[] user;
        private final byte[] password;

        Manager(BrokerSecurity settings) {
            this.settings = settings;
            this.user = bytes(settings.user());
            this.password = bytes(new String(settings.password()));
        }

        @Override
        public Subject authenticate(String user, String password, RemotingConnection connection,
                                    String securityDomain) {
            if (connection != null && connection.getTransportConnection() instanceof InVMConnection) {
                return subject("pisp-module", Set.of(MODULE));
            }
            // Both compared whatever the first gives: the answer takes as long for a wrong user as a wrong password.
            boolean userOk = MessageDigest.isEqual(this.user, bytes(user));
            boolean passwordOk = MessageDigest.isEqual(this.password, bytes(password));
            return userOk && passwordOk && this.user.length > 0 ? subject(user, settings.roles()) : null;
        }

        @Override
        public boolean authorize(Subject subject, Set<Role> roles, CheckType checkType, String address) {
            if (subject == null) {
                return false;
            }
            for (RolePrincipal p : subject.getPrincipals(RolePrincipal.class)) {
                for (Role r : roles) {
                    if (r.getName().equals(p.getName()) && checkType.hasRole(r)) {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        public boolean validateUser(String user, String password) {
            return authenticate(user, password, null, null) != null;
        }

        @Override
        public boolean validateUserAndRole(String user, String password, Set<Role> roles, CheckType checkType) {
            return authorize(authenticate(user, password, null, null), roles, checkType, null);
        }

        private static Subject subject(String user, Set<String> roles) {
            Subject s = new Subject();
            s.getPrincipals().add(new UserPrincipal(user));
            for (String r : roles) {
                s.getPrincipals().add(new RolePrincipal(r));
            }
            return s;
        }

        private static byte[] bytes(String s) {
            return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
        }
    }
}

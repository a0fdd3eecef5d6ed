package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;

import eu.pisp.bpce.establishment.Establishment;
import eu.pisp.bpce.payment.PaymentRequestFacts;
import eu.pisp.bpce.token.AccessToken;
import org.junit.jupiter.api.Test;

/**
 * The records that routes read with simple expressions ({@code ${body.serial}}, {@code
 * ${exchangeProperty.pispEstablishment.cdetab}}) must not also have a {@code getX()} twin of an accessor {@code x()}:
 * Camel's bean introspection then files both under one name or the other depending on the order the JVM lists the
 * methods, which changes with the classes loaded before (seen: AmbiguousMethodCallException on {@code serial} once
 * Bouncy Castle was loaded in the same JVM).
 */
class RecordAccessorsTest {

    @Test
    void noGetterTwinsOfRecordAccessors() {
        List<String> twins = new ArrayList<>();
        for (Class<?> type : List.of(AccessToken.class, Establishment.class, PaymentRequestFacts.class)) {
            for (RecordComponent c : type.getRecordComponents()) {
                String cap = Character.toUpperCase(c.getName().charAt(0)) + c.getName().substring(1);
                for (Method m : type.getDeclaredMethods()) {
                    if (m.getParameterCount() == 0 && (m.getName().equals("get" + cap) || m.getName().equals("is" + cap))) {
                        twins.add(type.getSimpleName() + "." + m.getName() + " twins " + c.getName() + "()");
                    }
                }
            }
        }
        assertTrue(twins.isEmpty(), twins::toString);
    }
}

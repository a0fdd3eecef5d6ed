package eu.pisp.bpce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Routes call the module's beans by method name (bean language, {@code method:}). A class with both {@code x()} and
 * {@code getX()} makes such a call ambiguous for Camel in some JVM starts only (the order of reflection's methods is
 * not fixed): one instance of three failed all its payments with INTERNAL_ERROR under load. No class may have such a
 * pair.
 */
class BeanMethodNamesTest {

    @Test
    void noClassHasAMethodAndAGetterOfTheSameName() throws Exception {
        Path classes = Path.of("target/classes");
        List<String> twins = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes.resolve("eu/pisp/bpce"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type = Class.forName(name, false, getClass().getClassLoader());
                Set<String> noArg = new HashSet<>();
                for (Method m : type.getDeclaredMethods()) {
                    if (Modifier.isPublic(m.getModifiers()) && m.getParameterCount() == 0 && !m.isSynthetic()) {
                        noArg.add(m.getName());
                    }
                }
                for (String m : noArg) {
                    if (m.length() > 3 && m.startsWith("get") && Character.isUpperCase(m.charAt(3))
                            && noArg.contains(Character.toLowerCase(m.charAt(3)) + m.substring(4))
                            && !type.isRecord()) {
                        twins.add(type.getName() + "." + m);
                    }
                }
            }
        }
        assertEquals(List.of(), twins, "x() beside getX(): ambiguous for Camel's bean calls");
    }
}

package org.deq4j.samediff.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ops.custom.Invoke;

/** The workaround works, and the ND4J behaviour it works around is still there. */
class InvokeSubGraphNamesTest {

    /** Fails when ND4J makes the names settable: then the reflection in InvokeSubGraphNames can go. */
    @Test
    void invokeStillHidesItsSubGraphNames() throws Exception {
        for (String name : new String[] {InvokeSubGraphNames.INPUTS, InvokeSubGraphNames.OUTPUTS}) {
            Field f = Invoke.class.getDeclaredField(name);
            assertTrue(Modifier.isPrivate(f.getModifiers()), "ND4J changed: Invoke." + name + " is no longer private");
            String setter = "set" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
            boolean hasSetter = Arrays.stream(Invoke.class.getMethods()).map(Method::getName).anyMatch(setter::equals);
            assertTrue(!hasSetter, "ND4J changed: Invoke has a public " + setter + "; use it instead of reflection");
        }
    }

    @Test
    void setsTheNames() throws Exception {
        Invoke op = new Invoke();
        InvokeSubGraphNames.set(op, new String[] {"a", "b"}, new String[] {"c"});
        Field in = Invoke.class.getDeclaredField(InvokeSubGraphNames.INPUTS);
        Field out = Invoke.class.getDeclaredField(InvokeSubGraphNames.OUTPUTS);
        in.setAccessible(true);
        out.setAccessible(true);
        assertArrayEquals(new String[] {"a", "b"}, (String[]) in.get(op));
        assertArrayEquals(new String[] {"c"}, (String[]) out.get(op));
    }
}

package org.deq4j.samediff.compat;

import java.lang.reflect.Field;

import org.nd4j.linalg.api.ops.custom.Invoke;

/**
 * Sets an {@link Invoke} op's sub-graph input and output names. ND4J 1.0.0-M2.1's {@code Invoke.doInvoke}
 * reads them from two private fields that only its argument-taking constructor sets, and a
 * deserialised or copied op is created through the no-argument constructor, so the RevDEQ ops set
 * them by reflection. {@code InvokeSubGraphNamesTest} fails when ND4J gives the fields a public setter
 * (use it then) or renames them (this class then fails loudly, naming the ND4J version).
 */
public final class InvokeSubGraphNames {
    static final String INPUTS = "subGraphInputVarNames";
    static final String OUTPUTS = "subGraphOutputVarNames";

    private InvokeSubGraphNames() {
    }

    /**
     * Sets {@code op}'s sub-graph input and output variable names.
     *
     * @throws IllegalStateException if this ND4J version's {@code Invoke} has no such fields
     */
    public static void set(Invoke op, String[] inputs, String[] outputs) {
        try {
            Field in = Invoke.class.getDeclaredField(INPUTS);
            Field out = Invoke.class.getDeclaredField(OUTPUTS);
            in.setAccessible(true);
            out.setAccessible(true);
            in.set(op, inputs);
            out.set(op, outputs);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this ND4J version's Invoke op has no sub-graph name fields: " + e, e);
        }
    }
}

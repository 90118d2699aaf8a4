package org.deq4j.samediff.op;

import org.nd4j.linalg.env.EnvironmentalAction;
import org.slf4j.LoggerFactory;

/**
 * Registers the RevDEQ ops ({@link RevDeqOps#register()}) when ND4J starts, so that a graph holding
 * them loads with {@code SameDiff.load} in a JVM that has deq4j on its class path but never called
 * deq4j code.
 *
 * <p>ND4J 1.0.0-M2.1 has no extension point for op classes: {@code ImportClassMapping}'s op list is
 * fixed, and {@code DifferentialFunctionClassHolder.customOpClassForHashAndName} only consults that
 * list and its name map. What it does have is this {@link java.util.ServiceLoader} service, whose
 * providers {@code Nd4j.initWithBackend} instantiates on every start (to act on environment
 * variables); and ND4J is always started before an op is looked up, since
 * {@code DifferentialFunctionClassHolder}'s initialiser asks {@code Nd4j.getExecutioner()}. This
 * class uses that: its constructor registers the ops. It acts on no environment variable.
 *
 * <p>It runs inside ND4J's static initialiser, so it must never throw (an error escaping a service
 * provider would abort ND4J's start): a failure is logged, and {@code RevDeqOps.register()} remains
 * the explicit way.
 */
public final class RevDeqOpsAtNd4jStartup implements EnvironmentalAction {
    /** A variable name no ND4J action uses; ND4J keeps one action per name. */
    static final String VARIABLE = "DEQ4J_REVDEQ_OPS";

    /** Instantiated by ND4J's {@code ServiceLoader}; registers the ops. */
    public RevDeqOpsAtNd4jStartup() {
        try {
            RevDeqOps.register();
        } catch (Throwable t) {
            LoggerFactory.getLogger(RevDeqOpsAtNd4jStartup.class).warn("could not register the RevDEQ ops at ND4J"
                    + " start; call RevDeqOps.register() before SameDiff.load", t);
        }
    }

    @Override
    public String targetVariable() {
        return VARIABLE;
    }

    @Override
    public void process(String value) {
        // nothing: the registration happened when ND4J created this action
    }
}

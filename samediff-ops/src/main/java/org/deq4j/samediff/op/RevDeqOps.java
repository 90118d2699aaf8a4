package org.deq4j.samediff.op;

import org.deq4j.samediff.cell.MlpCell;
import org.nd4j.imports.converters.ImportClassMapping;

/**
 * Makes the RevDEQ op classes known to SameDiff's FlatBuffers deserialiser, which recreates custom
 * ops by name through {@link ImportClassMapping#getOpNameMapping()} (gradient creation clones every
 * op that way, and {@code SameDiff.load} reads them that way). {@link RevDeq} calls this itself, and
 * so does {@link RevDeqOpsAtNd4jStartup} whenever ND4J starts with deq4j on the class path, which is
 * what lets {@code SameDiff.load} work in a fresh JVM. Call it by hand only where that service is not
 * seen (deq4j outside ND4J's class loader, or an uber-jar that dropped
 * {@code META-INF/services/org.nd4j.linalg.env.EnvironmentalAction}).
 */
public final class RevDeqOps {
    private RevDeqOps() {
    }

    /** Registers the forward and backward ops and the built-in {@link MlpCell} (idempotent). */
    public static void register() {
        Holder.touch();
    }

    /** Runs the registration once, on first use. */
    private static final class Holder {
        static {
            ImportClassMapping.getOpNameMapping().put(RevDeqForwardOp.OP_NAME, new RevDeqForwardOp());
            ImportClassMapping.getOpNameMapping().put(RevDeqBackwardOp.OP_NAME, new RevDeqBackwardOp());
            MlpCell.register();
        }

        static void touch() {
        }
    }
}

package org.deq4j.core.solver;

/**
 * How a sample's residual is measured, with {@code r = ‖z − f(z)‖} over all non-batch dimensions
 * and tuple parts: {@link #ABSOLUTE} uses {@code r}; {@link #RELATIVE} uses
 * {@code r / (1e-5 + ‖f(z)‖)} (torchdeq's {@code "rel"} mode and the RevDEQ paper's criterion).
 */
public enum StopMode {
    ABSOLUTE,
    RELATIVE;

    /** Parses torchdeq's names "abs" / "rel" and this enum's names, in any case. */
    public static StopMode parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "abs", "absolute" -> ABSOLUTE;
            case "rel", "relative" -> RELATIVE;
            default -> throw new org.deq4j.core.InvalidConfigException(
                    "unknown stop mode '" + s + "'; use 'abs' or 'rel'");
        };
    }
}

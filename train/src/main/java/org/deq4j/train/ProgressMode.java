package org.deq4j.train;

/** How the {@link Trainer} reports progress on its console stream. */
public enum ProgressMode {
    /** {@link #TERMINAL} when the JVM has a console ({@code System.console() != null}), else {@link #LINES}. */
    AUTO,
    /** One line rewritten in place with {@code \r}, at most four times a second. */
    TERMINAL,
    /** A plain line every {@link TrainerConfig#progressInterval()}, suitable for logs. */
    LINES,
    /** No console output at all. */
    OFF
}

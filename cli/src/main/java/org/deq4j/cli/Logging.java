package org.deq4j.cli;

import org.deq4j.core.compat.QuietStdout;

/**
 * The command line's console policy, set before any library logs: by default only deq4j's own
 * messages and other libraries' errors reach stderr, and ND4J's autodiff chatter is removed from
 * stdout; verbose shows everything (ND4J's backend build information, whose {@code HAVE_ONEDNN} line
 * confirms the oneDNN build, DL4J's and ND4J's warnings). The levels are slf4j-simple's properties
 * (defaults in {@code simplelogger.properties}); a {@code -Dorg.slf4j.simpleLogger...} given to the JVM
 * (for example through {@code DEQ4J_JAVA_OPTS}) still wins.
 */
final class Logging {
    private static final String PREFIX = "org.slf4j.simpleLogger.log.";

    private Logging() {
    }

    static void configure(boolean verbose) {
        String libraries = verbose ? "info" : "error";
        for (String name : new String[] {"org.nd4j", "org.deeplearning4j", "org.bytedeco"}) {
            if (System.getProperty(PREFIX + name) == null) {
                System.setProperty(PREFIX + name, libraries);
            }
        }
        if (!verbose) {
            QuietStdout.install();
        }
    }
}

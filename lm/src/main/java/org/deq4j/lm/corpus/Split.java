package org.deq4j.lm.corpus;

/** The three parts of a corpus: fit on {@code TRAIN}, tune on {@code VALIDATION}, report on {@code TEST}. */
public enum Split {
    TRAIN("train"),
    VALIDATION("validation"),
    TEST("test");

    private final String label;

    Split(String label) {
        this.label = label;
    }

    /** Lower-case name used in messages and file names. */
    public String label() {
        return label;
    }
}

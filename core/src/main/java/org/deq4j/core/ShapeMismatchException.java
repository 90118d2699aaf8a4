package org.deq4j.core;

/** Arrays that must agree in shape, data type or number of tuple parts do not. */
public class ShapeMismatchException extends DeqException {
    private static final long serialVersionUID = 1L;

    public ShapeMismatchException(String message) {
        super(message);
    }
}

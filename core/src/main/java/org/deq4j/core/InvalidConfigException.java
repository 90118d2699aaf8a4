package org.deq4j.core;

/**
 * A configuration value is out of range or inconsistent: β outside (0, 2) or equal to 1, a
 * non-positive tolerance or step budget, an unknown configuration key, a solver paired with an
 * adjoint that cannot differentiate it.
 */
public class InvalidConfigException extends DeqException {
    private static final long serialVersionUID = 1L;

    public InvalidConfigException(String message) {
        super(message);
    }
}

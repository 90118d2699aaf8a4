package org.deq4j.core.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GradientCheckMatrixTest {

    static Stream<GradientCheck.Case> cases() {
        return GradientCheck.defaultMatrix().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyCaseMeetsItsTolerance(GradientCheck.Case c) {
        GradientCheck.Result r = GradientCheck.run(c);
        System.out.printf("%-10s %-11s %-10s beta=%.1f steps=%2d vs %-18s err=%.3e%n", r.cell(), r.solver(),
                r.adjoint(), r.beta(), r.steps(), r.reference(), r.maxRelativeError());
        assertTrue(r.maxRelativeError() <= c.tolerance(),
                () -> c + " relative error " + r.maxRelativeError() + " above " + c.tolerance());
    }
}

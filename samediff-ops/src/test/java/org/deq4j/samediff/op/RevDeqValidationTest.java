package org.deq4j.samediff.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.deq4j.core.DeqConfig;
import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.deq4j.core.precision.PrecisionPolicy;
import org.deq4j.core.solver.StopMode;
import org.deq4j.samediff.cell.MlpCell;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/** Configuration checks and the property round trip that graph copies rely on. */
class RevDeqValidationTest {

    @Test
    void rejectsOutOfRangeSettings() {
        MlpCell cell = new MlpCell(4, 3);
        DeqConfig revdeq = GradientStrategy.REVERSIBLE.config(4, 0.8, 1e-6);
        assertThrows(InvalidConfigException.class, () -> RevDeq.of(null, revdeq));
        InvalidConfigException pair = assertThrows(InvalidConfigException.class,
                () -> RevDeq.of(cell, GradientStrategy.PHANTOM.config(4, 0.8, 1e-6)));
        assertTrue(pair.getMessage().contains("fixed_point") || pair.getMessage().contains("phantom"),
                pair.getMessage());
        InvalidConfigException absolute = assertThrows(InvalidConfigException.class,
                () -> RevDeq.of(cell, revdeq.toBuilder().stopMode(StopMode.ABSOLUTE).build()));
        assertTrue(absolute.getMessage().contains("ABSOLUTE"), absolute.getMessage());
        assertThrows(InvalidConfigException.class, () -> RevDeq.of(cell,
                revdeq.toBuilder().precision(new PrecisionPolicy(DataType.INT, DataType.FLOAT)).build()));
    }

    @Test
    void rejectsWrongParametersAndUnknownShapes() {
        SameDiff sd = SameDiff.create();
        MlpCell cell = new MlpCell(4, 3);
        RevDeq deq = RevDeq.of(cell, GradientStrategy.REVERSIBLE.config(4, 0.8, 1e-6));
        List<SDVariable> params = RevDeq.createParameters(sd, cell, "p_", 1, DataType.FLOAT);
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3);
        assertThrows(ShapeMismatchException.class, () -> deq.apply(sd, x, params.subList(0, 2)));
        assertThrows(ShapeMismatchException.class,
                () -> deq.apply(sd, sd.placeHolder("x5", DataType.FLOAT, -1, 5), params));
        List<SDVariable> wrongShape = List.of(sd.var("Wbad", DataType.FLOAT, 3, 4), params.get(1), params.get(2));
        assertThrows(ShapeMismatchException.class, () -> deq.apply(sd, x, wrongShape));
        SDVariable unknown = sd.placeHolder("xu", DataType.FLOAT, (long[]) null);
        assertThrows(ShapeMismatchException.class, () -> deq.apply(sd, unknown, params));
    }

    @Test
    void specSurvivesThePropertyRoundTrip() {
        RevDeqSpec spec = new RevDeqSpec(new MlpCell(6, 2), 1.3, 7, 1e-5, DataType.DOUBLE, DataType.FLOAT,
                new long[] {-1, 6}, false);
        Map<String, Object> props = spec.toProperties();
        assertEquals(spec, RevDeqSpec.fromProperties(props));
        RevDeqSpec masked = new RevDeqSpec(new MlpCell(6, 2), 1.3, 7, 1e-5, DataType.DOUBLE, DataType.FLOAT,
                new long[] {-1, 6}, true);
        assertEquals(masked, RevDeqSpec.fromProperties(masked.toProperties()));
        assertNotEquals(spec, masked);
        props.remove("beta");
        assertThrows(InvalidConfigException.class, () -> RevDeqSpec.fromProperties(props));
    }
}

package org.deq4j.samediff.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
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
        assertThrows(InvalidConfigException.class, () -> RevDeq.builder().cell(cell).beta(2.0).build());
        assertThrows(InvalidConfigException.class, () -> RevDeq.builder().cell(cell).maxSteps(0).build());
        assertThrows(InvalidConfigException.class, () -> RevDeq.builder().cell(cell).tol(0).build());
        assertThrows(InvalidConfigException.class, () -> RevDeq.builder().cell(cell).stateType(DataType.INT).build());
        assertThrows(InvalidConfigException.class, () -> RevDeq.builder().build());
    }

    @Test
    void rejectsWrongParametersAndUnknownShapes() {
        SameDiff sd = SameDiff.create();
        MlpCell cell = new MlpCell(4, 3);
        RevDeq deq = RevDeq.builder().cell(cell).build();
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
                new long[] {-1, 6});
        Map<String, Object> props = spec.toProperties();
        assertEquals(spec, RevDeqSpec.fromProperties(props));
        props.remove("beta");
        assertThrows(InvalidConfigException.class, () -> RevDeqSpec.fromProperties(props));
    }
}

package org.deq4j.samediff.cell;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.deq4j.core.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class CellParametersTest {

    @Test
    void createsTrainableVariablesFollowingTheSpecs() {
        ConvResidualCell cell = ConvResidualCell.of(64, 1);
        SameDiff sd = SameDiff.create();
        List<SDVariable> vars = CellParameters.create(sd, cell, "deq0_", 17, DataType.DOUBLE);
        List<ParamSpec> specs = cell.parameters();
        assertEquals(specs.size(), vars.size());
        for (int i = 0; i < specs.size(); i++) {
            ParamSpec spec = specs.get(i);
            SDVariable v = vars.get(i);
            INDArray a = v.getArr();
            assertEquals("deq0_" + spec.name(), v.name());
            assertEquals(VariableType.VARIABLE, v.getVariableType());
            assertEquals(DataType.DOUBLE, a.dataType());
            assertArrayEquals(spec.shape(), a.shape());
            switch (spec.init()) {
                case ONES -> assertEquals(a.length(), a.sumNumber().doubleValue(), 0);
                case ZEROS -> assertEquals(0, a.amaxNumber().doubleValue(), 0);
                case NORMAL_FAN_IN -> {
                    // 36864 draws: mean and std within a few standard errors of 0 and 1/sqrt(fanIn)
                    double std = 1 / Math.sqrt(spec.fanIn());
                    assertEquals(0, a.meanNumber().doubleValue(), 4 * std / Math.sqrt(a.length()));
                    assertEquals(std, a.stdNumber().doubleValue(), 0.02 * std);
                }
            }
        }
    }

    @Test
    void seedFixesTheValuesInEveryDataType() {
        ConvResidualCell cell = ConvResidualCell.of(16, 2);
        INDArray a = CellParameters.create(SameDiff.create(), cell, "", 5, DataType.DOUBLE).get(0).getArr();
        INDArray b = CellParameters.create(SameDiff.create(), cell, "", 5, DataType.DOUBLE).get(0).getArr();
        INDArray f = CellParameters.create(SameDiff.create(), cell, "", 5, DataType.FLOAT).get(0).getArr();
        INDArray c = CellParameters.create(SameDiff.create(), cell, "", 6, DataType.DOUBLE).get(0).getArr();
        assertEquals(a, b);
        assertEquals(0, a.sub(f.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-7);
        assertNotEquals(a, c);
    }

    @Test
    void rejectsIntegerTypesAndNameClashes() {
        ConvResidualCell cell = ConvResidualCell.of(16, 1);
        SameDiff sd = SameDiff.create();
        assertThrows(InvalidConfigException.class, () -> CellParameters.create(sd, cell, "", 1, DataType.INT));
        CellParameters.create(sd, cell, "a_", 1, DataType.FLOAT);
        assertThrows(InvalidConfigException.class, () -> CellParameters.create(sd, cell, "a_", 2, DataType.FLOAT));
        CellParameters.create(sd, cell, "b_", 1, DataType.FLOAT);
    }
}

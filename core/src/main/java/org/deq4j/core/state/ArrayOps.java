package org.deq4j.core.state;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Allocation-free array arithmetic shared by states and gradient accumulators. */
public final class ArrayOps {
    private ArrayOps() {
    }

    /**
     * {@code y += alpha·x} in place. Uses BLAS axpy (no temporary) when both arrays are contiguous
     * and of one BLAS type, and an elementwise add of a scaled copy otherwise (e.g. a float32
     * gradient added into a float64 accumulator).
     */
    public static void axpy(double alpha, INDArray x, INDArray y) {
        boolean blas = (y.dataType() == DataType.DOUBLE || y.dataType() == DataType.FLOAT)
                && x.dataType() == y.dataType() && !x.isView() && !y.isView()
                && x.ordering() == y.ordering();
        if (blas) {
            Nd4j.getBlasWrapper().level1().axpy(y.length(), alpha, x, y);
        } else {
            y.addi(x.castTo(y.dataType()).mul(alpha));
        }
    }
}

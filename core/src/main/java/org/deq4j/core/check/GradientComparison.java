package org.deq4j.core.check;

import java.util.List;

import org.deq4j.core.adjoint.DeqGradients;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The error measure of the gradient checks. */
public final class GradientComparison {
    private GradientComparison() {
    }

    /**
     * Largest relative error over the injection gradient and every parameter gradient:
     * for each array, {@code max|a - b| / max(max|b|, 1e-300)}; the largest over arrays.
     * A scale-free measure per array, so small parameters are not drowned by large ones.
     */
    public static double maxRelativeError(DeqGradients a, DeqGradients b) {
        double worst = 0;
        for (int i = 0; i < b.gx().size(); i++) {
            worst = Math.max(worst, relativeError(a.gx().part(i), b.gx().part(i)));
        }
        List<INDArray> pa = a.gParams();
        List<INDArray> pb = b.gParams();
        for (int i = 0; i < pb.size(); i++) {
            worst = Math.max(worst, relativeError(pa.get(i), pb.get(i)));
        }
        return worst;
    }

    /** {@code max|a - b| / max(max|b|, 1e-300)}; NaN anywhere gives +Inf. */
    public static double relativeError(INDArray a, INDArray b) {
        INDArray da = a.castTo(DataType.DOUBLE);
        INDArray db = b.castTo(DataType.DOUBLE);
        double diff = da.sub(db).amaxNumber().doubleValue();
        double scale = Math.max(db.amaxNumber().doubleValue(), 1e-300);
        double r = diff / scale;
        return Double.isNaN(r) ? Double.POSITIVE_INFINITY : r;
    }
}

package org.deq4j.train.compat;

import java.lang.reflect.Field;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gives DL4J's convolution, pooling and batch-normalisation layers their oneDNN helpers, which
 * DL4J 1.0.0-M2.1 never installs on the oneDNN CPU backend.
 *
 * <p>The defect: each layer asks {@code BaseMKLDNNHelper.mklDnnEnabled()}, which looks up
 * {@code Nd4jCpu.Environment.isUseMKLDNN()} by reflection; the M2.1 native bindings name that method
 * {@code isUseONEDNN()}, so the lookup fails, the check answers "disabled" for the rest of the JVM,
 * and every convolution runs as im2col + GEMM in Java-driven loops: measured with a profile of the
 * {@code fashion-cpu} training run, im2col, col2im and their GEMMs took 18% of all samples. The
 * helpers themselves are thin wrappers over the native oneDNN ops and work; this class installs
 * them directly (the fields are the layers' own, set by reflection) when the backend has oneDNN
 * switched on. Layers whose helper is already set are left alone, so once DL4J fixes the check this
 * does nothing ({@code OneDnnLayerHelpersTest} watches for that).
 */
public final class OneDnnLayerHelpers {
    private OneDnnLayerHelpers() {
    }

    /**
     * Installs the helpers in every supported layer of {@code graph}; call after {@code init()} or a
     * restore (layers are recreated then).
     *
     * @return the number of layers that got a helper
     */
    public static int install(ComputationGraph graph) {
        return install(graph.getLayers(), graph.getConfiguration().getDataType());
    }

    /** As {@link #install(ComputationGraph)}, for a {@link MultiLayerNetwork}. */
    public static int install(MultiLayerNetwork net) {
        return install(net.getLayers(), net.getLayerWiseConfigurations().getDataType());
    }

    /** Whether the native backend runs oneDNN kernels (the oneDNN build with oneDNN enabled). */
    public static boolean oneDnnAvailable() {
        try {
            Class<?> env = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
            Object instance = env.getMethod("getInstance").invoke(null);
            return (boolean) env.getMethod("isUseONEDNN").invoke(instance)
                    && Nd4j.getEnvironment().helpersAllowed();
        } catch (ReflectiveOperationException | LinkageError e) {
            return false; // not the CPU backend
        }
    }

    private static int install(Layer[] layers, DataType dt) {
        if (!oneDnnAvailable()) {
            return 0;
        }
        int installed = 0;
        for (Layer l : layers) {
            if (l instanceof ConvolutionLayer c && c.getClass() == ConvolutionLayer.class) {
                installed += set(ConvolutionLayer.class, c, new MKLDNNConvHelper(dt));
            } else if (l instanceof SubsamplingLayer s && s.getClass() == SubsamplingLayer.class) {
                installed += set(SubsamplingLayer.class, s, new MKLDNNSubsamplingHelper(dt));
            } else if (l instanceof BatchNormalization b) {
                installed += set(BatchNormalization.class, b, new MKLDNNBatchNormHelper(dt));
            }
        }
        return installed;
    }

    private static int set(Class<?> owner, Object layer, Object helper) {
        try {
            Field f = owner.getDeclaredField("helper");
            f.setAccessible(true);
            if (f.get(layer) != null) {
                return 0;
            }
            f.set(layer, helper);
            return 1;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this DL4J version's " + owner.getSimpleName()
                    + " has no 'helper' field to install a oneDNN helper into: " + e, e);
        }
    }
}

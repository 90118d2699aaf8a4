package org.deq4j.samediff.cell;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.ShapeMismatchException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The RevDEQ paper's convolutional residual cell (NCHW):
 * <pre>
 *   f(z, x) = GN3(ReLU(z + GN2(x + conv2(ReLU(GN1(conv1(z)))))))
 * </pre>
 * with {@code conv1} a 3x3 convolution from {@code channels} to {@code width·channels} channels,
 * {@code conv2} a 3x3 convolution back to {@code channels}, both with "same" padding (1 pixel), stride 1
 * and no bias, and {@link GroupNorm}s of {@code channelsPerGroup} channels per group, each with its
 * own per-channel affine scale (initialised to 1) and shift (initialised to 0). State and injection
 * have the same shape [N, channels, H, W]; H and W may be anything and N may be dynamic.
 *
 * <p>Parameters, in {@link #apply} order: {@code conv1_W} [3, 3, c, w·c], {@code gn1_gamma},
 * {@code gn1_beta} [1, w·c/p, p, 1], {@code conv2_W} [3, 3, w·c, c], {@code gn2_gamma}, {@code gn2_beta},
 * {@code gn3_gamma}, {@code gn3_beta} [1, c/p, p, 1], with p = {@code channelsPerGroup}. The GroupNorm
 * affine parameters are per channel, shaped for {@link GroupNorm}'s grouped view (PyTorch's [C] in C
 * order). Convolution weights are in SameDiff's layout [kH, kW, in, out] (PyTorch's [out, in, kH, kW]
 * permuted by (2, 3, 1, 0)).
 *
 * <p>With {@code weightNorm}, each {@code convK_W} is replaced by a direction {@code convK_V} (same
 * shape) and a gain {@code convK_G} [1, 1, 1, out], initialised to 1, and the weight is
 * {@code g · v / ||v||} with the norm taken per output channel ({@link CellNormalisation#weightNorm},
 * computed in the graph at every cell evaluation). This is the older form, kept so saved graphs load;
 * a DEQ layer's weight-norm option ({@link CellNormalisation}, any cell) computes the weights once per
 * forward pass instead, and cannot be combined with it. That expression depends on parameters
 * only: inside a SameDiff while loop whose body sees the parameters as outer values, M2.1 silently
 * produces no output, so a loop body using a weight-normalised cell must carry the parameters as loop
 * variables. Without weight norm the cell works either way.
 *
 * <p>Shapes: a wrong number of parameters or an injection that is not [N, channels, H, W] gives a
 * {@link ShapeMismatchException}; bad configuration values an {@link InvalidConfigException}.
 *
 * @param channels         c, the state's channel count, at least 1
 * @param width            expansion factor e of the hidden convolution, at least 1
 * @param channelsPerGroup channels per GroupNorm group; must divide both c and e·c
 * @param eps              GroupNorm variance epsilon, positive
 * @param weightNorm       whether the convolution weights are weight-normalised
 */
public record ConvResidualCell(int channels, int width, int channelsPerGroup, double eps, boolean weightNorm)
        implements GraphCell {

    /** Registry key. */
    public static final String TYPE = "conv_residual";
    /** The paper's channels per GroupNorm group. */
    public static final int DEFAULT_CHANNELS_PER_GROUP = 16;
    /** The paper's (and PyTorch's) GroupNorm epsilon. */
    public static final double DEFAULT_EPS = 1e-5;

    /**
     * 3x3, stride 1, 1-pixel zero padding ("same"), NCHW, weights [kH, kW, in, out] (SameDiff's default
     * layout; in M2.1 conv2d_bp fails shape validation with [out, in, kH, kW] weights).
     */
    private static final Conv2DConfig CONV = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1).dH(1).dW(1)
            .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NCHW).weightsFormat(WeightsFormat.YXIO).build();

    static {
        GraphCells.register(TYPE, ConvResidualCell::fromConfig);
    }

    /** @throws InvalidConfigException if a value is out of range or the group size does not divide the channels */
    public ConvResidualCell {
        if (channels < 1 || width < 1) {
            throw new InvalidConfigException("conv residual cell needs channels >= 1 and width >= 1, got channels "
                    + channels + ", width " + width);
        }
        if (channelsPerGroup < 1 || channels % channelsPerGroup != 0) {
            throw new InvalidConfigException("conv residual cell: " + channelsPerGroup
                    + " channels per group do not divide " + channels + " channels");
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new InvalidConfigException("conv residual cell: GroupNorm eps must be positive and finite, got " + eps);
        }
    }

    /** The paper's cell: 16 channels per group (or all channels if fewer), eps 1e-5, no weight norm. */
    public static ConvResidualCell of(int channels, int width) {
        return new ConvResidualCell(channels, width, Math.min(DEFAULT_CHANNELS_PER_GROUP, channels), DEFAULT_EPS, false);
    }

    /**
     * Makes sure the type is registered in {@link GraphCells} (the class's static initialiser does it;
     * calling this forces the class to load). Idempotent.
     */
    public static void register() {
        GraphCells.register(TYPE, ConvResidualCell::fromConfig);
    }

    /** This cell as a {@link GraphCellType} service (listed in META-INF/services). */
    public static final class Type extends GraphCellType.Of {
        public Type() {
            super(TYPE, ConvResidualCell::fromConfig);
        }
    }

    /**
     * Recreates a cell from {@link #config()}. Numbers may come back as any {@link Number} and
     * booleans as strings (as after a serialisation round trip).
     *
     * @throws InvalidConfigException if a key is missing or has the wrong kind of value
     */
    public static ConvResidualCell fromConfig(Map<String, Object> config) {
        CellConfig c = new CellConfig("conv residual cell", config);
        return new ConvResidualCell(c.integer("channels"), c.integer("width"), c.integer("channelsPerGroup"),
                c.number("eps").doubleValue(), c.bool("weightNorm"));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("channels", channels);
        m.put("width", width);
        m.put("channelsPerGroup", channelsPerGroup);
        m.put("eps", eps);
        m.put("weightNorm", weightNorm);
        return m;
    }

    /** Channels of the hidden (expanded) activation, e·c. */
    public int hiddenChannels() {
        return channels * width;
    }

    @Override
    public List<ParamSpec> parameters() {
        long c = channels;
        long h = hiddenChannels();
        List<ParamSpec> p = new ArrayList<>();
        addConv(p, "conv1", h, c);
        addNorm(p, "gn1", h);
        addConv(p, "conv2", c, h);
        addNorm(p, "gn2", c);
        addNorm(p, "gn3", c);
        return List.copyOf(p);
    }

    private void addConv(List<ParamSpec> p, String name, long out, long in) {
        long[] shape = {3, 3, in, out};
        if (weightNorm) {
            p.add(new ParamSpec(name + "_V", shape, ParamSpec.Init.NORMAL_FAN_IN, in * 9));
            p.add(new ParamSpec(name + "_G", new long[] {1, 1, 1, out}, ParamSpec.Init.ONES, 1));
        } else {
            p.add(new ParamSpec(name + "_W", shape, ParamSpec.Init.NORMAL_FAN_IN, in * 9));
        }
    }

    /**
     * The convolution weights, or none with {@code weightNorm}: those are already weight-normalised in
     * the graph, so a DEQ layer's {@link CellNormalisation} would normalise them twice.
     */
    @Override
    public List<ParamSpec> normalisableWeights() {
        return weightNorm ? List.of() : GraphCell.super.normalisableWeights();
    }

    private void addNorm(List<ParamSpec> p, String name, long ch) {
        long[] shape = GroupNorm.affineShape(ch, ch / channelsPerGroup);
        p.add(new ParamSpec(name + "_gamma", shape, ParamSpec.Init.ONES, 1));
        p.add(new ParamSpec(name + "_beta", shape, ParamSpec.Init.ZEROS, 1));
    }

    /**
     * The state has the injection's shape.
     *
     * @throws ShapeMismatchException unless the injection is [N, channels, H, W]
     */
    @Override
    public long[] stateShape(long[] injectionShape) {
        if (injectionShape.length != 4 || injectionShape[1] != channels) {
            throw new ShapeMismatchException("conv residual cell needs an NCHW injection with " + channels
                    + " channels, got shape " + Arrays.toString(injectionShape));
        }
        return injectionShape.clone();
    }

    /** @throws ShapeMismatchException if the number of parameters is not that of {@link #parameters()} */
    @Override
    public SDVariable apply(SameDiff sd, SDVariable z, SDVariable x, List<SDVariable> params) {
        int expected = weightNorm ? 10 : 8;
        if (params.size() != expected) {
            throw new ShapeMismatchException("conv residual cell takes " + expected + " parameters, got " + params.size());
        }
        int i = 0;
        SDVariable w1 = weight(sd, params.get(i++), weightNorm ? params.get(i++) : null);
        SDVariable g1 = params.get(i++);
        SDVariable b1 = params.get(i++);
        SDVariable w2 = weight(sd, params.get(i++), weightNorm ? params.get(i++) : null);
        SDVariable g2 = params.get(i++);
        SDVariable b2 = params.get(i++);
        SDVariable g3 = params.get(i++);
        SDVariable b3 = params.get(i);

        // One shape_of for all three norms: each shape_of adds a tensor of zeros to the gradient.
        SDVariable shape = sd.shape(z);
        long hidden = hiddenChannels();
        SDVariable hiddenShape = width == 1 ? shape : sd.concat(0, sd.slice(shape, new int[] {0}, 1),
                sd.constant(Nd4j.createFromArray(hidden)), sd.slice(shape, new int[] {2}, 2));
        SDVariable h = sd.cnn().conv2d(z, w1, CONV);
        h = sd.nn().relu(GroupNorm.apply(sd, h, hiddenShape, g1, b1, hidden, hidden / channelsPerGroup, eps), 0);
        SDVariable u = x.add(sd.cnn().conv2d(h, w2, CONV));
        u = sd.nn().relu(z.add(GroupNorm.apply(sd, u, shape, g2, b2, channels, channels / channelsPerGroup, eps)), 0);
        return GroupNorm.apply(sd, u, shape, g3, b3, channels, channels / channelsPerGroup, eps);
    }

    /** The convolution weight: {@code v} itself, or weight norm's {@code g · v / ||v||} per output channel. */
    private static SDVariable weight(SameDiff sd, SDVariable v, SDVariable g) {
        return g == null ? v : CellNormalisation.weightNorm(sd, v, g, 4);
    }
}

package org.deq4j.samediff.op;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.exec.PlannedSessions;
import org.deq4j.samediff.compat.InvokeSubGraphNames;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ops.custom.Invoke;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Base of the RevDEQ ops: an {@link Invoke} whose sub-graph (holding a SameDiff while loop) is
 * built from the op's {@link RevDeqSpec} on first use, in whichever SameDiff the op lives in.
 *
 * <p>That laziness is what makes the op survive copies of its graph: gradient creation clones every
 * op through FlatBuffers into a new SameDiff that has no sub-functions, and {@code SameDiff.load}
 * does the same. The clone is recreated by class name (see {@link RevDeqOps#register()}), gets its
 * spec back from {@link #setPropertiesForFunction}, and rebuilds its sub-graph the first time it
 * runs. The sub-graph's placeholders and outputs have fixed names (in_i, out_i), mapped to the op's
 * input and output variables by position.
 */
abstract class RevDeqSubGraphOp extends Invoke {
    /** Name scope of every variable the sub-graph creates besides its inputs and outputs. */
    static final String INTERNAL_SCOPE = "__revdeq";

    protected RevDeqSpec spec;

    /** For FlatBuffers deserialisation: the spec arrives through {@link #setPropertiesForFunction}. */
    protected RevDeqSubGraphOp() {
    }

    protected RevDeqSubGraphOp(SameDiff sd, SDVariable[] inputs, RevDeqSpec spec) {
        super(sd, InvokeParams.builder().inputs(inputs).build());
        this.spec = spec;
        outputVariables();
    }

    /** Number of outputs of this op. */
    abstract int outputCount();

    /** Output data types, given the input data types. */
    abstract List<DataType> outputTypes(List<DataType> inputTypes);

    /**
     * Builds the sub-graph: placeholders named {@code inputNames} (of {@code inputTypes}) and
     * outputs named {@code outputNames}.
     */
    abstract SameDiff buildSubGraph(String[] inputNames, DataType[] inputTypes, String[] outputNames);

    @Override
    public String getFunctionName() {
        requireSpec();
        String name = "revdeq_subgraph/" + getOwnName();
        SDVariable[] args = args();
        String[] in = new String[args.length];
        DataType[] types = new DataType[args.length];
        for (int i = 0; i < args.length; i++) {
            in[i] = "in_" + i;
            types[i] = args[i].dataType();
        }
        String[] out = new String[outputCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = "out_" + i;
        }
        InvokeSubGraphNames.set(this, in, out);
        if (sameDiff.getFunction(name) == null) {
            // first use may happen during execution inside a DL4J workspace: the sub-graph's
            // constants must not live there
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                SameDiff sub = buildSubGraph(in, types, out);
                // the while loop runs as a compiled program (buffers reused by every iteration and
                // run); the listener matters only if the executor must fall back to SameDiff's
                PlannedSessions.register(sub);
                sub.addListeners(ReleaseArraysListener.INSTANCE);
                sameDiff.putSubFunction(name, sub);
            }
        }
        return name;
    }

    @Override
    public String[] getInputVarNames() {
        return argNames();
    }

    @Override
    public String[] getOutputVarNames() {
        return outputVariablesNames();
    }

    @Override
    public SDVariable[] outputVariables() {
        if (outputVariables == null) {
            String[] existing = sameDiff.getOutputsForOp(this);
            if (existing != null) {
                SDVariable[] out = new SDVariable[existing.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = sameDiff.getVariable(existing[i]);
                }
                outputVariables = out;
            } else {
                outputVariables = sameDiff.generateOutputVariableForOp(this, getOwnName(), false);
            }
        }
        return outputVariables;
    }

    @Override
    public int getNumOutputs() {
        return outputCount();
    }

    @Override
    public List<DataType> calculateOutputDataTypes(List<DataType> dataTypes) {
        requireSpec();
        return outputTypes(new ArrayList<>(dataTypes));
    }

    @Override
    public Map<String, Object> propertiesForFunction() {
        requireSpec();
        return spec.toProperties();
    }

    @Override
    public void setPropertiesForFunction(Map<String, Object> properties) {
        spec = RevDeqSpec.fromProperties(properties);
    }

    @Override
    public void configureFromArguments() {
        // all configuration travels in the properties
    }

    @Override
    public long opHash() {
        // not a native op: FlatBuffers finds the class by name through ImportClassMapping
        return 0;
    }

    private void requireSpec() {
        if (spec == null) {
            throw new InvalidConfigException("RevDEQ op '" + getOwnName() + "' has no configuration: it was created"
                    + " without properties");
        }
    }
}

package org.deq4j.core.state;

import java.util.Objects;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.profiler.ProfilerConfig;

/**
 * An ND4J workspace for one kind of pass (a DEQ layer's forward solve, or its backward pass) whose
 * arrays stay valid after the pass returns and until the same kind of pass starts again: the
 * solution a forward pass keeps for the backward pass lives here, and every pass reuses the memory
 * of the previous one, so training allocates no native memory per step and leaves nothing for the
 * garbage collector. While a pass is open, {@link Workspaces#detached} (the solver loops' arrays that
 * outlive an iteration) allocates here too.
 *
 * <p>Sizing. The first pass finds the workspace empty and its arrays spill into separate native
 * allocations, which are freed when the next pass opens (not by a garbage collection); the next
 * pass then gets a workspace of the largest size a pass has needed (with 10% spare), so from the
 * second pass on nothing spills. A pass that needs more (a larger batch) spills once again and the
 * workspace grows. {@link #close()} frees it.
 *
 * <p>ND4J's scope validation. ND4J checks, by default before every op, that each argument's
 * workspace scope is open ({@code ProfilerConfig.checkWorkspaces}); a kept solution read in the
 * backward pass would fail that check although its memory is intact. The first {@link #open()}
 * therefore switches that debugging check off for the JVM (it also costs a little on every op); ND4J's
 * {@code INDArray.dup()} still checks, which is why {@link State#dup()} copies by assignment.
 *
 * <p>Threads: ND4J workspaces belong to a thread; a pass workspace used from several threads has
 * one workspace per thread. Not for concurrent passes on one thread.
 */
public final class PassWorkspace implements AutoCloseable {
    private static final ThreadLocal<MemoryWorkspace> OPEN = new ThreadLocal<>();
    private final String id;
    private long size;

    /** @param id unique among the workspaces of a thread, e.g. a layer name and the pass kind */
    public PassWorkspace(String id) {
        this.id = Objects.requireNonNull(id, "id");
    }

    /**
     * Opens a pass: the previous pass's arrays become invalid. Close the returned scope when the
     * pass ends (try-with-resources); its arrays stay valid until the next {@code open()}.
     */
    @SuppressWarnings("resource")
    public Scope open() {
        allowKeptArrays();
        MemoryWorkspace existing = Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)
                ? Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id) : null;
        if (existing != null && existing.getMaxCycleAllocations() > existing.getCurrentSize()) {
            size = Math.max(size, (long) (existing.getMaxCycleAllocations() * 1.1));
            Nd4j.getWorkspaceManager().destroyWorkspace(existing);
        }
        WorkspaceConfiguration config = WorkspaceConfiguration.builder()
                .initialSize(size)
                .policyAllocation(AllocationPolicy.STRICT)
                .policyLearning(LearningPolicy.NONE)
                .policyReset(ResetPolicy.BLOCK_LEFT)
                .policySpill(SpillPolicy.EXTERNAL)
                .build();
        MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(config, id);
        MemoryWorkspace outer = OPEN.get();
        OPEN.set(ws);
        return new Scope(ws, outer);
    }

    private static void allowKeptArrays() {
        ProfilerConfig c = OpProfiler.getInstance().getConfig();
        if (c != null && c.isCheckWorkspaces()) {
            c.setCheckWorkspaces(false);
        }
    }

    /** Bytes of the workspace itself (0 until a pass has shown the size it needs). */
    public long size() {
        return size;
    }

    /** Frees the workspace (on this thread); its arrays become invalid. */
    @Override
    public void close() {
        if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) {
            Nd4j.getWorkspaceManager().destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id));
        }
    }

    /** The innermost open pass workspace of this thread, if any. */
    static MemoryWorkspace current() {
        return OPEN.get();
    }

    /** An open pass; closing it ends the pass (its arrays stay valid until the next one opens). */
    public static final class Scope implements AutoCloseable {
        private final MemoryWorkspace ws;
        private final MemoryWorkspace outer;

        private Scope(MemoryWorkspace ws, MemoryWorkspace outer) {
            this.ws = ws;
            this.outer = outer;
        }

        @Override
        public void close() {
            if (outer == null) {
                OPEN.remove();
            } else {
                OPEN.set(outer);
            }
            ws.close();
        }
    }
}

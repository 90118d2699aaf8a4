package org.deq4j.core.state;

import java.util.function.Supplier;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J workspaces for solver loops. Every iteration of a forward or backward loop opens the loop's
 * workspace; temporaries allocated in the iteration live there and their memory is reused by the
 * next iteration, so a loop allocates nothing from the native heap after its first iteration and
 * its memory does not grow with the number of steps. Arrays that must outlive an iteration (the
 * iterate, cotangents, gradient sums, stored trajectories) are allocated before the loop or with
 * {@link #detached}, and updated in place.
 */
public final class Workspaces {
    private static final WorkspaceConfiguration LOOP = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.2)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private Workspaces() {
    }

    /**
     * Opens the workspace {@code id} for one loop iteration; close it (try-with-resources) at the
     * end of the iteration. Distinct loops that may nest use distinct ids.
     */
    public static MemoryWorkspace iteration(String id) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(LOOP, id);
    }

    /**
     * Runs {@code allocation} outside the loop iterations' workspaces, for arrays that outlive an
     * iteration: in the open {@link PassWorkspace} of this thread if there is one (so they are
     * reused by the next pass instead of becoming garbage), else outside any workspace.
     */
    public static <T> T detached(Supplier<T> allocation) {
        MemoryWorkspace pass = PassWorkspace.current();
        if (pass != null) {
            try (MemoryWorkspace ignored = pass.notifyScopeBorrowed()) {
                return allocation.get();
            }
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return allocation.get();
        }
    }
}

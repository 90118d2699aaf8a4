package org.deq4j.core.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.abstracts.Nd4jWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.workspace.ND4JWorkspaceException;

/**
 * {@link PassWorkspace} and {@link Workspaces#detached}: arrays of a pass outlive its scope until the
 * same pass opens again, the workspace is sized by the first pass and reused by the next ones, and
 * arrays that outlive a loop iteration land in the open pass's workspace. Values are read element by
 * element ({@code getDouble}), which ND4J does not check against the workspace's scope.
 */
class PassWorkspaceTest {
    private static final int N = 4096; // 32 KiB of float64 per array

    private static String uniqueId(String what) {
        return "PassWorkspaceTest_" + what + "_" + UUID.randomUUID();
    }

    /** A detached array 0..n-1 scaled by {@code scale} plus {@code offset}; made outside every workspace. */
    private static INDArray source(long n, double scale, double offset) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.arange(n).castTo(DataType.DOUBLE).muli(scale).addi(offset);
        }
    }

    /** A new array in the current workspace (if any) holding {@code values}. */
    private static INDArray allocate(INDArray values) {
        return Nd4j.createUninitialized(DataType.DOUBLE, values.shape(), 'c').assign(values);
    }

    private static double[] read(INDArray a) {
        double[] v = new double[(int) a.length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.getDouble(i);
        }
        return v;
    }

    private static String workspaceOf(INDArray a) {
        return a.isAttached() ? a.data().getParentWorkspace().getId() : null;
    }

    private static MemoryWorkspace workspace(String id) {
        return Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id);
    }

    /**
     * A pass's arrays (first pass: spilled; second pass: inside the workspace) keep their values after
     * the scope closes and while another pass workspace is opened and written; the second pass's
     * arrays are overwritten by the third pass's allocations, i.e. only when the same pass opens again.
     */
    @Test
    void arraysStayValidUntilTheSamePassOpensAgain() {
        String idA = uniqueId("A");
        String idB = uniqueId("B");
        INDArray first = source(N, 1.0, 0.5);
        INDArray second = source(N, -2.0, 3.0);
        INDArray third = source(N, 0.25, -7.0);
        INDArray other = source(N, 5.0, 1.0);
        try (PassWorkspace a = new PassWorkspace(idA); PassWorkspace b = new PassWorkspace(idB)) {
            INDArray a1;
            try (PassWorkspace.Scope s = a.open()) {
                a1 = allocate(first);
                assertEquals(idA, workspaceOf(a1), "allocated in the pass workspace");
            }
            assertArrayEquals(read(first), read(a1), "pass 1 after its scope closed");
            try (PassWorkspace.Scope s = b.open()) {
                INDArray b1 = allocate(other);
                assertEquals(idB, workspaceOf(b1));
                b1.muli(3.0);
            }
            assertArrayEquals(read(first), read(a1), "pass 1 after another workspace's pass");

            // (pass 1's arrays were spilled and are freed now: not read again)
            INDArray a2;
            try (PassWorkspace.Scope s = a.open()) {
                a2 = allocate(second);
                assertEquals(idA, workspaceOf(a2));
                assertEquals(0, ((Nd4jWorkspace) workspace(idA)).getSpilledSize(), "pass 2 fits in the workspace");
            }
            assertArrayEquals(read(second), read(a2), "pass 2 after its scope closed");
            for (int k = 0; k < 2; k++) {
                try (PassWorkspace.Scope s = b.open()) {
                    List<INDArray> bs = new ArrayList<>();
                    for (int j = 0; j < 3; j++) {
                        bs.add(allocate(other).addi(j));
                    }
                    assertEquals(idB, workspaceOf(bs.get(0)));
                }
                assertArrayEquals(read(second), read(a2), "pass 2 after another workspace's pass " + k);
            }

            try (PassWorkspace.Scope s = a.open()) {
                assertArrayEquals(read(second), read(a2), "opening alone writes nothing");
                INDArray a3 = allocate(third);
                assertEquals(idA, workspaceOf(a3));
                assertArrayEquals(read(third), read(a2), "pass 3's array reuses pass 2's memory");
            }
            assertArrayEquals(read(third), read(a2), "pass 2's array shows pass 3's values");
        }
    }

    /**
     * Inside an open pass (and inside a loop iteration's workspace within it) {@code detached}
     * allocates in the pass workspace; with no pass open it allocates outside every workspace.
     */
    @Test
    void detachedAllocatesInTheOpenPassElseOutsideWorkspaces() {
        String id = uniqueId("detached");
        String loopId = uniqueId("loop");
        INDArray values = source(64, 1.0, 0.0);
        try (PassWorkspace pass = new PassWorkspace(id)) {
            for (int k = 0; k < 3; k++) {
                try (PassWorkspace.Scope s = pass.open()) {
                    INDArray inPass = Workspaces.detached(() -> allocate(values));
                    assertTrue(inPass.isAttached());
                    assertEquals(id, workspaceOf(inPass), "pass " + k);
                    INDArray inIteration;
                    INDArray iterationTemp;
                    try (MemoryWorkspace it = Workspaces.iteration(loopId)) {
                        iterationTemp = allocate(values);
                        inIteration = Workspaces.detached(() -> allocate(values));
                        assertEquals(loopId, Nd4j.getMemoryManager().getCurrentWorkspace().getId(),
                                "the iteration's workspace is current again after detached");
                    }
                    assertEquals(loopId, workspaceOf(iterationTemp), "a plain allocation in the iteration");
                    assertTrue(inIteration.isAttached());
                    assertEquals(id, workspaceOf(inIteration), "detached inside an iteration, pass " + k);
                    assertArrayEquals(read(values), read(inIteration));
                    assertEquals(id, Nd4j.getMemoryManager().getCurrentWorkspace().getId(), "the pass is current");
                }
            }
        }
        INDArray outside = Workspaces.detached(() -> allocate(values));
        assertFalse(outside.isAttached(), "no pass open, no workspace");
        try (MemoryWorkspace it = Workspaces.iteration(loopId)) {
            INDArray inIteration = Workspaces.detached(() -> allocate(values));
            assertFalse(inIteration.isAttached(), "no pass open, inside an iteration: out of the iteration's workspace");
            assertTrue(allocate(values).isAttached(), "a plain allocation in the iteration");
        } finally {
            Nd4j.getWorkspaceManager().destroyWorkspace(workspace(loopId));
        }
    }

    private static List<INDArray> pass(PassWorkspace pw, INDArray values, int arrays) {
        List<INDArray> out = new ArrayList<>();
        try (PassWorkspace.Scope s = pw.open()) {
            for (int i = 0; i < arrays; i++) {
                out.add(allocate(values));
            }
        }
        return out;
    }

    /**
     * The first pass spills and shows the size; from the second pass on, passes of that size reuse
     * a workspace of constant size with nothing spilled; a larger pass spills once and the workspace
     * grows at the next open, then stays constant again.
     */
    @Test
    void sizeIsLearnedFromTheFirstPassAndGrowsOnlyForLargerPasses() {
        String id = uniqueId("size");
        INDArray values = source(N, 1.0, 0.0);
        long bytes = 4L * N * Double.BYTES;
        try (PassWorkspace pw = new PassWorkspace(id)) {
            assertEquals(0, pw.size());
            pass(pw, values, 4);
            assertEquals(0, pw.size(), "nothing known before the second open");
            assertTrue(((Nd4jWorkspace) workspace(id)).getSpilledSize() >= bytes, "the first pass spills");

            long[] sizes = new long[6];
            long[] capacity = new long[6];
            for (int p = 2; p <= 5; p++) {
                pass(pw, values, 4);
                sizes[p] = pw.size();
                capacity[p] = workspace(id).getCurrentSize();
                assertEquals(0, ((Nd4jWorkspace) workspace(id)).getSpilledSize(), "pass " + p + " spilled");
            }
            assertTrue(sizes[2] >= bytes && sizes[2] < 2 * bytes, "size " + sizes[2] + " for " + bytes + " bytes");
            assertTrue(capacity[2] >= bytes, "capacity " + capacity[2]);
            for (int p = 3; p <= 5; p++) {
                assertEquals(sizes[2], sizes[p], "size at pass " + p);
                assertEquals(capacity[2], capacity[p], "workspace capacity at pass " + p);
            }

            // a larger pass (8 arrays instead of 4): spills, then the workspace grows at the next open
            pass(pw, values, 8);
            assertEquals(sizes[2], pw.size(), "the size changes at the next open, not during the pass");
            assertTrue(((Nd4jWorkspace) workspace(id)).getSpilledSize() > 0, "the larger pass spills");
            pass(pw, values, 8);
            long grown = pw.size();
            assertTrue(grown >= 2 * bytes && grown > sizes[2], "grown to " + grown + " for " + 2 * bytes + " bytes");
            assertTrue(workspace(id).getCurrentSize() >= 2 * bytes);
            assertEquals(0, ((Nd4jWorkspace) workspace(id)).getSpilledSize());
            for (int p = 0; p < 3; p++) {
                pass(pw, values, p % 2 == 0 ? 8 : 4);
                assertEquals(grown, pw.size(), "no growth for passes that fit");
                assertEquals(0, ((Nd4jWorkspace) workspace(id)).getSpilledSize());
            }
        }
    }

    /**
     * An array of a closed pass scope: ND4J's {@code dup()} refuses it ("leaked workspace pointer")
     * although its memory is intact; {@link State#dup()} copies it, and the copy survives the next
     * pass overwriting the original.
     */
    @Test
    void stateDupCopiesAnArrayOfAClosedPass() {
        String id = uniqueId("dup");
        INDArray values = source(N, 0.5, -1.0);
        INDArray later = source(N, 3.0, 2.0);
        try (PassWorkspace pw = new PassWorkspace(id)) {
            pass(pw, values, 1); // spills; the next passes live in the workspace
            INDArray kept = pass(pw, values, 1).get(0);
            assertTrue(kept.isAttached());

            ND4JWorkspaceException e = assertThrows(ND4JWorkspaceException.class, kept::dup);
            assertTrue(e.getMessage().contains("leaked workspace pointer"), e.getMessage());

            State copy = State.of(kept).dup();
            assertNotSame(kept, copy.part(0));
            assertFalse(copy.part(0).isAttached(), "copied into the current (no) workspace");
            assertArrayEquals(read(values), read(copy.part(0)));
            assertArrayEquals(kept.shape(), copy.part(0).shape());

            pass(pw, later, 1);
            assertArrayEquals(read(later), read(kept), "the next pass overwrote the original");
            assertArrayEquals(read(values), read(copy.part(0)), "the copy is unaffected");
        }
    }

    /** {@code close()} destroys the workspace; a later pass creates it again. */
    @Test
    void closeFreesTheWorkspace() {
        String id = uniqueId("close");
        INDArray values = source(N, 1.0, 0.0);
        PassWorkspace pw = new PassWorkspace(id);
        pw.close(); // nothing to free yet: harmless
        assertFalse(Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id));
        pass(pw, values, 2);
        pass(pw, values, 2);
        assertTrue(Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id));
        assertTrue(workspace(id).getCurrentSize() > 0);
        pw.close();
        assertFalse(Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id), "destroyed by close()");
        pw.close(); // twice: harmless

        List<INDArray> again = pass(pw, values, 2);
        assertTrue(Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id));
        assertEquals(id, workspaceOf(again.get(0)));
        assertArrayEquals(read(values), read(again.get(1)));
        pw.close();
        assertFalse(Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id));
    }
}

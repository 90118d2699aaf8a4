package org.deq4j.core.cell;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import org.nd4j.autodiff.samediff.InferenceFactory;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.NoOpMemoryMgr;

/**
 * Works around an ND4J M2.1 defect: the default array-reusing memory manager of SameDiff's
 * {@link InferenceSession} can hand an array still in use (e.g. the buffer behind a reshape view) to a
 * later op of the same {@code output} call, which then overwrites it. Observed with the transformer
 * cell in float32: {@code SameDiff.output} was off by about 4 in values of size 4, while the gradient
 * session (which keeps its forward arrays) was right. Graphs registered here get sessions with ND4J's
 * {@link NoOpMemoryMgr} (fresh arrays for every op; slower, correct); every other graph keeps the
 * default session. The factory is installed once, JVM-wide, delegating to the one it replaces.
 */
final class SafeSessions {
    // By identity: SameDiff's hashCode changes as the graph grows, so hash-based sets lose it.
    private static final List<WeakReference<SameDiff>> REGISTERED = new ArrayList<>();
    private static boolean installed;

    private SafeSessions() {
    }

    /**
     * Makes {@code sd}'s future inference sessions use fresh arrays. Call right after creating the graph:
     * SameDiff creates a thread's session as soon as variables are added, and a session keeps its manager.
     */
    static synchronized void register(SameDiff sd) {
        if (!installed) {
            InferenceFactory previous = SameDiff.getInferenceFactory();
            SameDiff.bindInferenceFactory(g -> {
                if (isRegistered(g)) {
                    InferenceSession s = new InferenceSession(g);
                    s.setMmgr(new NoOpMemoryMgr());
                    return s;
                }
                return previous.create(g);
            });
            installed = true;
        }
        REGISTERED.removeIf(r -> r.get() == null);
        REGISTERED.add(new WeakReference<>(sd));
    }

    private static synchronized boolean isRegistered(SameDiff sd) {
        for (WeakReference<SameDiff> r : REGISTERED) {
            if (r.get() == sd) {
                return true;
            }
        }
        return false;
    }
}

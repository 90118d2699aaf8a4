package org.deq4j.cli.bench;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.nd4j.linalg.api.memory.deallocation.DeallocatableReference;
import org.nd4j.linalg.api.memory.deallocation.DeallocatorService;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Off-heap memory held by ND4J arrays, read from libnd4j's own allocation counter.
 *
 * <p>Every ND4J array buffer allocated outside a workspace is counted in by libnd4j when it is
 * allocated and counted out when it is freed ({@code sd::memory::MemoryCounter}, read through
 * {@code Environment.getDeviceCouner(0)} [sic]); the counter is exact and cheap to read. But ND4J frees
 * a buffer only after the garbage collector has cleared the weak reference to its Java object and one
 * of ND4J's deallocator threads has taken that reference from its queue, so the counter also holds
 * garbage that has not been collected yet.
 *
 * <p>{@link #settle()} removes that garbage deterministically: it forces a full collection, waits
 * until the JVM's reference handler has enqueued the cleared references (a sentinel weak reference
 * of its own comes through), then drains ND4J's deallocation queues in the calling thread, freeing
 * each buffer exactly as ND4J's deallocator threads would, and repeats until the queues are empty,
 * the deallocator threads are idle and the counter has stopped moving. It reads ND4J 1.0.0-M2.1's
 * private {@code DeallocatorService.queues} and {@code referenceMap} fields reflectively.
 */
public final class NativeMemory {
    private static final int QUIET_POLLS = 3;
    private static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final String DEALLOCATOR_THREAD_PREFIX = "DeallocatorServiceThread";

    private NativeMemory() {
    }

    /** Bytes of ND4J array buffers currently allocated (including uncollected garbage). */
    public static long liveBytes() {
        return Nd4j.getEnvironment().getDeviceCouner(0);
    }

    /**
     * Collects garbage and frees the buffers of every unreachable ND4J array; returns the bytes still
     * allocated: the buffers of reachable arrays. Takes two full collections and a few milliseconds.
     *
     * @throws IllegalStateException if ND4J's deallocator internals are not as expected (another ND4J
     *         version) or the deallocation does not settle within 5 seconds
     */
    public static long settle() {
        // A second round frees buffers whose owners were only reachable from objects freed in the first.
        for (int round = 0; round < 2; round++) {
            collect();
            drainUntilQuiet();
        }
        return liveBytes();
    }

    /**
     * One full collection, then frees every buffer whose array the collection found unreachable;
     * returns the bytes allocated then. Unlike {@link #settle()} it does not wait for the counter to
     * stand still, so it can sample while other threads compute: the result is the reachable memory
     * plus whatever was allocated since the collection (and minus nothing reachable).
     */
    public static long collectOnce() {
        collect();
        Deallocation.drain();
        return liveBytes();
    }

    /** A full collection, returning once the reference handler has enqueued what it cleared. */
    private static void collect() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        System.gc();
        try {
            if (queue.remove(TimeUnit.NANOSECONDS.toMillis(MAX_WAIT_NANOS)) == null) {
                throw new IllegalStateException("System.gc() did not clear a weak reference within 5 s;"
                        + " is -XX:+DisableExplicitGC set? Memory cannot be measured without it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for garbage collection", e);
        }
        sentinel.clear();
    }

    private static void drainUntilQuiet() {
        long deadline = System.nanoTime() + MAX_WAIT_NANOS;
        long last = liveBytes();
        int quiet = 0;
        while (quiet < QUIET_POLLS) {
            int freed = Deallocation.drain();
            long now = liveBytes();
            if (freed == 0 && now == last && Deallocation.threadsIdle()) {
                quiet++;
            } else {
                quiet = 0;
                last = now;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ND4J deallocation did not settle within 5 s");
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }

    /** Access to ND4J's deallocation queues and threads. */
    private static final class Deallocation {
        private static final ReferenceQueue<?>[] QUEUES;
        private static final Map<?, ?> REFERENCES;
        private static final List<Thread> THREADS;

        static {
            DeallocatorService service = Nd4j.getDeallocatorService();
            try {
                QUEUES = (ReferenceQueue<?>[]) field("queues").get(service);
                REFERENCES = (Map<?, ?>) field("referenceMap").get(service);
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalStateException("cannot read ND4J's DeallocatorService internals (written for"
                        + " ND4J 1.0.0-M2.1); memory cannot be measured", e);
            }
            if (QUEUES == null || java.util.Arrays.stream(QUEUES).anyMatch(q -> q == null)) {
                throw new IllegalStateException("ND4J's automatic array deallocation is disabled"
                        + " (org.nd4j.arraynogc or org.bytedeco.javacpp.nopointergc); memory cannot be measured");
            }
            THREADS = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith(DEALLOCATOR_THREAD_PREFIX)).toList();
        }

        private static Field field(String name) throws NoSuchFieldException {
            Field f = DeallocatorService.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        }

        /** Frees every buffer whose reference is queued; returns how many. */
        static int drain() {
            int n = 0;
            for (ReferenceQueue<?> q : QUEUES) {
                for (Object r = q.poll(); r != null; r = q.poll()) {
                    DeallocatableReference ref = (DeallocatableReference) r;
                    ref.getDeallocator().deallocate();
                    REFERENCES.remove(ref.getId());
                    n++;
                }
            }
            return n;
        }

        /** Whether every deallocator thread is waiting on its queue (not freeing a buffer right now). */
        static boolean threadsIdle() {
            return THREADS.stream().allMatch(t -> t.getState() == Thread.State.WAITING);
        }
    }
}

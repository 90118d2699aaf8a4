package org.deq4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import org.deq4j.train.Trainer;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM during training: the first asks the trainer to stop after the step in
 * progress, with a checkpoint that {@code --resume} continues; a second stops the process at once (exit
 * 130), as the user then evidently means it. The previous handlers come back on {@link #close}.
 *
 * <p>Uses {@code sun.misc.Signal} (module {@code jdk.unsupported}): a shutdown hook cannot tell the first
 * signal from the second, and must not block the JVM's exit while a checkpoint is written.
 */
final class StopOnSignal implements AutoCloseable {
    private static final String[] SIGNALS = {"INT", "TERM"};

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile boolean requested;

    private StopOnSignal(Trainer trainer, PrintWriter console) {
        SignalHandler handler = signal -> {
            if (requested) {
                console.println("deq4j: stopped at once (second " + signal.getName() + "); the last checkpoint is kept");
                console.flush();
                Runtime.getRuntime().halt(130);
            }
            requested = true;
            trainer.requestStop();
            console.println("deq4j: stopping after this step with a checkpoint (" + signal.getName()
                    + " again stops at once)");
            console.flush();
        };
        for (String name : SIGNALS) {
            Signal s = new Signal(name);
            signals.add(s);
            previous.add(Signal.handle(s, handler));
        }
    }

    /** Installs the handlers for the duration of {@code trainer}'s fit. */
    static StopOnSignal install(Trainer trainer, PrintWriter console) {
        return new StopOnSignal(trainer, console);
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
    }
}

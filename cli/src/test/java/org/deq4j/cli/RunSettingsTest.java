package org.deq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.deq4j.core.GradientStrategy;
import org.deq4j.core.InvalidConfigException;
import org.deq4j.core.cell.VariationalDropout;
import org.deq4j.train.Checkpoint;
import org.deq4j.train.CheckpointException;
import org.junit.jupiter.api.Test;

/** The one run-settings type: its stored form, its checks, and the kind of a checkpoint. */
class RunSettingsTest {
    private static final Path VISION = Path.of("..", "zoo", "pretrained", "fashion-cpu", Checkpoint.FILE_NAME);
    private static final Path LM = Path.of("..", "lm", "pretrained", "austen-micro", Checkpoint.FILE_NAME);

    private static RunSettings vision() {
        return new RunSettings(RunSettings.Kind.VISION, "fashion-tiny", GradientStrategy.PHANTOM,
                Optional.of(Path.of("data")), 16, 7, 2e-3, 1e-4, 3, Optional.empty(), VariationalDropout.OFF, 0);
    }

    @Test
    void bothKindsRoundTripThroughTheStoredForm() {
        RunSettings v = vision();
        assertEquals(v, RunSettings.fromMap(v.toMap()));
        assertEquals(Path.of("data").toAbsolutePath(), v.data().orElseThrow(), "data paths are stored absolute");
        RunSettings lm = new RunSettings(RunSettings.Kind.LANGUAGE_MODEL, "austen-micro", GradientStrategy.REVERSIBLE,
                Optional.empty(), 8, 1, 3e-3, 1e-4, 2, Optional.of("bytes"), new VariationalDropout(0.15), 0);
        assertEquals(lm, RunSettings.fromMap(lm.toMap()));
        assertEquals("0.15", lm.toMap().get("dropout"));
        assertTrue(!v.toMap().containsKey("dropout"), "off is not stored: older checkpoints read the same");
        assertEquals(8, lm.languageModel().batchSize());
        assertEquals("bytes", lm.languageModel().tokenizer());
    }

    @Test
    void unknownMissingAndInconsistentSettingsAreNamed() {
        Map<String, String> extra = new LinkedHashMap<>(vision().toMap());
        extra.put("lr", "0.1");
        InvalidConfigException unknown = assertThrows(InvalidConfigException.class, () -> RunSettings.fromMap(extra));
        assertTrue(unknown.getMessage().contains("[lr]"), unknown.getMessage());
        Map<String, String> missing = new LinkedHashMap<>(vision().toMap());
        missing.remove("seed");
        InvalidConfigException lacks = assertThrows(InvalidConfigException.class, () -> RunSettings.fromMap(missing));
        assertTrue(lacks.getMessage().contains("'seed'"), lacks.getMessage());
        assertThrows(InvalidConfigException.class, () -> new RunSettings(RunSettings.Kind.LANGUAGE_MODEL,
                "austen-micro", GradientStrategy.REVERSIBLE, Optional.empty(), 8, 1, 3e-3, 1e-4, 2, Optional.empty(),
                VariationalDropout.OFF, 0));
        assertThrows(InvalidConfigException.class, () -> new RunSettings(RunSettings.Kind.VISION, "austen-micro",
                GradientStrategy.REVERSIBLE, Optional.empty(), 8, 1, 3e-3, 1e-4, 2, Optional.empty(),
                VariationalDropout.OFF, 0));
    }

    @Test
    void jacobianRegularisationIsStoredWhenOnAndReadAsOffWhenAbsent() {
        RunSettings off = vision();
        assertTrue(!off.toMap().containsKey("jacReg"), "runs without it store what older runs stored");
        assertEquals(0.0, RunSettings.fromMap(off.toMap()).jacReg());
        RunSettings on = new RunSettings(RunSettings.Kind.VISION, "fashion-tiny", GradientStrategy.REVERSIBLE,
                Optional.empty(), 16, 7, 2e-3, 1e-4, 3, Optional.empty(), VariationalDropout.OFF, 0.5);
        assertEquals(on, RunSettings.fromMap(on.toMap()));
        assertEquals(0.5, on.stabilisers().jacobian().weight());
        assertThrows(InvalidConfigException.class, () -> new RunSettings(RunSettings.Kind.VISION, "fashion-tiny",
                GradientStrategy.REVERSIBLE, Optional.empty(), 16, 7, 2e-3, 1e-4, 3, Optional.empty(),
                VariationalDropout.OFF, -1));
    }

    /** The shipped checkpoints carry their settings; each is refused by the other kind's commands, by name. */
    @Test
    void aCheckpointKnowsItsKind() {
        assertEquals("fashion-cpu", RunSettings.of(VISION, RunSettings.Kind.VISION).preset());
        assertEquals(VariationalDropout.OFF, RunSettings.of(VISION, RunSettings.Kind.VISION).dropout(),
                "checkpoints from before --dropout have none");
        assertEquals("bytes+eot", RunSettings.of(LM, RunSettings.Kind.LANGUAGE_MODEL).tokenizer().orElseThrow());
        CheckpointException lmToEval = assertThrows(CheckpointException.class,
                () -> RunSettings.of(LM, RunSettings.Kind.VISION));
        assertTrue(lmToEval.getMessage().contains("language-model checkpoint")
                && lmToEval.getMessage().contains("deq4j lm eval"), lmToEval.getMessage());
        CheckpointException visionToLm = assertThrows(CheckpointException.class,
                () -> RunSettings.of(VISION, RunSettings.Kind.LANGUAGE_MODEL));
        assertTrue(visionToLm.getMessage().contains("vision checkpoint")
                && visionToLm.getMessage().contains("deq4j eval"), visionToLm.getMessage());
    }
}
